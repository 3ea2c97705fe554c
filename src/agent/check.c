/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - `postern check`, run as `posternd --check`: diagnose every
 * configured relay one step at a time (configuration, DNS, TCP connect
 * per address, implicit TLS or greeting, EHLO, STARTTLS, certificate,
 * AUTH, and a MAIL/RCPT/RSET relay test that sends nothing), printing
 * each step with its result, its time and a plain-words cause and fix;
 * then, with --wait-for, follow a test message the front end queued.
 *
 * Owns the wording of the diagnosis only: the SMTP dialogue is the
 * agent's own machine (smtp.c) over conn.c/tls.c/auth.c, driven here
 * one phase at a time so each phase can be timed and judged.  Never
 * writes to the spool, never drops or gains privileges, never prints a
 * secret.  Server text is untrusted: it is made printable for the
 * terminal and escaped for JSON (check_json_string).
 * RFCs 5321, 3207, 4954, 8259 (JSON).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "conf.h"
#include "conn.h"
#include "log.h"
#include "qid.h"
#include "session.h"
#include "smtp.h"
#include "spool.h"
#include "tls.h"
#include "tlsprobe.h"
#include "util.h"

#define CHECK_CAP_DEFAULT	20	/* s: longest wait per step (--timeout) */
#define CHECK_CAP_MAX		3600
#define CHECK_WAIT_DEFAULT	60	/* s: follow the test message (--wait) */
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
	CK_SEND_TEST,
	CK_NSTEPS
};

static const struct {
	const char	*id;	/* JSON "step" */
	const char	*label;	/* human line */
} check_steps[CK_NSTEPS] = {
	[CK_CONFIG] = { "config", "configuration" },
	[CK_SECRETS] = { "secrets", "secrets" },
	[CK_DNS] = { "dns", "DNS" },
	[CK_CONNECT] = { "connect", "connect" },
	[CK_TLS_IMPLICIT] = { "tls", "TLS" },
	[CK_CERT_IMPLICIT] = { "certificate", "certificate" },
	[CK_GREETING] = { "greeting", "greeting" },
	[CK_EHLO] = { "ehlo", "EHLO" },
	[CK_STARTTLS] = { "starttls", "STARTTLS" },
	[CK_TLS] = { "tls", "TLS" },
	[CK_CERT] = { "certificate", "certificate" },
	[CK_EHLO_TLS] = { "ehlo", "EHLO after TLS" },
	[CK_AUTH] = { "auth", "AUTH" },
	[CK_RELAY] = { "relay", "relay test" },
	[CK_SEND_TEST] = { "send-test", "test message" },
};

static const char *const check_status_names[] = {
	[CHECK_OK] = "ok", [CHECK_WARN] = "warn", [CHECK_FAIL] = "fail",
	[CHECK_SKIP] = "skip",
};
static const char *const check_status_tags[] = {
	[CHECK_OK] = "[ ok ]", [CHECK_WARN] = "[warn]", [CHECK_FAIL] = "[FAIL]",
	[CHECK_SKIP] = "[skip]",
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
	struct auth_session	*auth;
	struct smtp_auth_ops	 ops;
	char			 offered[EHLO_AUTH_MAX];
	char			 candidates[EHLO_AUTH_MAX];
	char			 mech[AUTH_MECH_NAME_MAX + 1];
};

/* ---- output --------------------------------------------------------------- */

/* check_utf8_len - length of the valid UTF-8 sequence at p, 0 if none */
static size_t
check_utf8_len(const unsigned char *p)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* check_json_string - s as a JSON string */
int
check_json_string(struct buf *out, const char *s)
{
	const unsigned char	*p;
	size_t			 n;
	int			 rc = 0;

	if (s == NULL)
		return buf_puts(out, "null");
	rc |= buf_putc(out, '"');
	for (p = (const unsigned char *)s; *p != '\0' && rc == 0; p += n) {
		n = 1;
		switch (*p) {
		case '"':	rc |= buf_puts(out, "\\\""); continue;
		case '\\':	rc |= buf_puts(out, "\\\\"); continue;
		case '\n':	rc |= buf_puts(out, "\\n"); continue;
		case '\r':	rc |= buf_puts(out, "\\r"); continue;
		case '\t':	rc |= buf_puts(out, "\\t"); continue;
		default:	break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			rc |= buf_printf(out, "\\u%04x", *p);
			continue;
		}
		if ((n = check_utf8_len(p)) == 0) {
			n = 1;
			rc |= buf_puts(out, "\\ufffd");
			continue;
		}
		rc |= buf_append(out, p, n);
	}
	rc |= buf_putc(out, '"');
	return rc == 0 ? 0 : -1;
}

/* check_print_clean - s to f, control characters as '?' (terminals) */
static void
check_print_clean(FILE *f, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		putc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

/* check_json_step - one step object into ck->steps */
static void
check_json_step(struct check *ck, enum check_step st,
    enum check_status status, int64_t ms, const char *msg, const char *hint,
    const char *details)
{
	struct buf	*b = &ck->steps;
	const char	*line, *nl;
	int		 rc = 0;

	if (b->len > 0)
		rc |= buf_puts(b, ",\n");
	rc |= buf_puts(b, "    {\"relay\": ");
	if (ck->relay > 0) {
		rc |= buf_printf(b, "%zu, \"relay_name\": ", ck->relay);
		rc |= check_json_string(b, ck->conf.relays[ck->relay - 1].name);
	} else
		rc |= buf_puts(b, "null, \"relay_name\": null");
	rc |= buf_puts(b, ", \"step\": ");
	rc |= check_json_string(b, check_steps[st].id);
	rc |= buf_printf(b, ", \"status\": \"%s\", \"ms\": ",
	    check_status_names[status]);
	if (ms >= 0)
		rc |= buf_printf(b, "%lld", (long long)ms);
	else
		rc |= buf_puts(b, "null");
	rc |= buf_puts(b, ", \"message\": ");
	rc |= check_json_string(b, msg);
	rc |= buf_puts(b, ", \"hint\": ");
	rc |= check_json_string(b, hint);
	rc |= buf_puts(b, ", \"details\": [");
	for (line = details; line != NULL && *line != '\0'; line = nl) {
		char	one[CHECK_TEXT_MAX];
		size_t	len;

		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= sizeof(one))
			len = sizeof(one) - 1;
		memcpy(one, line, len);
		one[len] = '\0';
		if (line != details)
			rc |= buf_puts(b, ", ");
		rc |= check_json_string(b, one);
		nl = nl != NULL ? nl + 1 : NULL;
	}
	rc |= buf_puts(b, "]}");
	if (rc != 0)
		fatal_exit(EX_SOFTWARE, "check: JSON report larger than %d "
		    "bytes", CHECK_JSON_MAX);
}

/*
 * check_report - one step's verdict.  ms < 0: not timed.  hint and
 * details may be NULL; details holds lines separated by '\n'.
 */
static void
check_report(struct check *ck, enum check_step st, enum check_status status,
    int64_t ms, const char *hint, const char *details, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void
check_report(struct check *ck, enum check_step st, enum check_status status,
    int64_t ms, const char *hint, const char *details, const char *fmt, ...)
{
	char		 msg[CHECK_TEXT_MAX];
	const char	*line, *nl;
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->counts[status]++;
	ck->reported |= 1u << st;
	if (status == CHECK_FAIL && ck->failed_label == NULL)
		ck->failed_label = check_steps[st].label;
	if (ck->json) {
		check_json_step(ck, st, status, ms, msg, hint, details);
		return;
	}
	printf("%s %s: ", check_status_tags[status], check_steps[st].label);
	check_print_clean(stdout, msg);
	if (hint != NULL && hint[0] != '\0') {
		fputs(": ", stdout);
		check_print_clean(stdout, hint);
	}
	if (ms >= 0)
		printf(" (%lld ms)", (long long)ms);
	putchar('\n');
	for (line = details; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		fputs("       ", stdout);
		if (nl != NULL) {
			char	one[CHECK_TEXT_MAX];
			size_t	len = (size_t)(nl - line);

			if (len >= sizeof(one))
				len = sizeof(one) - 1;
			memcpy(one, line, len);
			one[len] = '\0';
			check_print_clean(stdout, one);
			nl++;
		} else
			check_print_clean(stdout, line);
		putchar('\n');
	}
	fflush(stdout);
}

/* check_planned - does relay r run step st */
static bool
check_planned(const struct conf_relay *r, enum check_step st)
{
	switch (st) {
	case CK_DNS:
	case CK_CONNECT:
	case CK_GREETING:
	case CK_EHLO:
	case CK_AUTH:
	case CK_RELAY:
		return true;
	case CK_TLS_IMPLICIT:
	case CK_CERT_IMPLICIT:
		return r->tls == CONF_TLS_IMPLICIT;
	case CK_STARTTLS:
	case CK_TLS:
	case CK_CERT:
	case CK_EHLO_TLS:
		return r->tls == CONF_TLS_STARTTLS;
	default:
		return false;
	}
}

/* check_skip_rest - every planned step of the relay not reported: skip */
static void
check_skip_rest(struct check *ck, const struct conf_relay *r)
{
	unsigned	st;

	for (st = CK_DNS; st <= CK_RELAY; st++) {
		if (!check_planned(r, (enum check_step)st) ||
		    (ck->reported & (1u << st)))
			continue;
		check_report(ck, (enum check_step)st, CHECK_SKIP, -1, NULL,
		    NULL, "not run (%s failed)", ck->failed_label != NULL ?
		    ck->failed_label : "an earlier step");
	}
}

/* check_has - case-insensitive substring */
static bool
check_has(const char *text, const char *needle)
{
	return text != NULL && strcasestr(text, needle) != NULL;
}

/* ---- the SMTP machine, one phase at a time ------------------------------ */

/* check_secs - the configured timeout for a state, capped by --timeout */
static uint64_t
check_secs(const struct check_conn *cc, enum smtp_state st)
{
	uint64_t	t = session_stage_timeout(&cc->ck->conf, st);

	return t == 0 || t > cc->ck->cap ? cc->ck->cap : t;
}

/* check_cap - a timeout in seconds, capped by --timeout */
static uint64_t
check_cap(const struct check *ck, uint64_t t)
{
	return t == 0 || t > ck->cap ? ck->cap : t;
}

/* CHECK_BIT - mask bit of a machine state */
#define CHECK_BIT(st)	(1u << (unsigned)(st))

/*
 * check_run - write what the machine has to say and feed it the replies
 * while its state is in mask and it waits for the server.  Returns when
 * it leaves mask, wants TLS or a message, or is over.
 */
static void
check_run(struct check_conn *cc, unsigned mask)
{
	struct smtp_session	*s = &cc->smtp;
	char			 rbuf[CHECK_READ_MAX];
	char			 text[WHY_TEXT_MAX];
	struct why		 why;
	uint64_t		 secs = 0;
	ssize_t			 n;
	int64_t			 deadline = 0;
	enum smtp_state		 stage = s->state;
	bool			 armed = false;

	for (;;) {
		/* one deadline per stage, fixed when it starts (session.c) */
		if (!armed || s->state != stage) {
			stage = s->state;
			secs = check_secs(cc, s->state);
			deadline = now_ms() + (int64_t)secs * 1000;
			armed = true;
		}
		if (s->out.len > 0) {
			why_clear(&why);
			if (conn_write_all(cc->conn, s->out.data, s->out.len,
			    deadline, &why) == -1) {
				smtp_output_done(s);
				smtp_io_error(s, why.text);
				continue;
			}
			smtp_output_done(s);
		}
		if (!(mask & CHECK_BIT(s->state)) ||
		    smtp_want(s) != SMTP_WANT_READ)
			return;
		why_clear(&why);
		n = conn_read(cc->conn, rbuf, sizeof(rbuf), deadline, &why);
		if (n > 0) {
			smtp_feed(s, rbuf, (size_t)n);
			continue;
		}
		cc->io_errno = n == 0 ? 0 : errno;
		if (n == 0)
			(void)snprintf(text, sizeof(text), "the server closed "
			    "the connection while we waited for the reply "
			    "to %s", smtp_state_name(s->state));
		else if (errno == ETIMEDOUT)
			(void)snprintf(text, sizeof(text), "no reply to %s "
			    "within %llus", smtp_state_name(s->state),
			    (unsigned long long)secs);
		else
			(void)snprintf(text, sizeof(text), "%s", why.text);
		smtp_io_error(s, text);
	}
}

/* check_over - the machine has ended the session (a failure is recorded) */
static bool
check_over(const struct check_conn *cc)
{
	return cc->smtp.state == SMTP_S_QUIT ||
	    cc->smtp.state == SMTP_S_CLOSED;
}

/* check_last_reply - "CODE text" of the last complete reply, or "" */
static void
check_last_reply(const struct check_conn *cc, char *out, size_t size)
{
	const struct reply_parser	*p = &cc->smtp.parser;
	char				 text[WHY_TEXT_MAX];

	out[0] = '\0';
	if (p->status != REPLY_COMPLETE)
		return;
	reply_text_oneline(&p->reply, text, sizeof(text));
	(void)snprintf(out, size, "%d%s%s %s", p->reply.code,
	    p->reply.enh[0] ? " " : "", p->reply.enh, text);
}

/* check_failure - "CODE ENH text" of the machine's failure */
static void
check_failure(const struct check_conn *cc, char *out, size_t size)
{
	const struct smtp_failure	*f = &cc->smtp.failure;

	if (f->kind == SMTP_E_REPLY)
		(void)snprintf(out, size, "%d%s%s %s", f->why.code,
		    f->why.enh[0] ? " " : "", f->why.enh, f->why.text);
	else
		(void)snprintf(out, size, "%s", f->why.text);
}

/* check_auth_start - the machine's AUTH plug-in: note what is offered */
static int
check_auth_start(void *arg, const char *offered, const char **mech,
    struct buf *initial, bool *has_initial, struct why *why)
{
	struct check_conn	*cc = arg;
	const char		*cand[AUTH_MECHS_MAX];
	size_t			 n, i;

	(void)str_copy(cc->offered, offered, sizeof(cc->offered));
	cc->candidates[0] = '\0';
	auth_free(cc->auth);
	if ((cc->auth = auth_new(cc->r, cc->smtp.tls, why)) == NULL)
		return -1;
	n = auth_candidates(cc->auth, offered, cand, ARRAY_SIZE(cand));
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)str_append(cc->candidates, " ",
			    sizeof(cc->candidates));
		(void)str_append(cc->candidates, cand[i],
		    sizeof(cc->candidates));
	}
	if (auth_smtp_start(cc->auth, offered, mech, initial, has_initial,
	    why) == -1)
		return -1;
	(void)str_copy(cc->mech, *mech, sizeof(cc->mech));
	return 0;
}

/* check_auth_step - the machine's AUTH plug-in: answer a challenge */
static int
check_auth_step(void *arg, const char *challenge, size_t clen,
    struct buf *response, struct why *why)
{
	struct check_conn	*cc = arg;

	return auth_smtp_step(cc->auth, challenge, clen, response, why);
}

/* check_conn_close - QUIT when possible (bounded), then free everything */
static void
check_conn_close(struct check_conn *cc)
{
	if (cc->smtp_live && cc->conn != NULL) {
		if (cc->smtp.state == SMTP_S_READY)
			smtp_quit(&cc->smtp);
		if (cc->smtp.state == SMTP_S_QUIT)
			check_run(cc, CHECK_BIT(SMTP_S_QUIT));
	}
	if (cc->smtp_live)
		smtp_free(&cc->smtp);
	cc->smtp_live = false;
	auth_free(cc->auth);
	cc->auth = NULL;
	conn_close(cc->conn);
	cc->conn = NULL;
}

/* ---- steps ---------------------------------------------------------------- */

/* check_ms - milliseconds since t0 */
static int64_t
check_ms(int64_t t0)
{
	return now_ms() - t0;
}

/* check_cert_details - the certificate as detail lines */
static void
check_cert_details(const struct tls_peer_info *info, char *out, size_t size)
{
	(void)snprintf(out, size, "subject: %s\nissuer: %s\nnames: %s\n"
	    "valid: from %s until %s\nfingerprint: %s\nverification: %s",
	    info->subject[0] ? info->subject : "(none)",
	    info->issuer[0] ? info->issuer : "(none)",
	    info->sans[0] ? info->sans : "(none)",
	    info->not_before[0] ? info->not_before : "?",
	    info->not_after[0] ? info->not_after : "?",
	    info->fingerprint[0] ? info->fingerprint : "?",
	    info->verification[0] ? info->verification : "?");
}

/* check_cert_hint - the fix for a refused certificate */
static void
check_cert_hint(const struct conf_relay *r, const struct tls_peer_info *info,
    const char *why, char *out, size_t size)
{
	const char	*name = r->tls_server_name != NULL ?
			    r->tls_server_name : r->host;

	if (check_has(why, "pin mismatch"))
		(void)snprintf(out, size, "the server's certificate is not "
		    "the pinned one: if it was renewed, check it and update "
		    "tls_pins (fingerprint above)");
	else if (check_has(why, "name mismatch"))
		(void)snprintf(out, size, "the certificate is not for %s: "
		    "set host to a name it lists (see names), or "
		    "tls_server_name", name);
	else if (check_has(why, "expired"))
		(void)snprintf(out, size, "the server's certificate has "
		    "expired: the provider must renew it (check this "
		    "machine's clock too)");
	else if (check_has(why, "not yet valid"))
		(void)snprintf(out, size, "the certificate is not valid yet: "
		    "check this machine's clock");
	else if (check_has(why, "self-signed"))
		(void)snprintf(out, size, "self-signed certificate: after "
		    "checking it, pin it with tls_pins = %s, or set "
		    "tls_ca_file", info->fingerprint[0] ? info->fingerprint :
		    "FINGERPRINT");
	else if (check_has(why, "unknown authority"))
		(void)snprintf(out, size, "set tls_ca_file to the CA that "
		    "signed it, or pin it with tls_pins = %s",
		    info->fingerprint[0] ? info->fingerprint : "FINGERPRINT");
	else
		(void)snprintf(out, size, "the certificate cannot be "
		    "trusted; see the details");
}

/*
 * check_tls - the handshake (implicit TLS or after STARTTLS) and the
 * certificate, as steps st_tls and st_cert.  Returns 0 when TLS is up.
 */
static int
check_tls(struct check_conn *cc, enum check_step st_tls,
    enum check_step st_cert)
{
	struct check		*ck = cc->ck;
	struct tls_peer_info	 info;
	struct why		 why;
	char			 details[CHECK_DETAIL_MAX], hint[CHECK_TEXT_MAX];
	int64_t			 t0 = now_ms(), ms;

	why_clear(&why);
	if (conn_starttls(cc->conn, cc->tlsc, now_ms() +
	    (int64_t)check_cap(ck, ck->conf.t_starttls) * 1000, &why) == 0) {
		ms = check_ms(t0);
		tls_peer_info(conn_tls(cc->conn), &info);
		check_report(ck, st_tls, CHECK_OK, ms, NULL, NULL, "%s, %s",
		    info.protocol, info.cipher);
		check_cert_details(&info, details, sizeof(details));
		if (info.verified)
			check_report(ck, st_cert, CHECK_OK, -1, NULL, details,
			    "%s (%s, valid until %s)", info.verification,
			    info.sans[0] ? info.sans : info.subject,
			    info.not_after);
		else
			check_report(ck, st_cert, CHECK_WARN, -1, "anyone on "
			    "the path can pretend to be the relay: set "
			    "tls_ca_file or tls_pins and remove tls_verify = "
			    "no", details, "%s", info.verification);
		return 0;
	}
	ms = check_ms(t0);
	if (tls_client_rejected(cc->tlsc, &info)) {
		check_report(ck, st_tls, CHECK_OK, ms, NULL, NULL, "handshake "
		    "completed (%s, %s)", info.protocol, info.cipher);
		check_cert_details(&info, details, sizeof(details));
		check_cert_hint(cc->r, &info, info.verification, hint,
		    sizeof(hint));
		check_report(ck, st_cert, CHECK_FAIL, -1, hint, details,
		    "refused: %s", info.verification);
		return -1;
	}
	if (check_has(why.text, "does not speak TLS on this port"))
		(void)snprintf(hint, sizeof(hint), "port %u expects STARTTLS: "
		    "set tls = starttls", cc->r->port);
	else if (check_has(why.text, "in common"))
		(void)snprintf(hint, sizeof(hint), "no TLS version or cipher "
		    "in common: check tls_priority");
	else if (check_has(why.text, "timed out"))
		(void)snprintf(hint, sizeof(hint), "the server did not "
		    "complete the TLS handshake in time");
	else
		hint[0] = '\0';
	check_report(ck, st_tls, CHECK_FAIL, ms, hint[0] ? hint : NULL, NULL,
	    "%s", why.text);
	return -1;
}

/*
 * check_probe_implicit - does the server at ai speak TLS first?
 * (tlsprobe.c, shared with delivery)
 */
static bool
check_probe_implicit(struct check_conn *cc, const struct addrinfo *ai)
{
	return tlsprobe_implicit(cc->r, ai, check_cap(cc->ck,
	    CHECK_PROBE_MAX));
}

/* check_ehlo_report - the EHLO step once the server said 2xx */
static void
check_ehlo_report(struct check_conn *cc, enum check_step st, int64_t ms)
{
	char	names[512];

	if (!cc->smtp.esmtp) {
		check_report(cc->ck, st, CHECK_WARN, ms, "no STARTTLS, AUTH, "
		    "SIZE or 8BITMIME without ESMTP: is this the right "
		    "server?", NULL, "the server refused EHLO and accepted "
		    "HELO");
		return;
	}
	ehlo_names(&cc->smtp.caps, names, sizeof(names));
	check_report(cc->ck, st, CHECK_OK, ms, NULL, NULL, "%s",
	    names[0] ? names : "(no extensions)");
}

/*
 * check_hello - the EHLO (or EHLO after TLS) phase and what the machine
 * decided right after it (STARTTLS missing, no AUTH offered, AUTH could
 * not start).  Returns 0 when the session goes on.
 */
static int
check_hello(struct check_conn *cc, enum check_step st)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 text[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;
	bool				 hello_ok;

	check_run(cc, CHECK_BIT(SMTP_S_EHLO) | CHECK_BIT(SMTP_S_HELO));
	ms = check_ms(t0);
	hello_ok = !check_over(cc) || f->kind == SMTP_E_LOCAL ||
	    (f->stage != SMTP_S_EHLO && f->stage != SMTP_S_HELO);
	if (!hello_ok) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, st, CHECK_FAIL, ms, f->kind == SMTP_E_REPLY ?
		    "the server refused our EHLO/HELO: check hostname in "
		    "[postern] (some servers want a real, resolvable name)" :
		    NULL, NULL, "%s", text);
		return -1;
	}
	check_ehlo_report(cc, st, ms);
	if (!check_over(cc))
		return 0;
	if (f->kind == SMTP_E_LOCAL && (f->stage == SMTP_S_EHLO ||
	    f->stage == SMTP_S_HELO)) {
		if (check_has(f->why.text, "STARTTLS"))
			check_report(ck, CK_STARTTLS, CHECK_FAIL, -1, "wrong "
			    "port or server: port 587 offers STARTTLS, port "
			    "465 wants tls = implicit (use tls = none only "
			    "on a trusted network)", NULL, "the server does "
			    "not offer STARTTLS: nothing was sent");
		else if (check_has(f->why.text, "no AUTH"))
			check_report(ck, CK_AUTH, CHECK_FAIL, -1, "wrong port "
			    "or STARTTLS missing: servers usually offer AUTH "
			    "on port 587 after STARTTLS (tls = starttls) or "
			    "on 465 (tls = implicit)", NULL, "no AUTH "
			    "offered by the server");
		else if (check_has(f->why.text, "without TLS"))
			check_report(ck, CK_AUTH, CHECK_FAIL, -1, "enable TLS "
			    "(tls = starttls), or set allow_plaintext_auth = "
			    "yes on a trusted network", NULL, "refusing to "
			    "send the password without TLS");
		else
			check_report(ck, st, CHECK_FAIL, -1, NULL, NULL, "%s",
			    f->why.text);
		return -1;
	}
	if (f->stage == SMTP_S_AUTH) {
		/* the mechanism choice failed before anything was sent */
		if (!ck->secrets_ok)
			check_report(ck, CK_AUTH, CHECK_SKIP, -1, NULL, NULL,
			    "not run: no password (see the secrets step)");
		else
			check_report(ck, CK_AUTH, CHECK_FAIL, 0,
			    check_has(f->why.text, "in common") ? "allow one "
			    "of the offered mechanisms in auth_mechanisms "
			    "(XOAUTH2 needs token_command)" : NULL, NULL,
			    "%s", f->why.text);
		return -1;
	}
	check_failure(cc, text, sizeof(text));
	check_report(ck, st, CHECK_FAIL, -1, NULL, NULL, "%s", text);
	return -1;
}

/* check_auth - the AUTH phase.  Returns 0 when the session goes on. */
static int
check_auth(struct check_conn *cc)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 details[CHECK_DETAIL_MAX];
	char				 text[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;

	if (cc->r->user == NULL) {
		check_report(ck, CK_AUTH, CHECK_SKIP, -1, NULL, NULL,
		    "no user set for this relay: mail goes out without AUTH");
		return 0;
	}
	if (cc->smtp.state != SMTP_S_AUTH)
		return check_over(cc) ? -1 : 0;
	check_run(cc, CHECK_BIT(SMTP_S_AUTH));
	ms = check_ms(t0);
	(void)snprintf(details, sizeof(details), "offered: %s\nallowed and "
	    "usable: %s", cc->offered, cc->candidates[0] ? cc->candidates :
	    "(none)");
	if (cc->smtp.authenticated) {
		check_report(ck, CK_AUTH, CHECK_OK, ms, NULL, details, "%s as "
		    "%s accepted", cc->mech, cc->r->user);
		return 0;
	}
	if (f->kind == SMTP_E_REPLY && f->stage == SMTP_S_AUTH) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, CK_AUTH, CHECK_FAIL, ms, auth_advice(
		    f->why.code, f->why.enh, f->why.text), details,
		    "%s as %s refused: %s", cc->mech, cc->r->user, text);
		return -1;
	}
	check_failure(cc, text, sizeof(text));
	check_report(ck, CK_AUTH, CHECK_FAIL, ms, NULL, details, "%s", text);
	return -1;
}

/* check_sender - the relay test's MAIL FROM address into out */
static void
check_sender(const struct check *ck, const struct conf_relay *r, char *out,
    size_t size)
{
	if (r->user != NULL && strchr(r->user, '@') != NULL)
		(void)str_copy(out, r->user, size);
	else
		(void)snprintf(out, size, "root@%s", ck->conf.domain);
}

/* check_recipient - the relay test's RCPT TO address into out */
static void
check_recipient(const struct check *ck, char *out, size_t size)
{
	if (ck->rcpt != NULL)
		(void)str_copy(out, ck->rcpt, size);
	else if (ck->conf.admin != NULL && ck->conf.admin[0] != '\0')
		(void)str_copy(out, ck->conf.admin, size);
	else
		(void)snprintf(out, size, "postmaster@%s", ck->conf.domain);
}

/* check_relay_hint - the fix for a refused MAIL or RCPT */
static const char *
check_relay_hint(const struct why *w, bool mail)
{
	if (check_has(w->text, "relay") || strcmp(w->enh, "5.7.1") == 0)
		return "relay access denied: the sender address or "
		    "authentication is not allowed for relaying (check user "
		    "and password; set force_sender = yes so the sender is "
		    "the account's address)";
	if (w->code == 530 || strcmp(w->enh, "5.7.0") == 0)
		return "the server requires authentication: set user and its "
		    "password for this relay";
	if (check_has(w->text, "rate") || check_has(w->text, "too many") ||
	    check_has(w->text, "limit"))
		return "the provider limits how much you send: set "
		    "rate_limit in [queue] below its limit";
	if (w->code / 100 == 4)
		return "a temporary refusal: the agent would retry later";
	if (mail)
		return "the server does not accept this sender: set "
		    "force_sender = yes (the relay user becomes the sender) "
		    "or masquerade_domain";
	return "the server refuses this recipient: try --rcpt ADDRESS";
}

/* check_relay_test - MAIL FROM, RCPT TO, RSET: nothing is sent */
static void
check_relay_test(struct check_conn *cc)
{
	struct check		*ck = cc->ck;
	struct smtp_message	 m;
	struct smtp_rcpt	 rc;
	char			 from[256], to[256];
	int64_t			 t0 = now_ms(), ms;

	check_sender(ck, cc->r, from, sizeof(from));
	check_recipient(ck, to, sizeof(to));
	memset(&m, 0, sizeof(m));
	memset(&rc, 0, sizeof(rc));
	rc.addr = to;
	m.sender = from;
	m.rcpts = &rc;
	m.nrcpts = 1;
	m.probe = true;
	if (smtp_message_start(&cc->smtp, &m) == 0)
		check_run(cc, CHECK_BIT(SMTP_S_MAIL) | CHECK_BIT(SMTP_S_RCPT) |
		    CHECK_BIT(SMTP_S_RSET));
	ms = check_ms(t0);
	switch (m.status) {
	case SMTP_MSG_PROBED:
		check_report(ck, CK_RELAY, CHECK_OK, ms, NULL, NULL,
		    "MAIL FROM:<%s> RCPT TO:<%s> accepted, then RSET: "
		    "nothing sent", from, to);
		break;
	case SMTP_MSG_REJECTED:
		if (m.stage == SMTP_S_MAIL)
			check_report(ck, CK_RELAY, CHECK_FAIL, ms,
			    check_relay_hint(&m.reply, true), NULL,
			    "MAIL FROM:<%s> refused: %d%s%s %s", from,
			    m.reply.code, m.reply.enh[0] ? " " : "",
			    m.reply.enh, m.reply.text);
		else
			check_report(ck, CK_RELAY, CHECK_FAIL, ms,
			    check_relay_hint(&rc.reply, false), NULL,
			    "RCPT TO:<%s> refused: %d%s%s %s", to,
			    rc.reply.code, rc.reply.enh[0] ? " " : "",
			    rc.reply.enh, rc.reply.text);
		break;
	default:
		check_report(ck, CK_RELAY, CHECK_FAIL, ms, NULL, NULL,
		    "%s", m.reply.text[0] ? m.reply.text :
		    cc->smtp.failure.why.text);
		break;
	}
}

/* check_connect_hint - the fix for a failed connect, by errno */
static const char *
check_connect_hint(int err, unsigned port)
{
	switch (err) {
	case ECONNREFUSED:
		return "nothing listens on that port; check host and port";
	case ETIMEDOUT:
		return port == 25 ? "no answer: a firewall or the ISP blocks "
		    "the port (port 25 is often blocked: try 587 with tls = "
		    "starttls or 465 with tls = implicit)" : "no answer: a "
		    "firewall or the ISP blocks the port (port 25 is often "
		    "blocked, try 587/465)";
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "no route to this address (no IPv6 connectivity?)";
	default:
		return NULL;
	}
}

/*
 * check_connect - DNS and TCP.  Returns the first address that answered
 * (borrowed from *res, which the caller frees) with cc->conn set, or
 * NULL when none did.
 */
static const struct addrinfo *
check_connect(struct check_conn *cc, struct addrinfo **res)
{
	struct check		*ck = cc->ck;
	const struct conf_relay	*r = cc->r;
	const struct addrinfo	*ai, *good = NULL;
	struct addrinfo		 hints, one;
	struct why		 why;
	char			 service[16], addr[CHECK_ADDR_MAX];
	char			 list[CHECK_TEXT_MAX], origin[256];
	char			 fails[CHECK_ADDRS_MAX][CHECK_TEXT_MAX];
	int			 ferr[CHECK_ADDRS_MAX];
	int64_t			 fms[CHECK_ADDRS_MAX];
	size_t			 nfail = 0, n = 0, i;
	int64_t			 t0 = now_ms();
	int			 rc, err;

	(void)snprintf(service, sizeof(service), "%u", r->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	*res = NULL;
	rc = getaddrinfo(r->host, service, &hints, res);
	if (rc != 0) {
		const struct conf_origin *o = conf_origin_of(&ck->conf,
		    "relay", "host", ck->relay - 1);
		char	hint[CHECK_TEXT_MAX];

		if (o != NULL)
			conf_origin_format(o, origin, sizeof(origin));
		else
			(void)str_copy(origin, ck->conf.path, sizeof(origin));
		*res = NULL;
		if (rc == EAI_NONAME) {
			(void)snprintf(hint, sizeof(hint), "check the "
			    "spelling of host (%s): a typo?", origin);
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    hint, NULL, "no such host %s", r->host);
		} else if (rc == EAI_AGAIN)
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    "is a name server reachable? see /etc/resolv.conf",
			    NULL, "cannot resolve %s: temporary DNS failure",
			    r->host);
		else
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    "check host in the [relay]", NULL,
			    "cannot resolve %s: %s", r->host,
			    rc == EAI_SYSTEM ? strerror(errno) :
			    gai_strerror(rc));
		return NULL;
	}
	list[0] = '\0';
	for (ai = *res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)str_copy(addr, "?", sizeof(addr));
		if (list[0] != '\0')
			(void)str_append(list, ", ", sizeof(list));
		(void)str_append(list, addr, sizeof(list));
	}
	check_report(ck, CK_DNS, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s -> %s", r->host, list);
	for (ai = *res; ai != NULL && n < CHECK_ADDRS_MAX; ai = ai->ai_next) {
		n++;
		one = *ai;
		one.ai_next = NULL;
		t0 = now_ms();
		cc->conn = conn_connect_ai(r->host, r->port, &one,
		    check_cap(ck, ck->conf.t_connect), &why);
		err = errno;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)str_copy(addr, "?", sizeof(addr));
		if (cc->conn != NULL) {
			good = ai;
			check_report(ck, CK_CONNECT, CHECK_OK, check_ms(t0),
			    NULL, NULL, ai->ai_family == AF_INET6 ?
			    "[%s]:%u" : "%s:%u", addr, r->port);
			break;
		}
		ferr[nfail] = err;
		fms[nfail] = check_ms(t0);
		(void)snprintf(fails[nfail], sizeof(fails[nfail]),
		    ai->ai_family == AF_INET6 ? "[%s]:%u: %s" : "%s:%u: %s",
		    addr, r->port, ferr[nfail] == ETIMEDOUT ? "timed out" :
		    ferr[nfail] == ECONNREFUSED ? "connection refused" :
		    strerror(ferr[nfail]));
		nfail++;
	}
	/* before the greeting: a failed address costs time, not mail */
	for (i = 0; i < nfail; i++)
		check_report(ck, CK_CONNECT, good != NULL ? CHECK_WARN :
		    CHECK_FAIL, fms[i], check_connect_hint(ferr[i], r->port),
		    NULL, "%s", fails[i]);
	return good;
}

/* check_greeting - the 220.  Returns 0 when the session goes on. */
static int
check_greeting(struct check_conn *cc, const struct addrinfo *ai)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 text[CHECK_TEXT_MAX], hint[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;

	check_run(cc, CHECK_BIT(SMTP_S_GREETING));
	ms = check_ms(t0);
	if (cc->smtp.state != SMTP_S_GREETING && !(check_over(cc) &&
	    f->stage == SMTP_S_GREETING)) {
		/* the parser still holds the greeting: EHLO's is unread */
		check_last_reply(cc, text, sizeof(text));
		check_report(ck, CK_GREETING, CHECK_OK, ms, NULL, NULL, "%s",
		    text);
		return 0;
	}
	check_failure(cc, text, sizeof(text));
	hint[0] = '\0';
	if (f->kind == SMTP_E_REPLY)
		(void)snprintf(hint, sizeof(hint), "the server turns this "
		    "host away (%s): a block list, a wrong port, or too "
		    "many connections", f->why.code == 421 ? "for now" :
		    "for good");
	else if (f->kind == SMTP_E_IO && cc->r->tls != CONF_TLS_IMPLICIT &&
	    (cc->io_errno == ETIMEDOUT || cc->io_errno == EPROTO)) {
		if (cc->io_errno == EPROTO || check_probe_implicit(cc, ai))
			(void)tlsprobe_fix_implicit(cc->r->port, hint,
			    sizeof(hint));
		else
			(void)snprintf(hint, sizeof(hint), "the server sent "
			    "no greeting: a wrong port, or an overloaded "
			    "server");
	}
	check_report(ck, CK_GREETING, CHECK_FAIL, ms, hint[0] ? hint : NULL,
	    NULL, "%s", text);
	return -1;
}

/* check_starttls - STARTTLS, the handshake, the certificate, EHLO again */
static int
check_starttls(struct check_conn *cc)
{
	struct check	*ck = cc->ck;
	char		 text[CHECK_TEXT_MAX];
	int64_t		 t0 = now_ms();

	if (cc->smtp.state != SMTP_S_STARTTLS)
		return check_over(cc) ? -1 : 0;
	check_run(cc, CHECK_BIT(SMTP_S_STARTTLS));
	if (cc->smtp.state != SMTP_S_TLS) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, CK_STARTTLS, CHECK_FAIL, check_ms(t0), NULL,
		    NULL, "%s", text);
		return -1;
	}
	check_last_reply(cc, text, sizeof(text));
	check_report(ck, CK_STARTTLS, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s", text);
	if (check_tls(cc, CK_TLS, CK_CERT) == -1) {
		smtp_io_error(&cc->smtp, "TLS failed");
		return -1;
	}
	smtp_tls_done(&cc->smtp);
	return check_hello(cc, CK_EHLO_TLS);
}

/* check_relay_warnings - configuration choices that weaken a relay */
static void
check_relay_warnings(struct check *ck, const struct conf_relay *r)
{
	if (r->tls == CONF_TLS_NONE)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, "use tls = "
		    "starttls (port 587) or tls = implicit (port 465) unless "
		    "this relay is on a trusted network", NULL, "tls = none: "
		    "mail%s crosses the network in clear",
		    r->user != NULL ? " and the password" : "");
	else if (!r->tls_verify && r->tls_npins == 0)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, "remove tls_verify "
		    "= no; for a private CA set tls_ca_file, for a "
		    "self-signed certificate tls_pins", NULL, "tls_verify = "
		    "no: the relay's certificate is not checked");
}

/* check_one_relay - every step for relay index i */
static void
check_one_relay(struct check *ck, size_t i)
{
	const struct conf_relay	*r = &ck->conf.relays[i];
	struct check_conn	 cc;
	struct smtp_params	 p;
	struct addrinfo		*res = NULL;
	const struct addrinfo	*ai;
	struct why		 why;

	ck->relay = i + 1;
	ck->reported = 0;
	ck->failed_label = NULL;
	memset(&cc, 0, sizeof(cc));
	cc.ck = ck;
	cc.r = r;
	if (!ck->json) {
		printf("relay %zu: %s (tls = %s%s%s)\n", i + 1, r->name,
		    conf_tls_name(r->tls), r->user != NULL ? ", user " : "",
		    r->user != NULL ? r->user : "");
	}
	check_relay_warnings(ck, r);
	if (r->tls != CONF_TLS_NONE &&
	    (cc.tlsc = tls_client_new(r, &why)) == NULL) {
		check_report(ck, CK_CONFIG, CHECK_FAIL, -1, NULL, NULL,
		    "TLS settings: %s", why.text);
		goto out;
	}
	if ((ai = check_connect(&cc, &res)) == NULL)
		goto out;
	if (r->tls == CONF_TLS_IMPLICIT &&
	    check_tls(&cc, CK_TLS_IMPLICIT, CK_CERT_IMPLICIT) == -1)
		goto out;
	memset(&p, 0, sizeof(p));
	p.helo_name = ck->conf.hostname;
	p.tls_active = r->tls == CONF_TLS_IMPLICIT;
	p.starttls = r->tls == CONF_TLS_STARTTLS;
	cc.ops.start = check_auth_start;
	cc.ops.step = check_auth_step;
	cc.ops.arg = &cc;
	p.auth = r->user != NULL ? &cc.ops : NULL;
	p.allow_plaintext_auth = r->allow_plaintext_auth;
	smtp_init(&cc.smtp, &p);
	cc.smtp_live = true;
	if (check_greeting(&cc, ai) == -1 || check_hello(&cc, CK_EHLO) == -1 ||
	    check_starttls(&cc) == -1 || check_auth(&cc) == -1)
		goto out;
	if (cc.smtp.state == SMTP_S_READY)
		check_relay_test(&cc);
out:
	check_conn_close(&cc);
	if (res != NULL)
		freeaddrinfo(res);
	tls_client_free(cc.tlsc);
	check_skip_rest(ck, r);
	ck->relay = 0;
}

/* ---- configuration and secrets -------------------------------------------- */

/*
 * check_secrets_owner - who must own the secrets file: the agent's user
 * when we run as root (the agent reads it as that user), else ourselves
 */
static uid_t
check_secrets_owner(char *name, size_t size)
{
	struct passwd	*pw;

	if (geteuid() == 0 && (pw = getpwnam(POSTERN_USER)) != NULL) {
		(void)str_copy(name, pw->pw_name, size);
		return pw->pw_uid;
	}
	if ((pw = getpwuid(geteuid())) != NULL)
		(void)str_copy(name, pw->pw_name, size);
	else
		(void)snprintf(name, size, "%lu", (unsigned long)geteuid());
	return geteuid();
}

/* check_needs_secret - a relay that takes its password from the file */
static bool
check_needs_secret(const struct conf_relay *r)
{
	return r->user != NULL && r->password_command == NULL &&
	    r->token_command == NULL;
}

/* check_secrets - load the relay passwords, with the agent's rules */
static void
check_secrets(struct check *ck)
{
	struct buf	 err;
	struct stat	 sb;
	char		 owner_name[64], hint[CHECK_TEXT_MAX];
	const char	*path = ck->conf.secrets_file;
	uid_t		 owner;
	size_t		 i;
	bool		 need = false;
	int64_t		 t0 = now_ms();

	for (i = 0; i < ck->conf.nrelays; i++)
		need |= check_needs_secret(&ck->conf.relays[i]);
	if (!need) {
		ck->secrets_ok = true;
		return;
	}
	owner = check_secrets_owner(owner_name, sizeof(owner_name));
	buf_init(&err, CHECK_ERR_MAX);
	if (conf_load_secrets_as(&ck->conf, owner, &err) == 0) {
		ck->secrets_ok = true;
		check_report(ck, CK_SECRETS, CHECK_OK, check_ms(t0), NULL,
		    NULL, "%s: owned by %s, mode 600, a password for every "
		    "relay with a user", path, owner_name);
		buf_free(&err);
		return;
	}
	while (err.len > 0 && err.data[err.len - 1] == '\n')
		buf_truncate(&err, err.len - 1);
	/* the usual causes, as cause + fix; anything else as conf says */
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 077) != 0)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "chmod 600 %s (the agent "
		    "refuses a secrets file others can read)", path), hint),
		    NULL, "%s: mode %04o lets %s read the relay passwords",
		    path, (unsigned)(sb.st_mode & 07777),
		    (sb.st_mode & 007) ? "every user" : "the group");
	else if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_uid != owner)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "chown %s %s (the agent "
		    "reads it as %s)", owner_name, path, owner_name), hint),
		    NULL, "%s: not owned by %s", path, owner_name);
	else if (lstat(path, &sb) == 0 && access(path, R_OK) == -1)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "run postern check as root "
		    "or as %s", owner_name), hint), NULL, "%s: %s", path,
		    strerror(errno));
	else
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0), NULL,
		    NULL, "%s", buf_cstr(&err));
	buf_free(&err);
}

/*
 * check_drop_root - run as root (postern check by an administrator):
 * become the agent's user and group for good, checked, before any
 * password_command or token_command runs and before anything goes to
 * the network, as the agent itself would be (issue 11).
 */
static void
check_drop_root(void)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 gid;

	if (geteuid() != 0 && getuid() != 0)
		return;
	if ((pw = getpwnam(POSTERN_USER)) == NULL || pw->pw_uid == 0)
		fatal_exit(EX_NOUSER, "user '%s' does not exist or is root: "
		    "postern check as root runs as the agent's user; create "
		    "it (useradd --system %s) or run the check as that user",
		    POSTERN_USER, POSTERN_USER);
	if ((gr = getgrnam(POSTERN_GROUP)) == NULL)
		fatal_exit(EX_NOUSER, "group '%s' does not exist: create it "
		    "(groupadd --system %s)", POSTERN_GROUP, POSTERN_GROUP);
	gid = gr->gr_gid;
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		fatal_errno(EX_OSERR, "drop privileges to %s", POSTERN_USER);
	if (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0 ||
	    getuid() == 0 || getegid() == 0 || getgid() == 0)
		fatal_exit(EX_SOFTWARE, "could regain root after dropping "
		    "privileges: refusing to run the checks");
	log_debug("checks run as %s (uid %lu), not root", POSTERN_USER,
	    (unsigned long)pw->pw_uid);
}

/* check_load - the configuration step; returns 0 when loaded */
static int
check_load(struct check *ck)
{
	struct buf	err;
	int64_t		t0 = now_ms();
	char		*line, *save = NULL, *copy;
	char		 first[CHECK_TEXT_MAX];
	struct buf	 details;

	buf_init(&err, CHECK_ERR_MAX);
	if (conf_load(&ck->conf, ck->conf_path, true, &err) == -1) {
		buf_init(&details, CHECK_ERR_MAX);
		copy = buf_steal(&err);
		first[0] = '\0';
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (first[0] == '\0')
				(void)str_copy(first, line, sizeof(first));
			else if (buf_printf(&details, "%s%s", details.len ?
			    "\n" : "", line) == -1)
				break;
		}
		free(copy);
		check_report(ck, CK_CONFIG, CHECK_FAIL, check_ms(t0),
		    "fix the lines named; postern config --check validates",
		    buf_cstr(&details), "%s", first[0] ? first :
		    "cannot load the configuration");
		buf_free(&details);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	ck->conf_loaded = true;
	auth_global_configure(&ck->conf);
	check_report(ck, CK_CONFIG, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s: %zu relay%s", ck->conf.path, ck->conf.nrelays,
	    ck->conf.nrelays == 1 ? "" : "s");
	check_secrets(ck);
	return 0;
}

/* ---- the test message ----------------------------------------------------- */

/* check_exists - 1 file there, 0 not, -1 error (errno) */
static int
check_exists(const char *spool, const char *sub, const struct qid *q)
{
	char		path[4096];
	struct stat	sb;

	if (spool_path(spool, sub, q, path, sizeof(path)) == -1)
		return -1;
	if (lstat(path, &sb) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/*
 * check_agent_listens - a delivery agent holds the trigger FIFO open (it
 * opens it read-write, so opening it for writing succeeds; else ENXIO)
 */
static bool
check_agent_listens(const char *spool)
{
	int	fd = spool_trigger_open(spool);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* check_rcpt_outcomes - "addr: state text" lines of a message's state */
static void
check_rcpt_outcomes(const struct spool_state *st, char *out, size_t size)
{
	size_t	i;
	char	line[CHECK_TEXT_MAX];

	out[0] = '\0';
	for (i = 0; i < st->nrcpts; i++) {
		const struct spool_rcpt_status *rs = &st->rcpts[i];

		(void)snprintf(line, sizeof(line), "%srecipient %zu: %s%s%s",
		    out[0] ? "\n" : "", i + 1,
		    spool_rcpt_state_name(rs->state),
		    rs->text != NULL ? ": " : "",
		    rs->text != NULL ? rs->text : "");
		(void)str_append(out, line, size);
	}
}

/* check_wait - follow the queued test message until its fate is known */
static void
check_wait(struct check *ck)
{
	struct qid		 q;
	struct spool_state	 st;
	struct buf		 err;
	const char		*spool = ck->conf.spool_dir;
	const char		*to = ck->send_rcpt != NULL ? ck->send_rcpt :
				    "the test address";
	char			 details[CHECK_DETAIL_MAX];
	int64_t			 t0 = now_ms();
	int64_t			 end = t0 + (int64_t)ck->wait_secs * 1000;
	int			 in_new, in_cur, in_failed;
	bool			 new_hidden;

	if (ck->submit_error != NULL) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, -1, NULL, NULL,
		    "the test message to %s could not be queued: %s", to,
		    ck->submit_error);
		return;
	}
	if (qid_parse(&q, ck->wait_qid) == -1) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, -1, NULL, NULL,
		    "--wait-for %s: not a queue id", ck->wait_qid);
		return;
	}
	buf_init(&err, CHECK_ERR_MAX);
	for (;;) {
		in_new = check_exists(spool, SPOOL_NEW, &q);
		/*
		 * A member of the agent's group cannot look into new/ (the
		 * drop group's).  A running agent picks a message up into
		 * cur/ at once, so then "not in cur/" means it is gone.
		 */
		new_hidden = in_new == -1 && errno == EACCES;
		if (new_hidden)
			in_new = check_agent_listens(spool) ? 0 : 2;
		in_cur = check_exists(spool, SPOOL_CUR, &q);
		in_failed = check_exists(spool, SPOOL_FAILED, &q);
		if (in_new == -1 || in_cur == -1 || in_failed == -1) {
			check_report(ck, CK_SEND_TEST, CHECK_FAIL,
			    check_ms(t0), "run postern check as root to "
			    "follow the test message", NULL, "test message "
			    "%s: cannot look into %s: %s", q.s, spool,
			    strerror(errno));
			break;
		}
		spool_state_init(&st);
		buf_reset(&err);
		(void)spool_state_read(spool, &q, &st, &err);
		if (in_failed == 1) {
			check_rcpt_outcomes(&st, details, sizeof(details));
			check_report(ck, CK_SEND_TEST, CHECK_FAIL,
			    check_ms(t0), "the relay refused it for good; "
			    "see postern queue and the bounce sent to the "
			    "sender", details, "test message %s to %s "
			    "bounced%s%s", q.s, to, st.last_error ? ": " : "",
			    st.last_error ? st.last_error : "");
			spool_state_free(&st);
			break;
		}
		if (in_new == 0 && in_cur == 0) {
			check_report(ck, CK_SEND_TEST, CHECK_OK, check_ms(t0),
			    NULL, NULL, "test message %s to %s was delivered "
			    "to the relay (it left the queue)", q.s, to);
			spool_state_free(&st);
			break;
		}
		if (in_cur == 1 && st.attempts > 0) {
			check_rcpt_outcomes(&st, details, sizeof(details));
			check_report(ck, CK_SEND_TEST, CHECK_FAIL,
			    check_ms(t0), "the agent retries it; fix the "
			    "failing step above, then postern flush", details,
			    "test message %s to %s deferred%s%s", q.s, to,
			    st.last_error ? ": " : "",
			    st.last_error ? st.last_error : "");
			spool_state_free(&st);
			break;
		}
		spool_state_free(&st);
		if (now_ms() >= end && in_new == 2 && in_cur == 0) {
			check_report(ck, CK_SEND_TEST, CHECK_FAIL,
			    check_ms(t0), "start the agent (systemctl start "
			    "postern) or run posternd --once; run postern "
			    "check as root to see into new/", NULL, "test "
			    "message %s to %s: not in cur/ and no agent is "
			    "running: it waits in new/ (visible only to root), "
			    "unless a one-shot run delivered it (see the mail "
			    "log)", q.s, to);
			break;
		}
		if (now_ms() >= end) {
			check_report(ck, CK_SEND_TEST, CHECK_FAIL,
			    check_ms(t0), "is the agent running? start it "
			    "(systemctl start postern) or run posternd --once",
			    NULL, "test message %s to %s still queued after "
			    "%llus, never tried", q.s, to,
			    (unsigned long long)ck->wait_secs);
			break;
		}
		(void)usleep(CHECK_WAIT_POLL_MS * 1000);
	}
	buf_free(&err);
}

/* ---- main ----------------------------------------------------------------- */

/* check_usage - the synopsis, then exit */
static void __attribute__((noreturn))
check_usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: posternd --check [-C config] [--json] [--relay N] "
	    "[--rcpt ADDRESS]\n"
	    "           [--timeout SECONDS] [--wait-for QID [--wait "
	    "SECONDS]]\n"
	    "(run it as `postern check`; --send-test ADDRESS is the front "
	    "end's)\n");
	exit(code);
}

/* check_summary - the last line, or the JSON document */
static int
check_summary(struct check *ck)
{
	struct buf	out;
	bool		passed = ck->counts[CHECK_FAIL] == 0;
	int		rc = 0;

	if (!ck->json) {
		printf("%s: %u ok, %u warning%s, %u failed, %u skipped\n",
		    passed ? "check passed" : "check FAILED",
		    ck->counts[CHECK_OK], ck->counts[CHECK_WARN],
		    ck->counts[CHECK_WARN] == 1 ? "" : "s",
		    ck->counts[CHECK_FAIL], ck->counts[CHECK_SKIP]);
		return passed ? 0 : CHECK_EXIT_FAILED;
	}
	buf_init(&out, CHECK_JSON_MAX + 4096);
	rc |= buf_puts(&out, "{\n  \"version\": 1,\n  \"config\": ");
	rc |= check_json_string(&out, ck->conf_loaded ? ck->conf.path :
	    ck->conf_path);
	rc |= buf_printf(&out, ",\n  \"passed\": %s,\n  \"counts\": "
	    "{\"ok\": %u, \"warn\": %u, \"fail\": %u, \"skip\": %u},\n"
	    "  \"steps\": [\n", passed ? "true" : "false",
	    ck->counts[CHECK_OK], ck->counts[CHECK_WARN],
	    ck->counts[CHECK_FAIL], ck->counts[CHECK_SKIP]);
	rc |= buf_append(&out, ck->steps.data != NULL ? ck->steps.data : "",
	    ck->steps.len);
	rc |= buf_puts(&out, "\n  ]\n}\n");
	if (rc != 0)
		fatal_exit(EX_SOFTWARE, "check: JSON report too large");
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
	return passed ? 0 : CHECK_EXIT_FAILED;
}

/* check_main - posternd --check */
int
check_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check",	  no_argument,	     NULL, 'k' },
		{ "config",	  required_argument, NULL, 'C' },
		{ "json",	  no_argument,	     NULL, 'j' },
		{ "relay",	  required_argument, NULL, 'r' },
		{ "rcpt",	  required_argument, NULL, 'R' },
		{ "timeout",	  required_argument, NULL, 't' },
		{ "wait-for",	  required_argument, NULL, 'q' },
		{ "wait",	  required_argument, NULL, 'w' },
		{ "send-test",	  required_argument, NULL, 's' },
		{ "submit-error", required_argument, NULL, 'e' },
		{ "verbose",	  no_argument,	     NULL, 'v' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 }
	};
	struct check	 ck;
	uint64_t	 v;
	size_t		 i;
	int		 ch, rc;

	memset(&ck, 0, sizeof(ck));
	ck.conf_path = CONFDIR "/postern.conf";
	ck.cap = CHECK_CAP_DEFAULT;
	ck.wait_secs = CHECK_WAIT_DEFAULT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			break;
		case 'C':
			ck.conf_path = optarg;
			break;
		case 'j':
			ck.json = true;
			break;
		case 'r':
			if (parse_uint(optarg, 1, CONF_RELAYS_MAX, &v) == -1)
				fatal_exit(EX_USAGE, "--relay %s: give a relay "
				    "number from 1 to %d", optarg,
				    CONF_RELAYS_MAX);
			ck.relay_only = (size_t)v;
			break;
		case 'R':
			ck.rcpt = optarg;
			break;
		case 't':
			if (parse_duration(optarg, &v) == -1 || v == 0 ||
			    v > CHECK_CAP_MAX)
				fatal_exit(EX_USAGE, "--timeout %s: give 1 to "
				    "%d seconds (or 30s, 2m)", optarg,
				    CHECK_CAP_MAX);
			ck.cap = v;
			break;
		case 'q':
			ck.wait_qid = optarg;
			break;
		case 'w':
			if (parse_duration(optarg, &v) == -1 ||
			    v > CHECK_WAIT_MAX)
				fatal_exit(EX_USAGE, "--wait %s: give 0 to %d "
				    "seconds (or 30s, 2m)", optarg,
				    CHECK_WAIT_MAX);
			ck.wait_secs = v;
			break;
		case 's':
			ck.send_rcpt = optarg;
			break;
		case 'e':
			ck.submit_error = optarg;
			break;
		case 'v':
			log_set_debug(true);
			break;
		case 'h':
			check_usage(0);
		default:
			check_usage(EX_USAGE);
		}
	}
	if (optind != argc)
		check_usage(EX_USAGE);
	if (ck.send_rcpt != NULL && ck.wait_qid == NULL &&
	    ck.submit_error == NULL)
		fatal_exit(EX_USAGE, "--send-test: run `postern check "
		    "--send-test ADDRESS`, which queues the message first");
	buf_init(&ck.steps, CHECK_JSON_MAX);
	if (check_load(&ck) == -1) {
		(void)check_summary(&ck);
		buf_free(&ck.steps);
		return EX_CONFIG;
	}
	if (ck.relay_only > ck.conf.nrelays) {
		log_error("--relay %zu: %s has %zu relay%s", ck.relay_only,
		    ck.conf_path, ck.conf.nrelays,
		    ck.conf.nrelays == 1 ? "" : "s");
		conf_free(&ck.conf);
		buf_free(&ck.steps);
		return EX_USAGE;
	}
	/* as root: the secrets were read with the agent's rules; now be it */
	check_drop_root();
	for (i = 0; i < ck.conf.nrelays; i++)
		if (ck.relay_only == 0 || ck.relay_only == i + 1)
			check_one_relay(&ck, i);
	if (ck.wait_qid != NULL || ck.submit_error != NULL)
		check_wait(&ck);
	rc = check_summary(&ck);
	conf_free(&ck.conf);
	buf_free(&ck.steps);
	auth_global_done();
	return rc;
}
