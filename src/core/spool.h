/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool.h - the spool layout, the envelope records of a queue file and the
 * agent's retry-state sidecar.  doc/spool-format.md is the reference.
 *
 * Layout under conf.spool_dir (user = the agent's, group = the agent's
 * group, whose members may use every queue tool; drop = the group of the
 * set-group-id postern-drop, which may only add mail):
 *   tmp/     postern-drop writes tmp/QID here            (1730 user:drop)
 *   new/     committed, not yet picked up by the agent   (1770 user:drop)
 *   cur/     picked up by the agent, waiting or tried    (2770 user:group)
 *   failed/  given up, kept for inspection               (2770 user:group)
 *   state/   retry state, one sidecar file per message   (2770 user:group)
 * A queue file is written once and never rewritten: the retry state lives
 * in state/QID so a retry never copies a large message.
 *
 * Queue file = envelope records, a blank line, the message (LF line ends,
 * ends with LF, no NUL, no CR).  Records are "K VALUE\n", in the order
 * V I T U L S R... B E N F Z; S may stand alone (null sender).
 */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "qid.h"

#define SPOOL_VERSION		1	/* envelope records */
#define SPOOL_STATE_VERSION	2	/* state files: 1, or 2 with a copy
					   of the envelope (spool-format.md) */
#define SPOOL_RECORD_MAX	1024	/* one record, LF included */
#define SPOOL_RCPT_MAX		10000	/* R records per message */
#define SPOOL_ADDR_MAX		256	/* one envelope address */
#define SPOOL_ORCPT_MAX		500	/* RFC 3461 4.2 */
#define SPOOL_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SPOOL_LOGIN_MAX		64
#define SPOOL_SIZE_WIDTH	20	/* Z is written with exactly this
					   many digits so it can be patched
					   in place (spool_patch_size) */
#define SPOOL_SIZE_MAX		(1ULL << 40)	/* Z upper bound, 1 TiB */
#define SPOOL_TIME_MAX		253402300799ULL	/* 9999-12-31 */
#define SPOOL_UID_MAX		4294967294ULL	/* (uid_t)-1 is not a uid */
#define SPOOL_ENVELOPE_MAX	((size_t)SPOOL_RECORD_MAX * \
				    (SPOOL_RCPT_MAX + 16))
#define SPOOL_STATE_TEXT_MAX	512	/* reply text kept per recipient */
#define SPOOL_STATE_MAX		((size_t)(SPOOL_STATE_TEXT_MAX + 64) * \
				    (SPOOL_RCPT_MAX + 8) + SPOOL_ENVELOPE_MAX)

/*
 * The pipe protocol, front end -> postern-drop on the helper's stdin:
 *   the request envelope (envelope_write_request), then the message as
 *   chunks "C <n>\n" + n bytes (1 <= n <= SPOOL_PIPE_CHUNK_MAX), then the
 *   end marker "E <total bytes>\n", then end of file.  Anything else, or
 *   end of file before the marker (front end killed), discards the message.
 * Reply: on commit the helper prints "QID\n" on stdout and exits 0;
 * otherwise "postern-drop: fatal: ..." on stderr and a sysexits.h code.
 */
#define SPOOL_PIPE_CHUNK_MAX	65536
#define SPOOL_PIPE_HEADER_MAX	32	/* "C 65536\n", "E <20 digits>\n" */

/* the spool subdirectories */
#define SPOOL_TMP		"tmp"
#define SPOOL_NEW		"new"
#define SPOOL_CUR		"cur"
#define SPOOL_FAILED		"failed"
#define SPOOL_STATE		"state"
#define SPOOL_TRIGGER		"trigger"	/* FIFO made by the agent */
#define SPOOL_FLUSH		"flush"		/* FIFO of root and the agent's
						   group (mode 0620) */
#define SPOOL_QUEUE_SOCK	"queue.sock"	/* the agent's socket where a
						   user lists their own mail */

/*
 * Directory and file modes (install hook, agent, drop and the queue tools
 * use these; doc/spool-format.md explains each).  A queue file made by
 * postern-drop is owned by the submitter with the drop group and mode
 * 0604: the kernel checks the group class before "others", so processes
 * of the drop group (postern-drop itself) are denied even reading it,
 * while the agent and the agent's group, which are not in the drop group,
 * read it through "others" once they can reach it: only the agent's user
 * can search new/, and cur/ failed/ are the agent's group's.
 */
#define SPOOL_MODE_ROOT		0755
#define SPOOL_MODE_DROPDIR	01730	/* tmp/: the drop group may create
					   and rename, never list or read */
#define SPOOL_MODE_NEWDIR	01770	/* new/: as tmp/, plus group read so
					   postern-drop can fsync it */
#define SPOOL_MODE_AGENTDIR	02770	/* cur/ failed/ state/: the agent's
					   group; setgid keeps the group on
					   the files made there */
#define SPOOL_MODE_FILE		0604	/* queue file from postern-drop:
					   owner = submitter, group = drop
					   (denied), others = the readers */
#define SPOOL_MODE_AGENTFILE	0640	/* queue file the agent made (DSN):
					   owner = agent, group = agent's */
#define SPOOL_MODE_STATEFILE	0640	/* state/QID, state/relays: group
					   members read (and replace) them */

enum envelope_body {
	ENVELOPE_BODY_NONE = 0,		/* no B record */
	ENVELOPE_BODY_7BIT,
	ENVELOPE_BODY_8BITMIME,
};

enum envelope_ret {
	ENVELOPE_RET_NONE = 0,		/* no N record */
	ENVELOPE_RET_FULL,
	ENVELOPE_RET_HDRS,
};

/* DSN NOTIFY bits (RFC 3461 4.1); 0 means "not given" */
#define ENVELOPE_NOTIFY_NEVER	0x01
#define ENVELOPE_NOTIFY_SUCCESS	0x02
#define ENVELOPE_NOTIFY_FAILURE	0x04
#define ENVELOPE_NOTIFY_DELAY	0x08

/* F record flags */
#define ENVELOPE_F_SMTPUTF8	0x01

struct envelope_rcpt {
	char		*addr;		/* owned, spool_addr_safe() */
	unsigned	 notify;	/* ENVELOPE_NOTIFY_* bits */
	char		*orcpt;		/* owned "type;xtext" or NULL */
};

struct envelope {
	unsigned	 version;	/* V */
	struct qid	 qid;		/* I; "" in a request */
	uint64_t	 arrival;	/* T, unix time */
	uid_t		 uid;		/* U, the submitter's real uid */
	char		*login;		/* L, owned, or NULL */
	char		*sender;	/* S, owned, "" = null sender */
	struct envelope_rcpt *rcpts;	/* R, owned */
	size_t		 nrcpts;
	enum envelope_body body;	/* B */
	char		*envid;		/* E, owned xtext, or NULL */
	enum envelope_ret ret;		/* N */
	unsigned	 flags;		/* F, ENVELOPE_F_* */
	uint64_t	 size;		/* Z, message bytes after the blank line */
};

/* envelope_init - an empty envelope (version 1, no records) */
void	envelope_init(struct envelope *);

/* envelope_free - release every owned field and re-init; NULL-safe */
void	envelope_free(struct envelope *);

/*
 * envelope_set_sender - copy sender ("" for the null sender).  Returns 0,
 * or -1 with errno EINVAL when the address fails spool_addr_safe().
 */
int	envelope_set_sender(struct envelope *, const char *sender);

/*
 * envelope_add_rcpt - append a copy of addr with DSN notify bits and an
 * optional ORCPT ("rfc822;xtext", or NULL).  Returns 0, or -1 with errno
 * EINVAL (unsafe address, bad notify combination or ORCPT) or E2BIG (more
 * than SPOOL_RCPT_MAX recipients).
 */
int	envelope_add_rcpt(struct envelope *, const char *addr,
	    unsigned notify, const char *orcpt);

/*
 * envelope_write - append the queue-file form (all records, Z padded to
 * SPOOL_SIZE_WIDTH digits, then the blank line) to out.  Returns 0, or -1
 * with errno EINVAL (a field would not parse back: unsafe value, no
 * recipient, invalid qid) or EMSGSIZE/ENOMEM from the buffer.
 */
int	envelope_write(const struct envelope *, struct buf *out);

/*
 * envelope_write_request - append the form the front end sends to
 * postern-drop: V S R... B E N F and the blank line; never I T U L Z,
 * which the helper sets itself.  Returns as envelope_write.
 */
int	envelope_write_request(const struct envelope *, struct buf *out);

/*
 * envelope_parse - strictly parse the queue-file form at the start of
 * data[0..len) (the message may follow).  On success fills *env (which it
 * initialises; caller frees with envelope_free), sets *consumed to the
 * offset just past the blank line, and returns 0.  On any deviation
 * (unknown key, wrong order, duplicate singleton, missing V I T U S Z or
 * R, control characters, unsafe address, number out of range, record over
 * SPOOL_RECORD_MAX, no blank line) returns -1, leaves *env empty and
 * appends "line N: what is wrong" to err.
 */
int	envelope_parse(const char *data, size_t len, struct envelope *env,
	    size_t *consumed, struct buf *err);

/*
 * envelope_parse_request - as envelope_parse for the request form: I T U
 * L Z are refused (the caller cannot forge them), V S and one R are
 * required.
 */
int	envelope_parse_request(const char *data, size_t len,
	    struct envelope *env, size_t *consumed, struct buf *err);

/*
 * spool_read_envelope_fd - read and strictly parse the envelope of the
 * open queue file fd (from offset 0, at most SPOOL_ENVELOPE_MAX bytes) and
 * check that the file size is exactly the envelope plus Z.  Sets
 * *body_offset to the first message byte.  Returns 0, or -1 with the
 * reason in err (I/O errors include strerror).  The file offset is left
 * unspecified.
 */
int	spool_read_envelope_fd(int fd, struct envelope *env,
	    off_t *body_offset, struct buf *err);

/*
 * spool_patch_size - overwrite the Z value of a queue file written with
 * envelope_write (envelope_len = the bytes it wrote) with size, using
 * pwrite.  Returns 0, or -1 with errno (ERANGE: size > SPOOL_SIZE_MAX).
 */
int	spool_patch_size(int fd, size_t envelope_len, uint64_t size);

/*
 * spool_addr_safe - true when addr is safe to store and to put in an SMTP
 * command: 1..SPOOL_ADDR_MAX bytes, no space, no control character (8-bit
 * bytes allowed for SMTPUTF8).  The empty string is not safe; the null
 * sender is handled by the S record.
 */
bool	spool_addr_safe(const char *addr);

/*
 * spool_envid_valid - s is a DSN envelope id as RFC 3461 4.4 wants it:
 * xtext (printable US-ASCII but '+' and '=', or "+XX" hex), 1 to
 * SPOOL_ENVID_MAX bytes.  What envelope_write and postern-drop accept.
 */
bool	spool_envid_valid(const char *s);

/*
 * spool_path - "spool_dir/sub/QID" into out (sub one of SPOOL_TMP ...;
 * qid NULL gives "spool_dir/sub").  Returns 0, or -1 with errno
 * ENAMETOOLONG.
 */
int	spool_path(const char *spool_dir, const char *sub,
	    const struct qid *qid, char *out, size_t outsize);

/*
 * spool_trigger_open - open spool_dir's agent trigger FIFO (SPOOL_TRIGGER)
 * for a non-blocking write, never following a symbolic link.  Returns the
 * descriptor, or -1 with errno: ENXIO when no agent holds the FIFO open
 * (none is running), ENOENT when it was never made, ENAMETOOLONG.
 */
int	spool_trigger_open(const char *spool_dir);

/*
 * spool_flush_open - open spool_dir's SPOOL_FLUSH FIFO, the one only root
 * and the agent's group may write (a flush from it also ends the relays'
 * back-off), like spool_trigger_open.  Returns the descriptor, or -1
 * with errno: EACCES for anyone else (write to SPOOL_TRIGGER instead),
 * ENXIO when no agent reads it, ENOENT when an agent older than this
 * FIFO runs, ENAMETOOLONG.
 */
int	spool_flush_open(const char *spool_dir);

/*
 * spool_poke_open - the FIFO through which this process asks the agent:
 * SPOOL_FLUSH when it may open it (root, the agent's user and group),
 * else SPOOL_TRIGGER (anyone: rate-limited, and a flush written there
 * never ends a relay's back-off).  *privileged tells which.  Returns the
 * descriptor, or -1 with spool_trigger_open's errno.
 */
int	spool_poke_open(const char *spool_dir, bool *privileged);

/* ---- retry state: state/QID, written by the agent only ---------------- */

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
 * spool_replace_file - atomically replace path (in directory dir) with
 * data[0..len): write tmp (a stale tmp from a crash is removed first;
 * O_EXCL, O_NOFOLLOW, then fchmod to mode: the umask does not matter),
 * fsync it, rename it over path, fsync dir.
 * The one copy of this sequence for the agent's small files.  Returns 0,
 * or -1 with "what FILE: strerror" in err; path is then unchanged (or, if
 * only the directory fsync failed, replaced but maybe not durable) and
 * tmp removed.
 */
int	spool_replace_file(const char *path, const char *tmp, const char *dir,
	    const void *data, size_t len, mode_t mode, struct buf *err);

/* spool_state_remove - unlink state/QID; a missing file is not an error */
int	spool_state_remove(const char *spool_dir, const struct qid *);

#endif
