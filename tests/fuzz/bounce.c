/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce.c - libFuzzer target for DSN generation.  The input is split at
 * the first NUL-NUL pair: before it a hostile diagnostic (and, in its first
 * byte, the mode bits: headers only, small limit, delay, UTF-8 address),
 * after it the original message.  Every report must keep its MIME
 * structure: the close delimiter last, no other line starting with the
 * boundary, no CR or NUL, and no line over 998 octets before part 3.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"

#define FUZZ_OUT_MAX	(32u << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_write - collect the report */
static int
fuzz_write(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* fuzz_check - the structure every report must have; abort otherwise */
static void
fuzz_check(const struct buf *b)
{
	const char	*q, *p, *nl, *end = b->data + b->len;
	char		 bd[128];
	size_t		 blen = 0, len, parts = 0;
	int		 closed = 0;

	if (b->len == 0 || b->data[b->len - 1] != '\n' ||
	    memchr(b->data, '\r', b->len) || memchr(b->data, '\0', b->len))
		abort();
	q = memmem(b->data, b->len, "\tboundary=\"", 11);
	if (q == NULL)
		abort();
	for (q += 11; *q != '"' && blen < sizeof(bd); q++)
		bd[blen++] = *q;
	for (p = b->data; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)(nl - p);
		if (closed)
			abort();
		if (len > 998 && parts < 3)
			abort();
		if (len >= 2 + blen && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, bd, blen) == 0) {
			if (len == 2 + blen)
				parts++;
			else if (len == 4 + blen && p[len - 1] == '-')
				closed = 1;
			else
				abort();
		}
	}
	if (!closed || parts < 2 || parts > 3)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_info	 info;
	struct bounce_rcpt	 r[2];
	struct buf		 out, err;
	const uint8_t		*sep;
	char			*diag;
	size_t			 dlen = 0;
	unsigned		 mode = size > 0 ? data[0] : 0;
	FILE			*f;
	int			 fd;

	for (sep = data; sep + 1 < data + size; sep++)
		if (sep[0] == 0 && sep[1] == 0)
			break;
	if (sep + 1 < data + size) {
		dlen = (size_t)(sep - data);
		sep += 2;
	} else
		sep = data;
	diag = malloc(dlen + 1);
	if (diag == NULL)
		return 0;
	memcpy(diag, data, dlen);
	diag[dlen] = '\0';

	memset(&info, 0, sizeof(info));
	info.reporting_mta = "relay.example.org";
	info.domain = "example.org";
	info.orig_sender = diag[0] != '\0' && (mode & 32) ? diag :
	    "alice@example.org";
	info.queue_id = "65A1B2C30001234ABCDE";
	info.arrival = 1700000000;
	info.now = 1700003600;
	info.ret_full = !(mode & 1);
	info.max_return_size = (mode & 2) ? 64 : 0;
	info.delayed = (mode & 4) != 0;
	info.reason_summary = diag;
	info.envid = diag;
	info.boundary_seed = (mode & 16) ? "F" : NULL;
	memset(r, 0, sizeof(r));
	r[0].addr = (mode & 8) ? "b\xc3\xbc" "cher@example.net" : "b@x.net";
	r[0].diagnostic = diag;
	r[0].remote_mta = diag;
	r[0].orcpt = diag;
	r[0].status = diag;
	r[0].action = diag;
	r[1].addr = diag[0] != '\0' ? diag : "c@x.net";
	r[1].last_attempt = 1700003500;

	buf_init(&out, FUZZ_OUT_MAX);
	buf_init(&err, 4096);
	if ((f = tmpfile()) != NULL) {
		fd = fileno(f);
		if (write(fd, sep, (size_t)(data + size - sep)) ==
		    (ssize_t)(data + size - sep) &&
		    lseek(fd, 0, SEEK_SET) == 0 &&
		    bounce_generate(&info, r, 2, fd, fuzz_write, &out,
		    &err) == 0)
			fuzz_check(&out);
		fclose(f);
	}
	buf_free(&out);
	buf_free(&err);
	free(diag);
	return 0;
}
