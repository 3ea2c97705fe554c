/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * input.h - reads a message from a descriptor as bounded line pieces,
 * normalised to the spool's form.
 *
 * Normalisation (documented in doc/input.md and logged by the caller):
 *   CRLF          -> LF              (never doubled)
 *   bare CR       -> LF              (classic Mac line end; SMTP forbids
 *                                     a lone CR on the wire)
 *   NUL byte      -> removed         (SMTP cannot carry it)
 *   no final LF   -> one is added
 *   8-bit bytes   kept; counted so the envelope says 8BITMIME
 *   long lines    kept; counted; the agent splits them on the wire
 * Memory is bounded: a line longer than INPUT_PIECE_MAX arrives in pieces.
 */
#ifndef POSTERN_INPUT_H
#define POSTERN_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INPUT_READ_SIZE		65536
#define INPUT_PIECE_MAX		8192
#define INPUT_LONG_LINE		998

enum input_end {
	INPUT_END_EOF = 0,	/* end of file */
	INPUT_END_DOT,		/* a line with a lone "." (sendmail without -i,
				   or the end of SMTP DATA) */
};

enum input_dots {
	INPUT_DOTS_NONE = 0,	/* -i: dots are data */
	INPUT_DOTS_END,		/* classic: lone "." ends, no unstuffing */
	INPUT_DOTS_SMTP,	/* SMTP DATA: lone "." ends, ".." -> "." */
};

struct input {
	int		 fd;
	enum input_dots	 dots;
	char		 rbuf[INPUT_READ_SIZE];
	size_t		 rpos, rlen;
	bool		 eof;
	bool		 pending_cr;
	bool		 at_line_start;
	char		 piece[INPUT_PIECE_MAX + 1];
	size_t		 line_len;	/* length of the line so far */
	/* what normalisation changed, for the log */
	uint64_t	 bytes;		/* normalised bytes out, LF included */
	unsigned long	 crlf, bare_cr, nul, long_lines, lines;
	bool		 added_final_lf;
	bool		 saw_8bit;
	enum input_end	 end;
	bool		 finished;	/* input_next returned 0 */
};

/* input_init - read from fd with the given dot rule */
void	input_init(struct input *, int fd, enum input_dots);

/*
 * input_next - the next piece of a line.  On 1, *p and *len give the piece
 * (without the line feed; borrowed until the next call), *complete is true
 * when it ends a line.  Returns 0 at the end of the message (in->end says
 * why) and -1 on a read error (errno).  A read timeout is the caller's
 * business (the fd may be non-blocking with io_wait before calling).
 */
int	input_next(struct input *, const char **p, size_t *len,
	    bool *complete);

/*
 * input_rearm - start a new message on the same descriptor with another dot
 * rule (the -bs dialogue switches between commands and DATA); the
 * normalisation counters restart.
 */
void	input_rearm(struct input *, enum input_dots);

/* input_changes - one line describing what was normalised, or "" */
void	input_changes(const struct input *, char *out, size_t outsize);

#endif
