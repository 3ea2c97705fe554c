/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mime7bit.c - 8-bit message to 7 bit, for a server without 8BITMIME.
 *
 * Owns: the MIME walk (RFC 2045/2046) that a downgrade needs, one pass,
 * streamed: every header field of every entity is checked (8-bit there
 * cannot be converted: the message is refused with a reason); a text
 * part (no Content-Type is text/plain, RFC 2045 5.2) not already encoded
 * is re-encoded quoted-printable (RFC 2045 6.7) and its
 * Content-Transfer-Encoding replaced; a multipart or message/rfc822
 * declared 8bit or binary is walked into and relabelled 7bit; any other
 * part, preamble and epilogue must already be 7-bit, or the message is
 * refused.  A top-level message without MIME-Version gets MIME-Version
 * and, without Content-Type, "text/plain; charset=unknown-8bit".  The
 * header section of every entity ends at its empty line or at the first
 * line that is neither a header field nor a continuation (the front
 * end's rule for the message, header.c): that line is the entity's
 * first body line, and the empty separator line is written before it.
 * Must never emit an 8-bit octet, a quoted-printable line over 76
 * octets, or output that decodes to something other than the input; must
 * give the same bytes however the input is chunked (all state lives in
 * struct mime7bit); memory is bounded (one header field, one line head,
 * the boundary stack).  Like Postfix's mime_state downgrade, written
 * afresh.  Caller: smtp_msg.c (smtp.c sets it up), before the
 * dot-stuffer; tests/unit/mime7bit.c, tests/fuzz/mime7bit.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dotstuff.h"
#include "mime7bit.h"
#include "util.h"

#define M7_STAGE	4096	/* local staging before buf_append */
/* a line that could be a boundary: "--" boundary "--" and some blanks */
#define M7_HEAD_MAX	(2 * MIME7BIT_BOUNDARY_MAX + 8)
#define M7_TYPE_MAX	64	/* "type/subtype" kept for a reason */

enum m7_mode {
	M7_HEADER,		/* an entity's header section */
	M7_QP,			/* a text body, encoded */
	M7_PASS,		/* a body that must be 7-bit already */
};

enum m7_type {
	M7_T_TEXT,
	M7_T_MULTI,
	M7_T_RFC822,
	M7_T_OTHER,
};

enum m7_line {			/* what a header line turns out to be */
	M7_L_START,		/* nothing of it seen */
	M7_L_NAME,		/* a field name so far */
	M7_L_WSP,		/* a name and blanks: a colon must follow */
	M7_L_FIELD,		/* a header field, or a continuation */
	M7_L_BODY,		/* not a header line: the first body line */
};

/* the longest field name (header.c's HEADER_NAME_MAX) */
#define M7_NAME_MAX	998

enum m7_cte {
	M7_E_NONE,		/* no field: 7bit (RFC 2045 6.1) */
	M7_E_7BIT,
	M7_E_8BIT,
	M7_E_BINARY,
	M7_E_ENCODED,		/* quoted-printable, base64 */
	M7_E_OTHER,		/* x-token: opaque */
};

struct m7_multi {
	char	boundary[MIME7BIT_BOUNDARY_MAX];
	size_t	blen;
	bool	digest;		/* parts default to message/rfc822 */
};

struct mime7bit {
	enum m7_mode	 mode;
	bool		 failed;
	char		 reason[MIME7BIT_REASON_MAX];
	unsigned long	 converted;
	/* output */
	struct buf	*out;
	char		 stage[M7_STAGE];
	size_t		 sn;
	bool		 out_err;
	/* the entity whose header section is being read */
	bool		 is_message;	/* top level, or in message/rfc822 */
	bool		 default_rfc822; /* a part of multipart/digest */
	bool		 has_ctype, has_mv;
	enum m7_type	 type;
	char		 type_name[M7_TYPE_MAX];
	enum m7_cte	 cte;
	char		 boundary[MIME7BIT_BOUNDARY_MAX];
	size_t		 blen;		/* 0: no boundary parameter */
	bool		 digest;
	struct buf	 fld;		/* the field being read */
	size_t		 line_off;	/* its current line, in fld */
	struct buf	 cte_fld;	/* Content-Transfer-Encoding fields */
	bool		 hdr_bol;	/* at the start of a header line */
	enum m7_line	 lkind;		/* what the current line is */
	/* body */
	const char	*pass_why;	/* M7_PASS: what 8-bit there means */
	bool		 bol;		/* at the start of a body line */
	char		 head[M7_HEAD_MAX];	/* may be a boundary line */
	size_t		 hlen;
	/* quoted-printable */
	size_t		 qcol;		/* octets on the output line */
	char		 pend[3];	/* the last token, not yet written */
	size_t		 plen;
	char		 pend_wsp;	/* it is this SP or HTAB, else 0 */
	/* enclosing multiparts, outermost first */
	struct m7_multi	 stack[MIME7BIT_DEPTH_MAX];
	size_t		 depth;
};

/* m7_fail - the message cannot be converted: keep the first reason */
static void m7_fail(struct mime7bit *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void
m7_fail(struct mime7bit *m, const char *fmt, ...)
{
	va_list	ap;

	if (m->failed)
		return;
	m->failed = true;
	va_start(ap, fmt);
	(void)vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
	va_end(ap);
}

/* m7_put - stage output, flushing to the buf when full */
static void
m7_put(struct mime7bit *m, const char *s, size_t n)
{
	if (m->out_err || n == 0)
		return;
	if (m->sn + n > sizeof(m->stage)) {
		if (buf_append(m->out, m->stage, m->sn) == -1) {
			m->out_err = true;
			return;
		}
		m->sn = 0;
		if (n > sizeof(m->stage)) {
			if (buf_append(m->out, s, n) == -1)
				m->out_err = true;
			return;
		}
	}
	memcpy(m->stage + m->sn, s, n);
	m->sn += n;
}

/* m7_puts - stage a C string */
static void
m7_puts(struct mime7bit *m, const char *s)
{
	m7_put(m, s, strlen(s));
}

/* m7_entity - a new entity starts with its header section */
static void
m7_entity(struct mime7bit *m, bool is_message, bool default_rfc822)
{
	m->mode = M7_HEADER;
	m->is_message = is_message;
	m->default_rfc822 = default_rfc822;
	m->has_ctype = false;
	m->has_mv = false;
	m->type = M7_T_TEXT;
	m->type_name[0] = '\0';
	m->cte = M7_E_NONE;
	m->blen = 0;
	m->digest = false;
	buf_reset(&m->fld);
	buf_reset(&m->cte_fld);
	m->line_off = 0;
	m->hdr_bol = true;
}

/* mime7bit_new - a converter at the start of a message */
struct mime7bit *
mime7bit_new(void)
{
	struct mime7bit	*m = xcalloc(1, sizeof(*m));

	buf_init(&m->fld, MIME7BIT_FIELD_MAX);
	buf_init(&m->cte_fld, MIME7BIT_FIELD_MAX);
	m7_entity(m, true, false);
	return m;
}

/* mime7bit_free - release */
void
mime7bit_free(struct mime7bit *m)
{
	if (m == NULL)
		return;
	buf_free(&m->fld);
	buf_free(&m->cte_fld);
	free(m);
}

/* mime7bit_reason - why not, or NULL */
const char *
mime7bit_reason(const struct mime7bit *m)
{
	return m->failed ? m->reason : NULL;
}

/* mime7bit_converted - parts encoded */
unsigned long
mime7bit_converted(const struct mime7bit *m)
{
	return m->converted;
}

/* ---- header fields ------------------------------------------------------- */

/* m7_is_token - a token octet: not a tspecial, SP or control (RFC 2045 5.1) */
static bool
m7_is_token(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * m7_unfold - the value of field f[0..n) (after the colon) with line
 * ends removed and comments dropped, into out (NUL-terminated, cut at
 * outsize: enough for what is parsed)
 */
static void
m7_unfold(const char *f, size_t n, char *out, size_t outsize)
{
	const char	*colon = memchr(f, ':', n);
	size_t		 i, o = 0;
	int		 comment = 0;
	bool		 quoted = false;

	i = colon != NULL ? (size_t)(colon - f) + 1 : n;
	for (; i < n && o + 1 < outsize; i++) {
		char c = f[i];

		if (c == '\r' || c == '\n')
			continue;
		if (quoted) {
			if (c == '\\' && i + 1 < n) {
				out[o++] = c;
				c = f[++i];
			} else if (c == '"')
				quoted = false;
		} else if (comment > 0) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '(')
				comment++;
			else if (c == ')')
				comment--;
			continue;
		} else if (c == '(') {
			comment = 1;
			continue;
		} else if (c == '"')
			quoted = true;
		out[o++] = c;
	}
	out[o] = '\0';
}

/* m7_skip_ws - past blanks */
static const char *
m7_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* m7_token - a token at p into out (lower case); returns past it */
static const char *
m7_token(const char *p, char *out, size_t outsize)
{
	size_t	o = 0;

	p = m7_skip_ws(p);
	while (m7_is_token((unsigned char)*p)) {
		if (o + 1 < outsize)
			out[o++] = (char)(*p >= 'A' && *p <= 'Z' ?
			    *p - 'A' + 'a' : *p);
		p++;
	}
	out[o] = '\0';
	return m7_skip_ws(p);
}

/* m7_content_type - type, subtype and boundary of a Content-Type field */
static void
m7_content_type(struct mime7bit *m, const char *f, size_t n)
{
	char		 v[2048], type[32], sub[32], attr[32];
	char		 val[MIME7BIT_BOUNDARY_MAX];
	const char	*p;
	size_t		 o;

	if (m->has_ctype)
		return;		/* the first one counts */
	m->has_ctype = true;
	m7_unfold(f, n, v, sizeof(v));
	p = m7_token(v, type, sizeof(type));
	if (*p != '/' || type[0] == '\0') {
		/* RFC 2045 5.2: an invalid one means text/plain */
		m->type = M7_T_TEXT;
		(void)snprintf(m->type_name, sizeof(m->type_name),
		    "text/plain");
		return;
	}
	p = m7_token(p + 1, sub, sizeof(sub));
	(void)snprintf(m->type_name, sizeof(m->type_name), "%s/%s", type,
	    sub);
	if (strcmp(type, "text") == 0)
		m->type = M7_T_TEXT;
	else if (strcmp(type, "multipart") == 0) {
		m->type = M7_T_MULTI;
		m->digest = strcmp(sub, "digest") == 0;
	} else if (strcmp(type, "message") == 0 && strcmp(sub, "rfc822") == 0)
		m->type = M7_T_RFC822;
	else
		m->type = M7_T_OTHER;
	/* parameters: ; attribute = (token | quoted-string) */
	while (*p == ';') {
		p = m7_token(p + 1, attr, sizeof(attr));
		if (*p != '=')
			break;
		p = m7_skip_ws(p + 1);
		o = 0;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (o < sizeof(m->boundary))
					val[o] = *p;
				o++;
			}
			if (*p == '"')
				p++;
		} else
			for (; m7_is_token((unsigned char)*p); p++) {
				if (o < sizeof(m->boundary))
					val[o] = *p;
				o++;
			}
		if (strcmp(attr, "boundary") == 0 && m->blen == 0 &&
		    o > 0 && o <= sizeof(m->boundary)) {
			memcpy(m->boundary, val, o);
			m->blen = o;
		}
		p = m7_skip_ws(p);
	}
}

/* m7_cte_of - the Content-Transfer-Encoding field's mechanism */
static enum m7_cte
m7_cte_of(const char *f, size_t n)
{
	char	v[256], tok[32];

	m7_unfold(f, n, v, sizeof(v));
	(void)m7_token(v, tok, sizeof(tok));
	if (strcmp(tok, "7bit") == 0)
		return M7_E_7BIT;
	if (strcmp(tok, "8bit") == 0)
		return M7_E_8BIT;
	if (strcmp(tok, "binary") == 0)
		return M7_E_BINARY;
	if (strcmp(tok, "quoted-printable") == 0 || strcmp(tok, "base64") == 0)
		return M7_E_ENCODED;
	return M7_E_OTHER;
}

/* m7_name_is - field f[0..n) is called name (case-insensitive) */
static bool
m7_name_is(const char *f, size_t n, const char *name)
{
	size_t	k = strlen(name), i;

	if (n <= k || strncasecmp(f, name, k) != 0)
		return false;
	for (i = k; i < n && (f[i] == ' ' || f[i] == '\t'); i++)
		continue;
	return i < n && f[i] == ':';
}

/* m7_field_done - one whole header field: check, note, pass on */
static void
m7_field_done(struct mime7bit *m)
{
	const char	*f = m->fld.data;
	size_t		 n = m->fld.len;

	if (n == 0)
		return;
	if (dotstuff_has_8bit(f, n)) {
		m7_fail(m, "8-bit header field");
		return;
	}
	if (m7_name_is(f, n, "Content-Transfer-Encoding")) {
		if (m->cte_fld.len == 0)
			m->cte = m7_cte_of(f, n);
		if (buf_append(&m->cte_fld, f, n) == -1)
			m7_fail(m, "header field over %d octets",
			    MIME7BIT_FIELD_MAX);
		buf_reset(&m->fld);
		return;
	}
	if (m7_name_is(f, n, "Content-Type"))
		m7_content_type(m, f, n);
	else if (m7_name_is(f, n, "MIME-Version"))
		m->has_mv = true;
	m7_put(m, f, n);
	buf_reset(&m->fld);
}

/* m7_put_cte - the entity's CTE fields as they were, or relabelled */
static void
m7_put_cte(struct mime7bit *m, const char *relabel)
{
	if (relabel != NULL && (m->cte == M7_E_8BIT ||
	    m->cte == M7_E_BINARY)) {
		m7_puts(m, "Content-Transfer-Encoding: ");
		m7_puts(m, relabel);
		m7_puts(m, "\n");
	} else
		m7_put(m, m->cte_fld.data, m->cte_fld.len);
}

/*
 * m7_header_end - the entity's header section is over (blank: by its
 * empty line, which is written): add what the conversion needs and pick
 * the body's mode
 */
static void
m7_header_end(struct mime7bit *m, bool blank)
{
	enum m7_type	type = m->type;

	if (!m->has_ctype && m->default_rfc822)
		type = M7_T_RFC822;
	m->mode = M7_PASS;
	switch (type) {
	case M7_T_MULTI:
		m7_put_cte(m, "7bit");
		if (m->blen == 0)
			m->pass_why = "8-bit data in a multipart without a "
			    "boundary parameter";
		else if (m->cte == M7_E_ENCODED || m->cte == M7_E_OTHER)
			m->pass_why = "8-bit data in an encoded multipart";
		else if (m->depth == MIME7BIT_DEPTH_MAX)
			m->pass_why = "8-bit data in multiparts nested too "
			    "deep";
		else {
			memcpy(m->stack[m->depth].boundary, m->boundary,
			    m->blen);
			m->stack[m->depth].blen = m->blen;
			m->stack[m->depth].digest = m->digest;
			m->depth++;
			m->pass_why = "8-bit data in a multipart preamble";
		}
		break;
	case M7_T_RFC822:
		m7_put_cte(m, "7bit");
		if (m->cte == M7_E_ENCODED || m->cte == M7_E_OTHER) {
			m->pass_why = "8-bit data in an encoded message/rfc822 "
			    "part";
			break;
		}
		if (blank)
			m7_puts(m, "\n");
		m7_entity(m, true, false);	/* the enclosed message */
		return;
	case M7_T_TEXT:
		if (m->cte == M7_E_ENCODED || m->cte == M7_E_OTHER) {
			m7_put_cte(m, NULL);
			m->pass_why = "8-bit data in an encoded text part";
			break;
		}
		if (m->is_message && !m->has_mv)
			m7_puts(m, "MIME-Version: 1.0\n");
		if (!m->has_ctype)
			m7_puts(m, "Content-Type: text/plain; "
			    "charset=unknown-8bit\n");
		m7_puts(m, "Content-Transfer-Encoding: quoted-printable\n");
		m->mode = M7_QP;
		m->qcol = 0;
		m->plen = 0;
		m->pend_wsp = 0;
		m->converted++;
		break;
	case M7_T_OTHER:
	default:
		m7_put_cte(m, "7bit");
		m->pass_why = "8-bit data in a non-text part";
		break;
	}
	if (blank)
		m7_puts(m, "\n");
	buf_reset(&m->fld);
	buf_reset(&m->cte_fld);
}

/* ---- boundaries ---------------------------------------------------------- */

/*
 * m7_boundary_of - is line l[0..n) (no LF) a delimiter of an enclosing
 * multipart?  Returns its level (innermost first) or -1; *close for the
 * close delimiter.  RFC 2046 5.1.1: "--" boundary ["--"] blanks.
 */
static int
m7_boundary_of(const struct mime7bit *m, const char *l, size_t n,
    bool *close)
{
	size_t		i, k, lvl;
	const char	*r;

	if (n < 3 || l[0] != '-' || l[1] != '-')
		return -1;
	while (n > 2 && (l[n - 1] == ' ' || l[n - 1] == '\t' ||
	    l[n - 1] == '\r'))
		n--;
	for (lvl = m->depth; lvl-- > 0;) {
		k = m->stack[lvl].blen;
		if (n < 2 + k || memcmp(l + 2, m->stack[lvl].boundary, k) != 0)
			continue;
		r = l + 2 + k;
		i = n - 2 - k;
		if (i == 0) {
			*close = false;
			return (int)lvl;
		}
		if (i == 2 && r[0] == '-' && r[1] == '-') {
			*close = true;
			return (int)lvl;
		}
	}
	return -1;
}

/* m7_qp_eol - forward: a quoted-printable line ends */
static void m7_qp_eol(struct mime7bit *);

/* m7_delimiter - a delimiter line l[0..n) (LF included) of level lvl */
static void
m7_delimiter(struct mime7bit *m, int lvl, bool close, const char *l,
    size_t n)
{
	m->depth = (size_t)lvl + 1;
	m7_put(m, l, n);
	m->bol = true;
	if (close) {
		m->depth = (size_t)lvl;
		m->mode = M7_PASS;
		m->pass_why = "8-bit data in a multipart epilogue";
	} else
		m7_entity(m, false, m->stack[lvl].digest);
}

/* ---- header section ------------------------------------------------------ */

/* m7_run - forward: convert s[0..n) */
static void m7_run(struct mime7bit *, const char *, size_t);

/*
 * m7_line_step - c (not LF) is the next octet of the current header
 * line: is the line a header field ("name" [WSP] ":", the name 1 to 998
 * octets from 33 to 126 but ':'), a continuation (white space first,
 * after a field), or neither?  As header.c decides for the message.
 */
static void
m7_line_step(struct mime7bit *m, unsigned char c)
{
	size_t	pos = m->fld.len - m->line_off - 1;	/* c's offset */
	bool	name = c > 32 && c < 127 && c != ':';
	bool	wsp = c == ' ' || c == '\t';

	switch (m->lkind) {
	case M7_L_START:
		m->lkind = wsp ? (m->line_off > 0 ? M7_L_FIELD : M7_L_BODY) :
		    name ? M7_L_NAME : M7_L_BODY;
		break;
	case M7_L_NAME:
		m->lkind = c == ':' ? M7_L_FIELD : wsp ? M7_L_WSP :
		    name && pos < M7_NAME_MAX ? M7_L_NAME : M7_L_BODY;
		break;
	case M7_L_WSP:
		m->lkind = c == ':' ? M7_L_FIELD : wsp ? M7_L_WSP : M7_L_BODY;
		break;
	default:
		break;
	}
}

/*
 * m7_not_header - the current line (held in fld from line_off) is not a
 * header line: the section ends before it, the empty separator line is
 * written, and the line is converted as the first body line (of the
 * enclosed message too, for message/rfc822)
 */
static void
m7_not_header(struct mime7bit *m)
{
	size_t	 n = m->fld.len - m->line_off;
	char	*l = xmalloc(n > 0 ? n : 1);

	memcpy(l, m->fld.data + m->line_off, n);
	buf_truncate(&m->fld, m->line_off);
	m7_field_done(m);
	if (!m->failed) {
		m7_header_end(m, true);
		m->bol = true;
		m7_run(m, l, n);
	}
	free(l);
}

/* m7_header_byte - one octet of a header section */
static void
m7_header_byte(struct mime7bit *m, char c)
{
	char	line[M7_HEAD_MAX];
	size_t	n;
	bool	close;
	int	lvl;

	if (m->hdr_bol) {
		if (c == '\n') {
			/* the empty line: the section ends */
			m7_field_done(m);
			if (!m->failed)
				m7_header_end(m, true);
			m->bol = true;
			return;
		}
		if (!((c == ' ' || c == '\t') && m->fld.len > 0))
			m7_field_done(m);
		m->line_off = m->fld.len;
		m->hdr_bol = false;
		m->lkind = M7_L_START;
	}
	if (buf_putc(&m->fld, c) == -1) {
		m7_fail(m, "header field over %d octets", MIME7BIT_FIELD_MAX);
		return;
	}
	if (c != '\n') {
		m7_line_step(m, (unsigned char)c);
		/*
		 * not a header line: a body line from here, unless it may
		 * still be a delimiter ("--" in a multipart, short)
		 */
		n = m->fld.len - m->line_off;
		if (m->lkind == M7_L_BODY && (m->depth == 0 ||
		    m->fld.data[m->line_off] != '-' || (n >= 2 &&
		    m->fld.data[m->line_off + 1] != '-') || n >= M7_HEAD_MAX))
			m7_not_header(m);
		return;
	}
	m->hdr_bol = true;
	/* a delimiter where a header line was expected ends the section */
	n = m->fld.len - m->line_off;
	lvl = -1;
	if (m->depth > 0 && n <= sizeof(line) &&
	    m->fld.data[m->line_off] == '-') {
		memcpy(line, m->fld.data + m->line_off, n);
		lvl = m7_boundary_of(m, line, n - 1, &close);
	}
	if (lvl == -1) {
		if (m->lkind != M7_L_FIELD)
			m7_not_header(m);
		return;
	}
	buf_truncate(&m->fld, m->line_off);
	m7_field_done(m);
	if (m->failed)
		return;
	m7_header_end(m, false);
	m7_delimiter(m, lvl, close, line, n);
}

/* ---- bodies -------------------------------------------------------------- */

/* m7_qp_flush - write the pending token; lim: the column it may reach */
static void
m7_qp_flush(struct mime7bit *m, size_t lim)
{
	if (m->plen == 0)
		return;
	if (m->qcol + m->plen > lim) {
		m7_put(m, "=\n", 2);	/* soft line break */
		m->qcol = 0;
	}
	m7_put(m, m->pend, m->plen);
	m->qcol += m->plen;
	m->plen = 0;
	m->pend_wsp = 0;
}

/* m7_qp_eol - the line ends: a blank before it must be encoded */
static void
m7_qp_eol(struct mime7bit *m)
{
	static const char	hex[] = "0123456789ABCDEF";

	if (m->pend_wsp) {
		m->pend[0] = '=';
		m->pend[1] = hex[(unsigned char)m->pend_wsp >> 4];
		m->pend[2] = hex[(unsigned char)m->pend_wsp & 15];
		m->plen = 3;
	}
	m7_qp_flush(m, 76);
	m7_put(m, "\n", 1);
	m->qcol = 0;
}

/* m7_qp - encode s[0..n) (quoted-printable, RFC 2045 6.7) */
static void
m7_qp(struct mime7bit *m, const char *s, size_t n)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;
	size_t			i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\n') {
			m7_qp_eol(m);
			continue;
		}
		/* not the line's last: leave room for the soft break */
		m7_qp_flush(m, 75);
		if (c == ' ' || c == '\t') {
			m->pend[0] = (char)c;
			m->plen = 1;
			m->pend_wsp = (char)c;
		} else if (c < 33 || c > 126 || c == '=') {
			m->pend[0] = '=';
			m->pend[1] = hex[c >> 4];
			m->pend[2] = hex[c & 15];
			m->plen = 3;
		} else {
			m->pend[0] = (char)c;
			m->plen = 1;
		}
	}
}

/* m7_content - body octets s[0..n) (at most one line end, last) */
static void
m7_content(struct mime7bit *m, const char *s, size_t n)
{
	if (m->mode == M7_QP) {
		m7_qp(m, s, n);
		return;
	}
	if (dotstuff_has_8bit(s, n)) {
		if (m->pass_why == NULL)
			m->pass_why = "8-bit data";
		if (strcmp(m->pass_why, "8-bit data in a non-text part") == 0 &&
		    m->type_name[0] != '\0')
			m7_fail(m, "%s (%s)", m->pass_why, m->type_name);
		else
			m7_fail(m, "%s", m->pass_why);
		return;
	}
	m7_put(m, s, n);
}

/* m7_head_done - the collected line head is not a delimiter: content */
static void
m7_head_done(struct mime7bit *m)
{
	m->bol = m->hlen > 0 && m->head[m->hlen - 1] == '\n';
	m7_content(m, m->head, m->hlen);
	m->hlen = 0;
}

/* m7_run - convert s[0..n) */
static void
m7_run(struct mime7bit *m, const char *s, size_t n)
{
	const char	*end = s + n, *lf;
	size_t		 k;
	bool		 close;
	int		 lvl;

	while (s < end && !m->failed && !m->out_err) {
		if (m->mode == M7_HEADER) {
			m7_header_byte(m, *s++);
			continue;
		}
		if (m->bol && m->depth > 0) {
			/* a line that starts with "--" may be a delimiter */
			m->head[m->hlen++] = *s++;
			if (m->head[m->hlen - 1] == '\n') {
				lvl = m7_boundary_of(m, m->head, m->hlen - 1,
				    &close);
				if (lvl >= 0) {
					m7_delimiter(m, lvl, close, m->head,
					    m->hlen);
					m->hlen = 0;
				} else
					m7_head_done(m);
			} else if (m->hlen == sizeof(m->head) ||
			    (m->hlen <= 2 && m->head[m->hlen - 1] != '-'))
				m7_head_done(m);
			continue;
		}
		lf = memchr(s, '\n', (size_t)(end - s));
		k = lf != NULL ? (size_t)(lf - s) + 1 : (size_t)(end - s);
		m7_content(m, s, k);
		if (lf != NULL)
			m->bol = true;
		s += k;
	}
}

/* m7_flush - the staged output to the buf */
static int
m7_flush(struct mime7bit *m)
{
	if (!m->out_err && m->sn > 0 &&
	    buf_append(m->out, m->stage, m->sn) == -1)
		m->out_err = true;
	m->sn = 0;
	if (m->failed)
		return -1;
	return m->out_err ? -1 : 0;
}

/* mime7bit_feed - convert one chunk */
int
mime7bit_feed(struct mime7bit *m, const void *in, size_t n, struct buf *out)
{
	if (m->failed || m->out_err)
		return -1;
	m->out = out;
	m->sn = 0;
	m7_run(m, in, n);
	return m7_flush(m);
}

/* mime7bit_finish - the end: what is held goes out */
int
mime7bit_finish(struct mime7bit *m, struct buf *out)
{
	if (m->failed || m->out_err)
		return -1;
	m->out = out;
	m->sn = 0;
	/* a last line without its LF that is not a header line */
	while (m->mode == M7_HEADER && !m->hdr_bol &&
	    m->lkind != M7_L_FIELD && !m->failed)
		m7_not_header(m);	/* twice for message/rfc822 */
	if (m->mode == M7_HEADER && !m->failed) {
		m7_field_done(m);
		if (!m->failed)
			m7_header_end(m, false);
	}
	if (m->hlen > 0 && !m->failed)
		m7_head_done(m);
	if (m->mode == M7_QP && !m->failed && (m->plen > 0 || m->qcol > 0)) {
		/* no final line end: a soft break says so */
		m7_qp_flush(m, 75);
		m7_put(m, "=\n", 2);
		m->qcol = 0;
	}
	return m7_flush(m);
}
