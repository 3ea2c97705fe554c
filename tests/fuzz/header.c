/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * header.c - libFuzzer target: split the input at LF, feed the lines to a
 * small header block, then exercise lookups, edits and the writer.
 * Checks: the block never passes its maximum, and a block nobody edited
 * is written back as the exact bytes that were fed.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"

#define FUZZ_HEADER_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct header_block	 hb;
	struct buf		 in, out, ph;
	const char		*p = (const char *)data, *nl, *v;
	size_t			 left = len, n, i, vlen;
	int			 rc = HEADER_MORE, idx;
	char			 tmp[64];

	header_block_init(&hb, FUZZ_HEADER_MAX);
	buf_init(&in, (size_t)-1);
	while (left > 0) {
		nl = memchr(p, '\n', left);
		n = nl != NULL ? (size_t)(nl - p) : left;
		rc = header_block_feed_line(&hb, p, n);
		if (rc == -1 && errno != EMSGSIZE)
			abort();
		if (rc != HEADER_MORE)
			break;
		if (!(hb.from_dropped && in.len == 0 && hb.n == 0)) {
			if (buf_append(&in, p, n) == -1 ||
			    buf_putc(&in, '\n') == -1)
				abort();	/* no maximum: only ENOMEM */
		}
		p += n;
		left -= n;
		if (left > 0) {
			p++;
			left--;
		}
	}
	if (hb.size > FUZZ_HEADER_MAX)
		abort();
	buf_init(&out, (size_t)-1);
	if (header_write(&hb, &out) == -1)
		abort();
	if (rc != -1 && (out.len != in.len ||
	    (in.len > 0 && memcmp(out.data, in.data, in.len) != 0)))
		abort();
	for (i = 0; i < header_count(&hb); i++) {
		v = header_value(&hb, i);
		if (v == NULL || header_raw_value(&hb, i, &vlen) == NULL)
			abort();
	}
	for (idx = header_find(&hb, "to", 0); idx >= 0;
	    idx = header_find(&hb, "to", (size_t)idx + 1))
		(void)header_replace_value(&hb, (size_t)idx, "x@example.org");
	(void)header_remove(&hb, "bcc");
	(void)header_add(&hb, "Date", "Mon, 1 Jan 2024 00:00:00 +0000");
	if (hb.size > FUZZ_HEADER_MAX)
		abort();

	/* the first line (bounded) as a display name */
	n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	memcpy(tmp, data, n);
	tmp[n] = '\0';
	buf_init(&ph, 4096);
	if (header_encode_phrase(tmp, &ph) == 0 &&
	    strpbrk(buf_cstr(&ph), "\r\n") != NULL)
		abort();
	buf_free(&ph);
	buf_free(&out);
	buf_free(&in);
	header_block_free(&hb);
	return 0;
}
