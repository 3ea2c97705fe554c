/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.c - GnuTLS client: credentials per relay, one session per connection,
 * verification with failures in plain words, pins, resumption.
 *
 * Owns every GnuTLS object.  Never touches a socket (conn.c passes a
 * struct tls_transport) and never blocks past the caller's deadline:
 * GNUTLS_E_AGAIN means "poll in the direction gnutls_record_get_direction()
 * names until the deadline", never a blind retry loop.
 *
 * TLS 1.3 session tickets arrive after the handshake.  We never wait for
 * them: gnutls_session_get_data2() would block for a round trip when no
 * ticket has arrived, so it is only called once GNUTLS_SFLAGS_SESSION_TICKET
 * is set (TLS 1.3) or right after the handshake (TLS 1.2), i.e. after the
 * first record read (the SMTP reply to EHLO carries the ticket with it),
 * and again at close.  GNUTLS_NO_TICKETS is not used: we want resumption.
 * gnutls_record_set_timeout() stays 0 (non-blocking records): our poll
 * holds the deadline, and a pull_timeout callback clamped to the same
 * deadline covers any wait GnuTLS starts on its own.
 * RFCs: 8446 (TLS 1.3), 5246 (TLS 1.2), 6125 (names), 6066 (SNI), 7671.
 */
#include "config.h"

/* module headers first, then the system ones */
#include "tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "log.h"
#include "trust.h"
#include "util.h"

#define TLS_SHA256_LEN		32
#define TLS_FIRST_BYTES_MAX	64	/* kept to recognise a plain banner */
#define TLS_SAN_MAX		64	/* subjectAltNames examined */
#define TLS_SAN_LEN_MAX		256
#define TLS_BANNER_WAIT_MS	500	/* to quote a plain-text banner */

enum tls_pin_kind {
	TLS_PIN_CERT,		/* sha256 of the DER certificate */
	TLS_PIN_PUBKEY,		/* sha256 of the DER SubjectPublicKeyInfo */
};

struct tls_pin {
	enum tls_pin_kind	kind;
	unsigned char		hash[TLS_SHA256_LEN];
};

struct tls_client {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t	 prio;		/* NULL: library default */
	char			*server_name;	/* SNI and verification */
	bool			 server_is_ip;	/* no SNI for IP literals */
	bool			 verify;
	char			*trust_file;	/* anchors read on demand */
	struct trust_seen	 trust_seen;	/* issuers looked up */
	enum conf_tls		 mode;
	unsigned		 port;
	struct tls_pin		 pins[CONF_PINS_MAX];
	size_t			 npins;
	gnutls_datum_t		 resume;	/* session data, or size 0 */
	struct tls_peer_info	 rejected;	/* see tls_client_rejected */
	bool			 rejected_valid;
};

struct tls_session {
	struct tls_client	*client;
	gnutls_session_t	 s;
	struct tls_transport	 t;
	int64_t			 deadline;	/* of the current operation */
	unsigned char		 first[TLS_FIRST_BYTES_MAX];
	size_t			 nfirst;
	bool			 eof;		/* transport saw end of file */
	int			 transport_errno;
	bool			 resumed;
	bool			 saved;		/* session data stored */
	bool			 verified;
	char			 verification[WHY_TEXT_MAX];
};

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
static int
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

/* tls_default_port - the port the relay uses when none is written */
static unsigned
tls_default_port(const struct conf_relay *r)
{
	if (r->port != 0)
		return r->port;
	switch (r->tls) {
	case CONF_TLS_IMPLICIT:
		return 465;
	case CONF_TLS_NONE:
		return 25;
	case CONF_TLS_STARTTLS:
	default:
		return 587;
	}
}

/* tls_readable - GnuTLS says only "Error while reading file": say why */
static int
tls_readable(const char *path, const char *key, struct why *why)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		why_set(why, 0, NULL, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* tls_client_new - load credentials and policy for one relay */
struct tls_client *
tls_client_new(const struct conf_relay *r, struct why *why)
{
	struct tls_client	*c;
	struct why		 cause;
	const char		*name, *errpos = NULL;
	unsigned char		 ip[16];
	size_t			 i;
	int			 rc;

	why_clear(why);
	c = xcalloc(1, sizeof(*c));
	name = r->tls_server_name != NULL ? r->tls_server_name : r->host;
	c->server_name = xstrdup(name != NULL ? name : "");
	c->server_is_ip = inet_pton(AF_INET, c->server_name, ip) == 1 ||
	    inet_pton(AF_INET6, c->server_name, ip) == 1;
	c->verify = r->tls_verify;
	c->mode = r->tls;
	c->port = tls_default_port(r);

	for (i = 0; i < r->tls_npins && i < CONF_PINS_MAX; i++) {
		if (tls_pin_parse(r->tls_pins[i], &c->pins[c->npins]) == -1) {
			why_set(why, 0, NULL, "bad tls_pin '%s': expected "
			    "sha256:HEX or pubkey-sha256:HEX with 64 hex "
			    "digits (certtool --fingerprint --hash sha256)",
			    r->tls_pins[i]);
			goto fail;
		}
		c->npins++;
	}

	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		why_set(why, 0, NULL, "TLS credentials: %s",
		    gnutls_strerror(rc));
		goto fail;
	}
	/*
	 * Trust is only needed when the chain is checked.  The bundle is
	 * read here only to see that it is usable; anchors are taken from
	 * it when a chain names them (tls_trust_chain, trust.h).
	 */
	if (c->verify && c->npins == 0) {
		const char	*key = r->tls_ca_file != NULL ? "tls_ca_file" :
				    "system trust store";

		c->trust_file = xstrdup(r->tls_ca_file != NULL ?
		    r->tls_ca_file : TRUST_SYSTEM_FILE);
		rc = trust_bundle_count(c->trust_file, &cause);
		if (rc <= 0) {
			why_set(why, 0, NULL, "%s %s%s%s", key,
			    rc == 0 ? c->trust_file : cause.text,
			    rc == 0 ? ": no PEM certificate in the file" : "",
			    r->tls_ca_file == NULL ? " (install "
			    "ca-certificates, or set tls_ca_file)" : "");
			goto fail;
		}
	}
	if (r->tls_cert_file != NULL || r->tls_key_file != NULL) {
		if (r->tls_cert_file == NULL || r->tls_key_file == NULL) {
			why_set(why, 0, NULL, "a client certificate needs both "
			    "tls_cert_file and tls_key_file");
			goto fail;
		}
		if (tls_readable(r->tls_cert_file, "tls_cert_file", why) ==
		    -1 || tls_readable(r->tls_key_file, "tls_key_file",
		    why) == -1)
			goto fail;
		rc = gnutls_certificate_set_x509_key_file(c->cred,
		    r->tls_cert_file, r->tls_key_file, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			why_set(why, 0, NULL, "client certificate %s with key "
			    "%s: %s", r->tls_cert_file, r->tls_key_file,
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (r->tls_priority != NULL) {
		rc = gnutls_priority_init(&c->prio, r->tls_priority, &errpos);
		if (rc < 0) {
			why_set(why, 0, NULL, "tls_priority '%s': not a "
			    "valid GnuTLS priority string at '%s' (see "
			    "gnutls-cli --priority ... -l)", r->tls_priority,
			    errpos != NULL ? errpos : "");
			c->prio = NULL;
			goto fail;
		}
	}
	return c;
fail:
	tls_client_free(c);
	return NULL;
}

/* tls_client_forget - drop resumption data */
void
tls_client_forget(struct tls_client *c)
{
	if (c == NULL || c->resume.data == NULL)
		return;
	wipe(c->resume.data, c->resume.size);
	gnutls_free(c->resume.data);
	c->resume.data = NULL;
	c->resume.size = 0;
}

/* tls_client_free - release a relay's TLS state */
void
tls_client_free(struct tls_client *c)
{
	if (c == NULL)
		return;
	tls_client_forget(c);
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio != NULL)
		gnutls_priority_deinit(c->prio);
	free(c->server_name);
	free(c->trust_file);
	free(c);
}

/* tls_pull - GnuTLS pull callback: remember the first bytes we receive */
static ssize_t
tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t n)
{
	struct tls_session	*ts = ptr;
	ssize_t			 r;
	size_t			 k;

	r = ts->t.recv(ts->t.ctx, buf, n);
	if (r > 0 && ts->nfirst < sizeof(ts->first)) {
		k = sizeof(ts->first) - ts->nfirst;
		if (k > (size_t)r)
			k = (size_t)r;
		memcpy(ts->first + ts->nfirst, buf, k);
		ts->nfirst += k;
	}
	if (r == 0)
		ts->eof = true;
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		ts->transport_errno = errno;
	return r;
}

/* tls_push - GnuTLS push callback */
static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t n)
{
	struct tls_session	*ts = ptr;
	ssize_t			 r;

	r = ts->t.send(ts->t.ctx, buf, n);
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		ts->transport_errno = errno;
	return r;
}

/*
 * tls_pull_timeout - GnuTLS asks whether data arrives within ms.  Only a
 * safety net (we never enable GnuTLS's own blocking waits), clamped to the
 * current operation's deadline so nothing inside GnuTLS can overstay it.
 */
static int
tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_session	*ts = ptr;
	int64_t			 until = ts->deadline;

	if (ms != GNUTLS_INDEFINITE_TIMEOUT) {
		int64_t	 mine = now_ms() + (int64_t)ms;

		if (until < 0 || mine < until)
			until = mine;
	}
	return ts->t.wait(ts->t.ctx, POLLIN, until);
}

/* tls_wait - after GNUTLS_E_AGAIN: poll the way GnuTLS wants to go */
static int
tls_wait(struct tls_session *ts, int64_t deadline)
{
	short	ev = gnutls_record_get_direction(ts->s) ? POLLOUT : POLLIN;

	return ts->t.wait(ts->t.ctx, ev, deadline);
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
static int
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

/* tls_printable - copy the first line of raw bytes, unprintables as '?' */
static void
tls_printable(const unsigned char *p, size_t n, char *out, size_t outsize)
{
	size_t	i, k = 0;

	for (i = 0; i < n && k + 1 < outsize; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			break;
		out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	}
	out[k] = '\0';
}

/* tls_looks_like_smtp - "NNN " or "NNN-": a plain SMTP reply */
static bool
tls_looks_like_smtp(const struct tls_session *ts)
{
	const unsigned char	*b = ts->first;

	return ts->nfirst >= 4 && isdigit(b[0]) && isdigit(b[1]) &&
	    isdigit(b[2]) && (b[3] == ' ' || b[3] == '-');
}

/*
 * tls_more_banner - GnuTLS read only a record header's worth of the
 * server's plain-text reply; read the rest of its first line, briefly, so
 * the message can quote it.
 */
static void
tls_more_banner(struct tls_session *ts)
{
	int64_t	until = now_ms() + TLS_BANNER_WAIT_MS;
	ssize_t	r;

	if (ts->deadline >= 0 && ts->deadline < until)
		until = ts->deadline;
	while (ts->nfirst < sizeof(ts->first) &&
	    memchr(ts->first, '\n', ts->nfirst) == NULL) {
		r = ts->t.recv(ts->t.ctx, ts->first + ts->nfirst,
		    sizeof(ts->first) - ts->nfirst);
		if (r > 0) {
			ts->nfirst += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
		    ts->t.wait(ts->t.ctx, POLLIN, until) != 1)
			break;
	}
}

/* tls_handshake_failed - the reason a handshake failed, in words */
static void
tls_handshake_failed(struct tls_session *ts, int rc, struct why *why)
{
	char	line[TLS_FIRST_BYTES_MAX + 1];

	if (tls_looks_like_smtp(ts)) {
		tls_more_banner(ts);
		tls_printable(ts->first, ts->nfirst, line, sizeof(line));
		if (ts->client->mode == CONF_TLS_IMPLICIT)
			why_set(why, 0, NULL, "server does not speak TLS on "
			    "this port (port %u expects STARTTLS: set tls = "
			    "starttls): it sent \"%s\"", ts->client->port,
			    line);
		else
			why_set(why, 0, NULL, "server answered the TLS "
			    "handshake in plain text: \"%s\"", line);
		return;
	}
	switch (rc) {
	case GNUTLS_E_TIMEDOUT:
		why_set(why, 0, NULL, "TLS handshake timed out");
		return;
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		gnutls_alert_description_t a = gnutls_alert_get(ts->s);

		if (a == GNUTLS_A_HANDSHAKE_FAILURE ||
		    a == GNUTLS_A_PROTOCOL_VERSION ||
		    a == GNUTLS_A_INSUFFICIENT_SECURITY)
			why_set(why, 0, NULL, "server refused the TLS "
			    "handshake (alert: %s): no TLS version or cipher "
			    "in common; check tls_priority",
			    gnutls_alert_get_name(a));
		else
			why_set(why, 0, NULL, "server refused the TLS "
			    "handshake (alert: %s)", gnutls_alert_get_name(a));
		return;
	}
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_NO_PRIORITIES_WERE_SET:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		why_set(why, 0, NULL, "no TLS version or cipher in common "
		    "with the server (%s); check tls_priority",
		    gnutls_strerror(rc));
		return;
	default:
		break;
	}
	if (ts->eof)
		why_set(why, 0, NULL, "server closed the connection during "
		    "the TLS handshake");
	else if (ts->transport_errno != 0)
		why_set(why, 0, NULL, "TLS handshake: %s",
		    strerror(ts->transport_errno));
	else
		why_set(why, 0, NULL, "TLS handshake failed: %s",
		    gnutls_strerror(rc));
}

/*
 * tls_save - keep session data for the next connection, once it exists.
 * Under TLS 1.3 only when a ticket has arrived: asking earlier would make
 * GnuTLS wait a round trip for one.
 */
static void
tls_save(struct tls_session *ts)
{
	gnutls_datum_t	d = { NULL, 0 };

	if (ts->saved)
		return;
	if (gnutls_protocol_get_version(ts->s) == GNUTLS_TLS1_3 &&
	    !(gnutls_session_get_flags(ts->s) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	if (gnutls_session_get_data2(ts->s, &d) < 0 || d.data == NULL)
		return;
	tls_client_forget(ts->client);
	ts->client->resume = d;
	ts->saved = true;
}

/* tls_session_start - handshake and verify */
struct tls_session *
tls_session_start(struct tls_client *c, const struct tls_transport *t,
    int64_t deadline_ms, struct why *why)
{
	struct tls_session	*ts;
	int64_t			 left;
	int			 rc, w, err = EPROTO;

	why_clear(why);
	c->rejected_valid = false;
	ts = xcalloc(1, sizeof(*ts));
	ts->client = c;
	ts->t = *t;
	ts->deadline = deadline_ms;
	if ((rc = gnutls_init(&ts->s, GNUTLS_CLIENT)) < 0) {
		ts->s = NULL;
		why_set(why, 0, NULL, "TLS init: %s", gnutls_strerror(rc));
		goto fail;
	}
	rc = c->prio != NULL ? gnutls_priority_set(ts->s, c->prio) :
	    gnutls_set_default_priority(ts->s);
	if (rc < 0 || (rc = gnutls_credentials_set(ts->s,
	    GNUTLS_CRD_CERTIFICATE, c->cred)) < 0) {
		why_set(why, 0, NULL, "TLS setup: %s", gnutls_strerror(rc));
		goto fail;
	}
	/* RFC 6066 3: no IP literals in SNI */
	if (!c->server_is_ip && c->server_name[0] != '\0' &&
	    (rc = gnutls_server_name_set(ts->s, GNUTLS_NAME_DNS,
	    c->server_name, strlen(c->server_name))) < 0) {
		why_set(why, 0, NULL, "TLS server name %s: %s",
		    c->server_name, gnutls_strerror(rc));
		goto fail;
	}
	/*
	 * TLS 1.3 tickets should be used once (RFC 8446 C.4): hand the data
	 * over and forget it; this session saves a fresh ticket.
	 */
	if (c->resume.data != NULL) {
		if (gnutls_session_set_data(ts->s, c->resume.data,
		    c->resume.size) < 0)
			log_debug("TLS session data for %s rejected; full "
			    "handshake", c->server_name);
		tls_client_forget(c);
	}
	gnutls_transport_set_ptr(ts->s, ts);
	gnutls_transport_set_pull_function(ts->s, tls_pull);
	gnutls_transport_set_push_function(ts->s, tls_push);
	gnutls_transport_set_pull_timeout_function(ts->s, tls_pull_timeout);
	left = deadline_ms < 0 ? 0 : deadline_ms - now_ms();
	if (deadline_ms >= 0 && left <= 0) {
		why_set(why, 0, NULL, "TLS handshake timed out");
		err = ETIMEDOUT;
		goto fail;
	}
	gnutls_handshake_set_timeout(ts->s, left > 0 ? (unsigned)left :
	    GNUTLS_INDEFINITE_TIMEOUT);
	for (;;) {
		rc = gnutls_handshake(ts->s);
		if (rc == GNUTLS_E_SUCCESS)
			break;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			w = tls_wait(ts, deadline_ms);
			if (w == 0) {
				rc = GNUTLS_E_TIMEDOUT;
				goto handshake_failed;
			}
			if (w == -1) {
				ts->transport_errno = errno;
				rc = GNUTLS_E_PULL_ERROR;
				goto handshake_failed;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(rc)) {
			log_debug("TLS handshake with %s: %s (continuing)",
			    c->server_name, gnutls_strerror(rc));
			continue;
		}
		goto handshake_failed;
	}
	ts->resumed = gnutls_session_is_resumed(ts->s) != 0;
	if (tls_verify(ts, why) == -1) {
		/* keep what the server presented, for `postern check` */
		tls_peer_info(ts, &c->rejected);
		str_copy(c->rejected.verification, why->text,
		    sizeof(c->rejected.verification));
		c->rejected.verified = false;
		c->rejected_valid = true;
		goto fail;
	}
	tls_save(ts);
	return ts;
handshake_failed:
	tls_handshake_failed(ts, rc, why);
	if (rc == GNUTLS_E_TIMEDOUT && !tls_looks_like_smtp(ts))
		err = ETIMEDOUT;
fail:
	if (ts->s != NULL)
		gnutls_deinit(ts->s);
	free(ts);
	errno = err;
	return NULL;
}

/* tls_wait_io - wait for the transport after E_AGAIN; 0, or -1 with why */
static int
tls_wait_io(struct tls_session *ts, int64_t deadline_ms, struct why *why)
{
	int	w = tls_wait(ts, deadline_ms);

	if (w == 0) {
		why_set(why, 0, NULL, "timed out");
		errno = ETIMEDOUT;
		return -1;
	}
	if (w == -1) {
		why_set(why, 0, NULL, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/* tls_io_failed - why and errno for a fatal record-layer error r */
static void
tls_io_failed(struct tls_session *ts, int r, struct why *why)
{
	if (ts->transport_errno != 0) {
		why_set(why, 0, NULL, "%s", strerror(ts->transport_errno));
		errno = ts->transport_errno;
	} else {
		why_set(why, 0, NULL, "TLS error: %s", gnutls_strerror(r));
		errno = EPROTO;
	}
}

/* tls_read - decrypted bytes before the deadline */
ssize_t
tls_read(struct tls_session *ts, void *buf, size_t n, int64_t deadline_ms,
    struct why *why)
{
	ssize_t	r;

	ts->deadline = deadline_ms;
	for (;;) {
		r = gnutls_record_recv(ts->s, buf, n);
		if (r > 0) {
			tls_save(ts);
			return r;
		}
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (tls_wait_io(ts, deadline_ms, why) == -1)
				return -1;
			continue;
		}
		/* TLS 1.2 renegotiation requests are declined by ignoring */
		if (r == GNUTLS_E_REHANDSHAKE || !gnutls_error_is_fatal((int)r))
			continue;
		tls_io_failed(ts, (int)r, why);
		return -1;
	}
}

/* tls_write_all - all of it before the deadline */
int
tls_write_all(struct tls_session *ts, const void *buf, size_t n,
    int64_t deadline_ms, struct why *why)
{
	const char	*p = buf;
	ssize_t		 r;

	ts->deadline = deadline_ms;
	while (n > 0) {
		/* after E_AGAIN GnuTLS wants the very same arguments again */
		r = gnutls_record_send(ts->s, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (tls_wait_io(ts, deadline_ms, why) == -1)
				return -1;
			continue;
		}
		tls_io_failed(ts, (int)r, why);
		return -1;
	}
	return 0;
}

/* tls_resumed - was the session resumed */
bool
tls_resumed(const struct tls_session *ts)
{
	return ts->resumed;
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

/* tls_session_close - save, close_notify (bounded), free */
void
tls_session_close(struct tls_session *ts, int64_t deadline_ms)
{
	int	rc, w;

	if (ts == NULL)
		return;
	tls_save(ts);
	ts->deadline = deadline_ms;
	/* SHUT_WR: send our close_notify, never wait for the peer's */
	for (;;) {
		rc = gnutls_bye(ts->s, GNUTLS_SHUT_WR);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			break;
		w = tls_wait(ts, deadline_ms);
		if (w != 1)
			break;
	}
	gnutls_deinit(ts->s);
	free(ts);
}
