/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * header.h - the message header section, read line by line into a bounded
 * list of fields, edited, and written back.
 *
 * Each field keeps its raw bytes (name, ':', value, folded continuation
 * lines, each line ending in LF) so a field nobody touches is written back
 * byte-for-byte.  The total of all fields' raw bytes never passes the
 * maximum given to header_block_init (conf max_header_size).
 */
#ifndef POSTERN_HEADER_H
#define POSTERN_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

/* most fields one header section may hold (each costs at least 2 bytes) */
#define HEADER_FIELDS_MAX	10000
/* longest field name (RFC 5322 has no limit; 998 is the line limit) */
#define HEADER_NAME_MAX		998
/* longest display name header_encode_phrase accepts */
#define HEADER_PHRASE_MAX	256
/* room header_date and header_message_id need (with the NUL) */
#define HEADER_DATE_SIZE	40
#define HEADER_MSGID_SIZE	320

/* header_block_feed_line results */
#define HEADER_MORE	0	/* line taken: feed the next one */
#define HEADER_END	1	/* the empty separator line: body follows */
#define HEADER_BODY	2	/* not a header line: it is the first
				   body line */

struct header_field {
	struct buf	 raw;	/* "Name: value\n[ continuation\n]..." */
	size_t		 name_len;
	char		*value;	/* unfolded value, owned; NULL until asked */
};

struct header_block {
	struct header_field	**f;	/* owned array of owned fields */
	size_t			  n;
	size_t			  cap;
	size_t			  size;	/* sum of the fields' raw lengths */
	size_t			  max;	/* limit on size */
	bool			  started;	/* a line was fed */
	bool			  done;		/* END or BODY returned */
	bool			  from_dropped;	/* an mbox "From " line went */
};

/* header_block_init - empty block holding at most max bytes of fields */
void	header_block_init(struct header_block *, size_t max);

/* header_block_free - free every field; the block is empty and reusable */
void	header_block_free(struct header_block *);

/*
 * header_block_feed_line - give the next input line (LF-normalised,
 * without its LF; it may hold any byte).  Returns
 *   HEADER_MORE  the line was a field or a continuation; feed the next one;
 *                a first line "From ..." (mbox From_ line) is dropped and
 *                from_dropped set, so the caller can log it;
 *   HEADER_END   the line was empty: it is consumed, the body follows;
 *   HEADER_BODY  the line is not a header line (no "name:" prefix, or a
 *                continuation with nothing to continue): the caller must
 *                treat it as the first body line; at the very first line
 *                it means the message has no header at all;
 *   -1           errno EMSGSIZE: the block would pass its maximum (or
 *                HEADER_FIELDS_MAX); EINVAL: called after END or BODY.
 */
int	header_block_feed_line(struct header_block *, const char *line,
	    size_t len);

/* header_count - number of fields */
size_t	header_count(const struct header_block *);

/*
 * header_find - index of the first field at or after start whose name is
 * name (ASCII case-insensitive), or -1.  Iterate with start = found + 1.
 */
int	header_find(const struct header_block *, const char *name,
	    size_t start);

/* header_has - true when a field called name exists */
bool	header_has(const struct header_block *, const char *name);

/*
 * header_name - the field name of field idx as written (not NUL-terminated:
 * *len gets its length); borrowed until the block changes.
 */
const char *header_name(const struct header_block *, size_t idx,
	    size_t *len);

/*
 * header_value - the unfolded value of field idx: line breaks removed,
 * leading and trailing white space trimmed.  Borrowed until the field or
 * block changes; NULL when idx is out of range.  May hold NUL bytes if the
 * input did; use header_raw for exact bytes.
 */
const char *header_value(struct header_block *, size_t idx);

/*
 * header_raw_value - the raw value of field idx: the bytes after the ':'
 * up to (not including) the final LF, folding included.  *len gets the
 * length.  Borrowed until the block changes; NULL when out of range.
 */
const char *header_raw_value(const struct header_block *, size_t idx,
	    size_t *len);

/*
 * header_raw - the raw bytes of field idx (name through final LF); *len
 * gets the length.  Borrowed until the block changes; NULL when out of
 * range.
 */
const char *header_raw(const struct header_block *, size_t idx,
	    size_t *len);

/* header_remove - delete every field called name; returns how many */
size_t	header_remove(struct header_block *, const char *name);

/* header_remove_at - delete field idx; 0, or -1 (errno EINVAL) */
int	header_remove_at(struct header_block *, size_t idx);

/*
 * header_add - append "name: value\n".  name must be a valid field name
 * (printable ASCII without ':'); value may be folded ("\n" followed by a
 * space or tab) but holds no CR, NUL or other line break.  Returns 0, or
 * -1 with errno EINVAL (bad name or value) or EMSGSIZE (the block would
 * pass its maximum).
 */
int	header_add(struct header_block *, const char *name, const char *value);

/*
 * header_replace_value - replace field idx's value, keeping its name as
 * written.  value goes right after the ':' (a space is inserted when value
 * does not start with space or tab, so a raw value from header_raw_value
 * round-trips); same rules and errors as header_add, and EINVAL for a bad
 * idx.  On failure the field is unchanged.
 */
int	header_replace_value(struct header_block *, size_t idx,
	    const char *value);

/*
 * header_write - append every field's raw bytes, in order, to out.  The
 * empty separator line is not written.  0, or -1 errno EMSGSIZE (out full).
 */
int	header_write(const struct header_block *, struct buf *out);

/*
 * header_date - RFC 5322 date-time of t in the local time zone, e.g.
 * "Mon, 23 Nov 2026 22:50:46 +0000", with English names whatever the
 * locale and the exact numeric offset (also for zones that are not whole
 * hours).  out needs HEADER_DATE_SIZE bytes.  0, or -1 errno ERANGE (out
 * too small) or EOVERFLOW (t not representable).
 */
int	header_date(time_t t, char *out, size_t outsize);

/*
 * header_message_id - a new unique msg-id "<YYYYmmddHHMMSS.R.P@domain>"
 * (UTC time, 64 random bits, pid).  domain must be a plain domain (atext
 * and dots, or a [literal]).  out needs HEADER_MSGID_SIZE bytes.  0, or -1
 * errno EINVAL (bad domain) or ERANGE (out too small).
 */
int	header_message_id(const char *domain, char *out, size_t outsize);

/*
 * header_encode_phrase - append name as an RFC 5322 phrase for a From
 * display name: atoms and single spaces as they are, anything else with a
 * special character as a quoted-string (with \" and \\), any 8-bit byte as
 * RFC 2047 UTF-8 "B" encoded-words.  Control characters (CR, LF, TAB, ...)
 * become spaces and leading/trailing spaces go, so CR, LF and NUL can
 * never reach the output: this is the header-injection guard for -F and
 * GECOS.  An empty result appends nothing.  0, or -1 errno EMSGSIZE (name
 * longer than HEADER_PHRASE_MAX, or out full).
 */
int	header_encode_phrase(const char *name, struct buf *out);

#endif
