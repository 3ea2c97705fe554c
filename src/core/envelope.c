/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * envelope.c - the envelope records of a queue file: build them, write
 * them (queue-file and request forms), and read them back strictly; the
 * record lexer the retry state (retrystate.c) shares.
 *
 * Owns the envelope grammar of doc/spool-format.md: nobody else may parse
 * or write a "K VALUE" envelope record.  Callers: postern-drop (request
 * parse, file write), the front end (request write, mailq reads), the
 * agent (file read).  The parsers take hostile bytes: every record is
 * bounded by SPOOL_RECORD_MAX, every count by a named limit, and anything
 * unexpected is refused with a line number and a reason - never guessed
 * at.  The writers refuse to produce anything their own parser would
 * refuse.  Never logs, never exits, never touches the retry state.
 * RFCs: 3461 (DSN NOTIFY, ORCPT, ENVID, RET, xtext), 6152 (8BITMIME),
 * 6531 (SMTPUTF8).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "io.h"
#include "util.h"

#define ENVELOPE_NUM_DIGITS_MAX	20

/* the envelope record order; R alone may repeat */
static const char envelope_order[] = "VITULSRBENFZ";
/* the records only postern-drop may write */
static const char envelope_drop_only[] = "ITULZ";

/* spool_addr_safe - storable and SMTP-command-safe address */
bool
spool_addr_safe(const char *addr)
{
	const unsigned char *p = (const unsigned char *)addr;
	size_t	n = 0;

	for (; *p != '\0'; p++, n++)
		if (*p <= 0x20 || *p == 0x7f || n >= SPOOL_ADDR_MAX)
			return false;
	return n > 0;
}

/* envelope_hexdigit - upper-case hex digit (xtext uses upper case only) */
static bool
envelope_hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* envelope_xtext_valid - RFC 3461 xtext, 1..max bytes */
static bool
envelope_xtext_valid(const char *s, size_t max)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (i + 2 >= n || !envelope_hexdigit(s[i + 1]) ||
			    !envelope_hexdigit(s[i + 2]))
				return false;
			i += 2;
		} else if (c < 0x21 || c > 0x7e || c == '=')
			return false;
	}
	return true;
}

/* spool_envid_valid - see spool.h */
bool
spool_envid_valid(const char *s)
{
	return envelope_xtext_valid(s, SPOOL_ENVID_MAX);
}

/* envelope_orcpt_valid - "addr-type;xtext" (RFC 3461 4.2) */
static bool
envelope_orcpt_valid(const char *s)
{
	const char	*semi = strchr(s, ';');
	const char	*p;

	if (semi == NULL || semi == s || strlen(s) > SPOOL_ORCPT_MAX)
		return false;
	for (p = s; p < semi; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return envelope_xtext_valid(semi + 1, SPOOL_ORCPT_MAX);
}

/* envelope_notify_valid - NEVER alone, or any of the other three */
static bool
envelope_notify_valid(unsigned n)
{
	if (n & ~(unsigned)(ENVELOPE_NOTIFY_NEVER | ENVELOPE_NOTIFY_SUCCESS |
	    ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY))
		return false;
	return !((n & ENVELOPE_NOTIFY_NEVER) && n != ENVELOPE_NOTIFY_NEVER);
}

/* envelope_login_valid - a login name: printable, no space, bounded */
static bool
envelope_login_valid(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > SPOOL_LOGIN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* envelope_init - empty */
void
envelope_init(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	env->version = SPOOL_VERSION;
}

/* envelope_free - release owned fields */
void
envelope_free(struct envelope *env)
{
	size_t	i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].orcpt);
	}
	free(env->rcpts);
	free(env->login);
	free(env->sender);
	free(env->envid);
	envelope_init(env);
}

/* envelope_set_sender - validated copy */
int
envelope_set_sender(struct envelope *env, const char *sender)
{
	if (*sender != '\0' && !spool_addr_safe(sender)) {
		errno = EINVAL;
		return -1;
	}
	free(env->sender);
	env->sender = xstrdup(sender);
	return 0;
}

/* envelope_add_rcpt - validated append */
int
envelope_add_rcpt(struct envelope *env, const char *addr, unsigned notify,
    const char *orcpt)
{
	struct envelope_rcpt *r;

	if (!spool_addr_safe(addr) || !envelope_notify_valid(notify) ||
	    (orcpt != NULL && !envelope_orcpt_valid(orcpt))) {
		errno = EINVAL;
		return -1;
	}
	if (env->nrcpts >= SPOOL_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	/* grow geometrically; the cap above bounds the size */
	if ((env->nrcpts & (env->nrcpts - 1)) == 0)
		env->rcpts = xrealloc(env->rcpts, (env->nrcpts ? env->nrcpts *
		    2 : 1) * sizeof(*env->rcpts));
	r = &env->rcpts[env->nrcpts++];
	r->addr = xstrdup(addr);
	r->notify = notify;
	r->orcpt = orcpt != NULL ? xstrdup(orcpt) : NULL;
	return 0;
}

/* envelope_write_rcpt - one R record */
static int
envelope_write_rcpt(const struct envelope_rcpt *r, struct buf *out)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ ENVELOPE_NOTIFY_NEVER, "NEVER" },
		{ ENVELOPE_NOTIFY_SUCCESS, "SUCCESS" },
		{ ENVELOPE_NOTIFY_FAILURE, "FAILURE" },
		{ ENVELOPE_NOTIFY_DELAY, "DELAY" },
	};
	const char	*sep = "\tNOTIFY=";
	size_t		 i;

	if (buf_printf(out, "R %s", r->addr) == -1)
		return -1;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(r->notify & names[i].bit))
			continue;
		if (buf_printf(out, "%s%s", sep, names[i].name) == -1)
			return -1;
		sep = ",";
	}
	if (r->orcpt != NULL && buf_printf(out, "\tORCPT=%s", r->orcpt) == -1)
		return -1;
	return buf_putc(out, '\n');
}

/* envelope_check - would this envelope parse back?  (request: no I..Z) */
static bool
envelope_check(const struct envelope *env, bool request)
{
	size_t	i;

	if (env->nrcpts == 0 || env->nrcpts > SPOOL_RCPT_MAX)
		return false;
	if (env->sender != NULL && *env->sender != '\0' &&
	    !spool_addr_safe(env->sender))
		return false;
	for (i = 0; i < env->nrcpts; i++)
		if (!spool_addr_safe(env->rcpts[i].addr) ||
		    !envelope_notify_valid(env->rcpts[i].notify) ||
		    (env->rcpts[i].orcpt != NULL &&
		    !envelope_orcpt_valid(env->rcpts[i].orcpt)))
			return false;
	if (env->envid != NULL && !envelope_xtext_valid(env->envid,
	    SPOOL_ENVID_MAX))
		return false;
	if (env->flags & ~(unsigned)ENVELOPE_F_SMTPUTF8)
		return false;
	if (request)
		return true;
	return qid_valid(env->qid.s) && env->arrival <= SPOOL_TIME_MAX &&
	    (uint64_t)env->uid <= SPOOL_UID_MAX &&
	    (env->login == NULL || envelope_login_valid(env->login)) &&
	    env->size <= SPOOL_SIZE_MAX;
}

/* envelope_write_form - both forms */
static int
envelope_write_form(const struct envelope *env, struct buf *out, bool request)
{
	size_t	start = out->len, i;
	int	rc = -1;

	if (!envelope_check(env, request)) {
		errno = EINVAL;
		return -1;
	}
	if (buf_printf(out, "V %u\n", SPOOL_VERSION) == -1)
		goto out;
	if (!request && (buf_printf(out, "I %s\nT %llu\nU %llu\n", env->qid.s,
	    (unsigned long long)env->arrival,
	    (unsigned long long)env->uid) == -1 ||
	    (env->login != NULL && buf_printf(out, "L %s\n",
	    env->login) == -1)))
		goto out;
	if (env->sender == NULL || *env->sender == '\0') {
		if (buf_puts(out, "S\n") == -1)
			goto out;
	} else if (buf_printf(out, "S %s\n", env->sender) == -1)
		goto out;
	for (i = 0; i < env->nrcpts; i++)
		if (envelope_write_rcpt(&env->rcpts[i], out) == -1)
			goto out;
	if (env->body != ENVELOPE_BODY_NONE && buf_printf(out, "B %s\n",
	    env->body == ENVELOPE_BODY_8BITMIME ? "8BITMIME" : "7BIT") == -1)
		goto out;
	if (env->envid != NULL && buf_printf(out, "E %s\n", env->envid) == -1)
		goto out;
	if (env->ret != ENVELOPE_RET_NONE && buf_printf(out, "N %s\n",
	    env->ret == ENVELOPE_RET_HDRS ? "HDRS" : "FULL") == -1)
		goto out;
	if ((env->flags & ENVELOPE_F_SMTPUTF8) &&
	    buf_puts(out, "F SMTPUTF8\n") == -1)
		goto out;
	if (!request && buf_printf(out, "Z %0*llu\n", SPOOL_SIZE_WIDTH,
	    (unsigned long long)env->size) == -1)
		goto out;
	rc = buf_putc(out, '\n');
out:
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

/* envelope_write - queue-file form */
int
envelope_write(const struct envelope *env, struct buf *out)
{
	return envelope_write_form(env, out, false);
}

/* envelope_write_request - pipe form */
int
envelope_write_request(const struct envelope *env, struct buf *out)
{
	return envelope_write_form(env, out, true);
}

/*
 * envelope_rec_num - strict decimal: digits only, no sign, no leading zero
 * (unless padded is true: Z is zero-padded), at most
 * ENVELOPE_NUM_DIGITS_MAX digits, within [min, max].  One pass: this runs
 * for every number of every queue file and state a listing reads.
 */
int
envelope_rec_num(const char *s, bool padded, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t	v = 0;
	size_t		n;
	unsigned	d;
	bool		overflow = false;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == ENVELOPE_NUM_DIGITS_MAX)
			break;
		d = (unsigned)(s[n] - '0');
		/* 19 digits always fit: only the 20th can overflow */
		if (n == ENVELOPE_NUM_DIGITS_MAX - 1 &&
		    v > (UINT64_MAX - d) / 10)
			overflow = true;
		v = v * 10 + d;
	}
	if (n == 0 || s[n] != '\0' || (!padded && n > 1 && s[0] == '0')) {
		errno = EINVAL;
		return -1;
	}
	if (overflow || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * envelope_plain8 - true when none of the 8 bytes at p is a control
 * character (0x00-0x1f, 0x7f).  Word-at-a-time tests: a byte below 0x20
 * borrows into its top bit in w - 0x20..20 while its own top bit is
 * clear; a byte 0x7f becomes 0 in w ^ 0x7f..7f.  A borrow can only mark
 * a byte above one that is marked already, so "any byte" is exact.
 */
static bool
envelope_plain8(const char *p)
{
	uint64_t	w, ctl, del;

	memcpy(&w, p, sizeof(w));
	ctl = (w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL;
	w ^= 0x7f7f7f7f7f7f7f7fULL;
	del = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	return (ctl | del) == 0;
}

/*
 * envelope_rec_line - the next record of data[*pos..len): checks the
 * length limit and control characters (TAB allowed only when tab_ok is
 * given per key).
 * Returns the line length (without LF) and advances *pos, or -1 with the
 * reason in err.
 */
ssize_t
envelope_rec_line(const char *data, size_t len, size_t *pos, size_t lineno,
    const char *tab_keys, struct buf *err)
{
	size_t		 avail = len - *pos, scan, i;
	const char	*p = data + *pos;
	const char	*lf;

	scan = avail < SPOOL_RECORD_MAX ? avail : SPOOL_RECORD_MAX;
	lf = memchr(p, '\n', scan);
	if (lf == NULL) {
		if (avail >= SPOOL_RECORD_MAX)
			buf_note(err, "line %zu: record longer than %d bytes",
			    lineno, SPOOL_RECORD_MAX);
		else
			buf_note(err, "line %zu: missing the blank line "
			    "that ends the records (input truncated)", lineno);
		return -1;
	}
	/* plain words at once; a word with a TAB or worse, byte by byte */
	for (i = 0; (size_t)(lf - p) - i >= 8 && envelope_plain8(p + i); i += 8)
		;
	for (; p + i < lf; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\t' && i > 0 && strchr(tab_keys, p[0]) != NULL)
			continue;
		buf_note(err, "line %zu: control character 0x%02x in record",
		    lineno, c);
		return -1;
	}
	*pos += (size_t)(lf - p) + 1;
	return lf - p;
}

/* envelope_rec_key - a key byte as printable text for messages */
const char *
envelope_rec_key(char k, char *tmp, size_t tmpsize)
{
	if (k > 0x20 && k < 0x7f)
		snprintf(tmp, tmpsize, "'%c'", k);
	else
		snprintf(tmp, tmpsize, "0x%02x", (unsigned char)k);
	return tmp;
}

/* envelope_parse_rcpt - "addr[TAB NOTIFY=..][TAB ORCPT=..]" */
static int
envelope_parse_rcpt(struct envelope *env, char *v, size_t lineno,
    struct buf *err)
{
	char		*tab, *param, *item, *next, *comma;
	unsigned	 notify = 0;
	const char	*orcpt = NULL;
	int		 stage = 0;	/* 1: NOTIFY seen, 2: ORCPT seen */

	if (env->nrcpts >= SPOOL_RCPT_MAX) {
		buf_note(err, "line %zu: more than %d recipients", lineno,
		    SPOOL_RCPT_MAX);
		return -1;
	}
	if ((tab = strchr(v, '\t')) != NULL)
		*tab = '\0';
	if (!spool_addr_safe(v)) {
		buf_note(err, "line %zu: recipient address is empty, longer "
		    "than %d bytes or contains a space or control character",
		    lineno, SPOOL_ADDR_MAX);
		return -1;
	}
	for (param = tab ? tab + 1 : NULL; param != NULL; param = next) {
		if ((next = strchr(param, '\t')) != NULL)
			*next++ = '\0';
		if (strncmp(param, "NOTIFY=", 7) == 0 && stage < 1) {
			for (item = param + 7;; item = comma + 1) {
				unsigned	 bit;

				if ((comma = strchr(item, ',')) != NULL)
					*comma = '\0';
				if (strcmp(item, "NEVER") == 0)
					bit = ENVELOPE_NOTIFY_NEVER;
				else if (strcmp(item, "SUCCESS") == 0)
					bit = ENVELOPE_NOTIFY_SUCCESS;
				else if (strcmp(item, "FAILURE") == 0)
					bit = ENVELOPE_NOTIFY_FAILURE;
				else if (strcmp(item, "DELAY") == 0)
					bit = ENVELOPE_NOTIFY_DELAY;
				else
					bit = 0;
				if (bit == 0 || (notify & bit)) {
					buf_note(err, "line %zu: bad or "
					    "repeated NOTIFY keyword", lineno);
					return -1;
				}
				notify |= bit;
				if (comma == NULL)
					break;
			}
			if (!envelope_notify_valid(notify)) {
				buf_note(err, "line %zu: NOTIFY=NEVER "
				    "combined with other keywords", lineno);
				return -1;
			}
			stage = 1;
		} else if (strncmp(param, "ORCPT=", 6) == 0 && stage < 2) {
			orcpt = param + 6;
			if (!envelope_orcpt_valid(orcpt)) {
				buf_note(err, "line %zu: ORCPT is not "
				    "addr-type;xtext of at most %d bytes",
				    lineno, SPOOL_ORCPT_MAX);
				return -1;
			}
			stage = 2;
		} else {
			buf_note(err, "line %zu: unknown, repeated or "
			    "misplaced recipient parameter (expected "
			    "NOTIFY= then ORCPT=)", lineno);
			return -1;
		}
	}
	if (envelope_add_rcpt(env, v, notify, orcpt) == -1) {
		buf_note(err, "line %zu: invalid recipient", lineno);
		return -1;
	}
	return 0;
}

/* envelope_parse_value - one envelope record's value into env */
static int
envelope_parse_value(struct envelope *env, char key, char *v, size_t lineno,
    struct buf *err)
{
	uint64_t	n;

	switch (key) {
	case 'V':
		if (envelope_rec_num(v, false, 0, UINT32_MAX, &n) == -1 ||
		    n != SPOOL_VERSION) {
			buf_note(err, "line %zu: unsupported envelope version "
			    "'%.20s' (this postern reads version %d)", lineno,
			    v, SPOOL_VERSION);
			return -1;
		}
		env->version = (unsigned)n;
		return 0;
	case 'I':
		if (qid_parse(&env->qid, v) == -1) {
			buf_note(err, "line %zu: malformed queue id", lineno);
			return -1;
		}
		return 0;
	case 'T':
		if (envelope_rec_num(v, false, 0, SPOOL_TIME_MAX, &n) == -1)
			break;
		env->arrival = n;
		return 0;
	case 'U':
		if (envelope_rec_num(v, false, 0, SPOOL_UID_MAX, &n) == -1)
			break;
		env->uid = (uid_t)n;
		return 0;
	case 'L':
		if (!envelope_login_valid(v)) {
			buf_note(err, "line %zu: login name empty, longer "
			    "than %d bytes or not printable", lineno,
			    SPOOL_LOGIN_MAX);
			return -1;
		}
		env->login = xstrdup(v);
		return 0;
	case 'S':
		if (envelope_set_sender(env, v) == -1) {
			buf_note(err, "line %zu: sender address longer than "
			    "%d bytes or contains a space or control character",
			    lineno, SPOOL_ADDR_MAX);
			return -1;
		}
		return 0;
	case 'R':
		return envelope_parse_rcpt(env, v, lineno, err);
	case 'B':
		if (strcmp(v, "7BIT") == 0)
			env->body = ENVELOPE_BODY_7BIT;
		else if (strcmp(v, "8BITMIME") == 0)
			env->body = ENVELOPE_BODY_8BITMIME;
		else {
			buf_note(err, "line %zu: body type must be 7BIT or "
			    "8BITMIME", lineno);
			return -1;
		}
		return 0;
	case 'E':
		if (!envelope_xtext_valid(v, SPOOL_ENVID_MAX)) {
			buf_note(err, "line %zu: ENVID is not xtext of at "
			    "most %d bytes", lineno, SPOOL_ENVID_MAX);
			return -1;
		}
		env->envid = xstrdup(v);
		return 0;
	case 'N':
		if (strcmp(v, "FULL") == 0)
			env->ret = ENVELOPE_RET_FULL;
		else if (strcmp(v, "HDRS") == 0)
			env->ret = ENVELOPE_RET_HDRS;
		else {
			buf_note(err, "line %zu: RET must be FULL or HDRS",
			    lineno);
			return -1;
		}
		return 0;
	case 'F':
		if (strcmp(v, "SMTPUTF8") != 0) {
			buf_note(err, "line %zu: unknown flag (known: "
			    "SMTPUTF8)", lineno);
			return -1;
		}
		env->flags |= ENVELOPE_F_SMTPUTF8;
		return 0;
	case 'Z':
		if (envelope_rec_num(v, true, 1, SPOOL_SIZE_MAX, &n) == -1)
			break;
		env->size = n;
		return 0;
	default:
		break;
	}
	buf_note(err, "line %zu: record '%c': number missing or out of range",
	    lineno, key);
	return -1;
}

/* envelope_parse_form - both forms */
static int
envelope_parse_form(const char *data, size_t len, struct envelope *env,
    size_t *consumed, struct buf *err, bool request)
{
	char		 line[SPOOL_RECORD_MAX + 1], kn[8];
	const char	*seen_at, *required;
	size_t		 pos = 0, lineno = 0;
	int		 last = -1, rank;
	ssize_t		 n;
	char		 seen[sizeof(envelope_order)] = { 0 };

	envelope_init(env);
	for (;;) {
		lineno++;
		if ((n = envelope_rec_line(data, len, &pos, lineno, "R",
		    err)) == -1)
			goto fail;
		if (n == 0)
			break;
		memcpy(line, data + pos - (size_t)n - 1, (size_t)n);
		line[n] = '\0';
		if (lineno == 1 && line[0] != 'V') {
			buf_note(err, "line 1: the first record must be the "
			    "version (V %d)", SPOOL_VERSION);
			goto fail;
		}
		seen_at = strchr(envelope_order, line[0]);
		if (line[0] == '\0' || seen_at == NULL) {
			buf_note(err, "line %zu: unknown record %s", lineno,
			    envelope_rec_key(line[0], kn, sizeof(kn)));
			goto fail;
		}
		rank = (int)(seen_at - envelope_order);
		if (request && strchr(envelope_drop_only, line[0])) {
			buf_note(err, "line %zu: record '%c' is set by "
			    "postern-drop and may not be given", lineno,
			    line[0]);
			goto fail;
		}
		if (rank < last || (rank == last && line[0] != 'R')) {
			buf_note(err, "line %zu: record '%c' %s", lineno,
			    line[0], rank == last ? "repeated" :
			    "out of order (order: V I T U L S R B E N F Z)");
			goto fail;
		}
		last = rank;
		seen[rank] = 1;
		if (line[1] == '\0' && line[0] == 'S') {
			if (envelope_set_sender(env, "") == -1)
				goto fail;
			continue;
		}
		if (line[1] != ' ' || line[2] == '\0') {
			buf_note(err, "line %zu: record '%c' needs one space "
			    "and a value", lineno, line[0]);
			goto fail;
		}
		if (envelope_parse_value(env, line[0], line + 2, lineno,
		    err) == -1)
			goto fail;
	}
	required = request ? "VSR" : "VITUSRZ";
	for (; *required != '\0'; required++)
		if (!seen[strchr(envelope_order, *required) -
		    envelope_order]) {
			buf_note(err, "line %zu: required record '%c' "
			    "missing", lineno, *required);
			goto fail;
		}
	*consumed = pos;
	return 0;
fail:
	envelope_free(env);
	return -1;
}

/* envelope_parse - queue-file form */
int
envelope_parse(const char *data, size_t len, struct envelope *env,
    size_t *consumed, struct buf *err)
{
	return envelope_parse_form(data, len, env, consumed, err, false);
}

/* envelope_parse_request - pipe form */
int
envelope_parse_request(const char *data, size_t len, struct envelope *env,
    size_t *consumed, struct buf *err)
{
	return envelope_parse_form(data, len, env, consumed, err, true);
}

/* spool_patch_size - pwrite the fixed-width Z value */
int
spool_patch_size(int fd, size_t envelope_len, uint64_t size)
{
	char	digits[SPOOL_SIZE_WIDTH + 1];
	off_t	at;
	ssize_t	w;

	/* the file ends "Z <digits>\n\n" */
	if (size > SPOOL_SIZE_MAX || envelope_len < SPOOL_SIZE_WIDTH + 4) {
		errno = ERANGE;
		return -1;
	}
	snprintf(digits, sizeof(digits), "%0*llu", SPOOL_SIZE_WIDTH,
	    (unsigned long long)size);
	at = (off_t)(envelope_len - 2 - SPOOL_SIZE_WIDTH);
	w = io_pwrite(fd, digits, SPOOL_SIZE_WIDTH, at);
	if (w == -1)
		return -1;
	if (w != SPOOL_SIZE_WIDTH) {
		errno = EIO;
		return -1;
	}
	return 0;
}
