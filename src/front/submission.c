/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submission.c - the submission flow shared by sendmail -bm/-t and -bs.
 *
 * Owns the header rules (DESIGN.md "sendmail compatibility"): Bcc and
 * Resent-Bcc removed in every mode, Return-Path and Content-Length
 * dropped, From/Date/Message-ID added when missing and never duplicated,
 * bare names in address headers qualified, everything else kept byte for
 * byte.  Holds only the header section in memory (bounded by
 * max_header_size); the header fields and the body stream to postern-drop
 * through submit_write, which sends fixed pipe chunks, so no buffer here
 * has to hold "the header plus some body" (a fixed one once cut the body
 * after a large header).  Never cuts: a limit is a refusal naming the key
 * to raise.  Never exits: it returns a sysexits code and a reason, and
 * never reports success before postern-drop confirmed the commit.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "header.h"
#include "log.h"
#include "spool.h"
#include "submission.h"
#include "submit.h"
#include "util.h"

#define SUBMISSION_ERR_MAX	4096
#define SUBMISSION_ADDED_MAX	4096	/* room for From/Date/Message-ID
					   on top of max_header_size */

/* headers whose addresses are qualified when bare */
static const char *const submission_addr_headers[] = {
	"From", "Sender", "Reply-To", "To", "Cc",
	"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
};

/* headers removed in every mode (Postfix cleanup does the same) */
static const char *const submission_drop_headers[] = {
	"Bcc", "Resent-Bcc", "Return-Path", "Content-Length",
};

/* submitter_init - who runs us */
void
submitter_init(struct submitter *w)
{
	struct passwd	*pw;
	char		*comma, *amp;

	w->uid = getuid();
	if ((pw = getpwuid(w->uid)) != NULL) {
		w->login = xstrdup(pw->pw_name);
		w->fullname = xstrdup(pw->pw_gecos ? pw->pw_gecos : "");
	} else {
		w->login = xasprintf("uid%u", (unsigned)w->uid);
		w->fullname = xstrdup("");
	}
	/* GECOS: "Full Name,room,phone,..."; '&' means the login name */
	if ((comma = strchr(w->fullname, ',')) != NULL)
		*comma = '\0';
	if ((amp = strchr(w->fullname, '&')) != NULL) {
		char *expanded;

		*amp = '\0';
		expanded = xasprintf("%s%c%s%s", w->fullname,
		    w->login[0] >= 'a' && w->login[0] <= 'z' ?
		    w->login[0] - 'a' + 'A' : w->login[0], w->login + 1,
		    amp + 1);
		free(w->fullname);
		w->fullname = expanded;
	}
}

/* submitter_free - release */
void
submitter_free(struct submitter *w)
{
	free(w->login);
	free(w->fullname);
	w->login = w->fullname = NULL;
}

/* submission_init - empty submission */
void
submission_init(struct submission *s, const struct conf *c,
    const struct rcpt_resolver *r, const struct submitter *w)
{
	memset(s, 0, sizeof(*s));
	s->conf = c;
	s->resolver = r;
	s->who = w;
	addr_list_init(&s->rcpts);
}

/* submission_free - release */
void
submission_free(struct submission *s)
{
	addr_list_free(&s->rcpts);
	addr_list_init(&s->rcpts);
}

/* submission_resolve_list - resolve every address of a parsed list */
static int
submission_resolve_list(struct submission *s, const struct addr_list *l,
    struct buf *err)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (rcpt_resolve(s->resolver, l->v[i], &s->rcpts, err) == -1)
			return EX_NOUSER;
	return EX_OK;
}

/* submission_add_rcpt_arg - one command-line recipient word */
int
submission_add_rcpt_arg(struct submission *s, const char *arg,
    struct buf *err)
{
	struct addr_list	l;
	int			rc;

	addr_list_init(&l);
	if (addr_parse_arg(arg, &l, err) == -1) {
		addr_list_free(&l);
		return EX_DATAERR;
	}
	rc = submission_resolve_list(s, &l, err);
	addr_list_free(&l);
	return rc;
}

/* submission_extract - -t: recipients from To/Cc/Bcc or Resent-* */
static int
submission_extract(struct submission *s, struct header_block *hb,
    struct buf *err)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const resent[] = {
		"Resent-To", "Resent-Cc", "Resent-Bcc" };
	const char *const	*names = plain;
	struct addr_list	 l;
	size_t			 i;
	int			 rc = EX_OK;

	for (i = 0; i < 3; i++)
		if (header_find(hb, resent[i], 0) >= 0)
			names = resent;
	addr_list_init(&l);
	for (i = 0; i < 3 && rc == EX_OK; i++) {
		int	 idx = -1;

		while ((idx = header_find(hb, names[i], (size_t)(idx + 1))) >= 0) {
			const char *v = header_value(hb, (size_t)idx);

			if (v != NULL && addr_parse_header(v, &l, err) == -1) {
				buf_note(err, " (in the %s header)",
				    names[i]);
				rc = EX_DATAERR;
				break;
			}
		}
	}
	if (rc == EX_OK)
		rc = submission_resolve_list(s, &l, err);
	addr_list_free(&l);
	return rc;
}

/*
 * submission_sender - the envelope sender: -f, or login@domain.  NULL
 * with *rc EX_USAGE when -f is not one address (a command-line error),
 * EX_DATAERR when the result is no usable address.
 */
static char *
submission_sender(struct submission *s, int *rc, struct buf *err)
{
	const struct conf	*c = s->conf;
	char			*a = NULL, *q;

	*rc = EX_DATAERR;
	if (s->sender != NULL) {
		if (addr_parse_sender(s->sender, &a, err) == -1) {
			/* the parser's reason, then what was given */
			if (buf_printf(err, ": -f '%.200s' refused: give "
			    "one address, user@domain", s->sender) == -1)
				log_debug("the -f refusal lost its suffix");
			*rc = EX_USAGE;
			return NULL;
		}
		if (a[0] == '\0')
			return a;		/* null sender */
	} else
		a = xstrdup(s->who->login);
	if (!addr_is_qualified(a)) {
		q = addr_qualify(a, c->domain);
		free(a);
		a = q;
	}
	if (c->masquerade_domain != NULL && c->masquerade_domain[0] != '\0') {
		const char *dom = strrchr(a, '@') + 1;

		if (strcasecmp(dom, c->domain) == 0 ||
		    strcasecmp(dom, c->hostname) == 0) {
			q = addr_domain_masquerade(a, c->masquerade_domain);
			free(a);
			a = q;
		}
	}
	if (!addr_valid_envelope(a)) {
		buf_note(err, "sender <%s>: not a valid address: give -f "
		    "user@domain", a);
		free(a);
		return NULL;
	}
	return a;
}

/*
 * submission_too_large - the refusal for a header section over the limit:
 * what went over, and the key to raise
 */
static int
submission_too_large(const struct submission *s, struct buf *err,
    const char *what)
{
	const struct conf	*c = s->conf;
	char			 lim[32];

	buf_note(err, "message header section is larger than max_header_size "
	    "(%s, %llu bytes)%s: send a smaller header or raise "
	    "max_header_size in %s", format_size(c->max_header_size, lim,
	    sizeof(lim)), (unsigned long long)c->max_header_size, what,
	    c->path ? c->path : "the configuration");
	return EX_DATAERR;
}

/* submission_masquerade_from - rewrite "@domain" in From when asked */
static int
submission_masquerade_from(struct submission *s, struct header_block *hb)
{
	const struct conf	*c = s->conf;
	int			 idx;
	struct buf		 out;
	const char		*locals[2];
	int			 rc = 0;

	if (!c->masquerade_from || c->masquerade_domain == NULL ||
	    c->masquerade_domain[0] == '\0')
		return 0;
	locals[0] = c->domain;
	locals[1] = c->hostname;
	buf_init(&out, c->max_header_size);
	for (idx = 0; (idx = header_find(hb, "From", (size_t)idx)) >= 0; idx++) {
		size_t	 vlen = 0;
		const char *raw = header_raw_value(hb, (size_t)idx, &vlen);
		char	*v = xstrndup(raw ? raw : "", raw ? vlen : 0), *p = v;
		bool	 changed = false;

		buf_reset(&out);
		while (*p != '\0') {
			size_t	k, dl = 0;
			bool	hit = false;

			if (*p == '@')
				for (k = 0; k < 2 && !hit; k++) {
					dl = strlen(locals[k]);
					if (strncasecmp(p + 1, locals[k], dl) == 0 &&
					    strchr(">, \t\r\n)", p[1 + dl]) != NULL)
						hit = true;
				}
			if (hit) {
				if (buf_putc(&out, '@') == -1 ||
				    buf_puts(&out, c->masquerade_domain) == -1)
					break;
				p += 1 + dl;
				changed = true;
			} else if (buf_putc(&out, *p++) == -1)
				break;
		}
		if (buf_error(&out) != 0 || (changed && header_replace_value(hb,
		    (size_t)idx, buf_cstr(&out)) == -1))
			rc = -1;
		free(v);
		if (rc == -1)
			break;
	}
	buf_free(&out);
	return rc;
}

/* submission_rewrite - the header rules */
static int
submission_rewrite(struct submission *s, struct header_block *hb,
    const char *sender, struct buf *err)
{
	const struct conf	*c = s->conf;
	struct buf		 v;
	size_t			 i;
	int			 idx;
	int			 rc = EX_DATAERR;
	char			 date[HEADER_DATE_SIZE], mid[HEADER_MSGID_SIZE];

	buf_init(&v, c->max_header_size);
	for (i = 0; i < ARRAY_SIZE(submission_drop_headers); i++)
		header_remove(hb, submission_drop_headers[i]);
	for (i = 0; i < ARRAY_SIZE(submission_addr_headers); i++) {
		for (idx = 0; (idx = header_find(hb,
		    submission_addr_headers[i], (size_t)idx)) >= 0; idx++) {
			size_t	 rlen = 0;
			const char *raw = header_raw_value(hb, (size_t)idx,
			    &rlen);
			bool	 changed = false;

			buf_reset(&v);
			/* a value that does not parse is kept as it is */
			if (raw != NULL && addr_qualify_header_mem(raw, rlen,
			    c->domain, &v, &changed) == 0 && changed &&
			    header_replace_value(hb, (size_t)idx,
			    buf_cstr(&v)) == -1) {
				rc = submission_too_large(s, err, " once bare "
				    "addresses are qualified");
				goto out;
			}
		}
	}
	if (submission_masquerade_from(s, hb) == -1) {
		rc = submission_too_large(s, err, " once From is masqueraded");
		goto out;
	}
	if (header_find(hb, "From", 0) < 0) {
		const char *name = s->fullname ? s->fullname :
		    s->who->fullname;
		char *addr = sender[0] != '\0' ? xstrdup(sender) :
		    addr_qualify(s->who->login, c->domain);

		bool named = name != NULL && name[0] != '\0';

		buf_reset(&v);
		if (named && header_encode_phrase(name, &v) == -1) {
			/* said, not hidden: the From line goes without it */
			log_warnx("full name (-F or GECOS) longer than %d "
			    "bytes: From is the address alone",
			    HEADER_PHRASE_MAX);
			buf_reset(&v);
			named = false;
		}
		if ((named ? buf_printf(&v, " <%s>", addr) :
		    buf_puts(&v, addr)) == -1) {
			free(addr);
			goto toolarge;
		}
		free(addr);
		if (header_add(hb, "From", buf_cstr(&v)) == -1)
			goto toolarge;
	}
	if (header_find(hb, "Date", 0) < 0) {
		header_date(time(NULL), date, sizeof(date));
		if (header_add(hb, "Date", date) == -1)
			goto toolarge;
	}
	if (header_find(hb, "Message-ID", 0) < 0) {
		header_message_id(c->hostname, mid, sizeof(mid));
		if (header_add(hb, "Message-ID", mid) == -1)
			goto toolarge;
	}
	rc = EX_OK;
	goto out;
toolarge:
	rc = submission_too_large(s, err, " once From, Date and Message-ID "
	    "are added");
out:
	buf_free(&v);
	return rc;
}

/* submission_envelope - build the request envelope */
static int
submission_envelope(struct submission *s, const char *sender,
    struct envelope *env, struct buf *err)
{
	size_t		i;
	unsigned	notify = 0;
	bool		utf8 = addr_is_utf8(sender);

	if (s->notify & SM_NOTIFY_NEVER)
		notify = ENVELOPE_NOTIFY_NEVER;
	else {
		if (s->notify & SM_NOTIFY_SUCCESS)
			notify |= ENVELOPE_NOTIFY_SUCCESS;
		if (s->notify & SM_NOTIFY_FAILURE)
			notify |= ENVELOPE_NOTIFY_FAILURE;
		if (s->notify & SM_NOTIFY_DELAY)
			notify |= ENVELOPE_NOTIFY_DELAY;
	}
	if (envelope_set_sender(env, sender) == -1) {
		buf_note(err, "sender <%s>: not a valid envelope address",
		    sender);
		return EX_DATAERR;
	}
	for (i = 0; i < s->rcpts.n; i++) {
		if (addr_is_utf8(s->rcpts.v[i]))
			utf8 = true;
		if (envelope_add_rcpt(env, s->rcpts.v[i], notify, NULL) == -1) {
			buf_note(err, "recipient <%s>: not a valid "
			    "envelope address (or more than %d recipients)",
			    s->rcpts.v[i], SPOOL_RCPT_MAX);
			return EX_DATAERR;
		}
	}
	env->body = s->body == SM_BODY_7BIT ? ENVELOPE_BODY_7BIT :
	    s->body == SM_BODY_8BITMIME ? ENVELOPE_BODY_8BITMIME :
	    ENVELOPE_BODY_NONE;
	env->ret = s->ret == SM_RET_FULL ? ENVELOPE_RET_FULL :
	    s->ret == SM_RET_HDRS ? ENVELOPE_RET_HDRS : ENVELOPE_RET_NONE;
	if (s->envid != NULL) {
		env->envid = xstrdup(s->envid);
	}
	if (utf8 || s->smtputf8)
		env->flags |= ENVELOPE_F_SMTPUTF8;
	return EX_OK;
}

/* submission_looks_like_header - could this line start a header field? */
static bool
submission_looks_like_header(const char *p, size_t n)
{
	size_t	i;

	if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		return true;		/* continuation */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			return i > 0;
		if (c <= 32 || c >= 127 || i >= HEADER_NAME_MAX)
			return false;
	}
	return true;			/* undecided: keep reading */
}

/*
 * submission_send - stream n bytes to the helper and count them (the
 * helper's side buffers them into pipe chunks)
 */
static int
submission_send(struct submit *sub, const void *p, size_t n,
    uint64_t *total)
{
	*total += n;
	return n > 0 ? submit_write(sub, p, n) : 0;
}

/* submission_run - read, rewrite, resolve, commit */
int
submission_run(struct submission *s, struct input *in, struct qid *qid,
    struct buf *err)
{
	const struct conf	*c = s->conf;
	struct header_block	 hb;
	struct buf		 line;
	struct envelope		 env;
	struct submit		*sub = NULL;
	char			*sender = NULL;
	const char		*p;
	size_t			 n, i;
	bool			 complete, body_line = false, more = true;
	uint64_t		 total = 0;
	int			 rc = EX_SOFTWARE, r;
	char			 changes[256];

	/* room for the fields the rules add; the input's limit is below */
	header_block_init(&hb, c->max_header_size + SUBMISSION_ADDED_MAX);
	buf_init(&line, c->max_header_size + INPUT_PIECE_MAX);
	envelope_init(&env);

	/*
	 * 1. the header section, bounded: its size as read (each line with
	 * its LF, the blank separator line not counted) may be
	 * max_header_size, not one byte more (doc/input.md)
	 */
	for (;;) {
		r = input_next(in, &p, &n, &complete);
		if (r == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			rc = EX_IOERR;
			goto out;
		}
		if (r == 0) {
			more = false;
			break;
		}
		/* line holds at most max_header_size + one piece: only
		   ENOMEM can fail */
		if (buf_append(&line, p, n) == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			rc = EX_OSERR;
			goto out;
		}
		if (!complete || line.len > c->max_header_size) {
			if (!submission_looks_like_header(line.data,
			    line.len)) {
				body_line = true;	/* rest streams */
				break;
			}
			if (line.len > c->max_header_size) {
				rc = submission_too_large(s, err, "");
				goto out;
			}
			continue;
		}
		r = header_block_feed_line(&hb, line.data, line.len);
		if (r == HEADER_MORE) {
			buf_reset(&line);
			if (hb.size > c->max_header_size) {
				rc = submission_too_large(s, err, "");
				goto out;
			}
			continue;
		}
		if (r == HEADER_BODY) {
			body_line = true;	/* line is the first body line */
			break;
		}
		if (r == HEADER_END) {
			buf_reset(&line);
			break;
		}
		if (errno == ENOMEM) {
			buf_note(err, "read message header: %s",
			    strerror(errno));
			rc = EX_OSERR;
		} else if (hb.n >= HEADER_FIELDS_MAX) {
			buf_note(err, "message header section has more than %d "
			    "fields: send fewer header fields",
			    HEADER_FIELDS_MAX);
			rc = EX_DATAERR;
		} else
			rc = submission_too_large(s, err, "");
		goto out;
	}
	if (!more && in->dots == INPUT_DOTS_SMTP &&
	    in->end != INPUT_END_DOT) {
		buf_note(err, "connection ended inside DATA");
		rc = EX_DATAERR;
		goto out;
	}

	/* 2. recipients, sender, header rules */
	if (s->extract_rcpts && (rc = submission_extract(s, &hb, err)) != EX_OK)
		goto out;
	if (s->rcpts.n == 0) {
		buf_note(err, "no recipients: give them as arguments, or "
		    "use -t with To, Cc or Bcc headers");
		rc = EX_USAGE;
		goto out;
	}
	if ((sender = submission_sender(s, &rc, err)) == NULL)
		goto out;
	if ((rc = submission_rewrite(s, &hb, sender, err)) != EX_OK)
		goto out;
	if ((rc = submission_envelope(s, sender, &env, err)) != EX_OK)
		goto out;

	/*
	 * 3. hand over, streaming: envelope, header fields, blank line,
	 * body.  A failed write means the helper quit: its verdict is
	 * collected by submit_commit.
	 */
	if ((sub = submit_open(c->drop_program, s->config_path, &env,
	    err)) == NULL) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	for (i = 0; i < header_count(&hb); i++) {
		size_t		 rlen;
		const char	*raw = header_raw(&hb, i, &rlen);

		if (submission_send(sub, raw, rlen, &total) == -1)
			goto broken;
	}
	if (submission_send(sub, "\n", 1, &total) == -1)
		goto broken;
	if (body_line && (submission_send(sub, line.data, line.len,
	    &total) == -1 || (complete && submission_send(sub, "\n", 1,
	    &total) == -1)))
		goto broken;
	while (more && total <= c->max_message_size) {
		r = input_next(in, &p, &n, &complete);
		if (r == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			rc = EX_IOERR;
			goto out;
		}
		if (r == 0)
			break;
		if (submission_send(sub, p, n, &total) == -1 ||
		    (complete && submission_send(sub, "\n", 1, &total) == -1))
			goto broken;
	}
	if (total > c->max_message_size) {
		char lim[32];

		buf_note(err, "message is larger than max_message_size (%s):"
		    " send a smaller message or raise max_message_size in %s",
		    format_size(c->max_message_size, lim, sizeof(lim)),
		    c->path ? c->path : "the configuration");
		rc = EX_DATAERR;
		goto out;
	}
	if (in->dots == INPUT_DOTS_SMTP && in->end != INPUT_END_DOT) {
		buf_note(err, "connection ended inside DATA");
		rc = EX_DATAERR;
		goto out;
	}
	rc = submit_commit(sub, qid, err);
	sub = NULL;
	if (rc == EX_OK) {
		input_changes(in, changes, sizeof(changes));
		if (changes[0] != '\0')
			log_info("%s: input normalised: %s", qid->s, changes);
	}
	goto out;
broken:
	rc = submit_commit(sub, qid, err);	/* collects why */
	sub = NULL;
	if (rc == EX_OK)
		rc = EX_TEMPFAIL;
out:
	if (sub != NULL)
		submit_abort(sub);
	envelope_free(&env);
	free(sender);
	buf_free(&line);
	header_block_free(&hb);
	return rc;
}
