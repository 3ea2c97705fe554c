/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trust.c - trust anchors read on demand from a PEM certificate bundle.
 *
 * Owns the reading of the bundle file: one line at a time into a bounded
 * block, one certificate parsed at a time and freed at once unless its
 * subject is wanted, so memory stays at one certificate whatever the
 * bundle's size.  Never decides whether a chain is trusted (GnuTLS does,
 * in tls_verify.c, against the anchors added here) and never keeps a
 * certificate that no chain asked for.
 * RFC 7468 (PEM textual encoding), RFC 5280 4.1.2.4/4.1.2.6 (names).
 */
#include "config.h"

#include "trust.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "buf.h"

#define TRUST_BEGIN	"-----BEGIN CERTIFICATE-----"
#define TRUST_END	"-----END CERTIFICATE-----"

/* what to do with each certificate of the bundle */
struct trust_scan {
	gnutls_x509_trust_list_t	 tl;	/* NULL: only count */
	const gnutls_datum_t		*dns;	/* wanted subjects */
	const bool			*want;	/* per dns[]: not seen yet */
	size_t				 n;
	int				 count;	/* parsed or added */
};

/* trust_dn_hash - sha256 of a raw DN */
static void
trust_dn_hash(const gnutls_datum_t *dn, unsigned char out[32])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, dn->data, dn->size, out) < 0)
		memset(out, 0, 32);
}

/* trust_seen_has - was this DN looked up already? */
static bool
trust_seen_has(const struct trust_seen *seen, const unsigned char h[32])
{
	size_t	i;

	for (i = 0; i < seen->n; i++)
		if (memcmp(seen->hash[i], h, 32) == 0)
			return true;
	return false;
}

/* trust_one - a complete PEM block: count it, or keep it if wanted */
static void
trust_one(struct trust_scan *sc, const struct buf *pem)
{
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		d, subject;
	size_t			i;

	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	d.data = (unsigned char *)pem->data;
	d.size = (unsigned)pem->len;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_crt_deinit(crt);
		return;
	}
	if (sc->tl == NULL) {
		sc->count++;
		gnutls_x509_crt_deinit(crt);
		return;
	}
	if (gnutls_x509_crt_get_raw_dn(crt, &subject) < 0) {
		gnutls_x509_crt_deinit(crt);
		return;
	}
	for (i = 0; i < sc->n; i++)
		if (sc->want[i] && sc->dns[i].size == subject.size &&
		    memcmp(sc->dns[i].data, subject.data, subject.size) == 0)
			break;
	gnutls_free(subject.data);
	if (i == sc->n) {
		gnutls_x509_crt_deinit(crt);
		return;
	}
	/* the list owns crt from here; a duplicate is freed by it */
	if (gnutls_x509_trust_list_add_cas(sc->tl, &crt, 1,
	    GNUTLS_TL_NO_DUPLICATES) == 1)
		sc->count++;
}

/* trust_scan_file - feed every certificate block of path to trust_one */
static int
trust_scan_file(const char *path, struct trust_scan *sc, struct why *why)
{
	FILE		*fp;
	char		 line[TRUST_LINE_MAX];
	struct buf	 pem;
	bool		 inside = false, broken = false, partial = false;
	size_t		 len, blocks = 0;
	int		 ret = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		why_set(why, 0, NULL, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&pem, TRUST_PEM_MAX);
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		/* a line longer than the buffer: skip its block */
		if (partial || (len == sizeof(line) - 1 &&
		    line[len - 1] != '\n')) {
			partial = len == sizeof(line) - 1 &&
			    line[len - 1] != '\n';
			broken = true;
			continue;
		}
		if (strncmp(line, TRUST_BEGIN, strlen(TRUST_BEGIN)) == 0) {
			inside = true;
			broken = false;
			buf_reset(&pem);
		}
		if (!inside)
			continue;
		if (!broken && buf_append(&pem, line, len) == -1)
			broken = true;
		if (strncmp(line, TRUST_END, strlen(TRUST_END)) == 0) {
			inside = false;
			if (!broken)
				trust_one(sc, &pem);
			if (++blocks >= TRUST_BUNDLE_CERTS_MAX)
				break;
		}
	}
	if (ferror(fp)) {
		why_set(why, 0, NULL, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	fclose(fp);
	buf_free(&pem);
	return ret;
}

/* trust_bundle_count - how many certificates the bundle holds */
int
trust_bundle_count(const char *path, struct why *why)
{
	struct trust_scan	sc = { NULL, NULL, NULL, 0, 0 };

	if (trust_scan_file(path, &sc, why) == -1)
		return -1;
	return sc.count;
}

/* trust_add_anchors - the bundle's certificates named by dns, once */
int
trust_add_anchors(gnutls_x509_trust_list_t tl, const char *path,
    const gnutls_datum_t *dns, size_t n, struct trust_seen *seen,
    struct why *why)
{
	struct trust_scan	 sc;
	bool			 want[TRUST_SEEN_MAX];
	unsigned char		 h[TRUST_SEEN_MAX][32];
	size_t			 i, k, nwant = 0;

	if (n > TRUST_SEEN_MAX)
		n = TRUST_SEEN_MAX;
	for (i = 0; i < n; i++) {
		trust_dn_hash(&dns[i], h[i]);
		want[i] = dns[i].size > 0 && !trust_seen_has(seen, h[i]);
		/* the same name twice in one chain: look it up once */
		for (k = 0; want[i] && k < i; k++)
			if (want[k] && memcmp(h[k], h[i], 32) == 0)
				want[i] = false;
		if (want[i])
			nwant++;
	}
	if (nwant == 0)
		return 0;
	sc.tl = tl;
	sc.dns = dns;
	sc.want = want;
	sc.n = n;
	sc.count = 0;
	if (trust_scan_file(path, &sc, why) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (!want[i])
			continue;
		if (seen->n == TRUST_SEEN_MAX)	/* forget the oldest */
			memmove(seen->hash[0], seen->hash[1],
			    (TRUST_SEEN_MAX - 1) * sizeof(seen->hash[0]));
		else
			seen->n++;
		memcpy(seen->hash[seen->n - 1], h[i], 32);
	}
	return sc.count;
}
