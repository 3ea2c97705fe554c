/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver_body.c - the bytes deliver.c hands to the SMTP machine: the
 * header section rewritten for a relay's force_sender (every From: and
 * Sender: address), the body read from the queue file with pread (the
 * offset is ours: a DSN reads the same descriptor), the 8-bit scan, and
 * RFC 3461 xtext decoding.
 *
 * Judges nothing: temporary versus permanent is deliver.c's alone.
 * Never writes the queue file, never holds a body whole.  Calls no
 * other deliver*.c file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "deliver_priv.h"
#include "io.h"
#include "dotstuff.h"
#include "util.h"

/* deliver_xtext_decode - "+XX" to bytes */
char *
deliver_xtext_decode(const char *x, char *out, size_t outsize)
{
	size_t	o = 0;
	unsigned v;

	if (outsize == 0)
		return out;
	while (*x != '\0' && o + 1 < outsize) {
		if (x[0] == '+' && x[1] != '\0' && x[2] != '\0' &&
		    sscanf(x + 1, "%2X", &v) == 1 && v > 0) {
			out[o++] = (char)v;
			x += 3;
		} else
			out[o++] = *x++;
	}
	out[o] = '\0';
	return out;
}

/* deliver_field_is - a header line that starts a field called name */
static bool
deliver_field_is(const char *p, size_t n, const char *name)
{
	size_t	i = strlen(name);

	if (n < i + 1 || !str_has_prefix_ci(p, name))
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* deliver_line_end - offset just past the line that starts at pos */
static size_t
deliver_line_end(const char *hdr, size_t len, size_t pos)
{
	while (pos < len && hdr[pos] != '\n')
		pos++;
	return pos < len ? pos + 1 : pos;
}

/*
 * deliver_rewrite_field - out gets the field hdr[fstart..fend) with its
 * address replaced by addr (see deliver_rewrite_from)
 */
static int
deliver_rewrite_field(const char *hdr, size_t fstart, size_t fend,
    const char *addr, struct buf *out)
{
	size_t	colon = fstart, i, lt = 0, gt = 0, nlt = 0, ngt = 0;
	bool	quoted = false, comma = false;

	while (hdr[colon] != ':')
		colon++;
	/* outside quoted strings: angle brackets and list commas */
	for (i = colon + 1; i < fend; i++) {
		if (hdr[i] == '\\' && quoted)
			i++;
		else if (hdr[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (hdr[i] == '<') {
			nlt++;
			lt = i;
		} else if (hdr[i] == '>') {
			ngt++;
			gt = i;
		} else if (hdr[i] == ',')
			comma = true;
	}
	if (buf_append(out, hdr + fstart, colon + 1 - fstart) == -1)
		return -1;
	if (nlt == 1 && ngt == 1 && lt < gt && !comma)
		return buf_append(out, hdr + colon + 1, lt + 1 - (colon + 1)) ==
		    -1 || buf_puts(out, addr) == -1 ||
		    buf_append(out, hdr + gt, fend - gt) == -1 ? -1 : 0;
	return buf_printf(out, " %s\n", addr) == -1 ? -1 : 0;
}

/* deliver_rewrite_from - every From: and Sender: address replaced */
int
deliver_rewrite_from(const char *hdr, size_t len, const char *addr,
    struct buf *out)
{
	size_t	pos = 0, eol, fend;
	int	rewritten = 0;

	while (pos < len) {
		eol = deliver_line_end(hdr, len, pos);
		if (!deliver_field_is(hdr + pos, eol - pos, "from") &&
		    !deliver_field_is(hdr + pos, eol - pos, "sender")) {
			if (buf_append(out, hdr + pos, eol - pos) == -1)
				return -1;
			pos = eol;
			continue;
		}
		/* the field runs on over continuation lines */
		fend = eol;
		while (fend < len && (hdr[fend] == ' ' || hdr[fend] == '\t'))
			fend = deliver_line_end(hdr, len, fend);
		if (deliver_rewrite_field(hdr, pos, fend, addr, out) == -1)
			return -1;
		rewritten = 1;
		pos = fend;
	}
	return rewritten;
}

/* deliver_read - the machine's body source: head buffer, then the file */
ssize_t
deliver_read(void *arg, void *p, size_t n)
{
	struct deliver_reader	*r = arg;
	size_t			 k;
	ssize_t			 got;

	if (r->head_off < r->head.len) {
		k = r->head.len - r->head_off;
		if (k > n)
			k = n;
		memcpy(p, r->head.data + r->head_off, k);
		r->head_off += k;
		return (ssize_t)k;
	}
	if (r->pos >= r->end)
		return 0;
	if ((off_t)n > r->end - r->pos)
		n = (size_t)(r->end - r->pos);
	got = io_pread(r->fd, p, n, r->pos);
	if (got == 0) {
		errno = EIO;	/* the file shrank under us */
		return -1;
	}
	if (got > 0)
		r->pos += got;
	return got;
}

/* deliver_scan_8bit - true when the message body holds a byte >= 0x80 */
int
deliver_scan_8bit(int fd, off_t from, off_t end, bool *has8)
{
	char	 chunk[DELIVER_CHUNK];
	ssize_t	 got;
	size_t	 n;

	*has8 = false;
	while (from < end) {
		n = sizeof(chunk);
		if ((off_t)n > end - from)
			n = (size_t)(end - from);
		got = io_pread(fd, chunk, n, from);
		if (got <= 0)
			return -1;
		if (dotstuff_has_8bit(chunk, (size_t)got)) {
			*has8 = true;
			return 0;
		}
		from += got;
	}
	return 0;
}

/* deliver_read_header - the header section (up to the empty line) */
int
deliver_read_header(int fd, off_t from, off_t end, struct buf *out)
{
	char	 chunk[DELIVER_CHUNK];
	ssize_t	 got;
	size_t	 n;
	const char *e;

	while (from < end) {
		n = sizeof(chunk);
		if ((off_t)n > end - from)
			n = (size_t)(end - from);
		got = io_pread(fd, chunk, n, from);
		if (got <= 0)
			return -1;
		if (buf_append(out, chunk, (size_t)got) == -1) {
			errno = EFBIG;
			return -1;
		}
		from += got;
		if (out->len >= 1 && out->data[0] == '\n') {
			buf_truncate(out, 1);
			return 0;
		}
		if ((e = memmem(out->data, out->len, "\n\n", 2)) != NULL) {
			buf_truncate(out, (size_t)(e - out->data) + 2);
			return 0;
		}
	}
	return 0;	/* header only, no body */
}
