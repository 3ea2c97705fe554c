/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.h - growable byte buffer with a hard maximum fixed at init.
 *
 * Every buffer that input can grow is a struct buf: its limit is set once
 * and an append that would pass it fails with -1 (errno EMSGSIZE) and leaves
 * the contents intact.  The data is always NUL-terminated so it may be used
 * as a C string when it holds no NUL bytes itself.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* owned; NULL until the first append */
	size_t	 len;		/* bytes in use, not counting the NUL */
	size_t	 cap;		/* bytes allocated */
	size_t	 max;		/* hard limit on len */
};

/* buf_init - empty buffer that will never hold more than max bytes */
void	buf_init(struct buf *, size_t max);

/* buf_free - release the storage; the buffer is empty and reusable */
void	buf_free(struct buf *);

/* buf_reset - forget the contents, keep the storage */
void	buf_reset(struct buf *);

/*
 * buf_append - append n bytes.  Returns 0, or -1 with errno EMSGSIZE when
 * the maximum would be passed, ENOMEM when allocation fails; the contents
 * are unchanged on failure.
 */
int	buf_append(struct buf *, const void *, size_t n);

/* buf_puts - append a C string; as buf_append */
int	buf_puts(struct buf *, const char *);

/* buf_putc - append one byte; as buf_append */
int	buf_putc(struct buf *, int);

/* buf_printf - append formatted text; as buf_append */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* buf_consume - drop the first n bytes (n is clamped to len) */
void	buf_consume(struct buf *, size_t n);

/* buf_truncate - shorten to len bytes (no-op if already shorter) */
void	buf_truncate(struct buf *, size_t len);

/* buf_cstr - the contents as a C string ("" when empty); borrowed */
const char *buf_cstr(const struct buf *);

/*
 * buf_steal - hand the storage to the caller (caller frees with free());
 * the buffer is left empty.  Never returns NULL: an empty buffer gives "".
 * Returns NULL only when that allocation fails.
 */
char	*buf_steal(struct buf *);

#endif
