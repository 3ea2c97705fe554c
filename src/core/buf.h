/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.h - growable byte buffer with a hard maximum fixed at init.
 *
 * Every buffer that input can grow is a struct buf: its limit is set once
 * and an append that would pass it fails with -1 (errno EMSGSIZE) and leaves
 * the contents intact.  The data is always NUL-terminated so it may be used
 * as a C string when it holds no NUL bytes itself.
 *
 * No silent truncation: the first failed append sets a sticky error, every
 * later append fails with the same errno, and buf_error() tells whether
 * the contents are complete.  The appenders are warn_unused_result, so the
 * build (-Werror) fails wherever a result is dropped: a caller either
 * checks each append, or chains them and checks buf_error() once before it
 * uses the contents.  The sticky family (buf_sputs and friends) is the
 * second way, spelled out: it returns nothing, and the caller checks
 * buf_error() once before it uses the contents.  Text meant only for a
 * person (error messages) goes through buf_note, which never fails and
 * marks a cut with "...".
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_MUST_CHECK	__attribute__((warn_unused_result))

struct buf {
	char	*data;		/* owned; NULL until the first append */
	size_t	 len;		/* bytes in use, not counting the NUL */
	size_t	 cap;		/* bytes allocated */
	size_t	 max;		/* hard limit on len */
	int	 error;		/* errno of the first failed append, or 0 */
};

/* buf_init - empty buffer that will never hold more than max bytes */
void	buf_init(struct buf *, size_t max);

/*
 * buf_free - release the storage; the buffer is empty, its error cleared,
 * and it is reusable
 */
void	buf_free(struct buf *);

/* buf_reset - forget the contents and the error, keep the storage */
void	buf_reset(struct buf *);

/*
 * buf_append - append n bytes.  Returns 0, or -1 with errno EMSGSIZE when
 * the maximum would be passed, ENOMEM when allocation fails; the contents
 * are unchanged on failure, and the failure is sticky: the buffer's error
 * is set and every later append fails with the same errno until
 * buf_reset or buf_free.
 */
int	buf_append(struct buf *, const void *, size_t n) BUF_MUST_CHECK;

/* buf_puts - append a C string; as buf_append */
int	buf_puts(struct buf *, const char *) BUF_MUST_CHECK;

/* buf_putc - append one byte; as buf_append */
int	buf_putc(struct buf *, int) BUF_MUST_CHECK;

/* buf_printf - append formatted text; as buf_append */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3))) BUF_MUST_CHECK;
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0))) BUF_MUST_CHECK;

/*
 * buf_sappend, buf_sputs, buf_sputc, buf_sprintf, buf_svprintf - the
 * sticky family: as buf_append, buf_puts, buf_putc, buf_printf and
 * buf_vprintf, but returning nothing, for text built in many small
 * steps (a listing, a report).  A failure is recorded only in the
 * buffer's sticky error: the contents stay as they were before the
 * failed append, and every later append (of either family) adds
 * nothing.  The contents are then incomplete, so the caller MUST check
 * buf_error() before it uses them (prints, sends or keeps them), and
 * treat a non-zero error as "no output": never use what the buffer
 * holds then.  buf_steal refuses such a buffer on its own.
 */
void	buf_sappend(struct buf *, const void *, size_t n);
void	buf_sputs(struct buf *, const char *);
void	buf_sputc(struct buf *, int);
void	buf_sprintf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_svprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/*
 * buf_error - 0 when every append since init (or the last reset) went in
 * whole, else the errno of the first that failed (EMSGSIZE, ENOMEM).
 * Check it once before using contents built with unchecked-by-one
 * chained appends.
 */
int	buf_error(const struct buf *) BUF_MUST_CHECK;

/*
 * buf_note - append diagnostic text meant for a person (an error
 * message), never data.  It never fails: text that would pass the maximum
 * is cut and ends in "...", so the reader sees that it was cut.  It does
 * nothing on a buffer whose error is set, and never sets the error.
 */
void	buf_note(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vnote(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* buf_consume - drop the first n bytes (n is clamped to len) */
void	buf_consume(struct buf *, size_t n);

/* buf_truncate - shorten to len bytes (no-op if already shorter) */
void	buf_truncate(struct buf *, size_t len);

/* buf_cstr - the contents as a C string ("" when empty); borrowed */
const char *buf_cstr(const struct buf *);

/*
 * buf_steal - hand the storage to the caller (caller frees with free());
 * the buffer is left empty.  An empty buffer gives "".  Returns NULL when
 * that allocation fails (ENOMEM), or with errno set to the buffer's error
 * when an append failed (the buffer is then left as it was).
 */
char	*buf_steal(struct buf *);

#endif
