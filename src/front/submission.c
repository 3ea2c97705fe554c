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

		while ((idx = header_find(hb, names[i],
		    (size_t)(idx + 1))) >= 0) {
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
	for (idx = 0; (idx = header_find(hb, "From", (size_t)idx)) >= 0;
	    idx++) {
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
					hit = strncasecmp(p + 1, locals[k],
					    dl) == 0 && strchr(">, \t\r\n)",
					    p[1 + dl]) != NULL;
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

/* one message on its way through submission_run's steps */
struct submission_msg {
	struct header_block	 hb;	/* the header section, bounded */
	struct buf		 line;	/* a line being read; after the
					   header, the first body line */
	struct envelope		 env;
	char			*sender;	/* owned */
	bool			 body_line;	/* line holds the first
						   body line */
	bool			 complete;	/* ... and it ended in LF */
	bool			 more;		/* input left after the
						   header */
	uint64_t		 total;		/* bytes handed over */
};

/* submission_msg_init - empty, with the header limits of c */
static void
submission_msg_init(struct submission_msg *m, const struct conf *c)
{
	memset(m, 0, sizeof(*m));
	/* room for the fields the rules add; the input's limit is below */
	header_block_init(&m->hb, c->max_header_size + SUBMISSION_ADDED_MAX);
	buf_init(&m->line, c->max_header_size + INPUT_PIECE_MAX);
	envelope_init(&m->env);
	m->more = true;
}

/* submission_msg_free - release */
static void
submission_msg_free(struct submission_msg *m)
{
	envelope_free(&m->env);
	free(m->sender);
	buf_free(&m->line);
	header_block_free(&m->hb);
}

/*
 * submission_header_refused - why header_block_feed_line refused a
 * line: memory, too many fields, or too large
 */
static int
submission_header_refused(struct submission *s,
    const struct header_block *hb, struct buf *err)
{
	if (errno == ENOMEM) {
		buf_note(err, "read message header: %s", strerror(errno));
		return EX_OSERR;
	}
	if (hb->n >= HEADER_FIELDS_MAX) {
		buf_note(err, "message header section has more than %d "
		    "fields: send fewer header fields", HEADER_FIELDS_MAX);
		return EX_DATAERR;
	}
	return submission_too_large(s, err, "");
}

/*
 * submission_read_header - step 1: the header section, bounded: its size
 * as read (each line with its LF, the blank separator line not counted)
 * may be max_header_size, not one byte more (doc/input.md).  A line that
 * cannot be a header field ends it and is kept as the first body line.
 * Returns EX_OK, or a sysexits code with the reason in err.
 */
static int
submission_read_header(struct submission *s, struct input *in,
    struct submission_msg *m, struct buf *err)
{
	const struct conf	*c = s->conf;
	const char		*p;
	size_t			 n;
	int			 r;

	for (;;) {
		r = input_next(in, &p, &n, &m->complete);
		if (r == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			return EX_IOERR;
		}
		if (r == 0) {
			m->more = false;
			break;
		}
		/* line holds at most max_header_size + one piece: only
		   ENOMEM can fail */
		if (buf_append(&m->line, p, n) == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			return EX_OSERR;
		}
		if (!m->complete || m->line.len > c->max_header_size) {
			if (!submission_looks_like_header(m->line.data,
			    m->line.len)) {
				m->body_line = true;	/* rest streams */
				break;
			}
			if (m->line.len > c->max_header_size)
				return submission_too_large(s, err, "");
			continue;
		}
		r = header_block_feed_line(&m->hb, m->line.data, m->line.len);
		if (r == HEADER_MORE) {
			buf_reset(&m->line);
			if (m->hb.size > c->max_header_size)
				return submission_too_large(s, err, "");
			continue;
		}
		if (r == HEADER_BODY) {
			m->body_line = true;	/* the first body line */
			break;
		}
		if (r == HEADER_END) {
			buf_reset(&m->line);
			break;
		}
		return submission_header_refused(s, &m->hb, err);
	}
	if (!m->more && in->dots == INPUT_DOTS_SMTP &&
	    in->end != INPUT_END_DOT) {
		buf_note(err, "connection ended inside DATA");
		return EX_DATAERR;
	}
	return EX_OK;
}

/*
 * submission_prepare - step 2: the recipients (-t from the header), the
 * sender, the header rules, and the envelope.  EX_OK, or a sysexits code
 * with the reason in err.
 */
static int
submission_prepare(struct submission *s, struct submission_msg *m,
    struct buf *err)
{
	int	rc;

	if (s->extract_rcpts &&
	    (rc = submission_extract(s, &m->hb, err)) != EX_OK)
		return rc;
	if (s->rcpts.n == 0) {
		buf_note(err, "no recipients: give them as arguments, or "
		    "use -t with To, Cc or Bcc headers");
		return EX_USAGE;
	}
	if ((m->sender = submission_sender(s, &rc, err)) == NULL)
		return rc;
	if ((rc = submission_rewrite(s, &m->hb, m->sender, err)) != EX_OK)
		return rc;
	return submission_envelope(s, m->sender, &m->env, err);
}

/*
 * submission_stream - step 3: hand over, streaming: the header fields,
 * the blank line, the first body line, then the body as it is read,
 * until the input ends or passes max_message_size.  Returns EX_OK, or
 * EX_IOERR on a read error (reason in err); with *broken set and
 * EX_TEMPFAIL when a write failed: the helper quit, and its verdict
 * (submit_commit) says why.
 */
static int
submission_stream(struct submission *s, struct input *in,
    struct submission_msg *m, struct submit *sub, bool *broken,
    struct buf *err)
{
	const struct conf	*c = s->conf;
	const char		*p;
	size_t			 n, i;
	int			 r;

	*broken = false;
	for (i = 0; i < header_count(&m->hb); i++) {
		size_t		 rlen;
		const char	*raw = header_raw(&m->hb, i, &rlen);

		if (submission_send(sub, raw, rlen, &m->total) == -1)
			goto quit;
	}
	if (submission_send(sub, "\n", 1, &m->total) == -1)
		goto quit;
	if (m->body_line && (submission_send(sub, m->line.data, m->line.len,
	    &m->total) == -1 || (m->complete && submission_send(sub, "\n", 1,
	    &m->total) == -1)))
		goto quit;
	while (m->more && m->total <= c->max_message_size) {
		r = input_next(in, &p, &n, &m->complete);
		if (r == -1) {
			buf_note(err, "read message: %s", strerror(errno));
			return EX_IOERR;
		}
		if (r == 0)
			break;
		if (submission_send(sub, p, n, &m->total) == -1 ||
		    (m->complete && submission_send(sub, "\n", 1,
		    &m->total) == -1))
			goto quit;
	}
	return EX_OK;
quit:
	*broken = true;
	return EX_TEMPFAIL;
}

/*
 * submission_check_end - step 4: what was streamed is the whole message:
 * not over max_message_size, and with -bs ended by the final dot.
 * EX_OK, or EX_DATAERR with the reason in err.
 */
static int
submission_check_end(const struct submission *s, const struct input *in,
    const struct submission_msg *m, struct buf *err)
{
	const struct conf	*c = s->conf;
	char			 lim[32];

	if (m->total > c->max_message_size) {
		buf_note(err, "message is larger than max_message_size (%s):"
		    " send a smaller message or raise max_message_size in %s",
		    format_size(c->max_message_size, lim, sizeof(lim)),
		    c->path ? c->path : "the configuration");
		return EX_DATAERR;
	}
	if (in->dots == INPUT_DOTS_SMTP && in->end != INPUT_END_DOT) {
		buf_note(err, "connection ended inside DATA");
		return EX_DATAERR;
	}
	return EX_OK;
}

/*
 * submission_run - the data path of one message: read the header (1),
 * resolve recipients and sender and apply the header rules (2), open
 * postern-drop and stream the message to it (3), check that it was
 * whole (4), and commit; only postern-drop's confirmation is EX_OK.
 */
int
submission_run(struct submission *s, struct input *in, struct qid *qid,
    struct buf *err)
{
	struct submission_msg	 m;
	struct submit		*sub = NULL;
	char			 changes[256];
	bool			 broken;
	int			 rc;

	submission_msg_init(&m, s->conf);
	if ((rc = submission_read_header(s, in, &m, err)) != EX_OK ||
	    (rc = submission_prepare(s, &m, err)) != EX_OK)
		goto out;
	if ((sub = submit_open(s->conf->drop_program, s->config_path, &m.env,
	    err)) == NULL) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	rc = submission_stream(s, in, &m, sub, &broken, err);
	if (broken) {
		rc = submit_commit(sub, qid, err);	/* collects why */
		sub = NULL;
		if (rc == EX_OK)
			rc = EX_TEMPFAIL;
		goto out;
	}
	if (rc != EX_OK || (rc = submission_check_end(s, in, &m, err)) !=
	    EX_OK)
		goto out;
	rc = submit_commit(sub, qid, err);
	sub = NULL;
	if (rc == EX_OK) {
		input_changes(in, changes, sizeof(changes));
		if (changes[0] != '\0')
			log_info("%s: input normalised: %s", qid->s, changes);
	}
out:
	if (sub != NULL)
		submit_abort(sub);
	submission_msg_free(&m);
	return rc;
}
