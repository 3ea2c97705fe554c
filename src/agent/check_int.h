/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_int.h - private to the check_*.c files (check.h is the public
 * face): the limits, the steps and their statuses, the run's state
 * (struct check) and one relay's connection (struct check_conn), and the
 * functions the files share.  The files call one way only:
 *   check.c (configuration, secrets, main) -> check_steps.c, check_wait.c,
 *     check_domain.c (the sender domains; check_spf.c, check_dom.h)
 *   check_steps.c (one relay, step by step) -> check_smtp.c,
 *     check_ports.c (the provider's other ports, its sending limit),
 *     check_token.c (the OAuth2 token)
 *   every file -> check_report.c (the output: human lines or JSON)
 * Nothing outside src/agent/check*.c may include it.
 */
#ifndef POSTERN_CHECK_INT_H
#define POSTERN_CHECK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "conf.h"
#include "conn.h"
#include "smtp.h"
#include "tls.h"
#include "tlsprobe.h"

#define CHECK_CAP_DEFAULT	20	/* s: longest step wait (--timeout) */
#define CHECK_CAP_MAX		3600
#define CHECK_WAIT_DEFAULT	60	/* s: follow the test message, --wait */
#define CHECK_WAIT_MAX		86400
#define CHECK_WAIT_POLL_MS	200
#define CHECK_PROBE_MAX		TLSPROBE_WAIT_S /* s: the implicit-TLS probe */
#define CHECK_ADDRS_MAX		8	/* addresses tried per relay */
#define CHECK_JSON_MAX		(1024 * 1024)
#define CHECK_ERR_MAX		8192
#define CHECK_TEXT_MAX		1024	/* one message or hint */
#define CHECK_DETAIL_MAX	4096	/* detail lines of one step */
#define CHECK_READ_MAX		8192	/* bytes per read from the server */
#define CHECK_ADDR_MAX		64	/* numeric address */
#define CHECK_SENDERS_MAX	4	/* --sender options */

enum check_status {
	CHECK_OK = 0,
	CHECK_WARN,
	CHECK_FAIL,
	CHECK_SKIP,
};

/* the steps, in the order they run; a relay runs the ones its TLS mode
 * plans (check_planned) */
enum check_step {
	CK_CONFIG = 0,
	CK_SECRETS,
	CK_TOKEN,
	CK_DNS,
	CK_CONNECT,
	CK_TLS_IMPLICIT,
	CK_CERT_IMPLICIT,
	CK_GREETING,
	CK_EHLO,
	CK_STARTTLS,
	CK_TLS,
	CK_CERT,
	CK_EHLO_TLS,
	CK_AUTH,
	CK_RELAY,
	CK_SENDER_DOMAIN,	/* the sender-domain section: check_domain.c */
	CK_SPF,
	CK_DKIM,
	CK_DMARC,
	CK_SEND_TEST,
	CK_NSTEPS
};

struct check {
	const char	*conf_path;
	bool		 json;
	size_t		 relay_only;	/* 1-based; 0: every relay */
	const char	*rcpt;		/* --rcpt */
	uint64_t	 cap;		/* --timeout, seconds */
	const char	*wait_qid;	/* --wait-for */
	uint64_t	 wait_secs;
	const char	*send_rcpt;	/* --send-test (a label) */
	const char	*submit_error;	/* --submit-error */
	bool		 no_dns;	/* --no-dns: no sender-domain section */
	bool		 strict;	/* --strict: warnings fail too */
	const char	*senders[CHECK_SENDERS_MAX]; /* --sender */
	size_t		 nsenders;
	const char	*domain;	/* the sender domain being checked */
	struct conf	 conf;
	bool		 conf_loaded;
	bool		 secrets_ok;
	size_t		 relay;		/* 1-based; 0 outside a relay */
	unsigned	 reported;	/* steps reported for this relay */
	const char	*failed_label;	/* first failure in this relay */
	unsigned	 counts[4];	/* by status */
	struct buf	 steps;		/* JSON step objects */
};

struct check_conn {
	struct check		*ck;
	const struct conf_relay	*r;
	struct conn		*conn;
	struct tls_client	*tlsc;
	struct smtp_session	 smtp;
	bool			 smtp_live;
	int			 io_errno;	/* of the last failed read */
	int			 connect_errno;	/* of the last failed connect */
	struct auth_session	*auth;
	struct smtp_auth_ops	 ops;
	char			 offered[EHLO_AUTH_MAX];
	char			 candidates[EHLO_AUTH_MAX];
	char			 mech[AUTH_MECH_NAME_MAX + 1];
};

/* CHECK_BIT - mask bit of a machine state (check_run) */
#define CHECK_BIT(st)	(1u << (unsigned)(st))

/* ---- check_report.c: the output */

/*
 * check_report - one step's verdict, counted, printed (or kept for the
 * JSON document).  ms < 0: not timed.  hint and details may be NULL;
 * details holds lines separated by '\n'.
 */
void	check_report(struct check *ck, enum check_step st,
	    enum check_status status, int64_t ms, const char *hint,
	    const char *details, const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));
/* check_skip_rest - report every planned step of relay r not run yet */
void	check_skip_rest(struct check *ck, const struct conf_relay *r);
/* check_has - does text contain needle (any case); text may be NULL */
bool	check_has(const char *text, const char *needle);
/* check_ms - milliseconds since t0 (now_ms) */
int64_t	check_ms(int64_t t0);
/* check_summary - the last line or the JSON document; the exit status */
int	check_summary(struct check *ck);

/* ---- check_smtp.c: the SMTP machine, one phase at a time */

/* check_cap - timeout t in seconds, capped by --timeout (0: the cap) */
uint64_t check_cap(const struct check *ck, uint64_t t);
/*
 * check_run - write what the machine has to say and feed it the replies
 * while its state is in mask (CHECK_BIT) and it waits for the server
 */
void	check_run(struct check_conn *cc, unsigned mask);
/* check_over - the machine has ended the session */
bool	check_over(const struct check_conn *cc);
/* check_last_reply - "CODE ENH text" of the last complete reply, or "" */
void	check_last_reply(const struct check_conn *cc, char *out, size_t size);
/* check_failure - "CODE ENH text" of the machine's failure */
void	check_failure(const struct check_conn *cc, char *out, size_t size);
/* check_auth_start, check_auth_step - the machine's AUTH plug-in */
int	check_auth_start(void *arg, const char *offered, const char **mech,
	    struct buf *initial, bool *has_initial, struct why *why);
int	check_auth_step(void *arg, const char *challenge, size_t clen,
	    struct buf *response, struct why *why);
/* check_conn_close - QUIT when possible (bounded), then free everything */
void	check_conn_close(struct check_conn *cc);

/* ---- check_steps.c: one relay */

/* check_one_relay - every step for relay index i (0-based) */
void	check_one_relay(struct check *ck, size_t i);

/* ---- check_ports.c: what the relay's preset adds  */

/*
 * check_ports - r->port was refused or timed out (err) at every address
 * of res: try the provider's other submission ports (the preset's, or 587
 * and 465) and report which one works from here and the lines to change.
 * Does nothing for another err or a NULL res.
 */
struct addrinfo;
void	check_ports(struct check *ck, const struct conf_relay *r,
	    const struct addrinfo *res, int err);
/*
 * check_ports_rules - the preset's rules the configuration misses: OAuth2
 * without token_command, a sending limit above rate_limit (warnings)
 */
void	check_ports_rules(struct check *ck, const struct conf_relay *r);

/* ---- check_domain.c (over check_spf.c): the sender domains */

/*
 * check_domains - for each domain this host sends from (and --sender):
 * exists, SPF, DKIM, DMARC; nothing with --no-dns
 */
void	check_domains(struct check *ck);
/*
 * check_domain_ar_lines - detail lines for a delivered test message:
 * what to look for in its Authentication-Results, into out; returns out
 */
const char *check_domain_ar_lines(const struct check *ck, char *out,
	    size_t size);

/* ---- check_token.c: the OAuth2 token (oauth_flow) */

/* check_token - ask the token endpoint; 0 (ok, or no oauth_flow) or -1 */
int	check_token(struct check *ck, const struct conf_relay *r);
/* check_token_auth_advice - auth_advice, with the OAuth2 causes first */
const char *check_token_auth_advice(const struct conf_relay *r, int code,
	    const char *enh, const char *text);

/* ---- check_wait.c: the test message */

/* check_wait - follow the queued test message until its fate is known */
void	check_wait(struct check *ck);

#endif
