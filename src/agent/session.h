/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session.h - one SMTP session with one relay: connect, implicit TLS or
 * STARTTLS, EHLO, AUTH, then any number of transactions, QUIT.  Drives
 * the socket-free machine (smtp.c) over conn.c with the per-stage
 * deadlines of [timeouts] (RFC 5321 4.5.3.2).  It decides nothing about
 * temporary or permanent: it reports what happened (deliver.c judges).
 */
#ifndef POSTERN_SESSION_H
#define POSTERN_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conn.h"
#include "result.h"
#include "smtp.h"
#include "tls.h"

#define SESSION_READ_MAX	8192	/* bytes per read from the server */
#define SESSION_TLS_INFO_MAX	200	/* "TLS1.3/AES-256-GCM" ... */
#define SESSION_MIN_DATA_RATE	500	/* bytes/s of body that extend the
					   data_block deadline (Postfix's
					   smtp_min_data_rate) */

struct auth_session;

struct session {
	const struct conf *conf;	/* borrowed */
	const struct conf_relay *relay;	/* borrowed */
	size_t		 relay_index;
	struct tls_client *tls_client;	/* borrowed; keeps the ticket */
	struct conn	*conn;		/* NULL when closed */
	struct smtp_session smtp;
	bool		 smtp_live;	/* smtp needs smtp_free */
	struct auth_session *auth;
	struct smtp_auth_ops auth_ops;
	unsigned	 messages;	/* transactions on this session */
	int64_t		 opened_ms;	/* now_ms() when ready */
	int64_t		 idle_since_ms;	/* last transaction's end */
	double		 setup_secs;	/* connect to ready, for delays= */
	int64_t		 stage_deadline; /* now_ms() end of this stage */
	enum smtp_state	 stage_state;	/* the stage it was fixed for */
	bool		 stage_armed;	/* stage_deadline is valid */
	char		 peer[CONN_PEER_MAX];	/* "host[addr]:port" */
	char		 tls_info[SESSION_TLS_INFO_MAX]; /* "" when plain */
	char		 auth_user[128];	/* "" when no AUTH */
};

/*
 * session_stage_timeout - the [timeouts] value, in seconds, that bounds
 * waiting for the server in machine state st (t_ehlo when none applies).
 */
uint64_t session_stage_timeout(const struct conf *c, enum smtp_state st);

/* session_init - a closed session */
void	session_init(struct session *);

/*
 * session_open - connect to c->relays[relay_index] and make the session
 * ready for mail (greeting, EHLO, TLS as configured, AUTH when a user is
 * set).  tls_client (one per relay, kept by the caller for resumption)
 * may be NULL only for tls = none.  Returns 0 when ready, or -1 with the
 * reason in why (a relay fault: never a message's); the session is then
 * closed.  Nothing is ever sent in clear when TLS is required: the
 * machine ends the session when STARTTLS is not offered.
 */
int	session_open(struct session *, const struct conf *c,
	    size_t relay_index, struct tls_client *tls_client,
	    struct why *why);

/* session_is_open - true when ready for another transaction */
bool	session_is_open(const struct session *);

/*
 * session_transact - run one transaction for m (see smtp_message_start)
 * to its end.  Afterwards m's results are final and, if the session
 * broke, *failure says why (kind SMTP_E_NONE otherwise) and the session
 * is closed.  Never blocks past the configured stage timeouts.
 */
void	session_transact(struct session *, struct smtp_message *m,
	    struct smtp_failure *failure);

/* session_close - QUIT when ready (bounded by t_quit), then close; ok
 * on a closed session */
void	session_close(struct session *);

/* session_abort - close at once without QUIT (stopping on a signal) */
void	session_abort(struct session *);

#endif
