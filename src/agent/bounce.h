/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce.h - delivery status notifications (RFC 3464 in an RFC 6522
 * multipart/report) built by the agent for the envelope sender.
 *
 * A pure generator: it reads the original message from a descriptor and
 * hands the finished notification, LF line endings, to a caller-supplied
 * writer.  It never touches the spool; the agent queues the result through
 * the normal drop path with the null sender.
 */
#ifndef POSTERN_BOUNCE_H
#define POSTERN_BOUNCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* Limits on what the generator emits (named here because tests need them). */
#define BOUNCE_LINE_MAX		998	/* RFC 5322 2.1.1: octets per line */
#define BOUNCE_FOLD_WIDTH	78	/* preferred width of folded fields */
#define BOUNCE_TEXT_WIDTH	72	/* width of the human-readable part */
#define BOUNCE_ADDR_MAX		512	/* an address longer than this is cut */
#define BOUNCE_DIAG_MAX		4096	/* a longer diagnostic is cut */
#define BOUNCE_SUMMARY_MAX	4096	/* a longer reason_summary is cut */
#define BOUNCE_SEED_MAX		40	/* injected boundary seed, bytes */

/*
 * One recipient of the report.  Every string is untrusted: control
 * characters are replaced, lengths are capped (BOUNCE_ADDR_MAX for
 * addresses, BOUNCE_DIAG_MAX for the diagnostic) and long values are
 * folded.  All strings are borrowed for the duration of the call.
 */
struct bounce_rcpt {
	const char	*addr;		/* final recipient as queued
					   (required) */
	const char	*orcpt;		/* ORCPT, decoded: "rfc822;x@y",
					   or NULL */
	const char	*action;	/* "failed", "delayed", "delivered",
					   "relayed" or "expanded"; NULL or
					   anything else: "delayed" when
					   info->delayed, else "failed" */
	const char	*status;	/* "5.1.1"; NULL or malformed: X.0.0
					   with X from the action */
	const char	*remote_mta;	/* "smtp.example.com" or NULL */
	const char	*diagnostic;	/* "smtp; 550 5.1.1 no such user" or
					   NULL; without a "type;" prefix
					   "X-Postern; " is put in front */
	time_t		 last_attempt;	/* 0: no Last-Attempt-Date field */
};

/*
 * What the report is about.  reporting_mta, domain and orig_sender are
 * required; the rest may be NULL or 0.
 */
struct bounce_info {
	const char	*reporting_mta;	/* our hostname (Reporting-MTA: dns;) */
	const char	*postmaster_from; /* From: value; NULL gives "Mail
					   Delivery System
					   <MAILER-DAEMON@domain>" */
	const char	*domain;	/* for From: and Message-ID */
	const char	*orig_sender;	/* envelope sender; becomes To: (must
					   not be empty: never bounce a
					   bounce) */
	const char	*envid;		/* ENVID (decoded) or NULL */
	const char	*queue_id;	/* X-Postern-Queue-ID, or NULL */
	time_t		 arrival;	/* 0: no Arrival-Date field */
	int		 ret_full;	/* 1: return the whole message
					   (RET=FULL), 0: its header
					   section only */
	const char	*reason_summary; /* one paragraph for the human part, or
					   NULL */
	int		 delayed;	/* 1: delay warning, not a failure */
	uint64_t	 max_return_size; /* bytes of the original returned at
					   most; 0 means no limit */
	/* Injectable for reproducible output (tests); 0/NULL in production. */
	time_t		 now;		/* Date:; 0 means time(NULL) */
	const char	*message_id;	/* "<x@y>"; NULL: generated */
	const char	*boundary_seed;	/* [A-Za-z0-9]{1,40}; NULL: random */
};

/*
 * bounce_generate - write one complete DSN for nrcpt recipients (at least
 * one) to write_fn, returning the original read from orig_fd.
 *
 * orig_fd is positioned at the first byte of the original message
 * (header section and body, LF line endings) and must be seekable (a
 * spool file): the returned part is read twice, once to choose a MIME
 * boundary that provably occurs at the start of none of its lines and
 * to learn whether it holds 8-bit data or will be truncated, once to
 * copy it.  The descriptor is left at an unspecified offset.
 *
 * write_fn(ctx, p, n) must write all n bytes and return 0, or -1 with
 * errno set; it is called with chunks of at most 64 KiB.  Memory use is
 * bounded whatever the original holds.
 *
 * The output: top-level fields (From, To, Subject, Date, Message-ID,
 * Auto-Submitted: auto-replied, MIME-Version, Content-Type
 * multipart/report), then a text/plain explanation, a
 * message/delivery-status part (message/global-delivery-status with the
 * utf-8 address type of RFC 6533 when an address is not ASCII), and,
 * unless nothing is to be returned, the original as message/rfc822
 * (ret_full) or text/rfc822-headers; message/global or
 * message/global-headers when its header section holds 8-bit bytes.
 * Every line we generate is at most BOUNCE_LINE_MAX octets; lines of the
 * returned original are copied as they are, except that a header line
 * over BOUNCE_LINE_MAX octets is folded at white space by the agent's
 * wire rule (hfold.h), so that unfolding gives it back (the agent would
 * cut it like a body line: the returned header is in the DSN's body),
 * body lines are left to the agent, which splits long ones on the wire,
 * CR and CR LF end a line (written as LF), NUL bytes are dropped, and
 * the copy (folds included) is cut at max_return_size bytes, a
 * header-only copy too.
 *
 * Returns 0, or -1 with a message in err (appended; err may be NULL) and
 * errno set: EINVAL (a required field is missing or nrcpt is 0), ESPIPE
 * (orig_fd cannot seek), EIO or read(2)'s errno (reading the original),
 * EEXIST (no usable boundary: the original contains every candidate),
 * or write_fn's errno.  On failure a partial report may have been
 * written; the caller discards it.
 */
int	bounce_generate(const struct bounce_info *, const struct bounce_rcpt *,
	    size_t nrcpt, int orig_fd,
	    int (*write_fn)(void *ctx, const void *, size_t), void *ctx,
	    struct buf *err);

#endif
