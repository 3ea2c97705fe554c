/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input.c - bounded, normalising line reader for submitted messages.
 *
 * Owns the rules of input.h.  Never holds more than one read buffer and
 * one piece: memory does not grow with message or line size.  Never
 * decides what to do with the lines (header rules live in header.c, the
 * submission flow in submission.c).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "io.h"

/*
 * input_init - fresh reader.  Sets every field but the two buffers, which
 * are only read up to rlen and line_len: clearing all 72 KB of them would
 * fault in pages that a 4 KB message never uses (peak RSS and page-fault
 * time on every submission).  A new field must be set here.
 */
void
input_init(struct input *in, int fd, enum input_dots dots)
{
	in->fd = fd;
	in->rpos = in->rlen = 0;
	in->eof = false;
	in->pending_cr = false;
	in->at_line_start = true;
	input_rearm(in, dots);
}

/* input_fill - refill the read buffer; 1 data, 0 EOF, -1 error */
static int
input_fill(struct input *in)
{
	ssize_t	n;

	if (in->eof)
		return 0;
	/* a caller may hand us a non-blocking stdin (Node.js does): wait */
	while ((n = io_read(in->fd, in->rbuf, sizeof(in->rbuf))) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		if (io_wait(in->fd, POLLIN, -1) == -1)
			return -1;
	if (n == -1)
		return -1;
	if (n == 0) {
		in->eof = true;
		return 0;
	}
	in->rpos = 0;
	in->rlen = (size_t)n;
	return 1;
}

/* input_finish_line - account for a completed line */
static void
input_finish_line(struct input *in, size_t plen)
{
	in->line_len += plen;
	if (in->line_len > INPUT_LONG_LINE)
		in->long_lines++;
	in->lines++;
	in->bytes += plen + 1;
	in->line_len = 0;
}

/* input_next - next normalised piece */
int
input_next(struct input *in, const char **p, size_t *len, bool *complete)
{
	size_t	n = 0;
	int	rc;

	for (;;) {
		unsigned char c;

		if (in->rpos == in->rlen) {
			rc = input_fill(in);
			if (rc == -1)
				return -1;
			if (rc == 0) {
				if (in->pending_cr) {
					/* CR at the very end: a line end */
					in->pending_cr = false;
					in->bare_cr++;
					goto line_end;
				}
				if (n > 0 || !in->at_line_start) {
					in->added_final_lf = true;
					goto line_end;
				}
				in->end = INPUT_END_EOF;
				in->finished = true;
				return 0;
			}
		}
		c = (unsigned char)in->rbuf[in->rpos];
		if (in->pending_cr) {
			in->pending_cr = false;
			if (c == '\n') {
				in->rpos++;
				in->crlf++;
			} else {
				in->bare_cr++;
			}
			goto line_end;
		}
		in->rpos++;
		if (c == '\n')
			goto line_end;
		if (c == '\r') {
			in->pending_cr = true;
			continue;
		}
		if (c == '\0') {
			in->nul++;
			continue;
		}
		if (c >= 0x80)
			in->saw_8bit = true;
		in->piece[n++] = (char)c;
		if (n == INPUT_PIECE_MAX) {
			*p = in->piece;
			if (in->at_line_start && in->dots == INPUT_DOTS_SMTP &&
			    in->piece[0] == '.') {
				(*p)++;
				n--;
			}
			in->line_len += n;
			in->bytes += n;
			in->at_line_start = false;
			*len = n;
			*complete = false;
			return 1;
		}
	}
line_end:
	in->piece[n] = '\0';
	*p = in->piece;
	*complete = true;
	if (in->at_line_start && in->dots != INPUT_DOTS_NONE &&
	    in->piece[0] == '.') {
		if (n == 1) {
			in->end = INPUT_END_DOT;
			in->added_final_lf = false;
			in->finished = true;
			in->at_line_start = true;
			return 0;
		}
		if (in->dots == INPUT_DOTS_SMTP) {
			/* RFC 5321 4.5.2: drop the first of a leading dot */
			*p = in->piece + 1;
			n--;
		}
	}
	input_finish_line(in, n);
	in->at_line_start = true;
	*len = n;
	return 1;
}

/* input_rearm - next message, new dot rule */
void
input_rearm(struct input *in, enum input_dots dots)
{
	in->dots = dots;
	in->finished = false;
	in->end = INPUT_END_EOF;
	in->bytes = 0;
	in->crlf = in->bare_cr = in->nul = in->long_lines = in->lines = 0;
	in->added_final_lf = false;
	in->saw_8bit = false;
	in->line_len = 0;
}

/* input_changes - summary of normalisation for the log */
void
input_changes(const struct input *in, char *out, size_t outsize)
{
	size_t	used = 0;
	int	w;

	out[0] = '\0';
#define ADD(cond, ...)							\
	if ((cond) && used < outsize) {					\
		w = snprintf(out + used, outsize - used, "%s",		\
		    used ? ", " : "");					\
		if (w > 0) used += (size_t)w;				\
		if (used < outsize) {					\
			w = snprintf(out + used, outsize - used,	\
			    __VA_ARGS__);				\
			if (w > 0) used += (size_t)w;			\
		}							\
	}
	ADD(in->crlf, "%lu CRLF line ends made LF", in->crlf);
	ADD(in->bare_cr, "%lu bare CR made line ends", in->bare_cr);
	ADD(in->nul, "%lu NUL bytes removed", in->nul);
	ADD(in->added_final_lf, "final line end added");
	ADD(in->long_lines, "%lu lines over 998 octets (split on the wire)",
	    in->long_lines);
#undef ADD
}
