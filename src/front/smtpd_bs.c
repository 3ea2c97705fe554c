/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtpd_bs.c - `sendmail -bs`: an SMTP server dialogue on stdin/stdout.
 *
 * Symfony Mailer, Laravel and other libraries submit this way.  Owns the
 * command grammar and reply codes of RFC 5321 for one local client:
 * greeting, EHLO/HELO (PIPELINING, 8BITMIME, SIZE, DSN, SMTPUTF8,
 * ENHANCEDSTATUSCODES), MAIL, RCPT, DATA (dot-unstuffing), RSET, NOOP,
 * VRFY (refused politely), HELP, QUIT; several messages per session.
 * Each accepted DATA is one submission through postern-drop, and 250 is
 * sent only after the helper confirmed the commit.  Never reads beyond a
 * bounded command line; waits at most SMTPD_BS_TIMEOUT for a command.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "front.h"
#include "input.h"
#include "io.h"
#include "log.h"
#include "submission.h"
#include "spool.h"
#include "util.h"

#define SMTPD_BS_TIMEOUT_MS	(300 * 1000)
#define SMTPD_BS_CMD_MAX	2048	/* RFC 5321 4.5.3.1.4: 512, lenient */
#define SMTPD_BS_MAX_ERRORS	20
#define SMTPD_BS_MAX_RCPTS	1000
#define SMTPD_BS_ERR_MAX	4096

struct smtpd_bs {
	const struct conf	*conf;
	struct submission	 s;
	struct input		*in;
	bool			 greeted;
	bool			 have_mail;
	char			*sender;	/* owned, "<>" = null sender */
	char			*envid;		/* owned ENVID, or NULL */
	unsigned		 errors;
};

/* smtpd_bs_reply - one reply line, CRLF, flushed */
__attribute__((format(printf, 1, 2)))
static void
smtpd_bs_reply(const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)(sizeof(line) - 3);
	line[n++] = '\r';
	line[n++] = '\n';
	(void)io_write_all(STDOUT_FILENO, line, (size_t)n);
}

/* smtpd_bs_read - the next command line; 1, 0 EOF/timeout, 2 too long */
static int
smtpd_bs_read(struct smtpd_bs *b, char *cmd, size_t size)
{
	const char	*p;
	size_t		 n, used = 0;
	bool		 complete, toolong = false;
	int		 r;

	input_rearm(b->in, INPUT_DOTS_NONE);
	for (;;) {
		if (b->in->rpos == b->in->rlen && !b->in->eof &&
		    io_wait(b->in->fd, POLLIN, now_ms() + SMTPD_BS_TIMEOUT_MS)
		    != 1) {
			smtpd_bs_reply("421 4.4.2 %s Error: timeout exceeded",
			    b->conf->hostname);
			return 0;
		}
		r = input_next(b->in, &p, &n, &complete);
		if (r != 1)
			return 0;
		if (!toolong && used + n < size) {
			memcpy(cmd + used, p, n);
			used += n;
		} else
			toolong = true;
		if (complete)
			break;
	}
	cmd[used] = '\0';
	return toolong ? 2 : 1;
}

/* smtpd_bs_path - "<addr> params" after "FROM:"/"TO:"; NULL on error */
static char *
smtpd_bs_path(char *arg, char **params)
{
	char	*end;

	while (*arg == ' ')
		arg++;
	if (*arg != '<') {
		/* lenient: a bare address without brackets */
		end = arg + strcspn(arg, " ");
		*params = *end ? end + 1 : end;
		*end = '\0';
		return arg;
	}
	arg++;
	if ((end = strchr(arg, '>')) == NULL)
		return NULL;
	*end = '\0';
	*params = end + 1;
	/* drop an obsolete source route "@a,@b:" */
	if (*arg == '@' && strchr(arg, ':') != NULL)
		arg = strchr(arg, ':') + 1;
	return arg;
}

/* smtpd_bs_reset - forget the transaction */
static void
smtpd_bs_reset(struct smtpd_bs *b)
{
	submission_free(&b->s);
	free(b->sender);
	free(b->envid);
	b->sender = NULL;
	b->envid = NULL;
	b->have_mail = false;
	b->s.sender = NULL;
	b->s.body = SM_BODY_UNSET;
	b->s.notify = 0;
	b->s.ret = SM_RET_UNSET;
	b->s.envid = NULL;
	b->s.smtputf8 = false;
}

/* smtpd_bs_ehlo - EHLO/HELO */
static void
smtpd_bs_ehlo(struct smtpd_bs *b, bool extended, const char *arg)
{
	if (arg[0] == '\0') {
		smtpd_bs_reply("501 5.5.4 Syntax: %s hostname",
		    extended ? "EHLO" : "HELO");
		b->errors++;
		return;
	}
	smtpd_bs_reset(b);
	b->greeted = true;
	if (!extended) {
		smtpd_bs_reply("250 %s", b->conf->hostname);
		return;
	}
	smtpd_bs_reply("250-%s", b->conf->hostname);
	smtpd_bs_reply("250-PIPELINING");
	smtpd_bs_reply("250-SIZE %llu",
	    (unsigned long long)b->conf->max_message_size);
	smtpd_bs_reply("250-8BITMIME");
	smtpd_bs_reply("250-DSN");
	smtpd_bs_reply("250-SMTPUTF8");
	smtpd_bs_reply("250 ENHANCEDSTATUSCODES");
}

/* smtpd_bs_mail - MAIL FROM:<addr> [params] */
static void
smtpd_bs_mail(struct smtpd_bs *b, char *arg)
{
	char	*addr, *params, *tok, *save = NULL;

	if (b->have_mail) {
		smtpd_bs_reply("503 5.5.1 Error: nested MAIL command");
		b->errors++;
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0 ||
	    (addr = smtpd_bs_path(arg + 5, &params)) == NULL) {
		smtpd_bs_reply("501 5.5.4 Syntax: MAIL FROM:<address>");
		b->errors++;
		return;
	}
	for (tok = strtok_r(params, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strncasecmp(tok, "SIZE=", 5) == 0) {
			uint64_t sz;

			if (parse_uint(tok + 5, 0, UINT64_MAX, &sz) == -1) {
				smtpd_bs_reply("501 5.5.4 Bad SIZE value");
				b->errors++;
				return;
			}
			if (sz > b->conf->max_message_size) {
				smtpd_bs_reply("552 5.3.4 Message size exceeds "
				    "fixed limit");
				return;
			}
		} else if (strcasecmp(tok, "BODY=8BITMIME") == 0)
			b->s.body = SM_BODY_8BITMIME;
		else if (strcasecmp(tok, "BODY=7BIT") == 0)
			b->s.body = SM_BODY_7BIT;
		else if (strcasecmp(tok, "SMTPUTF8") == 0)
			b->s.smtputf8 = true;
		else if (strcasecmp(tok, "RET=FULL") == 0)
			b->s.ret = SM_RET_FULL;
		else if (strcasecmp(tok, "RET=HDRS") == 0)
			b->s.ret = SM_RET_HDRS;
		else if (strncasecmp(tok, "ENVID=", 6) == 0) {
			if (!spool_envid_valid(tok + 6)) {
				smtpd_bs_reply("501 5.5.4 Syntax error in "
				    "ENVID parameter: xtext of 1 to %d "
				    "characters (RFC 3461)", SPOOL_ENVID_MAX);
				b->errors++;
				return;
			}
			b->s.envid = tok + 6;	/* copied below */
		}
		else if (strncasecmp(tok, "AUTH=", 5) == 0)
			continue;
		else {
			smtpd_bs_reply("555 5.5.4 Unsupported option: %.100s",
			    tok);
			b->errors++;
			return;
		}
	}
	if (addr[0] != '\0' && !addr_valid_envelope(addr)) {
		smtpd_bs_reply("553 5.1.7 <%.200s>: Sender address rejected: "
		    "not a valid address", addr);
		b->errors++;
		return;
	}
	b->sender = xasprintf("<%s>", addr);
	b->s.sender = b->sender;
	if (b->s.envid != NULL) {
		/* the command line buffer is reused: keep our own copy */
		b->envid = xstrdup(b->s.envid);
		b->s.envid = b->envid;
	}
	b->have_mail = true;
	smtpd_bs_reply("250 2.1.0 Ok");
}

/* smtpd_bs_rcpt - RCPT TO:<addr> [params] */
static void
smtpd_bs_rcpt(struct smtpd_bs *b, char *arg, struct buf *err)
{
	char	*addr, *params, *tok, *save = NULL;
	unsigned notify = 0;

	if (!b->have_mail) {
		smtpd_bs_reply("503 5.5.1 Error: need MAIL command");
		b->errors++;
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0 ||
	    (addr = smtpd_bs_path(arg + 3, &params)) == NULL ||
	    addr[0] == '\0') {
		smtpd_bs_reply("501 5.5.4 Syntax: RCPT TO:<address>");
		b->errors++;
		return;
	}
	for (tok = strtok_r(params, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strncasecmp(tok, "NOTIFY=", 7) == 0) {
			buf_reset(err);
			if (sm_notify_parse(tok + 7, &notify, err) == -1) {
				smtpd_bs_reply("501 5.5.4 Bad NOTIFY value");
				return;
			}
		} else if (strncasecmp(tok, "ORCPT=", 6) == 0)
			continue;
		else {
			smtpd_bs_reply("555 5.5.4 Unsupported option: %.100s",
			    tok);
			b->errors++;
			return;
		}
	}
	if (b->s.rcpts.n >= SMTPD_BS_MAX_RCPTS) {
		smtpd_bs_reply("452 4.5.3 Error: too many recipients");
		return;
	}
	buf_reset(err);
	if (rcpt_resolve(b->s.resolver, addr, &b->s.rcpts, err) == -1) {
		smtpd_bs_reply("550 5.1.1 %.400s", buf_cstr(err));
		return;
	}
	if (notify != 0)
		b->s.notify = notify;	/* one NOTIFY per message: the last */
	smtpd_bs_reply("250 2.1.5 Ok");
}

/* smtpd_bs_data - DATA: one submission */
static void
smtpd_bs_data(struct smtpd_bs *b, struct buf *err)
{
	struct qid	qid;
	int		rc;

	if (!b->have_mail) {
		smtpd_bs_reply("503 5.5.1 Error: need MAIL command");
		b->errors++;
		return;
	}
	if (b->s.rcpts.n == 0) {
		smtpd_bs_reply("554 5.5.1 Error: no valid recipients");
		return;
	}
	smtpd_bs_reply("354 End data with <CR><LF>.<CR><LF>");
	input_rearm(b->in, INPUT_DOTS_SMTP);
	buf_reset(err);
	rc = submission_run(&b->s, b->in, &qid, err);
	/* a refused message must still be read up to its final dot */
	if (!b->in->finished) {
		const char *p;
		size_t n;
		bool complete;

		while (input_next(b->in, &p, &n, &complete) == 1)
			;
	}
	if (b->in->end != INPUT_END_DOT) {
		smtpd_bs_reset(b);
		return;			/* client went away: nothing queued */
	}
	switch (rc) {
	case EX_OK:
		smtpd_bs_reply("250 2.0.0 Ok: queued as %s", qid.s);
		log_info("%s: submitted by -bs", qid.s);
		break;
	case EX_DATAERR:
		smtpd_bs_reply("552 5.3.4 %.400s", buf_cstr(err));
		break;
	case EX_NOUSER:
		smtpd_bs_reply("550 5.1.1 %.400s", buf_cstr(err));
		break;
	default:
		smtpd_bs_reply("451 4.3.0 %.400s", buf_cstr(err));
		log_warnx("-bs: message not queued: %s", buf_cstr(err));
		break;
	}
	smtpd_bs_reset(b);
}

/* smtpd_bs_main - the dialogue */
int
smtpd_bs_main(const struct conf *c, const char *config_path,
    const struct rcpt_resolver *res, const struct submitter *who)
{
	struct smtpd_bs	 b;
	struct buf	 err;
	char		 cmd[SMTPD_BS_CMD_MAX];
	int		 r;

	memset(&b, 0, sizeof(b));
	b.conf = c;
	submission_init(&b.s, c, res, who);
	b.s.config_path = config_path;
	b.in = xmalloc(sizeof(*b.in));
	input_init(b.in, STDIN_FILENO, INPUT_DOTS_NONE);
	buf_init(&err, SMTPD_BS_ERR_MAX);
	/* stderr noise would corrupt nothing (stdout is the channel), but
	 * syslog is where -bs diagnostics belong */
	log_set_targets(LOG_TO_SYSLOG);
	smtpd_bs_reply("220 %s ESMTP postern", c->hostname);
	while ((r = smtpd_bs_read(&b, cmd, sizeof(cmd))) != 0) {
		char *arg;

		if (b.errors >= SMTPD_BS_MAX_ERRORS) {
			smtpd_bs_reply("421 4.7.0 %s Error: too many errors",
			    c->hostname);
			break;
		}
		if (r == 2) {
			smtpd_bs_reply("500 5.5.2 Error: line too long");
			b.errors++;
			continue;
		}
		arg = cmd + strcspn(cmd, " ");
		if (*arg != '\0')
			*arg++ = '\0';
		if (strcasecmp(cmd, "EHLO") == 0)
			smtpd_bs_ehlo(&b, true, arg);
		else if (strcasecmp(cmd, "HELO") == 0)
			smtpd_bs_ehlo(&b, false, arg);
		else if (strcasecmp(cmd, "MAIL") == 0)
			smtpd_bs_mail(&b, arg);
		else if (strcasecmp(cmd, "RCPT") == 0)
			smtpd_bs_rcpt(&b, arg, &err);
		else if (strcasecmp(cmd, "DATA") == 0) {
			if (*arg != '\0') {
				smtpd_bs_reply("501 5.5.4 Syntax: DATA");
				b.errors++;
			} else
				smtpd_bs_data(&b, &err);
		} else if (strcasecmp(cmd, "RSET") == 0) {
			smtpd_bs_reset(&b);
			smtpd_bs_reply("250 2.0.0 Ok");
		} else if (strcasecmp(cmd, "NOOP") == 0)
			smtpd_bs_reply("250 2.0.0 Ok");
		else if (strcasecmp(cmd, "VRFY") == 0 ||
		    strcasecmp(cmd, "EXPN") == 0)
			smtpd_bs_reply("252 2.5.2 Cannot VRFY user; try RCPT "
			    "to attempt delivery");
		else if (strcasecmp(cmd, "HELP") == 0)
			smtpd_bs_reply("214 2.0.0 Commands: EHLO HELO MAIL "
			    "RCPT DATA RSET NOOP VRFY QUIT");
		else if (strcasecmp(cmd, "QUIT") == 0) {
			smtpd_bs_reply("221 2.0.0 Bye");
			break;
		} else if (strcasecmp(cmd, "STARTTLS") == 0 ||
		    strcasecmp(cmd, "AUTH") == 0) {
			smtpd_bs_reply("502 5.5.1 Error: command not "
			    "implemented (local submission needs neither)");
		} else {
			smtpd_bs_reply("500 5.5.2 Error: command not "
			    "recognized");
			b.errors++;
		}
	}
	smtpd_bs_reset(&b);
	buf_free(&err);
	free(b.in);
	return EX_OK;
}
