/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool.c - the spool's paths and FIFOs, the bounded read of a queue
 * file's envelope, and the atomic replacement of the agent's small files.
 *
 * Owns the names under spool_dir (spool.h).  The formats of what lives
 * there have their own owners: envelope.c (queue files), retrystate.c
 * (state/QID), relaystate.c (state/relays); this file reads and writes
 * bytes and leaves every record to them.  Never logs, never exits.
 * postern-drop does not link it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "spool.h"
#include "util.h"

#define SPOOL_READ_CHUNK	8192
#define SPOOL_PEEK		4096	/* spool_read_envelope_quick's read */

/* spool_path - join spool_dir/sub[/QID] */
int
spool_path(const char *spool_dir, const char *sub, const struct qid *qid,
    char *out, size_t outsize)
{
	int	n;

	if (qid != NULL)
		n = snprintf(out, outsize, "%s/%s/%s", spool_dir, sub, qid->s);
	else
		n = snprintf(out, outsize, "%s/%s", spool_dir, sub);
	if (n < 0 || (size_t)n >= outsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* spool_trigger_open - the agent's FIFO, for a non-blocking write */
int
spool_trigger_open(const char *spool_dir)
{
	char	path[4096];

	if (spool_path(spool_dir, SPOOL_TRIGGER, NULL, path, sizeof(path)) ==
	    -1)
		return -1;
	return open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
}

/* spool_flush_open - the FIFO of root and the group, for a write */
int
spool_flush_open(const char *spool_dir)
{
	char	path[4096];

	if (spool_path(spool_dir, SPOOL_FLUSH, NULL, path, sizeof(path)) ==
	    -1)
		return -1;
	return open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
}

/* spool_poke_open - the group's FIFO if we may, else the world's */
int
spool_poke_open(const char *spool_dir, bool *privileged)
{
	int	fd;

	*privileged = false;
	if ((fd = spool_flush_open(spool_dir)) != -1) {
		*privileged = true;
		return fd;
	}
	if (errno == ENAMETOOLONG || errno == ENXIO)
		return -1;
	/* EACCES: not root nor the group; ENOENT: an older agent */
	return spool_trigger_open(spool_dir);
}

/* spool_replace_file - tmp, fsync, rename over path, fsync dir */
int
spool_replace_file(const char *path, const char *tmp, const char *dir,
    const void *data, size_t len, mode_t mode, struct buf *err)
{
	int	fd = -1, rc = -1;
	bool	created = false;

	/* a crash may have left a tmp file; it is ours to replace */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		buf_note(err, "unlink %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		buf_note(err, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	/* the umask (systemd's UMask=0077) must not take the group's read */
	if (fchmod(fd, mode) == -1) {
		buf_note(err, "chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (io_write_all(fd, data != NULL ? data : "", len) == -1 ||
	    fsync(fd) == -1) {
		buf_note(err, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		buf_note(err, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		buf_note(err, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	created = false;
	if (fsync_dir(dir) == -1) {
		buf_note(err, "fsync %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (created)
		unlink(tmp);
	return rc;
}

/* spool_read_envelope_fd - bounded read, strict parse, size check */
int
spool_read_envelope_fd(int fd, struct envelope *env, off_t *body_offset,
    struct buf *err)
{
	struct buf	 b;
	struct stat	 st;
	char		 chunk[SPOOL_READ_CHUNK];
	const char	*end = NULL;
	size_t		 consumed, from = 0;
	ssize_t		 r;
	int		 rc = -1;

	envelope_init(env);
	buf_init(&b, SPOOL_ENVELOPE_MAX);
	for (;;) {
		r = io_pread(fd, chunk, sizeof(chunk), (off_t)b.len);
		if (r == -1) {
			buf_note(err, "read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (buf_append(&b, chunk, (size_t)r) == -1) {
			buf_note(err, "envelope longer than %zu bytes",
			    (size_t)SPOOL_ENVELOPE_MAX);
			goto out;
		}
		from = from > 0 ? from - 1 : 0;
		if ((end = memmem(b.data + from, b.len - from, "\n\n", 2)))
			break;
		from = b.len;
	}
	if (envelope_parse(b.data != NULL ? b.data : "", end != NULL ?
	    (size_t)(end - b.data) + 2 : b.len, env, &consumed, err) == -1)
		goto out;
	if (fstat(fd, &st) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size != (uint64_t)consumed + env->size) {
		buf_note(err, "file is %llu bytes but the envelope says %zu + "
		    "%llu (truncated or altered)",
		    (unsigned long long)st.st_size, consumed,
		    (unsigned long long)env->size);
		goto out;
	}
	*body_offset = (off_t)consumed;
	rc = 0;
out:
	if (rc == -1)
		envelope_free(env);
	buf_free(&b);
	return rc;
}

/*
 * spool_read_envelope_quick - one pread of SPOOL_PEEK bytes, parsed as it
 * is; the careful reader only when that fails on a full peek holding no
 * blank line (the envelope may be longer)
 */
int
spool_read_envelope_quick(int fd, struct envelope *env, off_t *body_offset,
    struct buf *err)
{
	char		 peek[SPOOL_PEEK];
	ssize_t		 r;
	size_t		 consumed, mark = err->len;

	r = io_pread(fd, peek, sizeof(peek), 0);
	if (r == -1) {
		buf_note(err, "read: %s", strerror(errno));
		return -1;
	}
	if (envelope_parse(peek, (size_t)r, env, &consumed, err) == -1) {
		if ((size_t)r < sizeof(peek) || memmem(peek, (size_t)r,
		    "\n\n", 2) != NULL)
			return -1;
		buf_truncate(err, mark);
		return spool_read_envelope_fd(fd, env, body_offset, err);
	}
	if ((size_t)r < sizeof(peek) && (uint64_t)r != consumed + env->size) {
		buf_note(err, "file is %zd bytes but the envelope says %zu + "
		    "%llu (truncated or altered)", r, consumed,
		    (unsigned long long)env->size);
		envelope_free(env);
		return -1;
	}
	*body_offset = (off_t)consumed;
	return 0;
}
