/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.c - GnuTLS client: credentials per relay, one session per connection
 * (the handshake, its failures in plain words, records in and out, the
 * close), resumption.  What the certificate is worth (pins, the chain,
 * the name, the details) is tls_verify.c; tls_int.h holds the shared
 * structures.
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
#include "tls_int.h"

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
