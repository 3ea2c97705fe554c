/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input.c - libFuzzer target for the front end's normalising reader
 * (src/front/input.c) in all three dot modes.  The first byte picks the
 * starting dot mode and the read sizes; the rest is the message, written
 * into a packet-mode pipe (O_DIRECT) in chunks so that each read(2)
 * returns exactly one chunk and CR, dots and NULs land on read
 * boundaries.  After each end-of-data dot the reader is rearmed with the
 * next mode, as the -bs dialogue does.  Checks against an independent
 * model of input.h's rules: no NUL and no CR in any piece, pieces within
 * INPUT_PIECE_MAX, the same bytes and the same end as the model, and
 * counters (bytes, lines, 8-bit) that agree with the output.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"

#define FUZZ_PIPE_SIZE	(1024 * 1024)
#define FUZZ_PACKET	4096		/* PIPE_BUF: one pipe slot */
#define FUZZ_OUT_MAX	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct input	fuzz_in;

/*
 * fuzz_model - input.h's rules, written independently: normalise the
 * whole stream into lines, then apply the dot rule of each segment.  The
 * segments (one per dot mode) are separated by a 0 byte in out, which
 * the reader can never produce.
 */
static void
fuzz_model(const uint8_t *d, size_t len, enum input_dots mode,
    struct buf *out)
{
	struct buf	norm;
	const char	*p, *end, *nl;
	size_t		 i, n;
	bool		 cr = false;

	buf_init(&norm, FUZZ_OUT_MAX);
	for (i = 0; i < len; i++) {
		if (cr) {
			cr = false;
			if (buf_putc(&norm, '\n') == -1)
				abort();
			if (d[i] == '\n')
				continue;
		}
		if (d[i] == '\r')
			cr = true;
		else if (d[i] != '\0' && buf_putc(&norm, d[i]) == -1)
			abort();
	}
	if (cr || (norm.len > 0 && norm.data[norm.len - 1] != '\n'))
		if (buf_putc(&norm, '\n') == -1)
			abort();
	p = buf_cstr(&norm);
	end = p + norm.len;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)(nl - p);
		if (mode != INPUT_DOTS_NONE && n == 1 && p[0] == '.') {
			if (buf_putc(out, 0) == -1)
				abort();
			mode = (enum input_dots)((mode + 1) % 3);
			continue;
		}
		if (mode == INPUT_DOTS_SMTP && n > 0 && p[0] == '.') {
			p++;
			n--;
		}
		if (buf_append(out, p, n) == -1 || buf_putc(out, '\n') == -1)
			abort();
	}
	buf_free(&norm);
}

/*
 * fuzz_feed - the message into a packet pipe; returns the read end, or
 * -1 when the message does not fit the pipe
 */
static int
fuzz_feed(const uint8_t *d, size_t len, size_t chunk)
{
	int	p[2];
	size_t	off, n, packets = 0, slots;
	ssize_t	w;

	if (pipe2(p, O_DIRECT | O_CLOEXEC) == -1)
		abort();
	if (fcntl(p[1], F_SETPIPE_SZ, FUZZ_PIPE_SIZE) == -1)
		slots = 16;		/* the default size */
	else
		slots = FUZZ_PIPE_SIZE / FUZZ_PACKET;
	if (len / FUZZ_PACKET + 2 >= slots) {
		close(p[0]);
		close(p[1]);
		return -1;	/* would not fit: skip this input */
	}
	for (off = 0; off < len; off += n) {
		/* keep room for the rest in full packets */
		if (packets + 2 + (len - off) / FUZZ_PACKET < slots)
			n = len - off < chunk ? len - off : chunk;
		else
			n = len - off;
		w = write(p[1], d + off, n);
		if (w != (ssize_t)n)
			abort();	/* -max_len too large for the pipe */
		packets += (n + FUZZ_PACKET - 1) / FUZZ_PACKET;
	}
	close(p[1]);
	return p[0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 model, got, seg;
	enum input_dots	 mode, mode0;
	const char	*piece;
	size_t		 n, chunk, i;
	bool		 complete, bit8;
	int		 fd, rc;

	if (size == 0)
		return 0;
	mode0 = mode = (enum input_dots)(data[0] % 3);
	chunk = (size_t)(data[0] / 3) % 64 + 1;
	data++;
	size--;
	buf_init(&model, FUZZ_OUT_MAX);
	buf_init(&got, FUZZ_OUT_MAX);
	buf_init(&seg, FUZZ_OUT_MAX);
	fuzz_model(data, size, mode0, &model);

	if ((fd = fuzz_feed(data, size, chunk)) == -1)
		goto out;
	input_init(&fuzz_in, fd, mode);
	for (;;) {
		rc = input_next(&fuzz_in, &piece, &n, &complete);
		if (rc == -1)
			abort();
		if (rc == 0) {
			/* the counters describe the segment just read */
			bit8 = false;
			for (i = 0; i < seg.len; i++)
				if ((unsigned char)seg.data[i] >= 0x80)
					bit8 = true;
			if (fuzz_in.bytes != seg.len ||
			    bit8 != fuzz_in.saw_8bit || !fuzz_in.finished)
				abort();
			if (fuzz_in.end == INPUT_END_EOF)
				break;
			if (fuzz_in.end != INPUT_END_DOT ||
			    fuzz_in.dots == INPUT_DOTS_NONE)
				abort();
			if (buf_putc(&got, 0) == -1)
				abort();
			buf_reset(&seg);
			mode = (enum input_dots)((mode + 1) % 3);
			input_rearm(&fuzz_in, mode);
			continue;
		}
		if (rc != 1 || n > INPUT_PIECE_MAX ||
		    memchr(piece, '\0', n) != NULL ||
		    memchr(piece, '\r', n) != NULL ||
		    memchr(piece, '\n', n) != NULL)
			abort();
		if (buf_append(&got, piece, n) == -1 ||
		    buf_append(&seg, piece, n) == -1)
			abort();
		if (complete && (buf_putc(&got, '\n') == -1 ||
		    buf_putc(&seg, '\n') == -1))
			abort();
	}
	close(fd);
	if (got.len != model.len || (got.len > 0 && memcmp(got.data,
	    model.data, got.len) != 0))
		abort();
out:
	buf_free(&model);
	buf_free(&got);
	buf_free(&seg);
	return 0;
}
