/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.c - growable byte buffer with a hard maximum.
 *
 * Owns: allocation and growth of struct buf.  Never grows past the maximum
 * given at init and never loses data on a failed append, so a caller can
 * report "too long" and still see what it had (curl's dynbuf contract).
 * Never cuts silently: a failed append is sticky (b->error), so a caller
 * that chains appends learns it with one buf_error() before using the
 * contents.  The sticky family (buf_sputs and friends) returns nothing
 * and leaves that check to the caller by contract.  Only buf_note, for
 * diagnostics, cuts, and it says so ("...").
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_ALLOC	64

/* buf_init - empty buffer with a maximum */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->error = 0;
}

/* buf_free - release storage */
void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->error = 0;
}

/* buf_reset - empty, keep storage */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->error = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* buf_fail - record the first failure (sticky); -1 with errno set */
static int
buf_fail(struct buf *b, int e)
{
	if (b->error == 0)
		b->error = e;
	errno = b->error;
	return -1;
}

/* buf_reserve - make room for n more bytes plus the NUL */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 want, cap;
	char	*p;

	if (b->error != 0)
		return buf_fail(b, b->error);
	if (n > b->max - b->len)
		return buf_fail(b, EMSGSIZE);
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : BUF_MIN_ALLOC;
	while (cap < want) {
		if (cap > ((size_t)-1) / 2) {
			cap = want;
			break;
		}
		cap *= 2;
	}
	/* never allocate much beyond what the maximum can use */
	if (cap > b->max + 1 && want <= b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->data, cap)) == NULL)
		return buf_fail(b, ENOMEM);
	b->data = p;
	b->cap = cap;
	return 0;
}

/* buf_append - append bytes */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* buf_puts - append a string */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_putc - append a byte */
int
buf_putc(struct buf *b, int c)
{
	char	ch = (char)c;

	return buf_append(b, &ch, 1);
}

/*
 * buf_vprintf - append formatted text: formatted straight into the spare
 * capacity, so one pass when it fits (the common case for a buffer that
 * is reused); otherwise grow and format again.  A failed attempt wrote
 * only past len, so the contents stay intact; the NUL is put back.
 */
int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	size_t	 room = b->cap > b->len ? b->cap - b->len : 0;
	int	 n;

	if (b->error != 0)
		return buf_fail(b, b->error);
	va_copy(ap2, ap);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap2);
	va_end(ap2);
	if (n >= 0 && (size_t)n < room && (size_t)n <= b->max - b->len) {
		b->len += (size_t)n;
		return 0;
	}
	if (room > 0)
		b->data[b->len] = '\0';
	if (n < 0)
		return buf_fail(b, errno != 0 ? errno : EINVAL);
	if (buf_reserve(b, (size_t)n) == -1)
		return -1;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->data[b->len] = '\0';
		return buf_fail(b, EINVAL);
	}
	b->len += (size_t)n;
	return 0;
}

/* buf_printf - append formatted text */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * buf_sappend - append, the failure kept only in the sticky error (the
 * one place the result is dropped: buf_error tells the caller)
 */
void
buf_sappend(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) == -1)
		return;		/* sticky: b->error is set */
}

/* buf_sputs - append a string; failure kept in the sticky error */
void
buf_sputs(struct buf *b, const char *s)
{
	buf_sappend(b, s, strlen(s));
}

/* buf_sputc - append a byte; failure kept in the sticky error */
void
buf_sputc(struct buf *b, int c)
{
	char	ch = (char)c;

	buf_sappend(b, &ch, 1);
}

/* buf_svprintf - append formatted text; failure kept in the sticky error */
void
buf_svprintf(struct buf *b, const char *fmt, va_list ap)
{
	if (buf_vprintf(b, fmt, ap) == -1)
		return;		/* sticky: b->error is set */
}

/* buf_sprintf - append formatted text; failure kept in the sticky error */
void
buf_sprintf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_svprintf(b, fmt, ap);
	va_end(ap);
}

/* buf_error - the sticky error */
int
buf_error(const struct buf *b)
{
	return b->error;
}

/*
 * buf_vnote - diagnostic text: what fits goes in, a cut ends in "...".
 * Formatted into a scratch string first: a message is short, and the
 * buffer must not take half of it without the mark.
 */
void
buf_vnote(struct buf *b, const char *fmt, va_list ap)
{
	static const char	 mark[] = "...";
	va_list			 ap2;
	size_t			 room, k;
	char			*t;
	int			 n, saved = errno;

	if (b->error != 0)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (t = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (vsnprintf(t, (size_t)n + 1, fmt, ap) != n)
		goto done;
	room = b->max - b->len;
	if ((size_t)n <= room)
		k = (size_t)n;
	else if (room >= sizeof(mark) - 1) {
		k = room - (sizeof(mark) - 1);
		memcpy(t + k, mark, sizeof(mark) - 1);
		k += sizeof(mark) - 1;
	} else
		k = 0;			/* not even room for the mark */
	if (k == 0)
		goto done;
	/* k fits the maximum: only ENOMEM can fail, and loses the note */
	if (buf_reserve(b, k) == 0) {
		memcpy(b->data + b->len, t, k);
		b->len += k;
		b->data[b->len] = '\0';
	} else
		b->error = 0;		/* a note never poisons the buffer */
done:
	free(t);
out:
	errno = saved;
}

/* buf_note - diagnostic text */
void
buf_note(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vnote(b, fmt, ap);
	va_end(ap);
}

/* buf_consume - drop a prefix (the error, if any, stays) */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		if (b->data != NULL)
			b->data[0] = '\0';
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/* buf_truncate - shorten */
void
buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* buf_cstr - contents as a string */
const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/* buf_steal - give the storage away */
char *
buf_steal(struct buf *b)
{
	char	*p = b->data;

	if (b->error != 0) {
		errno = b->error;
		return NULL;
	}
	if (p == NULL)
		p = strdup("");
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->error = 0;
	return p;
}
