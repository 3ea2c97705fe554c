/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_verify.c - what the server's certificate is worth: the pins
 * (tls_pins, sha256 of the certificate or of its public key), the chain
 * against the trust store with anchors read on demand (trust.c), the
 * name (RFC 6125), each failure explained in plain words, and the
 * details `postern check` shows (tls_peer_info).
 *
 * Reads GnuTLS sessions tls.c set up; never performs I/O, never calls
 * into tls.c, never relaxes the policy of tls.h (tls_verify = no and
 * pins are the only ways out of full verification).
 * RFCs: 5280 (X.509), 6125 (names), 7469 (pin format), 7671.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "log.h"
#include "tls_int.h"
#include "trust.h"
#include "util.h"

/* tls_hex - lower-case hex of n bytes into out (2n+1 bytes) */
static void
tls_hex(const unsigned char *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* tls_pin_parse - "sha256:HEX" or "pubkey-sha256:HEX" (colons allowed) */
int
tls_pin_parse(const char *s, struct tls_pin *pin)
{
	const char	*p;
	size_t		 n = 0;
	int		 hi = -1, v;

	if (strncasecmp(s, "sha256:", 7) == 0) {
		pin->kind = TLS_PIN_CERT;
		p = s + 7;
	} else if (strncasecmp(s, "pubkey-sha256:", 14) == 0) {
		pin->kind = TLS_PIN_PUBKEY;
		p = s + 14;
	} else
		return -1;
	for (; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		v = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == TLS_SHA256_LEN)
			return -1;
		pin->hash[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return n == TLS_SHA256_LEN && hi < 0 ? 0 : -1;
}

/* tls_date - "2024-01-02" or with the time, in UTC */
static void
tls_date(time_t t, bool with_time, char *out, size_t outsize)
{
	struct tm	tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsize, with_time ? "%Y-%m-%d %H:%M:%S UTC" :
	    "%Y-%m-%d", &tm) == 0)
		str_copy(out, "(unknown)", outsize);
}

/* tls_dn - subject (issuer false) or issuer DN of crt into out */
static void
tls_dn(gnutls_x509_crt_t crt, bool issuer, char *out, size_t outsize)
{
	gnutls_datum_t	d = { NULL, 0 };
	int		rc;

	rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) :
	    gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (rc < 0 || d.data == NULL) {
		str_copy(out, "(none)", outsize);
		return;
	}
	snprintf(out, outsize, "%.*s", (int)d.size, (const char *)d.data);
	gnutls_free(d.data);
}

/*
 * tls_names - the DNS and IP subjectAltNames as "a.com, b.com, 1.2.3.4";
 * the CN when there are none (what a client falls back to).
 */
static void
tls_names(gnutls_x509_crt_t crt, char *out, size_t outsize)
{
	char		 san[TLS_SAN_LEN_MAX], text[TLS_SAN_LEN_MAX];
	size_t		 size;
	unsigned	 seq, critical;
	int		 type;

	out[0] = '\0';
	for (seq = 0; seq < TLS_SAN_MAX; seq++) {
		size = sizeof(san) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, san,
		    &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			san[size] = '\0';
			str_copy(text, san, sizeof(text));
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 ||
		    size == 16)) {
			if (inet_ntop(size == 4 ? AF_INET : AF_INET6, san,
			    text, sizeof(text)) == NULL)
				continue;
		} else
			continue;
		if (out[0] != '\0')
			str_append(out, ", ", outsize);
		str_append(out, text, outsize);
	}
	if (out[0] == '\0') {
		size = sizeof(san);
		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, san, &size) == 0) {
			str_copy(out, "CN ", outsize);
			str_append(out, san, outsize);
		} else
			str_copy(out, "no names", outsize);
	}
}

/* tls_cert - import peer certificate i; NULL when absent or bad */
static gnutls_x509_crt_t
tls_cert(const struct tls_session *ts, unsigned i)
{
	const gnutls_datum_t	*list;
	unsigned		 n = 0;
	gnutls_x509_crt_t	 crt;

	list = gnutls_certificate_get_peers(ts->s, &n);
	if (list == NULL || i >= n)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &list[i], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

/* tls_hashes - sha256 of the DER leaf and of its SubjectPublicKeyInfo */
static int
tls_hashes(const struct tls_session *ts, unsigned char cert[TLS_SHA256_LEN],
    unsigned char spki[TLS_SHA256_LEN])
{
	const gnutls_datum_t	*list;
	unsigned		 n = 0;
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_pubkey_t		 pk = NULL;
	gnutls_datum_t		 der = { NULL, 0 };
	int			 ret = -1;

	list = gnutls_certificate_get_peers(ts->s, &n);
	if (list == NULL || n == 0)
		return -1;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, list[0].data, list[0].size,
	    cert) < 0)
		return -1;
	if ((crt = tls_cert(ts, 0)) == NULL)
		goto out;
	if (gnutls_pubkey_init(&pk) < 0) {
		pk = NULL;
		goto out;
	}
	if (gnutls_pubkey_import_x509(pk, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, spki) < 0)
		goto out;
	ret = 0;
out:
	gnutls_free(der.data);
	if (pk != NULL)
		gnutls_pubkey_deinit(pk);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ret;
}

/* tls_check_pins - a pin match is required, and enough */
static int
tls_check_pins(struct tls_session *ts, struct why *why)
{
	struct tls_client	*c = ts->client;
	unsigned char		 cert[TLS_SHA256_LEN], spki[TLS_SHA256_LEN];
	char			 hc[2 * TLS_SHA256_LEN + 1];
	char			 hs[2 * TLS_SHA256_LEN + 1];
	char			 want[WHY_TEXT_MAX];
	char			 one[2 * TLS_SHA256_LEN + 1];
	size_t			 i;

	if (tls_hashes(ts, cert, spki) == -1) {
		why_set(why, 0, NULL, "pin check: cannot read the server "
		    "certificate");
		return -1;
	}
	for (i = 0; i < c->npins; i++) {
		const unsigned char *got = c->pins[i].kind == TLS_PIN_CERT ?
		    cert : spki;

		if (memcmp(got, c->pins[i].hash, TLS_SHA256_LEN) == 0) {
			tls_hex(c->pins[i].hash, TLS_SHA256_LEN, one);
			snprintf(ts->verification, sizeof(ts->verification),
			    "pin matched (%s:%s)", c->pins[i].kind ==
			    TLS_PIN_CERT ? "sha256" : "pubkey-sha256", one);
			return 0;
		}
	}
	want[0] = '\0';
	for (i = 0; i < c->npins; i++) {
		tls_hex(c->pins[i].hash, TLS_SHA256_LEN, one);
		if (i > 0)
			str_append(want, ", ", sizeof(want));
		str_append(want, c->pins[i].kind == TLS_PIN_CERT ?
		    "sha256:" : "pubkey-sha256:", sizeof(want));
		str_append(want, one, sizeof(want));
	}
	tls_hex(cert, TLS_SHA256_LEN, hc);
	tls_hex(spki, TLS_SHA256_LEN, hs);
	why_set(why, 0, NULL, "pin mismatch: got sha256:%s "
	    "(pubkey-sha256:%s), expected %s", hc, hs, want);
	return -1;
}

/* tls_add - append "; " and a problem to a message */
static void
tls_add(char *msg, size_t size, const char *part)
{
	if (msg[0] != '\0')
		str_append(msg, "; ", size);
	str_append(msg, part, size);
}

/* tls_explain_status - GnuTLS verification status in words */
static void
tls_explain_status(struct tls_session *ts, unsigned status, char *msg,
    size_t size)
{
	gnutls_x509_crt_t	 leaf, crt;
	unsigned		 n = 0, i;
	char			 part[WHY_TEXT_MAX], date[32];
	char			 dn[TLS_PEER_FIELD_MAX];
	time_t			 now = time(NULL), t;

	msg[0] = '\0';
	(void)gnutls_certificate_get_peers(ts->s, &n);
	if ((leaf = tls_cert(ts, 0)) == NULL) {
		str_copy(msg, "server certificate unreadable", size);
		return;
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		char	names[TLS_PEER_FIELD_MAX];

		tls_names(leaf, names, sizeof(names));
		snprintf(part, sizeof(part), "name mismatch: wanted %s, "
		    "certificate has %s", ts->client->server_name, names);
		tls_add(msg, size, part);
	}
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
		for (i = 0; i < n; i++) {
			if ((crt = tls_cert(ts, i)) == NULL)
				continue;
			t = gnutls_x509_crt_get_expiration_time(crt);
			if (t != (time_t)-1 && t < now) {
				tls_date(t, false, date, sizeof(date));
				tls_dn(crt, false, dn, sizeof(dn));
				if (i == 0)
					snprintf(part, sizeof(part),
					    "certificate expired on %s", date);
				else
					snprintf(part, sizeof(part), "CA "
					    "certificate %s expired on %s",
					    dn, date);
				tls_add(msg, size, part);
			}
			t = gnutls_x509_crt_get_activation_time(crt);
			if (t != (time_t)-1 && t > now) {
				tls_date(t, false, date, sizeof(date));
				snprintf(part, sizeof(part), "certificate "
				    "not yet valid (valid from %s: check "
				    "this machine's clock)", date);
				tls_add(msg, size, part);
			}
			gnutls_x509_crt_deinit(crt);
		}
	}
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		crt = n > 0 ? tls_cert(ts, n - 1) : NULL;
		if (n == 1 && gnutls_x509_crt_check_issuer(leaf, leaf))
			str_copy(part, "issuer not trusted (self-signed "
			    "certificate)", sizeof(part));
		else {
			if (crt != NULL)
				tls_dn(crt, true, dn, sizeof(dn));
			else
				str_copy(dn, "(unknown)", sizeof(dn));
			snprintf(part, sizeof(part), "signed by an unknown "
			    "authority: %s", dn);
		}
		if (crt != NULL)
			gnutls_x509_crt_deinit(crt);
		tls_add(msg, size, part);
	}
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		tls_add(msg, size, "issuer is not a certificate authority");
	if (status & GNUTLS_CERT_REVOKED)
		tls_add(msg, size, "certificate revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		tls_add(msg, size, "certificate signed with an insecure "
		    "algorithm");
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		tls_add(msg, size, "certificate signature does not verify");
	if (msg[0] == '\0') {
		gnutls_datum_t	d = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &d, 0) == 0 && d.data != NULL)
			snprintf(msg, size, "%.*s", (int)d.size,
			    (const char *)d.data);
		else
			str_copy(msg, "certificate not trusted", size);
		gnutls_free(d.data);
	}
	gnutls_x509_crt_deinit(leaf);
}

/*
 * tls_trust_chain - add to the credentials' trust list the anchors the
 * peer's chain names: the certificates of the trust file whose subject is
 * the issuer or the subject of a certificate in the chain.
 */
static int
tls_trust_chain(struct tls_session *ts, struct why *why)
{
	struct tls_client		*c = ts->client;
	gnutls_x509_trust_list_t	 tl;
	gnutls_datum_t			 dns[TRUST_SEEN_MAX];
	gnutls_x509_crt_t		 crt;
	struct why			 cause;
	unsigned			 n = 0, i;
	size_t				 k = 0;
	int				 rc = 0;

	if (c->trust_file == NULL)
		return 0;
	gnutls_certificate_get_trust_list(c->cred, &tl);
	(void)gnutls_certificate_get_peers(ts->s, &n);
	for (i = 0; i < n && k + 2 <= TRUST_SEEN_MAX; i++) {
		if ((crt = tls_cert(ts, i)) == NULL)
			continue;
		if (gnutls_x509_crt_get_raw_issuer_dn(crt, &dns[k]) == 0)
			k++;
		if (gnutls_x509_crt_get_raw_dn(crt, &dns[k]) == 0)
			k++;
		gnutls_x509_crt_deinit(crt);
	}
	if (trust_add_anchors(tl, c->trust_file, dns, k, &c->trust_seen,
	    &cause) == -1) {
		why_set(why, 0, NULL, "cannot read the trust store: %s",
		    cause.text);
		rc = -1;
	}
	while (k > 0)
		gnutls_free(dns[--k].data);
	return rc;
}

/* tls_verify - apply the policy of tls.h to the finished handshake */
int
tls_verify(struct tls_session *ts, struct why *why)
{
	struct tls_client	*c = ts->client;
	unsigned		 status = 0;
	char			 msg[WHY_TEXT_MAX];
	int			 rc;

	if (gnutls_certificate_type_get(ts->s) != GNUTLS_CRT_X509 ||
	    gnutls_certificate_get_peers(ts->s, NULL) == NULL) {
		if (!c->verify && c->npins == 0) {
			str_copy(ts->verification, "not verified (tls_verify "
			    "= no)", sizeof(ts->verification));
			return 0;
		}
		why_set(why, 0, NULL, "server sent no X.509 certificate");
		return -1;
	}
	if (c->npins > 0) {
		if (tls_check_pins(ts, why) == -1)
			return -1;
		ts->verified = true;
		return 0;
	}
	if (!c->verify) {
		str_copy(ts->verification, "not verified (tls_verify = no)",
		    sizeof(ts->verification));
		return 0;
	}
	if (tls_trust_chain(ts, why) == -1)
		return -1;
	rc = gnutls_certificate_verify_peers3(ts->s, c->server_name, &status);
	if (rc < 0) {
		why_set(why, 0, NULL, "certificate verification failed: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	if (status != 0) {
		tls_explain_status(ts, status, msg, sizeof(msg));
		why_set(why, 0, NULL, "%s", msg);
		str_copy(ts->verification, msg, sizeof(ts->verification));
		return -1;
	}
	str_copy(ts->verification, "verified", sizeof(ts->verification));
	ts->verified = true;
	return 0;
}

/* tls_peer_info - session and certificate details */
void
tls_peer_info(const struct tls_session *ts, struct tls_peer_info *info)
{
	gnutls_x509_crt_t	 crt;
	gnutls_cipher_algorithm_t cipher;
	unsigned char		 cert[TLS_SHA256_LEN], spki[TLS_SHA256_LEN];
	char			 hex[2 * TLS_SHA256_LEN + 1];
	const char		*name;
	char			*desc;

	memset(info, 0, sizeof(*info));
	name = gnutls_protocol_get_name(gnutls_protocol_get_version(ts->s));
	str_copy(info->protocol, name != NULL ? name : "unknown",
	    sizeof(info->protocol));
	cipher = gnutls_cipher_get(ts->s);
	name = gnutls_cipher_get_name(cipher);
	str_copy(info->cipher, name != NULL ? name : "unknown",
	    sizeof(info->cipher));
	if ((desc = gnutls_session_get_desc(ts->s)) != NULL) {
		str_copy(info->description, desc, sizeof(info->description));
		gnutls_free(desc);
	}
	str_copy(info->verification, ts->verification,
	    sizeof(info->verification));
	info->verified = ts->verified;
	info->resumed = ts->resumed;
	if ((crt = tls_cert(ts, 0)) == NULL)
		return;
	tls_dn(crt, false, info->subject, sizeof(info->subject));
	tls_dn(crt, true, info->issuer, sizeof(info->issuer));
	tls_names(crt, info->sans, sizeof(info->sans));
	tls_date(gnutls_x509_crt_get_activation_time(crt), true,
	    info->not_before, sizeof(info->not_before));
	tls_date(gnutls_x509_crt_get_expiration_time(crt), true,
	    info->not_after, sizeof(info->not_after));
	gnutls_x509_crt_deinit(crt);
	if (tls_hashes(ts, cert, spki) == 0) {
		tls_hex(cert, TLS_SHA256_LEN, hex);
		snprintf(info->fingerprint, sizeof(info->fingerprint),
		    "sha256:%s", hex);
		tls_hex(spki, TLS_SHA256_LEN, hex);
		snprintf(info->pubkey_pin, sizeof(info->pubkey_pin),
		    "pubkey-sha256:%s", hex);
	}
}

/* tls_client_rejected - the certificate of the last rejected server */
bool
tls_client_rejected(const struct tls_client *c, struct tls_peer_info *info)
{
	if (!c->rejected_valid)
		return false;
	*info = c->rejected;
	return true;
}
