/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * retrystate.h - the agent's retry state, one sidecar file state/QID per
 * message (doc/spool-format.md): the one parser and the one writer.
 * Written by the agent only; read by the agent and the queue tools.
 * postern-drop never links it.
 */
#ifndef POSTERN_RETRYSTATE_H
#define POSTERN_RETRYSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "envelope.h"
#include "qid.h"

#define SPOOL_STATE_VERSION	2	/* state files: 1, or 2 with a copy
					   of the envelope (spool-format.md) */
#define SPOOL_STATE_TEXT_MAX	512	/* reply text kept per recipient */
#define SPOOL_STATE_MAX		((size_t)(SPOOL_STATE_TEXT_MAX + 64) * \
				    (SPOOL_RCPT_MAX + 8) + SPOOL_ENVELOPE_MAX)

enum spool_rcpt_state {
	SPOOL_RCPT_PENDING = 0,
	SPOOL_RCPT_SENT,		/* accepted: never sent again */
	SPOOL_RCPT_FAILED,		/* permanent: DSN owed or sent */
	SPOOL_RCPT_DEFERRED,		/* temporary, will retry */
};

struct spool_rcpt_status {
	size_t		 index;		/* into envelope.rcpts */
	enum spool_rcpt_state state;
	unsigned	 code;		/* SMTP reply code, 0: none */
	char		 enh[16];	/* "4.2.0", "" when none */
	char		*text;		/* owned, "" when none */
};

struct spool_state {
	unsigned	 version;	/* 1, or 2 when env is set */
	uint64_t	 attempts;	/* A */
	uint64_t	 next_attempt;	/* X, unix time, 0: now */
	uint64_t	 first_attempt;	/* W, unix time, 0: never tried */
	uint64_t	 delay_warned;	/* D, unix time the delay warning
					   (delay_warning) was queued; 0:
					   none, and no D record */
	struct spool_rcpt_status *rcpts; /* r, ascending index; absent
					   indices are pending */
	size_t		 nrcpts;
	char		*last_error;	/* e, owned, or NULL */
	struct envelope	*env;		/* owned copy of the message's
					   envelope (version 2), or NULL
					   (version 1): a listing then reads
					   one file per message, not two */
};

/*
 * spool_state_init - a fresh state: no attempt, every recipient pending,
 * no envelope copy (version 1)
 */
void	spool_state_init(struct spool_state *);

/* spool_state_free - release and re-init; NULL-safe */
void	spool_state_free(struct spool_state *);

/*
 * spool_state_rcpt - the status of recipient index, or NULL when it has
 * none (pending).  Borrowed until the state changes.
 */
const struct spool_rcpt_status *spool_state_rcpt(const struct spool_state *,
	    size_t index);

/*
 * spool_state_set_rcpt - record the outcome for recipient index (index <
 * SPOOL_RCPT_MAX); text and enh may be NULL.  Text is copied, control
 * characters become '?' and it is cut at SPOOL_STATE_TEXT_MAX.  Returns 0,
 * or -1 with errno EINVAL (index out of range, enh not "d.d.d").
 */
int	spool_state_set_rcpt(struct spool_state *, size_t index,
	    enum spool_rcpt_state, unsigned code, const char *enh,
	    const char *text);

/* spool_state_set_error - copy the last error text, sanitised as above */
void	spool_state_set_error(struct spool_state *, const char *text);

/*
 * spool_state_set_envelope - keep a copy of env (the envelope of the
 * state's queue file, replacing any copy held): the state is then written
 * as version 2.  The copy is what envelope_parse gives back from
 * envelope_write(env).  Returns 0, or -1 with errno EINVAL (env would not
 * write back: see envelope_write) and the state unchanged.
 */
int	spool_state_set_envelope(struct spool_state *,
	    const struct envelope *env);

/* spool_rcpt_state_name - "pending", "sent", "failed", "deferred" */
const char *spool_rcpt_state_name(enum spool_rcpt_state);

/*
 * spool_state_format - append the file form of st to out: version 1, or
 * version 2 (the records, a blank line, envelope_write of st->env) when
 * it holds an envelope copy.  Returns 0, or -1 (errno EINVAL: the copy
 * does not write back; EMSGSIZE/ENOMEM from the buffer) with out as it
 * was.
 */
int	spool_state_format(const struct spool_state *, struct buf *out);

/*
 * spool_state_parse - strictly parse a state file image into *st (which it
 * initialises): version 1, or version 2 whose records end with a blank
 * line followed by exactly one envelope (envelope_parse) and nothing
 * else.  Returns 0, or -1 with "line N: reason" in err and *st empty.
 */
int	spool_state_parse(const char *data, size_t len, struct spool_state *st,
	    struct buf *err);

/*
 * spool_state_write - atomically replace spool_dir/state/QID: write
 * state/.QID.tmp (mode SPOOL_MODE_STATEFILE whatever the umask, O_EXCL
 * after removing a stale one), fsync,
 * rename, fsync state/.  Returns 0, or -1 with the reason (path and
 * strerror) in err; the old state is then intact.
 */
int	spool_state_write(const char *spool_dir, const struct qid *,
	    const struct spool_state *, struct buf *err);

/*
 * spool_state_read - read spool_dir/state/QID strictly into *st.  A
 * missing file gives a fresh state and 0.  Returns -1 with the reason in
 * err for I/O errors and malformed files.
 */
int	spool_state_read(const char *spool_dir, const struct qid *,
	    struct spool_state *st, struct buf *err);

/*
 * spool_state_read_quick - a listing's read of the open state file fd:
 * one pread of 4 KiB, which holds the whole file nearly always.  Returns
 * 0 with *st filled, or -1 when anything is unusual (read error, a file
 * of 4 KiB or more, a parse error): *st and err are then as on entry, and
 * the caller reads again with spool_state_read_fd, which names the
 * problem.
 */
int	spool_state_read_quick(int fd, struct spool_state *st,
	    struct buf *err);

/*
 * spool_state_read_fd - read the open state file fd (from its offset, at
 * most SPOOL_STATE_MAX bytes; it must be a regular file) strictly into
 * *st; name (a path, or "state/QID") is how messages call it.  *sb (may
 * be NULL) gets the file's fstat.  Returns 0, or -1 with the reason in
 * err and *st fresh.  The one reader of a state file: spool_state_read
 * and the queue tools (which open through a directory fd) both use it.
 */
int	spool_state_read_fd(int fd, const char *name, struct spool_state *st,
	    struct stat *sb, struct buf *err);

/* spool_state_remove - unlink state/QID; a missing file is not an error */
int	spool_state_remove(const char *spool_dir, const struct qid *);

#endif
