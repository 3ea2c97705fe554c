/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver_priv.h - private to deliver*.c: the message as the SMTP
 * machine reads it (a rewritten header section, then the queue file),
 * the reads deliver.c makes before it (the header section for
 * force_sender, the 8-bit scan), all in deliver_body.c, and the DSN
 * (deliver_dsn.c).  deliver_rewrite_from and deliver_xtext_decode,
 * defined in deliver_body.c, are in deliver.h.
 */
#ifndef POSTERN_DELIVER_PRIV_H
#define POSTERN_DELIVER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "deliver.h"

/* the body reader handed to the SMTP machine */
struct deliver_reader {
	int		 fd;
	struct buf	 head;		/* rewritten header section, or empty */
	size_t		 head_off;
	off_t		 pos;		/* next file byte to read */
	off_t		 end;
};

/*
 * deliver_read - the machine's body source (struct smtp_message's read):
 * r->head from head_off, then the file from pos to end.  Returns the
 * bytes copied into p (at most n), 0 at the end, -1 with errno (EIO when
 * the file shrank under us).
 */
ssize_t	deliver_read(void *r, void *p, size_t n);

/*
 * deliver_scan_8bit - *has8 true when fd[from..end) holds a byte >= 0x80.
 * Returns 0, or -1 on a read error.
 */
int	deliver_scan_8bit(int fd, off_t from, off_t end, bool *has8);

/*
 * deliver_read_header - the header section of fd[from..end), up to and
 * with the empty line, appended to out.  Returns 0 (the whole message
 * when it has no body), or -1 with errno (EFBIG: over out's maximum).
 */
int	deliver_read_header(int fd, off_t from, off_t end, struct buf *out);

/*
 * deliver_bounce - queue one DSN to m's sender for the recipients whose
 * index is flagged in which[] (delayed: a delay warning, Action:
 * delayed; relay_host: the remote MTA of recipients with a reply;
 * summary: the last error, or NULL).  Returns 0 (nothing flagged:
 * nothing queued), or -1 (logged, the cause in why, whysize bytes) when
 * it could not be queued.
 */
int	deliver_bounce(struct deliver_ctx *ctx, struct queue_msg *m,
	    const bool *which, bool delayed, const char *relay_host,
	    const char *summary, char *why, size_t whysize);

#endif /* POSTERN_DELIVER_PRIV_H */
