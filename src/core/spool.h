/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool.h - the spool layout: directories, modes, FIFOs, the pipe protocol
 * to postern-drop, and the atomic replacement of the agent's small files.
 * doc/spool-format.md is the reference.  The formats have their own
 * owners: envelope.h (queue files), retrystate.h (state/QID),
 * relaystate.h (state/relays); this header includes the first two so a
 * caller of the spool needs one include.
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
 */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "envelope.h"
#include "qid.h"
#include "retrystate.h"

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
#define SPOOL_OAUTH_SOCK	"oauth.sock"	/* the agent's socket for
						   postern oauth login */

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
 * spool_read_envelope_quick - as spool_read_envelope_fd for a listing:
 * one read of 4 KiB holds nearly every envelope and is parsed as it is,
 * without an fstat; the size check is then made only when that read saw
 * the whole file (a longer file is not measured).  Falls back to
 * spool_read_envelope_fd when the envelope may be longer than the read.
 */
int	spool_read_envelope_quick(int fd, struct envelope *env,
	    off_t *body_offset, struct buf *err);

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

#endif
