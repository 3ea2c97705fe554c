/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.h - the GnuTLS client behind conn.c: credentials and policy per
 * relay (struct tls_client), one TLS session per connection (struct
 * tls_session), certificate verification with plain-words failures,
 * pinning, and session resumption across reconnects.
 *
 * tls.c never touches a socket: it moves bytes through a struct
 * tls_transport that conn.c provides (non-blocking recv/send and a poll
 * with an absolute deadline).
 *
 * Verification policy (decided here, documented for the admin):
 *   - pins set (tls_pins): the leaf certificate must match one pin, and a
 *     match is sufficient: CA chain, validity dates and host name are not
 *     checked (like DANE-EE, RFC 7671 5.1).  This is what an internal relay
 *     with a self-signed certificate needs.  tls_verify = no does not
 *     disable pins.
 *   - no pins, tls_verify = yes (default): chain to the system trust store
 *     (or tls_ca_file), validity dates, and the host name (tls_server_name,
 *     else host) against the DNS/IP subjectAltNames (CN as fallback).
 *   - no pins, tls_verify = no: encryption only; logged as "not verified".
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "result.h"

#define TLS_PEER_FIELD_MAX	256

/*
 * struct tls_transport - how tls.c moves bytes.  recv and send never block:
 * they return the count, 0 (recv: end of file), or -1 with errno (EAGAIN
 * when nothing can move now).  wait polls for POLLIN or POLLOUT until the
 * absolute deadline (now_ms() clock) with io_wait() semantics: 1 ready,
 * 0 timed out, -1 error with errno.
 */
struct tls_transport {
	void	*ctx;
	ssize_t	(*recv)(void *ctx, void *buf, size_t n);
	ssize_t	(*send)(void *ctx, const void *buf, size_t n);
	int	(*wait)(void *ctx, short events, int64_t deadline_ms);
};

/* what tls_peer_info() reports, for the log and `postern check` */
struct tls_peer_info {
	char	protocol[32];		/* "TLS1.3" */
	char	cipher[128];		/* "AES-256-GCM" */
	char	description[160];	/* "(TLS1.3)-(ECDHE-X25519)-..." */
	char	subject[TLS_PEER_FIELD_MAX];	/* leaf subject DN */
	char	issuer[TLS_PEER_FIELD_MAX];	/* leaf issuer DN */
	char	sans[TLS_PEER_FIELD_MAX];	/* "a.com, b.com, 1.2.3.4" */
	char	not_before[32];		/* "2024-01-02 03:04:05 UTC" */
	char	not_after[32];
	char	fingerprint[80];	/* "sha256:HEX" of the DER leaf */
	char	pubkey_pin[96];		/* "pubkey-sha256:HEX" of the SPKI */
	char	verification[WHY_TEXT_MAX];	/* "verified", "pin matched",
					   "not verified (tls_verify = no)" */
	bool	verified;		/* chain+name or pin checked and ok */
	bool	resumed;		/* session resumption took place */
};

struct tls_client;
struct tls_session;

/*
 * tls_client_new - credentials and policy for one relay, built from r
 * (host, port, tls, tls_verify, tls_ca_file, tls_server_name,
 * tls_cert_file, tls_key_file, tls_priority, tls_pins).  The trust store
 * is loaded here, once.  Keep one tls_client per relay for the life of the
 * agent: it holds the session data used for resumption.  Returns NULL with
 * the reason in why (unreadable CA file, bad key pair, bad priority string
 * with the position, malformed pin).  Free with tls_client_free().
 */
struct tls_client *tls_client_new(const struct conf_relay *r,
	    struct why *why);

/* tls_client_free - release credentials and cached session data; NULL ok */
void	tls_client_free(struct tls_client *);

/*
 * tls_client_forget - drop the cached session data, so the next handshake
 * is a full one (e.g. after the relay changed its certificate).
 */
void	tls_client_forget(struct tls_client *);

/*
 * tls_session_start - handshake over t (copied) and verify the server as
 * the policy above says, both within deadline_ms (absolute, now_ms()
 * clock).  A cached session from an earlier connection is offered for
 * resumption.  Returns the session, or NULL with why->text saying exactly
 * what was wrong ("certificate expired on 2024-01-02", "name mismatch:
 * wanted X, certificate has a, b", "pin mismatch: got ..., expected ...",
 * "server does not speak TLS on this port (port 587 expects STARTTLS: set
 * tls = starttls)", "TLS handshake timed out", ...) and why->code 0.
 */
struct tls_session *tls_session_start(struct tls_client *,
	    const struct tls_transport *t, int64_t deadline_ms,
	    struct why *why);

/*
 * tls_read - read up to n decrypted bytes before deadline_ms.  Returns the
 * count (> 0), 0 at end of stream (close_notify or the peer closed), or -1
 * with why filled (errno ETIMEDOUT on deadline, EPROTO on a TLS error).
 * Post-handshake messages (TLS 1.3 session tickets, key updates) are
 * handled inside and never surface.
 */
ssize_t	tls_read(struct tls_session *, void *buf, size_t n,
	    int64_t deadline_ms, struct why *why);

/*
 * tls_write_all - encrypt and send all n bytes before deadline_ms.
 * Returns 0, or -1 with why filled (errno ETIMEDOUT, EPIPE, EPROTO).
 */
int	tls_write_all(struct tls_session *, const void *buf, size_t n,
	    int64_t deadline_ms, struct why *why);

/* tls_resumed - true when the handshake resumed an earlier session */
bool	tls_resumed(const struct tls_session *);

/* tls_peer_info - fill *info about the session and the server certificate */
void	tls_peer_info(const struct tls_session *, struct tls_peer_info *info);

/*
 * tls_client_rejected - when the last tls_session_start() on c completed
 * the handshake but failed verification (chain, dates, name or pin), fill
 * *info with what the server presented (as tls_peer_info would, with
 * verification holding the same reason as the failure's why->text and
 * verified false) and return true.  Returns false (info untouched) when
 * the last start succeeded, failed before the certificate was seen, or
 * none was made.  For `postern check`, which shows the certificate even
 * when it is refused.
 */
bool	tls_client_rejected(const struct tls_client *,
	    struct tls_peer_info *info);

/*
 * tls_session_close - save session data for resumption, send close_notify
 * (bounded by deadline_ms, never waiting for the peer's), and free
 * everything.  The transport is not closed (conn.c owns it).  NULL ok.
 */
void	tls_session_close(struct tls_session *, int64_t deadline_ms);

#endif
