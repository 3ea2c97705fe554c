/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/trust.c - trust anchors read on demand from a PEM bundle:
 * counting, picking the certificate a chain names and no other, hostile
 * bundle content (garbage blocks, overlong lines, oversized blocks), the
 * memory of names already looked up, and an unreadable file.  The
 * certificates come from tests/lib/tls-certs-unit.sh.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "run.h"
#include "tap.h"
#include "trust.h"
#include "util.h"
#include "certs.h"

static char	dir[] = "/tmp/postern-trust.XXXXXX";

/* load - a PEM certificate of the test directory */
static gnutls_x509_crt_t
load(const char *name)
{
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		d;
	char			path[512];

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if (gnutls_load_file(path, &d) < 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_free(d.data);
		return NULL;
	}
	gnutls_free(d.data);
	return crt;
}

/* verify - status of crt against tl (0: trusted) */
static unsigned
verify(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t crt)
{
	unsigned	status = ~0U;

	if (gnutls_x509_trust_list_verify_crt(tl, &crt, 1, 0, &status,
	    NULL) < 0)
		return ~0U;
	return status;
}

int
main(void)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t	 good, ca;
	gnutls_datum_t		 dn[3], fake[TRUST_SEEN_MAX + 6];
	struct trust_seen	 seen;
	struct why		 why;
	char			 cmd[2048], out[1024], bundle[512], path[512];
	unsigned char		 names[TRUST_SEEN_MAX + 6][8];
	size_t			 i;
	int			 n;

	if ((n = certs_make(dir)) != 0)
		return n;

	/*
	 * The bundle: text before the first block, the self-signed
	 * certificate, a block that is not base64, a block with a line
	 * longer than TRUST_LINE_MAX, a block bigger than TRUST_PEM_MAX, a
	 * block never ended... and the CA, last, after all of that.
	 */
	snprintf(bundle, sizeof(bundle), "%s/bundle.pem", dir);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && { echo '# a comment'; cat self.pem; "
	    "printf -- '-----BEGIN CERTIFICATE-----\\n!!not base64!!\\n"
	    "-----END CERTIFICATE-----\\n'; "
	    "printf -- '-----BEGIN CERTIFICATE-----\\n'; "
	    "head -c 3000 /dev/zero | tr '\\0' A; echo; "
	    "printf -- '-----END CERTIFICATE-----\\n'; "
	    "printf -- '-----BEGIN CERTIFICATE-----\\n'; "
	    "i=0; while [ $i -lt 1200 ]; do "
	    "echo AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; "
	    "i=$((i + 1)); done; printf -- '-----END CERTIFICATE-----\\n'; "
	    "cat ca.pem; printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n'; "
	    "} >bundle.pem && echo made", dir);
	ok(shell_out(cmd, out, sizeof(out)) == 0, "bundle written: %s", out);

	/* counting: the two real certificates, nothing else */
	is_int(trust_bundle_count(bundle, &why), 2,
	    "count: the self-signed and the CA, hostile blocks skipped");
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	is_int(trust_bundle_count(path, &why), -1, "count: missing file");
	ok(strstr(why.text, path) != NULL &&
	    strstr(why.text, "No such file") != NULL,
	    "count: the error names the file and the cause: %s", why.text);
	snprintf(path, sizeof(path), "%s/good.key", dir);
	is_int(trust_bundle_count(path, &why), 0,
	    "count: a file with no certificate: 0");

	/* anchors: only the CA the chain names */
	good = load("good");
	ca = load("ca");
	ok(good != NULL && ca != NULL, "test certificates load");
	if (good == NULL || ca == NULL)
		return done_testing();
	ok(gnutls_x509_trust_list_init(&tl, 0) == 0, "trust list");
	ok(verify(tl, good) & GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "empty list: signer not found");
	memset(&seen, 0, sizeof(seen));
	ok(gnutls_x509_crt_get_raw_issuer_dn(good, &dn[0]) == 0 &&
	    gnutls_x509_crt_get_raw_dn(good, &dn[1]) == 0 &&
	    gnutls_x509_crt_get_raw_issuer_dn(good, &dn[2]) == 0,
	    "chain names");
	/* the CA (the issuer, named twice) and self.pem (the leaf's name) */
	is_int(trust_add_anchors(tl, bundle, dn, 3, &seen, &why), 2,
	    "the certificates with the chain's names added, once each");
	is_int((long long)seen.n, 2, "two distinct names remembered");
	is_int(verify(tl, good), 0, "good certificate now verifies");
	/* the names are remembered: the file is not read again */
	ok(rename(bundle, path) == 0, "bundle moved away");
	is_int(trust_add_anchors(tl, bundle, dn, 3, &seen, &why), 0,
	    "names already looked up: nothing read, nothing added");
	ok(rename(path, bundle) == 0, "bundle back");
	for (i = 0; i < 3; i++)
		gnutls_free(dn[i].data);

	/* a name the bundle does not hold: none added, remembered */
	memcpy(names[0], "nobody!", 8);
	fake[0].data = names[0];
	fake[0].size = 8;
	is_int(trust_add_anchors(tl, bundle, fake, 1, &seen, &why), 0,
	    "unknown name: nothing added");
	is_int((long long)seen.n, 3, "unknown name remembered");

	/* the memory is bounded: the oldest names are forgotten */
	for (i = 0; i < TRUST_SEEN_MAX + 6; i++) {
		snprintf((char *)names[i], sizeof(names[i]), "n%05zu", i);
		fake[i].data = names[i];
		fake[i].size = 7;
	}
	n = trust_add_anchors(tl, bundle, fake, TRUST_SEEN_MAX + 6, &seen,
	    &why);
	is_int(n, 0, "many names: none in the bundle");
	is_int((long long)seen.n, TRUST_SEEN_MAX, "memory stays bounded");

	/* an unreadable file is an error */
	memcpy(names[0], "another", 8);
	fake[0].size = 8;
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	is_int(trust_add_anchors(tl, path, fake, 1, &seen, &why), -1,
	    "missing bundle: error");
	ok(strstr(why.text, "none.pem") != NULL, "names the file: %s",
	    why.text);

	gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_x509_crt_deinit(good);
	gnutls_x509_crt_deinit(ca);
	certs_remove(dir);
	return done_testing();
}
