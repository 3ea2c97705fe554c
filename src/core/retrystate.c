/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * retrystate.c - the agent's retry state, state/QID: build it, format and
 * parse it strictly, and read, replace and remove the file.
 *
 * Owns the state grammar of doc/spool-format.md: nobody else may parse or
 * write a state/QID record.  The records use the envelope's lexer
 * (envelope_rec_line, envelope_rec_num) and a version 2 file carries an
 * envelope, parsed and written by envelope.c only.  Written by the agent
 * only; read by the agent and the queue tools.  Never logs, never exits,
 * never touches a queue file; postern-drop must never link it.
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
#include "retrystate.h"
#include "spool.h"
#include "util.h"

#define RETRYSTATE_READ_CHUNK	8192
#define RETRYSTATE_PEEK		4096	/* spool_state_read_quick's read */

/* the state record order; r alone may repeat */
static const char spool_state_order[] = "VAXWDre";

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
	if (envelope_rec_num(f[0], false, 0, SPOOL_RCPT_MAX - 1,
	    &index) == -1) {
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
	if (envelope_rec_num(f[2], false, 0, 599, &code) == -1 ||
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

/*
 * spool_state_parse_key - the key of record line (at lineno) is known,
 * in order after the one of rank *last (only r repeats), V first, and
 * followed by one space and a value.  Marks it in seen[] and returns 0,
 * or -1 with the reason in err.
 */
static int
spool_state_parse_key(const char *line, size_t lineno, int *last,
    char *seen, struct buf *err)
{
	const char	*at;
	char		 kn[8];
	int		 rank;

	if (line[0] == '\0' || (at = strchr(spool_state_order, line[0])) ==
	    NULL) {
		buf_note(err, "line %zu: unknown record %s", lineno,
		    envelope_rec_key(line[0], kn, sizeof(kn)));
		return -1;
	}
	rank = (int)(at - spool_state_order);
	if (rank < *last || (rank == *last && line[0] != 'r')) {
		buf_note(err, "line %zu: record '%c' %s", lineno, line[0],
		    rank == *last ? "repeated" :
		    "out of order (order: V A X W D r e)");
		return -1;
	}
	if (lineno == 1 && line[0] != 'V') {
		buf_note(err, "line 1: the first record must be the version "
		    "(V %d)", SPOOL_VERSION);
		return -1;
	}
	*last = rank;
	seen[rank] = 1;
	if (line[1] != ' ' || line[2] == '\0') {
		buf_note(err, "line %zu: record '%c' needs one space and a "
		    "value", lineno, line[0]);
		return -1;
	}
	return 0;
}

/* spool_state_parse_value - the value of one record into st */
static int
spool_state_parse_value(struct spool_state *st, char *line,
    size_t lineno, struct buf *err)
{
	uint64_t	n;

	switch (line[0]) {
	case 'V':
		if (envelope_rec_num(line + 2, false, 0, UINT32_MAX, &n) ==
		    -1 || n < SPOOL_VERSION || n > SPOOL_STATE_VERSION) {
			buf_note(err, "line %zu: unsupported state version "
			    "(this postern reads %d to %d)", lineno,
			    SPOOL_VERSION, SPOOL_STATE_VERSION);
			return -1;
		}
		st->version = (unsigned)n;
		return 0;
	case 'A':
	case 'X':
	case 'W':
	case 'D':
		if (envelope_rec_num(line + 2, false, 0, line[0] == 'A' ?
		    UINT32_MAX : SPOOL_TIME_MAX, &n) == -1) {
			buf_note(err, "line %zu: record '%c': number out of "
			    "range", lineno, line[0]);
			return -1;
		}
		if (line[0] == 'A')
			st->attempts = n;
		else if (line[0] == 'X')
			st->next_attempt = n;
		else if (line[0] == 'D')
			st->delay_warned = n;
		else
			st->first_attempt = n;
		return 0;
	case 'r':
		/* cuts the line (our copy) into its fields */
		return spool_state_parse_rcpt(st, line + 2, lineno, err);
	case 'e':
		if (strlen(line + 2) > SPOOL_STATE_TEXT_MAX) {
			buf_note(err, "line %zu: error text longer than %d "
			    "bytes", lineno, SPOOL_STATE_TEXT_MAX);
			return -1;
		}
		spool_state_set_error(st, line + 2);
		return 0;
	default:
		buf_note(err, "line %zu: impossible record", lineno);
		return -1;
	}
}

/*
 * spool_state_parse_complete - every required record was seen, and a
 * version 2 state has its envelope copy (lineno: the last line read)
 */
static int
spool_state_parse_complete(const struct spool_state *st, const char *seen,
    size_t lineno, struct buf *err)
{
	const char	*required;

	for (required = "VAXW"; *required != '\0'; required++)
		if (!seen[strchr(spool_state_order, *required) -
		    spool_state_order]) {
			buf_note(err, "required record '%c' missing",
			    *required);
			return -1;
		}
	if (st->version == SPOOL_STATE_VERSION && st->env == NULL) {
		buf_note(err, "line %zu: a version %d state must end with a "
		    "blank line and the envelope copy", lineno,
		    SPOOL_STATE_VERSION);
		return -1;
	}
	return 0;
}

/*
 * spool_state_parse - strict: each record is lexed (envelope_rec_line),
 * its key checked (order, repeats), its value stored; a blank line in a
 * version 2 state starts the envelope copy, which ends the file
 */
int
spool_state_parse(const char *data, size_t len, struct spool_state *st,
    struct buf *err)
{
	char		line[SPOOL_RECORD_MAX + 1];
	char		seen[sizeof(spool_state_order)] = { 0 };
	size_t		pos = 0, lineno = 0;
	int		last = -1;
	ssize_t		ln;

	spool_state_init(st);
	st->version = 0;
	while (pos < len) {
		lineno++;
		if ((ln = envelope_rec_line(data, len, &pos, lineno, "",
		    err)) == -1)
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
		if (spool_state_parse_key(line, lineno, &last, seen,
		    err) == -1 ||
		    spool_state_parse_value(st, line, lineno, err) == -1)
			goto fail;
	}
	if (spool_state_parse_complete(st, seen, lineno, err) == -1)
		goto fail;
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

/* spool_state_read_quick - one pread; anything unusual gives -1 */
int
spool_state_read_quick(int fd, struct spool_state *st, struct buf *err)
{
	char	peek[RETRYSTATE_PEEK];
	ssize_t	r;
	size_t	mark = err->len;

	r = io_pread(fd, peek, sizeof(peek), 0);
	if (r == -1 || (size_t)r == sizeof(peek))
		return -1;
	if (spool_state_parse(peek, (size_t)r, st, err) == -1) {
		buf_truncate(err, mark);
		spool_state_init(st);
		return -1;
	}
	return 0;
}

/* spool_state_read_fd - regular file, bounded read, strict parse */
int
spool_state_read_fd(int fd, const char *name, struct spool_state *st,
    struct stat *sb, struct buf *err)
{
	char		chunk[RETRYSTATE_READ_CHUNK];
	struct buf	b;
	struct stat	tmp;
	ssize_t		r;
	int		rc = -1;

	spool_state_init(st);
	if (sb == NULL)
		sb = &tmp;
	memset(sb, 0, sizeof(*sb));
	buf_init(&b, SPOOL_STATE_MAX);
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		buf_note(err, "%s: not a regular file", name);
		goto out;
	}
	while ((r = io_read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)r) == -1) {
			buf_note(err, "%s: longer than %zu bytes", name,
			    (size_t)SPOOL_STATE_MAX);
			goto out;
		}
	if (r == -1) {
		buf_note(err, "read %s: %s", name, strerror(errno));
		goto out;
	}
	if (spool_state_parse(b.data != NULL ? b.data : "", b.len, st,
	    err) == -1) {
		buf_note(err, " (in %s)", name);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* spool_state_read - missing file is a fresh state */
int
spool_state_read(const char *spool_dir, const struct qid *qid,
    struct spool_state *st, struct buf *err)
{
	char		path[4096], tmp[4096];
	int		fd = -1, rc = -1;

	spool_state_init(st);
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
	rc = spool_state_read_fd(fd, path, st, NULL, err);
out:
	if (fd != -1)
		close(fd);
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
