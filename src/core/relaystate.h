/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relaystate.h - the one owner of the format of spool/state/relays, the
 * relay up/down state the agent keeps (doc/agent.md): parsing a line,
 * formatting a line, reading the file strictly and boundedly, and the
 * saved flush request (state/flush-relays) that root and the agent's
 * group leave for an agent that is not running.  The agent writes and
 * reloads the file through it; the queue tools read it through it.
 * Never writes state/relays itself (the agent does, atomically) and
 * never trusts the file: every line is parsed strictly.
 */
#ifndef POSTERN_RELAYSTATE_H
#define POSTERN_RELAYSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define RELAYSTATE_FILE		"relays"	/* spool/state/relays */
#define RELAYSTATE_FLUSH_FILE	"flush-relays"	/* a saved flush request */
#define RELAYSTATE_NAME_MAX	300		/* "host:port", NUL included */
#define RELAYSTATE_REASON_MAX	400		/* reason bytes kept */
#define RELAYSTATE_FILE_MAX	((size_t)64 << 10) /* bytes read */
#define RELAYSTATE_LINES_MAX	32		/* lines kept */

/* one line of state/relays */
struct relaystate {
	char		 name[RELAYSTATE_NAME_MAX];	/* "host:port" */
	bool		 down;
	uint64_t	 down_since;	/* unix time of the first failure;
					   0 up */
	uint64_t	 next_try;	/* unix time; 0 when up */
	uint64_t	 failures;	/* consecutive; 0 when up */
	uint64_t	 last_sent;	/* unix time of the last message it
					   accepted (to the minute); 0: none
					   known (older files have none) */
	char		 reason[RELAYSTATE_REASON_MAX + 1]; /* "" when up */
};

/* the whole file as read */
struct relaystate_file {
	struct relaystate r[RELAYSTATE_LINES_MAX];
	size_t		 n;		/* lines parsed */
	size_t		 bad;		/* lines refused (or cut, or beyond
					   RELAYSTATE_LINES_MAX) */
	bool		 cut;		/* longer than RELAYSTATE_FILE_MAX */
	struct timespec	 mtime;		/* the file's, when read */
};

/*
 * relaystate_parse_line - one line (without its LF): "NAME up [sent=T]"
 * or "NAME down SINCE NEXT FAILURES [sent=T ]REASON".  NAME has no space
 * or control character; the numbers are decimal.  sent=T (the last
 * message the relay accepted) is optional, so the files of agents that
 * did not record it read as before (last_sent 0); a reason of such a file
 * that starts with "sent=" and digits then a space would be misread,
 * which no agent ever wrote.  Returns 0, or -1 (errno EINVAL) for any
 * other form; *r is then unspecified.  A reason over the limit is cut,
 * control characters become '?'.
 */
int	relaystate_parse_line(const char *line, struct relaystate *r);

/*
 * relaystate_format_line - append r's line, LF included, to b: the forms
 * above, with sent=T only when r->last_sent is not 0 (control
 * characters of the reason become '?', a long reason is cut).  Returns
 * 0, or -1 when b is full or r's name cannot be written (empty, or with
 * a space or control character).
 */
int	relaystate_format_line(struct buf *b, const struct relaystate *r);

/*
 * relaystate_parse - every line of data[0..len) into *f (data is
 * modified: LFs become NULs).  A last line without its LF counts as bad
 * (the agent always ends it).  Never fails: f->bad counts what was
 * refused.
 */
void	relaystate_parse(char *data, size_t len, struct relaystate_file *f);

/*
 * relaystate_read - open state/relays at dirfd (the state directory;
 * O_NOFOLLOW, non-blocking, must be a regular file), read at most
 * RELAYSTATE_FILE_MAX bytes and parse them into *f.  A longer file sets
 * f->cut, counts one bad line, and its whole lines that fit are parsed.
 * Returns 0, or -1 with errno (ENOENT: no file yet; EINVAL: not a regular
 * file; anything open or read gives).
 */
int	relaystate_read(int dirfd, struct relaystate_file *f);

/*
 * relaystate_flush_save - leave a flush request for the next agent run:
 * create state/flush-relays at dirfd (O_CREAT|O_EXCL, so nothing that
 * is there is ever opened, not even through a link; mode 0640; an
 * existing entry counts as the request).  Only root and the agent's group
 * may write state/, which is the whole authentication.  Returns 0, or -1
 * with errno (EACCES: the caller may not).
 */
int	relaystate_flush_save(int dirfd);

/*
 * relaystate_flush_take - consume a saved flush request at dirfd: true
 * when state/flush-relays existed and this call removed it (so two runs
 * never both take it).
 */
bool	relaystate_flush_take(int dirfd);

#endif
