/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr.c - RFC 5321/5322 address parsing, and the envelope check
 * (qualification and masquerading: addrq.c, which calls this file).
 *
 * Owns: the address-list grammar (RFC 5322 3.4 with the obsolete forms of
 * section 4.4 that real mailers still send), its UTF-8 extension (RFC 6532),
 * and the envelope-safety rule that keeps CR, LF and other specials out of
 * SMTP commands and the spool (RFC 5321 4.1.2, 4.5.3.1).
 *
 * Never: recurses (comments are skipped with a depth counter, so "(((...."
 * cannot exhaust the stack), reads past the given length, allocates more
 * than ADDR_MAX_LEN per address and ADDR_LIST_MAX addresses, or logs.
 * The parser is lenient where that is harmless (empty list elements,
 * "a..b" local parts, a missing ';' at the end of a group) and strict where
 * a wrong guess could send mail elsewhere (unbalanced quotes, comments,
 * brackets, text after '>').
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "addr.h"
#include "addrwalk.h"
#include "util.h"

enum addr_tok {
	ADDR_T_EOF,
	ADDR_T_ATOM,		/* run of atext (and UTF-8) bytes */
	ADDR_T_QSTR,		/* "quoted string", quotes included */
	ADDR_T_DLIT,		/* [domain literal], brackets included */
	ADDR_T_SPECIAL,		/* one of < > @ , ; : . */
	ADDR_T_ERROR
};

struct addr_token {
	enum addr_tok	type;
	size_t		start;	/* raw bytes [start, end) of the input */
	size_t		end;
	int		ch;	/* the byte of an ADDR_T_SPECIAL */
};

struct addr_parser {
	const char		*s;
	size_t			 len;
	size_t			 pos;	/* lexer position */
	struct addr_token	 tok;	/* current token */
	struct buf		*err;
	const char		*why;	/* lexer error reason */
	size_t			 why_pos;
	size_t			 count;	/* mailboxes found */
	addr_found_fn		 found;
	void			*arg;
};

/* addr_list_init - empty list */
void
addr_list_init(struct addr_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

/* addr_list_add - append a copy */
int
addr_list_add(struct addr_list *l, const char *a)
{
	if (l->n >= ADDR_LIST_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		if (l->cap > ADDR_LIST_MAX)
			l->cap = ADDR_LIST_MAX;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(a);
	return 0;
}

/* addr_list_has - membership, case-insensitive */
bool
addr_list_has(const struct addr_list *l, const char *a)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], a) == 0)
			return true;
	return false;
}

/* addr_list_free - release everything */
void
addr_list_free(struct addr_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	addr_list_init(l);
}

/* addr_is_atext - RFC 5322 atext, plus every 8-bit byte (RFC 6532) */
static bool
addr_is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (c <= 0x20 || c == 0x7f)
		return false;
	return strchr("()<>[]:;@\\,.\"", c) == NULL;
}

/* addr_is_ctl - control byte (never allowed in an addr-spec) */
bool
addr_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* addr_fail - record a parse error with its byte offset */
static int
addr_fail(struct addr_parser *p, const char *why, size_t at)
{
	if (p->err != NULL) {
		buf_reset(p->err);
		buf_note(p->err, "%s (at byte %zu)", why, at);
	}
	errno = EINVAL;
	return -1;
}

/* addr_lex_error - the lexer's error becomes the current token */
static void
addr_lex_error(struct addr_parser *p, const char *why, size_t at)
{
	p->why = why;
	p->why_pos = at;
	p->tok.type = ADDR_T_ERROR;
	p->tok.start = p->tok.end = at;
}

/* addr_skip_cfws - skip folding white space and nested comments */
static int
addr_skip_cfws(struct addr_parser *p)
{
	size_t	depth, open;

	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p->pos++;
			continue;
		}
		if (c != '(')
			break;
		/* a comment: iterative, so depth costs no stack */
		open = p->pos;
		depth = 0;
		do {
			if (p->pos >= p->len) {
				addr_lex_error(p, "unbalanced '(' in comment",
				    open);
				return -1;
			}
			c = (unsigned char)p->s[p->pos++];
			if (c == '\\') {
				if (p->pos >= p->len) {
					addr_lex_error(p, "unbalanced '(' in "
					    "comment", open);
					return -1;
				}
				p->pos++;
			} else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} while (depth > 0);
	}
	return 0;
}

/* addr_next - advance to the next token */
static void
addr_next(struct addr_parser *p)
{
	size_t		i;
	unsigned char	c;

	if (p->tok.type == ADDR_T_ERROR)
		return;
	if (addr_skip_cfws(p) == -1)
		return;
	p->tok.start = p->pos;
	if (p->pos >= p->len) {
		p->tok.type = ADDR_T_EOF;
		p->tok.end = p->pos;
		return;
	}
	c = (unsigned char)p->s[p->pos];
	i = p->pos + 1;
	switch (c) {
	case '"':
		for (;;) {
			if (i >= p->len) {
				addr_lex_error(p, "unbalanced '\"'", p->pos);
				return;
			}
			if (p->s[i] == '\\') {
				if (i + 1 >= p->len) {
					addr_lex_error(p, "unbalanced '\"'",
					    p->pos);
					return;
				}
				i += 2;
				continue;
			}
			if (p->s[i++] == '"')
				break;
		}
		p->tok.type = ADDR_T_QSTR;
		break;
	case '[':
		for (;;) {
			if (i >= p->len) {
				addr_lex_error(p, "unbalanced '['", p->pos);
				return;
			}
			if (p->s[i] == '\\') {
				if (i + 1 >= p->len) {
					addr_lex_error(p, "unbalanced '['",
					    p->pos);
					return;
				}
				i += 2;
				continue;
			}
			if (p->s[i] == '[') {
				addr_lex_error(p, "'[' inside a domain "
				    "literal", i);
				return;
			}
			if (p->s[i++] == ']')
				break;
		}
		p->tok.type = ADDR_T_DLIT;
		break;
	case ')':
		addr_lex_error(p, "unbalanced ')'", p->pos);
		return;
	case ']':
		addr_lex_error(p, "unbalanced ']'", p->pos);
		return;
	case '\\':
		addr_lex_error(p, "backslash outside quotes", p->pos);
		return;
	case '<': case '>': case '@': case ',': case ';': case ':': case '.':
		p->tok.type = ADDR_T_SPECIAL;
		p->tok.ch = c;
		break;
	default:
		if (!addr_is_atext(c)) {
			addr_lex_error(p, "control character in address",
			    p->pos);
			return;
		}
		while (i < p->len && addr_is_atext((unsigned char)p->s[i]))
			i++;
		p->tok.type = ADDR_T_ATOM;
		break;
	}
	p->tok.end = i;
	p->pos = i;
}

/* addr_rewind - restart the lexer at offset (a token start seen before) */
static void
addr_rewind(struct addr_parser *p, size_t offset)
{
	p->pos = offset;
	p->tok.type = ADDR_T_EOF;
	addr_next(p);
}

/* addr_is_sp - current token is the special byte c */
static bool
addr_is_sp(const struct addr_parser *p, int c)
{
	return p->tok.type == ADDR_T_SPECIAL && p->tok.ch == c;
}

/* addr_tok_fail - error at the current token */
static int
addr_tok_fail(struct addr_parser *p, const char *why)
{
	if (p->tok.type == ADDR_T_ERROR)
		return addr_fail(p, p->why, p->why_pos);
	return addr_fail(p, why, p->tok.start);
}

/* addr_put_unfolded - append raw bytes minus CR/LF; refuse control bytes */
static int
addr_put_unfolded(struct addr_parser *p, struct buf *b, size_t from,
    size_t to, bool unescape)
{
	size_t		i;
	unsigned char	c;

	for (i = from; i < to; i++) {
		c = (unsigned char)p->s[i];
		if (c == '\r' || c == '\n')
			continue;
		if (unescape && c == '\\' && i + 1 < to) {
			c = (unsigned char)p->s[++i];
			if (c == '\r' || c == '\n')
				continue;
		}
		if (addr_is_ctl(c))
			return addr_fail(p, "control character in address", i);
		if (buf_putc(b, c) == -1)
			return addr_fail(p, "address longer than "
			    "ADDR_MAX_LEN (998) bytes", from);
	}
	return 0;
}

/* addr_is_dot_atom - s is a valid RFC 5322 dot-atom-text */
static bool
addr_is_dot_atom(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!addr_is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* addr_quote_local - append the local part, quoted only if it needs it */
static int
addr_quote_local(struct buf *spec, const struct buf *lp)
{
	size_t	i;

	if (addr_is_dot_atom(lp->data, lp->len))
		return buf_append(spec, lp->data, lp->len);
	if (buf_putc(spec, '"') == -1)
		return -1;
	for (i = 0; i < lp->len; i++) {
		if ((lp->data[i] == '"' || lp->data[i] == '\\') &&
		    buf_putc(spec, '\\') == -1)
			return -1;
		if (buf_putc(spec, lp->data[i]) == -1)
			return -1;
	}
	return buf_putc(spec, '"');
}

/*
 * addr_parse_spec - addr-spec at the current token: local-part ["@" domain].
 * Calls the found callback with the normalised form.
 */
static int
addr_parse_spec(struct addr_parser *p)
{
	struct buf	lp, spec;
	size_t		local_end = 0, spec_start = p->tok.start;
	bool		last_word = false, qualified = false;
	int		rc = -1;

	buf_init(&lp, ADDR_MAX_LEN);
	buf_init(&spec, ADDR_MAX_LEN);
	for (;;) {
		if (p->tok.type == ADDR_T_ATOM || p->tok.type == ADDR_T_QSTR) {
			if (last_word) {
				addr_tok_fail(p, "unquoted space in address "
				    "(quote the local part or use "
				    "\"Name <addr>\")");
				goto out;
			}
			if (p->tok.type == ADDR_T_ATOM) {
				if (addr_put_unfolded(p, &lp, p->tok.start,
				    p->tok.end, false) == -1)
					goto out;
			} else if (addr_put_unfolded(p, &lp, p->tok.start + 1,
			    p->tok.end - 1, true) == -1)
				goto out;
			last_word = true;
		} else if (addr_is_sp(p, '.')) {
			if (buf_putc(&lp, '.') == -1) {
				addr_fail(p, "address longer than "
				    "ADDR_MAX_LEN (998) bytes", spec_start);
				goto out;
			}
			last_word = false;
		} else
			break;
		local_end = p->tok.end;
		addr_next(p);
	}
	if (lp.len == 0) {
		addr_tok_fail(p, "empty local part");
		goto out;
	}
	if (addr_quote_local(&spec, &lp) == -1) {
		addr_fail(p, "address longer than ADDR_MAX_LEN (998) bytes",
		    spec_start);
		goto out;
	}
	if (addr_is_sp(p, '@')) {
		size_t	dom_start;

		addr_next(p);
		dom_start = spec.len;
		if (buf_putc(&spec, '@') == -1) {
			addr_fail(p, "address longer than ADDR_MAX_LEN "
			    "(998) bytes", spec_start);
			goto out;
		}
		if (p->tok.type == ADDR_T_DLIT) {
			if (addr_put_unfolded(p, &spec, p->tok.start,
			    p->tok.end, false) == -1)
				goto out;
			addr_next(p);
		} else {
			last_word = false;
			while (p->tok.type == ADDR_T_ATOM ||
			    addr_is_sp(p, '.')) {
				bool	word = p->tok.type == ADDR_T_ATOM;

				if (word == last_word) {
					addr_tok_fail(p, word ?
					    "unquoted space in domain" :
					    "empty label in domain");
					goto out;
				}
				if (addr_put_unfolded(p, &spec, p->tok.start,
				    p->tok.end, false) == -1)
					goto out;
				last_word = word;
				addr_next(p);
			}
			if (spec.len == dom_start + 1) {
				addr_tok_fail(p, "missing domain after '@'");
				goto out;
			}
			if (!last_word) {
				addr_fail(p, "domain ends with '.'",
				    p->tok.start);
				goto out;
			}
		}
		qualified = true;
	}
	if (p->tok.type == ADDR_T_ERROR) {
		addr_tok_fail(p, "");
		goto out;
	}
	if (++p->count > ADDR_LIST_MAX) {
		addr_fail(p, "more than ADDR_LIST_MAX (10000) addresses",
		    spec_start);
		goto out;
	}
	rc = p->found(p->arg, buf_cstr(&spec), qualified, local_end);
out:
	buf_free(&lp);
	buf_free(&spec);
	return rc;
}

/* addr_parse_angle - "<" [route ":"] addr-spec ">" or "<>" */
static int
addr_parse_angle(struct addr_parser *p)
{
	size_t	open = p->tok.start;

	addr_next(p);
	if (addr_is_sp(p, '>')) {
		addr_next(p);
		return 0;
	}
	if (addr_is_sp(p, '@')) {
		/* obsolete source route: skipped, never used */
		while (p->tok.type == ADDR_T_ATOM ||
		    p->tok.type == ADDR_T_DLIT || addr_is_sp(p, '.') ||
		    addr_is_sp(p, '@') || addr_is_sp(p, ','))
			addr_next(p);
		if (!addr_is_sp(p, ':'))
			return addr_tok_fail(p, "bad source route in <...>");
		addr_next(p);
	}
	if (addr_parse_spec(p) == -1)
		return -1;
	if (!addr_is_sp(p, '>')) {
		if (p->tok.type == ADDR_T_EOF)
			return addr_fail(p, "missing '>'", open);
		return addr_tok_fail(p, "unexpected text inside <...>");
	}
	addr_next(p);
	return 0;
}

/* addr_at_end_of_element - current token ends a list element */
static bool
addr_at_end_of_element(const struct addr_parser *p, bool in_group)
{
	return p->tok.type == ADDR_T_EOF || addr_is_sp(p, ',') ||
	    (in_group && addr_is_sp(p, ';'));
}

/* addr_walk - parse an address list, calling found for each mailbox */
int
addr_walk(const char *s, size_t len, addr_found_fn found, void *arg,
    struct buf *err)
{
	struct addr_parser	p;
	bool			in_group = false;
	size_t			start, i;
	const char		*nul;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	p.err = err;
	p.found = found;
	p.arg = arg;
	if (len > ADDR_INPUT_MAX)
		return addr_fail(&p, "header value longer than "
		    "ADDR_INPUT_MAX bytes", ADDR_INPUT_MAX);
	if ((nul = memchr(s, '\0', len)) != NULL)
		return addr_fail(&p, "NUL byte in address", (size_t)(nul - s));
	for (i = 0; i < len; i++) {
		/* a line break is only allowed as folding: [CR] LF WSP */
		if (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'))
			return addr_fail(&p, "bare CR in address", i);
		if (s[i] == '\n' && (i + 1 >= len ||
		    (s[i + 1] != ' ' && s[i + 1] != '\t')))
			return addr_fail(&p, "line break in address that is "
			    "not folding (CR/LF must be followed by a space)",
			    i);
	}
	p.tok.type = ADDR_T_EOF;
	addr_next(&p);
	for (;;) {
		if (p.tok.type == ADDR_T_ERROR)
			return addr_tok_fail(&p, "");
		if (p.tok.type == ADDR_T_EOF)
			break;
		if (addr_is_sp(&p, ',')) {
			addr_next(&p);
			continue;
		}
		if (addr_is_sp(&p, ';')) {
			if (!in_group)
				return addr_tok_fail(&p, "';' outside a "
				    "group");
			in_group = false;
			addr_next(&p);
			continue;
		}
		/* look ahead over a phrase to learn what the element is */
		start = p.tok.start;
		while (p.tok.type == ADDR_T_ATOM ||
		    p.tok.type == ADDR_T_QSTR || p.tok.type == ADDR_T_DLIT ||
		    addr_is_sp(&p, '.') || addr_is_sp(&p, '@'))
			addr_next(&p);
		if (addr_is_sp(&p, '<')) {
			if (addr_parse_angle(&p) == -1)
				return -1;
		} else if (addr_is_sp(&p, ':')) {
			if (in_group)
				return addr_tok_fail(&p, "group inside a "
				    "group");
			in_group = true;
			addr_next(&p);
			continue;
		} else if (addr_at_end_of_element(&p, in_group)) {
			addr_rewind(&p, start);
			if (addr_parse_spec(&p) == -1)
				return -1;
		} else
			return addr_tok_fail(&p, p.tok.type ==
			    ADDR_T_SPECIAL && p.tok.ch == '>' ?
			    "'>' without '<'" : "unexpected character");
		if (!addr_at_end_of_element(&p, in_group))
			return addr_tok_fail(&p, "expected ',' between "
			    "addresses");
	}
	return 0;
}

struct addr_collect {
	struct addr_list	*out;
	struct buf		*err;
};

/* addr_collect_one - found callback that appends to a list */
static int
addr_collect_one(void *arg, const char *spec, bool qualified,
    size_t local_end)
{
	struct addr_collect	*c = arg;

	if (addr_list_add(c->out, spec) == -1) {
		if (c->err != NULL) {
			buf_reset(c->err);
			buf_note(c->err, "more than ADDR_LIST_MAX "
			    "(10000) addresses");
		}
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* addr_parse_header_mem - parse an address list of len bytes */
int
addr_parse_header_mem(const char *value, size_t len, struct addr_list *out,
    struct buf *err)
{
	struct addr_collect	c = { out, err };

	return addr_walk(value, len, addr_collect_one, &c, err);
}

/* addr_parse_header - parse an address list header value */
int
addr_parse_header(const char *value, struct addr_list *out, struct buf *err)
{
	return addr_parse_header_mem(value, strlen(value), out, err);
}

/* addr_parse_arg - a command-line recipient argument */
int
addr_parse_arg(const char *arg, struct addr_list *out, struct buf *err)
{
	size_t	before = out->n;

	if (addr_parse_header(arg, out, err) == -1)
		return -1;
	if (out->n == before) {
		if (err != NULL) {
			buf_reset(err);
			buf_note(err, "no address in recipient "
			    "argument");
		}
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* addr_set_err - replace err's text */
static void
addr_set_err(struct buf *err, const char *text)
{
	if (err != NULL) {
		buf_reset(err);
		buf_note(err, "%s", text);
	}
}

/*
 * addr_group_syntax - offset of an unquoted ':' or ';' outside angle
 * brackets and comments (RFC 5322 group syntax: "x:y;"), or -1.  A
 * route "<@a:b@c>" is inside angle brackets and does not count.
 */
static ssize_t
addr_group_syntax(const char *p, size_t n)
{
	size_t	i;
	int	angle = 0, comment = 0;
	bool	quoted = false;

	for (i = 0; i < n; i++) {
		if ((quoted || comment > 0) && p[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (quoted) {
			quoted = p[i] != '"';
			continue;
		}
		if (comment > 0) {
			comment += p[i] == '(' ? 1 : p[i] == ')' ? -1 : 0;
			continue;
		}
		switch (p[i]) {
		case '"':
			quoted = true;
			break;
		case '(':
			comment = 1;
			break;
		case '<':
			angle++;
			break;
		case '>':
			if (angle > 0)
				angle--;
			break;
		case ':':
		case ';':
			if (angle == 0)
				return (ssize_t)i;
			break;
		default:
			break;
		}
	}
	return -1;
}

/* addr_parse_sender - the -f / -r value */
int
addr_parse_sender(const char *s, char **out, struct buf *err)
{
	struct addr_list	l;
	const char		*p, *e;
	int			rc = -1;

	*out = NULL;
	addr_list_init(&l);
	p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == p || (e - p == 2 && p[0] == '<' && p[1] == '>')) {
		*out = xstrdup("");
		return 0;
	}
	/* "x:y;" would parse as a group and give y: never guess */
	if (addr_group_syntax(p, (size_t)(e - p)) != -1) {
		addr_set_err(err, "group syntax or a header (':' or ';') "
		    "in the sender");
		errno = EINVAL;
		goto out;
	}
	if (addr_parse_header_mem(p, (size_t)(e - p), &l, err) == -1)
		goto out;
	if (l.n != 1) {
		addr_set_err(err, l.n == 0 ? "no address in sender" :
		    "more than one address in sender");
		errno = EINVAL;
		goto out;
	}
	if (!addr_valid_envelope(l.v[0])) {
		addr_set_err(err, "sender address is not usable in SMTP "
		    "(too long or contains control characters)");
		errno = EINVAL;
		goto out;
	}
	*out = xstrdup(l.v[0]);
	rc = 0;
out:
	addr_list_free(&l);
	return rc;
}

/* addr_valid_envelope - safe between <> in SMTP and in the spool */
bool
addr_valid_envelope(const char *a)
{
	size_t		i, len, at = 0, ats = 0;
	bool		in_q = false, in_lit = false, lit_done = false;
	unsigned char	c;

	len = strlen(a);
	if (len == 0)
		return true;
	if (len > ADDR_ENVELOPE_MAX)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)a[i];
		if (addr_is_ctl(c) || lit_done)
			return false;
		if (in_q) {
			if (c == '\\') {
				c = (unsigned char)a[++i];
				if (c == '\0' || addr_is_ctl(c))
					return false;
			} else if (c == '"') {
				in_q = false;
				if (a[i + 1] != '@' && a[i + 1] != '.' &&
				    a[i + 1] != '\0')
					return false;
			}
			continue;
		}
		if (in_lit) {
			if (c == ']') {
				in_lit = false;
				lit_done = true;
			} else if (c == '[' || c == '\\' || c == ' ')
				return false;
			continue;
		}
		switch (c) {
		case '"':
			if (ats > 0 || (i > 0 && a[i - 1] != '.'))
				return false;
			in_q = true;
			break;
		case '[':
			if (ats != 1 || i != at + 1)
				return false;
			in_lit = true;
			break;
		case '@':
			if (++ats > 1)
				return false;
			at = i;
			break;
		case ' ': case '<': case '>': case '(': case ')': case ']':
		case ',': case ';': case ':': case '\\':
			return false;
		default:
			break;
		}
	}
	if (in_q || in_lit)
		return false;
	if (ats == 1 && (at == 0 || at == len - 1))
		return false;
	return true;
}
