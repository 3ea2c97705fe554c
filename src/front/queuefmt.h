/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.h - the pure formatting and parsing pieces of the queue tools
 * (postern queue/show/failed): JSON string escaping, terminal-safe text,
 * ages, queue id prefixes and the agent's relay state lines.  No I/O, so
 * tests/unit/queuefmt.c covers all of it.
 */
#ifndef POSTERN_QUEUEFMT_H
#define POSTERN_QUEUEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "qid.h"

#define QUEUEFMT_PREFIX_MIN	4	/* shortest accepted id prefix */
#define QUEUEFMT_RELAY_NAME_MAX	300	/* doc/agent.md: host:port */
#define QUEUEFMT_RELAY_REASON_MAX 400	/* doc/agent.md: reason kept */
#define QUEUEFMT_AGE_MAX	24	/* "213503982334601d07h" + NUL */

/*
 * queuefmt_json_str - append s as a JSON string literal (with the quotes)
 * to out.  Escapes '"', '\\', every control character (0x00-0x1f as \n
 * \t \r \b \f or \u00XX, 0x7f as \u007f), and U+2028/U+2029 (so the
 * output is also a safe JavaScript literal).  Valid UTF-8 passes through;
 * every byte of an invalid, overlong or surrogate sequence becomes U+FFFD,
 * so the output is always valid UTF-8 JSON whatever s holds.  s NULL
 * appends the literal null.  Returns 0, or -1 (out full, contents
 * truncated to their state before the call).
 */
int	queuefmt_json_str(struct buf *out, const char *s);

/*
 * queuefmt_text - append s made safe for a terminal: valid, printable
 * UTF-8 is kept; control characters (C0, DEL, C1 as U+0080-U+009F) and
 * every byte of an invalid sequence become '?'.  TAB is kept when
 * keep_tab is true.  Returns 0, or -1 as buf_append.
 */
int	queuefmt_text(struct buf *out, const char *s, size_t len,
	    bool keep_tab);

/*
 * queuefmt_age - a short approximate duration into out (at least
 * QUEUEFMT_AGE_MAX bytes): "45s", "12m", "2h05m", "3d04h".  Returns out.
 */
char	*queuefmt_age(uint64_t seconds, char *out, size_t outsize);

/*
 * queuefmt_id_arg - check a command-line queue id or id prefix: 4 to 20
 * hex digits, either case.  Writes the upper-case form to out (QID_LEN+1
 * bytes) and returns 1 for a full id, 0 for a prefix, -1 (errno EINVAL)
 * for anything else.
 */
int	queuefmt_id_arg(const char *arg, char *out);

/* the relay state of one line of the agent's state/relays (doc/agent.md) */
struct queuefmt_relay {
	char		 name[QUEUEFMT_RELAY_NAME_MAX];	/* "host:port" */
	bool		 down;
	uint64_t	 down_since;	/* unix time; 0 when up */
	uint64_t	 next_try;	/* unix time; 0 when up */
	uint64_t	 failures;	/* consecutive; 0 when up */
	char		 reason[QUEUEFMT_RELAY_REASON_MAX + 1]; /* "" when up */
};

/*
 * queuefmt_relay_parse - parse one line (without its LF) of state/relays:
 * "NAME up" or "NAME down SINCE NEXT FAILURES REASON".  Returns 0, or -1
 * (errno EINVAL) for any other form; *r is then unspecified.  A reason
 * over the limit is cut, control characters become '?'.
 */
int	queuefmt_relay_parse(const char *line, struct queuefmt_relay *r);

#endif
