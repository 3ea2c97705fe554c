/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_int.h - private to tls.c and tls_verify.c (tls.h is the public
 * face): the client's credentials and pins, one session's state, and the
 * two calls from tls.c into tls_verify.c.  tls_verify.c never calls
 * into tls.c.  Nothing outside src/agent/tls*.c may include it.
 */
#ifndef POSTERN_TLS_INT_H
#define POSTERN_TLS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "conf.h"
#include "tls.h"
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

/*
 * tls_pin_parse - "sha256:HEX" or "pubkey-sha256:HEX" (colons allowed)
 * into pin.  Returns 0, or -1 when s is not a pin.
 */
int	tls_pin_parse(const char *s, struct tls_pin *pin);

/*
 * tls_verify - apply the policy of tls.h to the finished handshake of
 * ts: pins, or the chain and the name, or nothing with tls_verify = no.
 * Sets ts->verified and ts->verification.  Returns 0, or -1 with the
 * reason in plain words in why.
 */
int	tls_verify(struct tls_session *ts, struct why *why);

#endif
