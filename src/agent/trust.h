/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trust.h - trust anchors loaded on demand from a PEM bundle (the system
 * store /etc/ssl/certs/ca-certificates.crt, or a relay's tls_ca_file).
 *
 * Loading the whole system store into GnuTLS costs about 4 MB of memory
 * for its ~150 roots, of which a relay's chain needs one.  Instead the
 * bundle is read once per unknown issuer, a certificate at a time, and
 * only the certificates whose subject is the issuer (or the subject) of a
 * certificate in the server's chain are kept as anchors.  Verification
 * itself stays GnuTLS's.
 */
#ifndef POSTERN_TRUST_H
#define POSTERN_TRUST_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "result.h"

#define TRUST_PEM_MAX		(64 * 1024)	/* one certificate, PEM */
#define TRUST_LINE_MAX		1024		/* one PEM line */
#define TRUST_BUNDLE_CERTS_MAX	10000		/* certificates per bundle */
#define TRUST_SEEN_MAX		64		/* names remembered */

/* the names already looked up in one bundle, so it is read once each */
struct trust_seen {
	unsigned char	hash[TRUST_SEEN_MAX][32];	/* sha256 of the DN */
	size_t		n;
};

/*
 * trust_bundle_count - read the PEM bundle at path and count the
 * certificates GnuTLS can parse, keeping none (a check at start-up that
 * the file is usable).  Returns the count (0: none), or -1 with why when
 * the file cannot be read.
 */
int	trust_bundle_count(const char *path, struct why *why);

/*
 * trust_add_anchors - add to tl (gnutls_x509_trust_list_add_cas) every
 * certificate of the bundle at path whose raw subject DN equals one of
 * the names dns[0..n-1] that seen does not hold yet; the names are then
 * remembered in seen (found or not), so a later chain with the same
 * issuer costs nothing.  Blocks longer than TRUST_PEM_MAX and lines longer
 * than TRUST_LINE_MAX are skipped, like certificates that do not parse.
 * Returns the number of anchors added, or -1 with why when the file
 * cannot be read.
 */
int	trust_add_anchors(gnutls_x509_trust_list_t tl, const char *path,
	    const gnutls_datum_t *dns, size_t n, struct trust_seen *seen,
	    struct why *why);

#endif
