/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dotstuff.c - libFuzzer target for the DATA wire conversion.  Feeds the
 * input in chunks whose size the first byte picks, then checks the wire
 * invariants: no line over 1000 octets with its CRLF, no bare CR or LF,
 * the end is CRLF "." CRLF (or just "." CRLF for an empty body), no early
 * end-of-data line, the bound DOTSTUFF_OUT_MAX per call, and the same
 * bytes as a one-shot conversion.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dotstuff.h"

#define FUZZ_OUT_MAX	(8 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * check_wire - abort unless b is valid DATA wire form: no line over 998
 * octets before CRLF, a stuffed dot not counted (RFC 5321 4.5.3.1.6)
 */
static void
check_wire(const struct buf *b)
{
	size_t	i, col = 0, start = 0;

	if (b->len < 3 || memcmp(b->data + b->len - 3, ".\r\n", 3) != 0)
		abort();
	if (b->len > 3 && (b->len < 5 ||
	    memcmp(b->data + b->len - 5, "\r\n.\r\n", 5) != 0))
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r') {
			if (i + 1 >= b->len || b->data[i + 1] != '\n')
				abort();	/* bare CR */
			/* a lone "." line before the end is fatal */
			if (i - start == 1 && b->data[start] == '.' &&
			    i + 2 != b->len)
				abort();
			i++;
			col = 0;
			start = i + 1;
			continue;
		}
		if (b->data[i] == '\n')
			abort();		/* bare LF */
		if (i == start && b->data[i] == '.' && i + 1 < b->len &&
		    b->data[i + 1] == '.')
			i++;			/* the stuffed dot */
		if (++col > DOTSTUFF_LINE_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotstuff	ds;
	struct buf	a, b;
	size_t		chunk, off, n, before;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	buf_init(&a, FUZZ_OUT_MAX);
	buf_init(&b, FUZZ_OUT_MAX);
	dotstuff_init(&ds);
	if (dotstuff_feed(&ds, data, size, &a) == -1 ||
	    dotstuff_finish(&ds, &a) == -1)
		abort();
	check_wire(&a);
	dotstuff_init(&ds);
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		before = b.len;
		if (dotstuff_feed(&ds, data + off, n, &b) == -1)
			abort();
		if (b.len - before > DOTSTUFF_OUT_MAX(n))
			abort();
	}
	before = b.len;
	if (dotstuff_finish(&ds, &b) == -1 ||
	    b.len - before > DOTSTUFF_FINISH_MAX)
		abort();
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	if (ds.has_8bit != dotstuff_has_8bit(data, size))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
