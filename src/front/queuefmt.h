/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.h - the pure formatting and parsing pieces of the queue tools
 * (postern queue/show/failed): JSON string escaping, terminal-safe text,
 * numbers, ages, local times, queue id prefixes, listed ids and their
 * sort (the agent's relay state lines: relaystate.h).  No I/O
 * (queuefmt_time uses localtime_r: the caller runs tzset first), so
 * tests/unit/queuefmt.c
 * covers all of it.
 */
#ifndef POSTERN_QUEUEFMT_H
#define POSTERN_QUEUEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "qid.h"

#define QUEUEFMT_PREFIX_MIN	4	/* shortest accepted id prefix */
#define QUEUEFMT_AGE_MAX	24	/* "213503982334601d07h" + NUL */
#define QUEUEFMT_TIME_MAX	20	/* "Thu Nov 23 08:15:39" + NUL */
#define QUEUEFMT_U64_MAX	21	/* 18446744073709551615 + NUL */

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
 * queuefmt_u64 - append v in decimal, right-aligned in width columns
 * (shorter numbers are padded with spaces on the left, longer ones are
 * never cut: printf "%*llu").  Returns 0, or -1 as buf_append.
 */
int	queuefmt_u64(struct buf *out, uint64_t v, unsigned width);

/*
 * The local time of the last minutes queuefmt_time converted: a listing
 * is sorted by queue id, that is by arrival, so neighbours share their
 * arrival minute, and deferred messages mostly share the minute of their
 * next attempt: two minutes are kept, the older replaced.  One per
 * thread; start from QUEUEFMT_CLOCK_INIT (or all zero).
 */
#define QUEUEFMT_CLOCK_SLOTS	2
struct queuefmt_clock {
	struct queuefmt_minute {
		bool		 valid;
		time_t		 start;	/* first second of the minute */
		struct tm	 tm;	/* local time at start */
	}		 slot[QUEUEFMT_CLOCK_SLOTS];
	unsigned	 last;		/* slot used most recently */
};
#define QUEUEFMT_CLOCK_INIT	{ { { false, 0, { 0 } } }, 0 }

/*
 * queuefmt_time - t as local time "Thu Nov 23 08:15:39" into out (at
 * least QUEUEFMT_TIME_MAX bytes): what strftime "%a %b %e %H:%M:%S"
 * gives in the C locale, which the front end never leaves.  With clock
 * (may be NULL) a time in one of the minutes it holds costs no
 * localtime_r; a minute is kept only when local time runs through it
 * from :00 to :59 without a jump (no time zone change, no leap second
 * inside).  "?" when t is not a valid local time.  Returns out.
 */
char	*queuefmt_time(uint64_t t, struct queuefmt_clock *clock, char *out,
	    size_t outsize);

/*
 * queuefmt_id_arg - check a command-line queue id or id prefix: 4 to 20
 * hex digits, either case.  Writes the upper-case form to out (QID_LEN+1
 * bytes) and returns 1 for a full id, 0 for a prefix, -1 (errno EINVAL)
 * for anything else.
 */
int	queuefmt_id_arg(const char *arg, char *out);

/*
 * one message of a listing: its queue id as a number, and where it is;
 * 16 bytes, so 100,000 of them and the sort's scratch copy take 3 MB
 */
struct queuefmt_entry {
	uint64_t	 hi;		/* the first 16 hex digits of the id */
	uint16_t	 lo;		/* the last 4 */
	unsigned char	 where;		/* the caller's tag: its directory */
};

/*
 * queuefmt_entry_set - fill *e from name (a directory entry) and where.
 * Returns 0, or -1 (errno EINVAL, *e unchanged) when name is not exactly
 * a queue id (qid_valid).
 */
int	queuefmt_entry_set(struct queuefmt_entry *e, const char *name,
	    unsigned char where);

/* queuefmt_entry_qid - the queue id of e as text (always valid) */
void	queuefmt_entry_qid(const struct queuefmt_entry *e, struct qid *qid);

/*
 * queuefmt_sort - sort v[0..n) by id, which is by arrival: the order of
 * strcmp on the ids, stable (equal ids keep their order).  A radix sort
 * on the numeric form, in linear time, with a copy of v as scratch; when
 * that cannot be allocated, qsort (then equal ids may change order).
 */
void	queuefmt_sort(struct queuefmt_entry *v, size_t n);

/* the relay state lines are parsed by relaystate.h, their one owner */

#endif
