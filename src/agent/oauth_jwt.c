/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_jwt.c - signed JWT assertions (RFC 7519, RFC 7523) for the
 * token requests that prove the client with a private key instead of a
 * secret: Microsoft's certificate credentials (client_credentials with
 * oauth_key_file and oauth_certificate_file: the certificate's SHA-1
 * thumbprint in the header as "x5t") and Google's service accounts
 * (oauth_flow = service_account: the JSON key file's private_key and
 * client_email, the mailbox as "sub").  RS256: RSASSA-PKCS1-v1_5 with
 * SHA-256, signed with GnuTLS's private-key API; the JSON is json-c's.
 *
 * Never logs a key or an assertion; every private key file must belong
 * to the agent's user with mode 600 (oauth_read_private).  The key
 * bytes are wiped before they are freed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>

#include "base64.h"
#include "oauth.h"
#include "oauth_int.h"
#include "util.h"

#define OAUTH_KEYFILE_MAX	16384	/* a PEM key or a JSON key file */
#define OAUTH_JWT_MAX		8192
#define OAUTH_JWT_LIFE_MSFT	600	/* Microsoft: assertion valid 10 min */
#define OAUTH_JWT_LIFE_GOOGLE	3600	/* Google: at most one hour */

/* oauth_b64url - append the unpadded base64url of p[0..n) to out */
int
oauth_b64url(const void *p, size_t n, struct buf *out)
{
	size_t	i, start = out->len;

	if (base64_encode(p, n, out) == -1)
		return -1;
	for (i = start; i < out->len; i++)
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	while (out->len > start && out->data[out->len - 1] == '=')
		buf_truncate(out, out->len - 1);	/* keeps the NUL */
	return 0;
}

/* oauth_b64url_json - append base64url(JSON text of o) */
static int
oauth_b64url_json(struct json_object *o, struct buf *out)
{
	const char	*s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE);

	return s == NULL ? -1 : oauth_b64url(s, strlen(s), out);
}

/* oauth_wipe - wipe and free a buffer */
static void
oauth_wipe(struct buf *b)
{
	if (b->data != NULL)
		wipe(b->data, b->cap);
	buf_free(b);
}

/*
 * oauth_sign - append "." base64url(RS256 signature of out[0..len)) to
 * out, with the PEM private key pem; -1 with why
 */
static int
oauth_sign(const char *pem, size_t pemlen, const char *what,
    struct buf *out, struct why *why)
{
	gnutls_privkey_t	key = NULL;
	gnutls_datum_t		kd, data, sig = { NULL, 0 };
	int			rc, ret = -1;

	kd.data = (unsigned char *)(uintptr_t)pem;
	kd.size = (unsigned)pemlen;
	data.data = (unsigned char *)out->data;
	data.size = (unsigned)out->len;
	if ((rc = gnutls_privkey_init(&key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(key, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		why_set(why, 0, NULL, "%s: not a PEM private key without a "
		    "password: %s", what, gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_RSA) {
		why_set(why, 0, NULL, "%s: RS256 needs an RSA key", what);
		goto out;
	}
	if ((rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data,
	    &sig)) < 0) {
		why_set(why, 0, NULL, "%s: signing: %s", what,
		    gnutls_strerror(rc));
		goto out;
	}
	if (buf_putc(out, '.') == -1 ||
	    oauth_b64url(sig.data, sig.size, out) == -1) {
		why_set(why, 0, NULL, "the signed assertion is too long");
		goto out;
	}
	ret = 0;
out:
	gnutls_free(sig.data);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	return ret;
}

/* oauth_x5t - base64url SHA-1 thumbprint of the PEM certificate at path */
static int
oauth_x5t(const char *path, struct buf *out, struct why *why)
{
	gnutls_x509_crt_t	crt = NULL;
	gnutls_datum_t		d = { NULL, 0 };
	unsigned char		fp[20];
	size_t			fplen = sizeof(fp);
	int			rc, ret = -1;

	if ((rc = gnutls_load_file(path, &d)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, fp,
	    &fplen)) < 0) {
		why_set(why, 0, NULL, "oauth_certificate_file %s: %s", path,
		    gnutls_strerror(rc));
		goto out;
	}
	ret = oauth_b64url(fp, fplen, out);
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
	return ret;
}

/* oauth_jti - a random JWT id, hex */
static void
oauth_jti(char *out, size_t size)
{
	unsigned char	r[16];
	size_t		i;

	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r) && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/*
 * oauth_jwt_build - header.payload signed into out: the claims and the
 * header's extra member (x5t, or NULL)
 */
static int
oauth_jwt_build(struct json_object *claims, const char *x5t,
    const char *pem, size_t pemlen, const char *what, struct buf *out,
    struct why *why)
{
	struct json_object	*hdr = json_object_new_object();
	int			 ret = -1;

	if (hdr == NULL) {
		why_set(why, 0, NULL, "json-c: out of memory");
		return -1;
	}
	json_object_object_add(hdr, "alg", json_object_new_string("RS256"));
	json_object_object_add(hdr, "typ", json_object_new_string("JWT"));
	if (x5t != NULL)
		json_object_object_add(hdr, "x5t", json_object_new_string(x5t));
	if (oauth_b64url_json(hdr, out) == -1 || buf_putc(out, '.') == -1 ||
	    oauth_b64url_json(claims, out) == -1) {
		why_set(why, 0, NULL, "the assertion is too long");
		goto out;
	}
	ret = oauth_sign(pem, pemlen, what, out, why);
out:
	json_object_put(hdr);
	return ret;
}

/* oauth_jwt_microsoft - the certificate credential's assertion */
static int
oauth_jwt_microsoft(const struct conf_relay *r, struct buf *out,
    struct why *why)
{
	struct json_object	*c;
	struct buf		 key, x5t;
	char			 jti[40];
	int64_t			 now = (int64_t)time(NULL);
	int			 ret = -1;

	buf_init(&key, OAUTH_KEYFILE_MAX);
	buf_init(&x5t, 64);
	if ((c = json_object_new_object()) == NULL)
		goto out;
	if (oauth_read_private(r->oauth_key_file, "oauth_key_file", &key,
	    why) != 0 || oauth_x5t(r->oauth_certificate_file, &x5t, why) ==
	    -1 || buf_putc(&x5t, '\0') == -1) {
		if (why->text[0] == '\0')
			why_set(why, 0, NULL, "oauth_key_file %s: missing",
			    r->oauth_key_file);
		goto out;
	}
	oauth_jti(jti, sizeof(jti));
	json_object_object_add(c, "aud",
	    json_object_new_string(r->oauth_token_endpoint));
	json_object_object_add(c, "iss",
	    json_object_new_string(r->oauth_client_id));
	json_object_object_add(c, "sub",
	    json_object_new_string(r->oauth_client_id));
	json_object_object_add(c, "jti", json_object_new_string(jti));
	json_object_object_add(c, "nbf", json_object_new_int64(now));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp",
	    json_object_new_int64(now + OAUTH_JWT_LIFE_MSFT));
	ret = oauth_jwt_build(c, x5t.data, key.data, key.len,
	    "oauth_key_file", out, why);
out:
	if (c != NULL)
		json_object_put(c);
	oauth_wipe(&key);
	buf_free(&x5t);
	return ret;
}

/* oauth_jwt_google - the service account's assertion */
static int
oauth_jwt_google(const struct conf_relay *r, struct buf *out,
    struct why *why)
{
	struct json_tokener	*tok = json_tokener_new();
	struct json_object	*k = NULL, *c = NULL, *pk, *email;
	struct buf		 file;
	int64_t			 now = (int64_t)time(NULL);
	int			 ret = -1;

	buf_init(&file, OAUTH_KEYFILE_MAX);
	if (tok == NULL || oauth_read_private(r->oauth_key_file,
	    "oauth_key_file", &file, why) != 0)
		goto out;
	k = json_tokener_parse_ex(tok, file.data != NULL ? file.data : "",
	    (int)file.len);
	if (k == NULL || !json_object_object_get_ex(k, "private_key", &pk) ||
	    !json_object_object_get_ex(k, "client_email", &email) ||
	    !json_object_is_type(pk, json_type_string) ||
	    !json_object_is_type(email, json_type_string)) {
		why_set(why, 0, NULL, "oauth_key_file %s is not a service "
		    "account's JSON key (private_key, client_email): download "
		    "a JSON key for the service account", r->oauth_key_file);
		goto out;
	}
	if ((c = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(c, "iss", json_object_get(email));
	json_object_object_add(c, "sub", json_object_new_string(r->user));
	json_object_object_add(c, "scope",
	    json_object_new_string(r->oauth_scope));
	json_object_object_add(c, "aud",
	    json_object_new_string(r->oauth_token_endpoint));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp",
	    json_object_new_int64(now + OAUTH_JWT_LIFE_GOOGLE));
	ret = oauth_jwt_build(c, NULL, json_object_get_string(pk),
	    (size_t)json_object_get_string_len(pk), "oauth_key_file", out,
	    why);
out:
	if (c != NULL)
		json_object_put(c);
	if (k != NULL) {
		if (json_object_object_get_ex(k, "private_key", &pk) &&
		    json_object_is_type(pk, json_type_string))
			wipe((void *)(uintptr_t)json_object_get_string(pk),
			    (size_t)json_object_get_string_len(pk));
		json_object_put(k);
	}
	if (tok != NULL)
		json_tokener_free(tok);
	oauth_wipe(&file);
	return ret;
}

/* oauth_jwt_assertion - the relay's signed assertion */
int
oauth_jwt_assertion(const struct conf_relay *r, struct buf *out,
    struct why *why)
{
	if (r->oauth_key_file == NULL) {
		why_set(why, 0, NULL, "relay %s: no oauth_key_file", r->name);
		return -1;
	}
	if (r->oauth_flow == CONF_OAUTH_SERVICE_ACCOUNT)
		return oauth_jwt_google(r, out, why);
	return oauth_jwt_microsoft(r, out, why);
}
