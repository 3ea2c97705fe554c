/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool.c - queue-file envelope records and retry-state sidecar files:
 * write them, and read them back strictly.
 *
 * Owns the on-disk grammar described in doc/spool-format.md.  Callers:
 * postern-drop (request parse, file write), the front end (request write,
 * mailq reads), the agent (file read, state read/write).  The parsers take
 * hostile bytes: every record is bounded by SPOOL_RECORD_MAX, every count
 * by a named limit, and anything unexpected is refused with a line number
 * and a reason - never guessed at.  The writers refuse to produce anything
 * their own parser would refuse.  Never logs, never exits.
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

#include "io.h"
#include "spool.h"
#include "util.h"

#define SPOOL_READ_CHUNK	8192
#define SPOOL_NUM_DIGITS_MAX	20

/* the envelope record order; R alone may repeat */
static const char spool_env_order[] = "VITULSRBENFZ";
/* the records only postern-drop may write */
static const char spool_env_drop_only[] = "ITULZ";
/* the state record order; r alone may repeat */
static const char spool_state_order[] = "VAXWDre";

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

/* spool_hexdigit - upper-case hex digit (xtext uses upper case only) */
static bool
spool_hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* spool_xtext_valid - RFC 3461 xtext, 1..max bytes */
static bool
spool_xtext_valid(const char *s, size_t max)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (i + 2 >= n || !spool_hexdigit(s[i + 1]) ||
			    !spool_hexdigit(s[i + 2]))
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
	return spool_xtext_valid(s, SPOOL_ENVID_MAX);
}

/* spool_orcpt_valid - "addr-type;xtext" (RFC 3461 4.2) */
static bool
spool_orcpt_valid(const char *s)
{
	const char	*semi = strchr(s, ';');
	const char	*p;

	if (semi == NULL || semi == s || strlen(s) > SPOOL_ORCPT_MAX)
		return false;
	for (p = s; p < semi; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return spool_xtext_valid(semi + 1, SPOOL_ORCPT_MAX);
}

/* spool_notify_valid - NEVER alone, or any of the other three */
static bool
spool_notify_valid(unsigned n)
{
	if (n & ~(unsigned)(ENVELOPE_NOTIFY_NEVER | ENVELOPE_NOTIFY_SUCCESS |
	    ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY))
		return false;
	return !((n & ENVELOPE_NOTIFY_NEVER) && n != ENVELOPE_NOTIFY_NEVER);
}

/* spool_login_valid - a login name: printable, no space, bounded */
static bool
spool_login_valid(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > SPOOL_LOGIN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* spool_path - join spool_dir/sub[/QID] */
int
spool_path(const char *spool_dir, const char *sub, const struct qid *qid,
    char *out, size_t outsize)
{
	int	n;

	if (qid != NULL)
		n = snprintf(out, outsize, "%s/%s/%s", spool_dir, sub, qid->s);
	else
		n = snprintf(out, outsize, "%s/%s", spool_dir, sub);
	if (n < 0 || (size_t)n >= outsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* spool_trigger_open - the agent's FIFO, for a non-blocking write */
int
spool_trigger_open(const char *spool_dir)
{
	char	path[4096];

	if (spool_path(spool_dir, SPOOL_TRIGGER, NULL, path, sizeof(path)) ==
	    -1)
		return -1;
	return open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
}

/* spool_flush_open - the FIFO of root and the group, for a write */
int
spool_flush_open(const char *spool_dir)
{
	char	path[4096];

	if (spool_path(spool_dir, SPOOL_FLUSH, NULL, path, sizeof(path)) ==
	    -1)
		return -1;
	return open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
}

/* spool_poke_open - the group's FIFO if we may, else the world's */
int
spool_poke_open(const char *spool_dir, bool *privileged)
{
	int	fd;

	*privileged = false;
	if ((fd = spool_flush_open(spool_dir)) != -1) {
		*privileged = true;
		return fd;
	}
	if (errno == ENAMETOOLONG || errno == ENXIO)
		return -1;
	/* EACCES: not root nor the group; ENOENT: an older agent */
	return spool_trigger_open(spool_dir);
}

/* ---- envelope ------------------------------------------------------- */

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

	if (!spool_addr_safe(addr) || !spool_notify_valid(notify) ||
	    (orcpt != NULL && !spool_orcpt_valid(orcpt))) {
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

/* spool_write_rcpt - one R record */
static int
spool_write_rcpt(const struct envelope_rcpt *r, struct buf *out)
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

/* spool_env_check - would this envelope parse back?  (request: no I..Z) */
static bool
spool_env_check(const struct envelope *env, bool request)
{
	size_t	i;

	if (env->nrcpts == 0 || env->nrcpts > SPOOL_RCPT_MAX)
		return false;
	if (env->sender != NULL && *env->sender != '\0' &&
	    !spool_addr_safe(env->sender))
		return false;
	for (i = 0; i < env->nrcpts; i++)
		if (!spool_addr_safe(env->rcpts[i].addr) ||
		    !spool_notify_valid(env->rcpts[i].notify) ||
		    (env->rcpts[i].orcpt != NULL &&
		    !spool_orcpt_valid(env->rcpts[i].orcpt)))
			return false;
	if (env->envid != NULL && !spool_xtext_valid(env->envid,
	    SPOOL_ENVID_MAX))
		return false;
	if (env->flags & ~(unsigned)ENVELOPE_F_SMTPUTF8)
		return false;
	if (request)
		return true;
	return qid_valid(env->qid.s) && env->arrival <= SPOOL_TIME_MAX &&
	    (uint64_t)env->uid <= SPOOL_UID_MAX &&
	    (env->login == NULL || spool_login_valid(env->login)) &&
	    env->size <= SPOOL_SIZE_MAX;
}

/* spool_env_write - both forms */
static int
spool_env_write(const struct envelope *env, struct buf *out, bool request)
{
	size_t	start = out->len, i;
	int	rc = -1;

	if (!spool_env_check(env, request)) {
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
		if (spool_write_rcpt(&env->rcpts[i], out) == -1)
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
	return spool_env_write(env, out, false);
}

/* envelope_write_request - pipe form */
int
envelope_write_request(const struct envelope *env, struct buf *out)
{
	return spool_env_write(env, out, true);
}

/*
 * spool_num - strict decimal: digits only, no sign, no leading zero
 * (unless padded is true: Z is zero-padded), at most
 * SPOOL_NUM_DIGITS_MAX digits, within [min, max].  One pass: this runs
 * for every number of every queue file and state a listing reads.
 */
static int
spool_num(const char *s, bool padded, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t	v = 0;
	size_t		n;
	unsigned	d;
	bool		overflow = false;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == SPOOL_NUM_DIGITS_MAX)
			break;
		d = (unsigned)(s[n] - '0');
		/* 19 digits always fit: only the 20th can overflow */
		if (n == SPOOL_NUM_DIGITS_MAX - 1 && v > (UINT64_MAX - d) / 10)
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
 * spool_plain8 - true when none of the 8 bytes at p is a control
 * character (0x00-0x1f, 0x7f).  Word-at-a-time tests: a byte below 0x20
 * borrows into its top bit in w - 0x20..20 while its own top bit is
 * clear; a byte 0x7f becomes 0 in w ^ 0x7f..7f.  A borrow can only mark
 * a byte above one that is marked already, so "any byte" is exact.
 */
static bool
spool_plain8(const char *p)
{
	uint64_t	w, ctl, del;

	memcpy(&w, p, sizeof(w));
	ctl = (w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL;
	w ^= 0x7f7f7f7f7f7f7f7fULL;
	del = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	return (ctl | del) == 0;
}

/*
 * spool_line - the next record of data[*pos..len): checks the length limit
 * and control characters (TAB allowed only when tab_ok is given per key).
 * Returns the line length (without LF) and advances *pos, or -1 with the
 * reason in err.
 */
static ssize_t
spool_line(const char *data, size_t len, size_t *pos, size_t lineno,
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
	for (i = 0; (size_t)(lf - p) - i >= 8 && spool_plain8(p + i); i += 8)
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

/* spool_key_name - a key byte as printable text for messages */
static const char *
spool_key_name(char k, char *tmp, size_t tmpsize)
{
	if (k > 0x20 && k < 0x7f)
		snprintf(tmp, tmpsize, "'%c'", k);
	else
		snprintf(tmp, tmpsize, "0x%02x", (unsigned char)k);
	return tmp;
}

/* spool_parse_rcpt - "addr[TAB NOTIFY=..][TAB ORCPT=..]" */
static int
spool_parse_rcpt(struct envelope *env, char *v, size_t lineno,
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
			if (!spool_notify_valid(notify)) {
				buf_note(err, "line %zu: NOTIFY=NEVER "
				    "combined with other keywords", lineno);
				return -1;
			}
			stage = 1;
		} else if (strncmp(param, "ORCPT=", 6) == 0 && stage < 2) {
			orcpt = param + 6;
			if (!spool_orcpt_valid(orcpt)) {
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

/* spool_parse_value - one envelope record's value into env */
static int
spool_parse_value(struct envelope *env, char key, char *v, size_t lineno,
    struct buf *err)
{
	uint64_t	n;

	switch (key) {
	case 'V':
		if (spool_num(v, false, 0, UINT32_MAX, &n) == -1 ||
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
		if (spool_num(v, false, 0, SPOOL_TIME_MAX, &n) == -1)
			break;
		env->arrival = n;
		return 0;
	case 'U':
		if (spool_num(v, false, 0, SPOOL_UID_MAX, &n) == -1)
			break;
		env->uid = (uid_t)n;
		return 0;
	case 'L':
		if (!spool_login_valid(v)) {
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
		return spool_parse_rcpt(env, v, lineno, err);
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
		if (!spool_xtext_valid(v, SPOOL_ENVID_MAX)) {
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
		if (spool_num(v, true, 1, SPOOL_SIZE_MAX, &n) == -1)
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

/* spool_env_parse - both forms */
static int
spool_env_parse(const char *data, size_t len, struct envelope *env,
    size_t *consumed, struct buf *err, bool request)
{
	char		 line[SPOOL_RECORD_MAX + 1], kn[8];
	const char	*seen_at, *required;
	size_t		 pos = 0, lineno = 0;
	int		 last = -1, rank;
	ssize_t		 n;
	char		 seen[sizeof(spool_env_order)] = { 0 };

	envelope_init(env);
	for (;;) {
		lineno++;
		if ((n = spool_line(data, len, &pos, lineno, "R", err)) == -1)
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
		seen_at = strchr(spool_env_order, line[0]);
		if (line[0] == '\0' || seen_at == NULL) {
			buf_note(err, "line %zu: unknown record %s", lineno,
			    spool_key_name(line[0], kn, sizeof(kn)));
			goto fail;
		}
		rank = (int)(seen_at - spool_env_order);
		if (request && strchr(spool_env_drop_only, line[0])) {
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
		if (spool_parse_value(env, line[0], line + 2, lineno, err) == -1)
			goto fail;
	}
	required = request ? "VSR" : "VITUSRZ";
	for (; *required != '\0'; required++)
		if (!seen[strchr(spool_env_order, *required) -
		    spool_env_order]) {
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
	return spool_env_parse(data, len, env, consumed, err, false);
}

/* envelope_parse_request - pipe form */
int
envelope_parse_request(const char *data, size_t len, struct envelope *env,
    size_t *consumed, struct buf *err)
{
	return spool_env_parse(data, len, env, consumed, err, true);
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
	do
		w = pwrite(fd, digits, SPOOL_SIZE_WIDTH, at);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		return -1;
	if (w != SPOOL_SIZE_WIDTH) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* spool_read_envelope_fd - bounded read, strict parse, size check */
int
spool_read_envelope_fd(int fd, struct envelope *env, off_t *body_offset,
    struct buf *err)
{
	struct buf	 b;
	struct stat	 st;
	char		 chunk[SPOOL_READ_CHUNK];
	const char	*end = NULL;
	size_t		 consumed, from = 0;
	ssize_t		 r;
	int		 rc = -1;

	envelope_init(env);
	buf_init(&b, SPOOL_ENVELOPE_MAX);
	for (;;) {
		do
			r = pread(fd, chunk, sizeof(chunk), (off_t)b.len);
		while (r == -1 && errno == EINTR);
		if (r == -1) {
			buf_note(err, "read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (buf_append(&b, chunk, (size_t)r) == -1) {
			buf_note(err, "envelope longer than %zu bytes",
			    (size_t)SPOOL_ENVELOPE_MAX);
			goto out;
		}
		from = from > 0 ? from - 1 : 0;
		if ((end = memmem(b.data + from, b.len - from, "\n\n", 2)))
			break;
		from = b.len;
	}
	if (envelope_parse(b.data != NULL ? b.data : "", end != NULL ?
	    (size_t)(end - b.data) + 2 : b.len, env, &consumed, err) == -1)
		goto out;
	if (fstat(fd, &st) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size != (uint64_t)consumed + env->size) {
		buf_note(err, "file is %llu bytes but the envelope says %zu + "
		    "%llu (truncated or altered)", (unsigned long long)st.st_size,
		    consumed, (unsigned long long)env->size);
		goto out;
	}
	*body_offset = (off_t)consumed;
	rc = 0;
out:
	if (rc == -1)
		envelope_free(env);
	buf_free(&b);
	return rc;
}

/* ---- retry state ---------------------------------------------------- */

/* spool_state_init - fresh */
void
spool_state_init(struct spool_state *st)
{
	memset(st, 0, sizeof(*st));
	st->version = SPOOL_VERSION;
}

/* spool_state_free - release */
void
spool_state_free(struct spool_state *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nrcpts; i++)
		free(st->rcpts[i].text);
	free(st->rcpts);
	free(st->last_error);
	envelope_free(st->env);
	free(st->env);
	spool_state_init(st);
}

/* spool_rcpt_state_name - names used in the file */
const char *
spool_rcpt_state_name(enum spool_rcpt_state s)
{
	switch (s) {
	case SPOOL_RCPT_PENDING:
		return "pending";
	case SPOOL_RCPT_SENT:
		return "sent";
	case SPOOL_RCPT_FAILED:
		return "failed";
	case SPOOL_RCPT_DEFERRED:
		return "deferred";
	default:
		return "unknown";
	}
}

/* spool_text_copy - sanitised, bounded copy of diagnostic text */
static char *
spool_text_copy(const char *text)
{
	size_t	 n = text != NULL ? strnlen(text, SPOOL_STATE_TEXT_MAX) : 0;
	char	*s = xstrndup(text != NULL ? text : "", n), *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* spool_enh_valid - "c.d.d" with class 2, 4 or 5 (RFC 3463) */
static bool
spool_enh_valid(const char *s)
{
	size_t	a, b, c;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	if (s[1] != '.')
		return false;
	a = strspn(s + 2, "0123456789");
	if (a < 1 || a > 3 || s[2 + a] != '.')
		return false;
	b = strspn(s + 3 + a, "0123456789");
	c = 3 + a + b;
	return b >= 1 && b <= 3 && s[c] == '\0';
}

/* spool_state_rcpt - lookup by index */
const struct spool_rcpt_status *
spool_state_rcpt(const struct spool_state *st, size_t index)
{
	size_t	i;

	for (i = 0; i < st->nrcpts; i++)
		if (st->rcpts[i].index == index)
			return &st->rcpts[i];
	return NULL;
}

/* spool_state_set_rcpt - insert or replace, keeping ascending order */
int
spool_state_set_rcpt(struct spool_state *st, size_t index,
    enum spool_rcpt_state state, unsigned code, const char *enh,
    const char *text)
{
	struct spool_rcpt_status *r;
	size_t	i;

	if (index >= SPOOL_RCPT_MAX || state > SPOOL_RCPT_DEFERRED ||
	    (code != 0 && (code < 200 || code > 599)) ||
	    (enh != NULL && *enh != '\0' && (strlen(enh) >= sizeof(r->enh) ||
	    !spool_enh_valid(enh)))) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < st->nrcpts && st->rcpts[i].index < index; i++)
		;
	if (i == st->nrcpts || st->rcpts[i].index != index) {
		st->rcpts = xrealloc(st->rcpts, (st->nrcpts + 1) *
		    sizeof(*st->rcpts));
		memmove(&st->rcpts[i + 1], &st->rcpts[i], (st->nrcpts - i) *
		    sizeof(*st->rcpts));
		st->nrcpts++;
		st->rcpts[i].text = NULL;
	}
	r = &st->rcpts[i];
	free(r->text);
	r->index = index;
	r->state = state;
	r->code = code;
	str_copy(r->enh, enh != NULL ? enh : "", sizeof(r->enh));
	r->text = spool_text_copy(text);
	return 0;
}

/* spool_state_set_error - last error text */
void
spool_state_set_error(struct spool_state *st, const char *text)
{
	free(st->last_error);
	st->last_error = text != NULL && *text != '\0' ?
	    spool_text_copy(text) : NULL;
}

/*
 * spool_state_set_envelope - the copy is made by writing env and parsing
 * it back, so it holds exactly what a reader of the file will see
 */
int
spool_state_set_envelope(struct spool_state *st, const struct envelope *env)
{
	struct envelope	*copy;
	struct buf	 b, err;
	size_t		 consumed;
	int		 rc = -1;

	buf_init(&b, SPOOL_ENVELOPE_MAX);
	buf_init(&err, SPOOL_RECORD_MAX);
	copy = xmalloc(sizeof(*copy));
	envelope_init(copy);
	if (envelope_write(env, &b) == -1 || envelope_parse(b.data, b.len,
	    copy, &consumed, &err) == -1 || consumed != b.len) {
		envelope_free(copy);
		free(copy);
		errno = EINVAL;
		goto out;
	}
	envelope_free(st->env);
	free(st->env);
	st->env = copy;
	st->version = SPOOL_STATE_VERSION;
	rc = 0;
out:
	buf_free(&b);
	buf_free(&err);
	return rc;
}

/* spool_state_format - file image */
int
spool_state_format(const struct spool_state *st, struct buf *out)
{
	size_t	start = out->len, i;
	int	rc = -1;

	if (buf_printf(out, "V %u\nA %llu\nX %llu\nW %llu\n", st->env != NULL ?
	    SPOOL_STATE_VERSION : SPOOL_VERSION,
	    (unsigned long long)st->attempts,
	    (unsigned long long)st->next_attempt,
	    (unsigned long long)st->first_attempt) == -1)
		goto out;
	if (st->delay_warned != 0 && buf_printf(out, "D %llu\n",
	    (unsigned long long)st->delay_warned) == -1)
		goto out;
	for (i = 0; i < st->nrcpts; i++) {
		const struct spool_rcpt_status *r = &st->rcpts[i];

		if (buf_printf(out, "r %zu %s %u %s", r->index,
		    spool_rcpt_state_name(r->state), r->code,
		    r->enh[0] != '\0' ? r->enh : "-") == -1)
			goto out;
		if (r->text != NULL && *r->text != '\0' &&
		    buf_printf(out, " %s", r->text) == -1)
			goto out;
		if (buf_putc(out, '\n') == -1)
			goto out;
	}
	if (st->last_error != NULL && *st->last_error != '\0' &&
	    buf_printf(out, "e %s\n", st->last_error) == -1)
		goto out;
	if (st->env != NULL && (buf_putc(out, '\n') == -1 ||
	    envelope_write(st->env, out) == -1))
		goto out;
	rc = 0;
out:
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

/* spool_state_parse_rcpt - "INDEX STATE CODE ENH[ TEXT]" */
static int
spool_state_parse_rcpt(struct spool_state *st, char *v, size_t lineno,
    struct buf *err)
{
	char		*f[4], *text = NULL, *sp;
	uint64_t	 index, code;
	int		 state, i;

	for (i = 0; i < 4; i++) {
		f[i] = v;
		if ((sp = strchr(v, ' ')) != NULL) {
			*sp = '\0';
			v = sp + 1;
		} else if (i < 3) {
			buf_note(err, "line %zu: recipient status needs "
			    "index, state, code and enhanced code", lineno);
			return -1;
		} else
			v = NULL;
		if (*f[i] == '\0') {
			buf_note(err, "line %zu: empty field", lineno);
			return -1;
		}
	}
	text = v;
	if (spool_num(f[0], false, 0, SPOOL_RCPT_MAX - 1, &index) == -1) {
		buf_note(err, "line %zu: recipient index out of range",
		    lineno);
		return -1;
	}
	for (state = SPOOL_RCPT_PENDING; state <= SPOOL_RCPT_DEFERRED; state++)
		if (strcmp(f[1], spool_rcpt_state_name(state)) == 0)
			break;
	if (state > SPOOL_RCPT_DEFERRED) {
		buf_note(err, "line %zu: unknown recipient state (pending, "
		    "sent, failed, deferred)", lineno);
		return -1;
	}
	if (spool_num(f[2], false, 0, 599, &code) == -1 ||
	    (code != 0 && code < 200)) {
		buf_note(err, "line %zu: reply code not 0 or 200-599",
		    lineno);
		return -1;
	}
	if (strcmp(f[3], "-") != 0 && (strlen(f[3]) >= 16 ||
	    !spool_enh_valid(f[3]))) {
		buf_note(err, "line %zu: enhanced status code not '-' or "
		    "class.subject.detail", lineno);
		return -1;
	}
	if (text != NULL && (*text == '\0' ||
	    strlen(text) > SPOOL_STATE_TEXT_MAX)) {
		buf_note(err, "line %zu: reply text empty or longer than %d "
		    "bytes", lineno, SPOOL_STATE_TEXT_MAX);
		return -1;
	}
	if (st->nrcpts > 0 && st->rcpts[st->nrcpts - 1].index >= index) {
		buf_note(err, "line %zu: recipient indices not ascending",
		    lineno);
		return -1;
	}
	return spool_state_set_rcpt(st, (size_t)index, state, (unsigned)code,
	    strcmp(f[3], "-") == 0 ? NULL : f[3], text);
}

/*
 * spool_state_parse_envelope - the envelope copy that ends a version 2
 * state, after the blank line at line lineno: exactly one envelope as in
 * a queue file, and nothing after it
 */
static int
spool_state_parse_envelope(struct spool_state *st, const char *data,
    size_t len, size_t lineno, struct buf *err)
{
	struct envelope	*env = xmalloc(sizeof(*env));
	struct buf	 why;
	size_t		 consumed, lines = 0, i;
	int		 rc = -1;

	buf_init(&why, SPOOL_RECORD_MAX);
	if (envelope_parse(data, len, env, &consumed, &why) == -1) {
		buf_note(err, "line %zu: the envelope copy after it: %s",
		    lineno, buf_cstr(&why));
		free(env);
		goto out;
	}
	if (consumed != len) {
		for (i = 0; i < consumed; i++)
			lines += data[i] == '\n';
		buf_note(err, "line %zu: data after the envelope copy",
		    lineno + lines + 1);
		envelope_free(env);
		free(env);
		goto out;
	}
	st->env = env;
	rc = 0;
out:
	buf_free(&why);
	return rc;
}

/* spool_state_parse - strict */
int
spool_state_parse(const char *data, size_t len, struct spool_state *st,
    struct buf *err)
{
	char		 line[SPOOL_RECORD_MAX + 1], kn[8];
	const char	*at, *required;
	size_t		 pos = 0, lineno = 0;
	uint64_t	 n;
	int		 last = -1, rank;
	ssize_t		 ln;
	char		 seen[sizeof(spool_state_order)] = { 0 };

	spool_state_init(st);
	st->version = 0;
	while (pos < len) {
		lineno++;
		if ((ln = spool_line(data, len, &pos, lineno, "", err)) == -1)
			goto fail;
		memcpy(line, data + pos - (size_t)ln - 1, (size_t)ln);
		line[ln] = '\0';
		if (ln == 0 && st->version == SPOOL_STATE_VERSION) {
			/* version 2: the envelope copy, then the end */
			if (spool_state_parse_envelope(st, data + pos,
			    len - pos, lineno, err) == -1)
				goto fail;
			pos = len;
			break;
		}
		if (ln == 0 || (at = strchr(spool_state_order, line[0])) ==
		    NULL) {
			buf_note(err, "line %zu: unknown record %s", lineno,
			    spool_key_name(line[0], kn, sizeof(kn)));
			goto fail;
		}
		rank = (int)(at - spool_state_order);
		if (rank < last || (rank == last && line[0] != 'r')) {
			buf_note(err, "line %zu: record '%c' %s", lineno,
			    line[0], rank == last ? "repeated" :
			    "out of order (order: V A X W D r e)");
			goto fail;
		}
		if (lineno == 1 && line[0] != 'V') {
			buf_note(err, "line 1: the first record must be the "
			    "version (V %d)", SPOOL_VERSION);
			goto fail;
		}
		last = rank;
		seen[rank] = 1;
		if (line[1] != ' ' || line[2] == '\0') {
			buf_note(err, "line %zu: record '%c' needs one space "
			    "and a value", lineno, line[0]);
			goto fail;
		}
		switch (line[0]) {
		case 'V':
			if (spool_num(line + 2, false, 0, UINT32_MAX, &n) == -1
			    || n < SPOOL_VERSION || n > SPOOL_STATE_VERSION) {
				buf_note(err, "line %zu: unsupported state "
				    "version (this postern reads %d to %d)",
				    lineno, SPOOL_VERSION,
				    SPOOL_STATE_VERSION);
				goto fail;
			}
			st->version = (unsigned)n;
			break;
		case 'A':
		case 'X':
		case 'W':
		case 'D':
			if (spool_num(line + 2, false, 0, line[0] == 'A' ?
			    UINT32_MAX : SPOOL_TIME_MAX, &n) == -1) {
				buf_note(err, "line %zu: record '%c': number "
				    "out of range", lineno, line[0]);
				goto fail;
			}
			if (line[0] == 'A')
				st->attempts = n;
			else if (line[0] == 'X')
				st->next_attempt = n;
			else if (line[0] == 'D')
				st->delay_warned = n;
			else
				st->first_attempt = n;
			break;
		case 'r':
			if (spool_state_parse_rcpt(st, line + 2, lineno,
			    err) == -1)
				goto fail;
			break;
		case 'e':
			if (strlen(line + 2) > SPOOL_STATE_TEXT_MAX) {
				buf_note(err, "line %zu: error text longer "
				    "than %d bytes", lineno,
				    SPOOL_STATE_TEXT_MAX);
				goto fail;
			}
			spool_state_set_error(st, line + 2);
			break;
		default:
			buf_note(err, "line %zu: impossible record", lineno);
			goto fail;
		}
	}
	for (required = "VAXW"; *required != '\0'; required++)
		if (!seen[strchr(spool_state_order, *required) -
		    spool_state_order]) {
			buf_note(err, "required record '%c' missing",
			    *required);
			goto fail;
		}
	if (st->version == SPOOL_STATE_VERSION && st->env == NULL) {
		buf_note(err, "line %zu: a version %d state must end with a "
		    "blank line and the envelope copy", lineno,
		    SPOOL_STATE_VERSION);
		goto fail;
	}
	return 0;
fail:
	spool_state_free(st);
	return -1;
}

/* spool_state_paths - state/QID and state/.QID.tmp */
static int
spool_state_paths(const char *spool_dir, const struct qid *qid, char *path,
    char *tmp, size_t size)
{
	int	n;

	if (!qid_valid(qid->s)) {
		errno = EINVAL;
		return -1;
	}
	if (spool_path(spool_dir, SPOOL_STATE, qid, path, size) == -1)
		return -1;
	n = snprintf(tmp, size, "%s/%s/.%s.tmp", spool_dir, SPOOL_STATE,
	    qid->s);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* spool_state_write - write tmp, fsync, rename, fsync dir */
int
spool_state_write(const char *spool_dir, const struct qid *qid,
    const struct spool_state *st, struct buf *err)
{
	char		path[4096], tmp[4096], dir[4096];
	struct buf	b;
	int		rc = -1;

	buf_init(&b, SPOOL_STATE_MAX);
	if (spool_state_paths(spool_dir, qid, path, tmp, sizeof(path)) == -1 ||
	    spool_path(spool_dir, SPOOL_STATE, NULL, dir, sizeof(dir)) == -1) {
		buf_note(err, "state path for %s: %s", qid->s,
		    strerror(errno));
		goto out;
	}
	if (spool_state_format(st, &b) == -1) {
		buf_note(err, "format %s: %s", path, strerror(errno));
		goto out;
	}
	rc = spool_replace_file(path, tmp, dir, b.data, b.len,
	    SPOOL_MODE_STATEFILE, err);
out:
	buf_free(&b);
	return rc;
}

/* spool_replace_file - tmp, fsync, rename over path, fsync dir */
int
spool_replace_file(const char *path, const char *tmp, const char *dir,
    const void *data, size_t len, mode_t mode, struct buf *err)
{
	int	fd = -1, rc = -1;
	bool	created = false;

	/* a crash may have left a tmp file; it is ours to replace */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		buf_note(err, "unlink %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		buf_note(err, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	/* the umask (systemd's UMask=0077) must not take the group's read */
	if (fchmod(fd, mode) == -1) {
		buf_note(err, "chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (io_write_all(fd, data != NULL ? data : "", len) == -1 ||
	    fsync(fd) == -1) {
		buf_note(err, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		buf_note(err, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		buf_note(err, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	created = false;
	if (fsync_dir(dir) == -1) {
		buf_note(err, "fsync %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (created)
		unlink(tmp);
	return rc;
}

/* spool_state_read - missing file is a fresh state */
int
spool_state_read(const char *spool_dir, const struct qid *qid,
    struct spool_state *st, struct buf *err)
{
	char		path[4096], tmp[4096], chunk[SPOOL_READ_CHUNK];
	struct buf	b;
	struct stat	sb;
	ssize_t		r;
	int		fd = -1, rc = -1;

	spool_state_init(st);
	buf_init(&b, SPOOL_STATE_MAX);
	if (spool_state_paths(spool_dir, qid, path, tmp, sizeof(path)) == -1) {
		buf_note(err, "state path for %s: %s", qid->s,
		    strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			buf_note(err, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		buf_note(err, "%s: not a regular file", path);
		goto out;
	}
	while ((r = io_read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)r) == -1) {
			buf_note(err, "%s: longer than %zu bytes", path,
			    (size_t)SPOOL_STATE_MAX);
			goto out;
		}
	if (r == -1) {
		buf_note(err, "read %s: %s", path, strerror(errno));
		goto out;
	}
	if (spool_state_parse(b.data != NULL ? b.data : "", b.len, st,
	    err) == -1) {
		buf_note(err, " (in %s)", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return rc;
}

/* spool_state_remove - unlink, ENOENT is fine */
int
spool_state_remove(const char *spool_dir, const struct qid *qid)
{
	char	path[4096], tmp[4096];

	if (spool_state_paths(spool_dir, qid, path, tmp, sizeof(path)) == -1)
		return -1;
	(void)unlink(tmp);
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}
