/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relaystate.c - spool/state/relays: the single parser and formatter of
 * the relay state lines (doc/agent.md), its bounded reader, and the saved
 * flush request.  Callers: the agent (queue_relays.c writes the file
 * atomically and reloads it at start) and the front end (flush.c, the
 * queue tools' queuecmd_*.c, statuscmd.c).
 * The file is data from the spool: every line is checked, nothing in it
 * can overflow a field, and a bad line is counted, never fatal.  No
 * logging here: callers decide what a bad file means to them.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "relaystate.h"
#include "util.h"

/* relaystate_num - the decimal number s[0..n) */
static int
relaystate_num(const char *s, size_t n, uint64_t *v)
{
	char	tmp[24];

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_uint(tmp, 0, UINT64_MAX, v);
}

/* relaystate_name_ok - no empty name, no space, no control character */
static bool
relaystate_name_ok(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n >= RELAYSTATE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f)
			return false;
	return true;
}

/*
 * relaystate_sent - "sent=T" at p, ended by a space or the end: T into
 * *v and the length taken (the space included), or 0 when p is not that
 */
static size_t
relaystate_sent(const char *p, uint64_t *v)
{
	size_t	n;

	if (strncmp(p, "sent=", 5) != 0)
		return 0;
	n = strspn(p + 5, "0123456789");
	if ((p[5 + n] != ' ' && p[5 + n] != '\0') ||
	    relaystate_num(p + 5, n, v) == -1)
		return 0;
	return 5 + n + (p[5 + n] == ' ');
}

/* relaystate_parse_line - "NAME up [sent=T]" | "NAME down SINCE NEXT
   FAILURES [sent=T ]WHY" */
int
relaystate_parse_line(const char *line, struct relaystate *r)
{
	const char	*sp, *p;
	uint64_t	*v[3];
	size_t		 i, n;

	memset(r, 0, sizeof(*r));
	if ((sp = strchr(line, ' ')) == NULL ||
	    !relaystate_name_ok(line, (size_t)(sp - line)))
		goto bad;
	memcpy(r->name, line, (size_t)(sp - line));
	p = sp + 1;
	if (strcmp(p, "up") == 0)
		return 0;
	if (strncmp(p, "up ", 3) == 0) {
		n = relaystate_sent(p + 3, &r->last_sent);
		if (n == 0 || p[3 + n] != '\0' || p[2 + n] == ' ')
			goto bad;
		return 0;
	}
	if (strncmp(p, "down ", 5) != 0)
		goto bad;
	p += 5;
	r->down = true;
	v[0] = &r->down_since;
	v[1] = &r->next_try;
	v[2] = &r->failures;
	for (i = 0; i < 3; i++) {
		if ((sp = strchr(p, ' ')) == NULL)
			goto bad;
		if (relaystate_num(p, (size_t)(sp - p), v[i]) == -1)
			goto bad;
		p = sp + 1;
	}
	p += relaystate_sent(p, &r->last_sent);
	n = strlen(p);
	if (n > RELAYSTATE_REASON_MAX)
		n = RELAYSTATE_REASON_MAX;
	memcpy(r->reason, p, n);
	r->reason[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)r->reason[i] < 0x20 || r->reason[i] == 0x7f)
			r->reason[i] = '?';
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* relaystate_format_line - r's line into b */
int
relaystate_format_line(struct buf *b, const struct relaystate *r)
{
	char	reason[RELAYSTATE_REASON_MAX + 1], *p;

	if (!relaystate_name_ok(r->name, strnlen(r->name,
	    sizeof(r->name))))
		return -1;
	if (!r->down && r->last_sent == 0)
		return buf_printf(b, "%s up\n", r->name);
	if (!r->down)
		return buf_printf(b, "%s up sent=%llu\n", r->name,
		    (unsigned long long)r->last_sent);
	(void)str_copy(reason, r->reason, sizeof(reason));
	for (p = reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (r->last_sent != 0)
		return buf_printf(b, "%s down %llu %llu %llu sent=%llu %s\n",
		    r->name, (unsigned long long)r->down_since,
		    (unsigned long long)r->next_try,
		    (unsigned long long)r->failures,
		    (unsigned long long)r->last_sent, reason);
	return buf_printf(b, "%s down %llu %llu %llu %s\n", r->name,
	    (unsigned long long)r->down_since,
	    (unsigned long long)r->next_try,
	    (unsigned long long)r->failures, reason);
}

/* relaystate_parse - every LF-ended line of data */
void
relaystate_parse(char *data, size_t len, struct relaystate_file *f)
{
	char	*line = data, *end = data + len, *nl;

	f->n = 0;
	while (line < end) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL) {
			f->bad++;	/* no LF: cut short */
			break;
		}
		*nl = '\0';
		if (memchr(line, '\0', (size_t)(nl - line)) != NULL ||
		    f->n == RELAYSTATE_LINES_MAX ||
		    relaystate_parse_line(line, &f->r[f->n]) == -1)
			f->bad++;
		else
			f->n++;
		line = nl + 1;
	}
}

/* relaystate_read - state/relays at dirfd, strictly */
int
relaystate_read(int dirfd, struct relaystate_file *f)
{
	struct stat	 sb;
	char		*data = NULL, *last;
	ssize_t		 r = 0;
	size_t		 len = 0;
	int		 fd, rc = -1, saved;

	memset(f, 0, sizeof(*f));
	if ((fd = openat(dirfd, RELAYSTATE_FILE, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	f->mtime = sb.st_mtim;
	data = xmalloc(RELAYSTATE_FILE_MAX + 1);
	while (len <= RELAYSTATE_FILE_MAX &&
	    (r = io_read(fd, data + len, RELAYSTATE_FILE_MAX + 1 - len)) > 0)
		len += (size_t)r;
	if (r == -1)
		goto out;
	if (len > RELAYSTATE_FILE_MAX) {
		/* longer than the agent ever writes: the whole lines that
		   fit are parsed, the rest counts as one bad line */
		f->cut = true;
		f->bad++;
		last = memrchr(data, '\n', RELAYSTATE_FILE_MAX);
		len = last != NULL ? (size_t)(last - data) + 1 : 0;
	}
	relaystate_parse(data, len, f);
	rc = 0;
out:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return rc;
}

/* relaystate_flush_save - create state/flush-relays */
int
relaystate_flush_save(int dirfd)
{
	int	fd;

	/* O_EXCL: never opens what is there (root may run this in a
	   directory the agent's user writes); one there is the request */
	if ((fd = openat(dirfd, RELAYSTATE_FLUSH_FILE, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640)) == -1)
		return errno == EEXIST ? 0 : -1;
	close(fd);
	return 0;
}

/* relaystate_flush_take - remove state/flush-relays; true if we did */
bool
relaystate_flush_take(int dirfd)
{
	return unlinkat(dirfd, RELAYSTATE_FLUSH_FILE, 0) == 0;
}
