/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_file.c - the OAuth2 code's private files: reading a small file
 * that must be a regular file owned by the agent's user with no group or
 * other bits (a key, a refresh token, the token cache), and replacing
 * one durably (a temporary file of mode 600, fsync, rename, fsync of the
 * directory), so that at every instant the file holds one whole token.
 *
 * Called by oauth.c, oauth_jwt.c and oauth_login.c; calls none of them.
 * Never follows a symbolic link, never logs what it reads, and wipes
 * its read buffer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "oauth_int.h"
#include "result.h"
#include "util.h"

static uid_t	 oauth_owner;	/* the agent's user */

/* oauth_file_owner - whose files these must be (oauth_configure) */
void
oauth_file_owner(uid_t owner)
{
	oauth_owner = owner;
}

/*
 * oauth_read_private - a small file owned by the agent's user with mode 600
 * into b (one line, trailing blanks and line breaks cut).  Returns 0,
 * 1 when the file does not exist, -1 with why.
 */
int
oauth_read_private(const char *path, const char *what, struct buf *b,
    struct why *why)
{
	struct stat	st;
	char		chunk[512];
	ssize_t		n;
	int		fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		why_set(why, 0, NULL, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		why_set(why, 0, NULL, "%s %s: not a regular file", what, path);
		goto out;
	}
	if (st.st_uid != oauth_owner || (st.st_mode & 077) != 0) {
		why_set(why, 0, NULL, "%s %s must belong to the agent's user "
		    "(uid %lu) with mode 600: chown that user and chmod 600 "
		    "it", what, path, (unsigned long)oauth_owner);
		goto out;
	}
	while ((n = io_read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 || buf_append(b, chunk, (size_t)n) == -1) {
			why_set(why, 0, NULL, "%s %s: %s", what, path, n == -1 ?
			    strerror(errno) : "too long for a token");
			goto out;
		}
	}
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
	    b->data[b->len - 1] == '\r' || b->data[b->len - 1] == ' '))
		buf_truncate(b, b->len - 1);
	ret = 0;
out:
	wipe(chunk, sizeof(chunk));
	close(fd);
	return ret;
}

/*
 * oauth_write_private - replace path with data durably: a temporary file
 * (mode 600) in the same directory, write, fsync, rename over path,
 * fsync the directory.  Returns 0, or -1 with why (path unchanged).
 */
int
oauth_write_private(const char *path, const char *data, size_t len,
    struct why *why)
{
	char	tmp[OAUTH_PATH_MAX], dir[OAUTH_PATH_MAX], *slash;
	int	fd = -1, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp) || str_copy(dir, path, sizeof(dir)) == -1) {
		why_set(why, 0, NULL, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		why_set(why, 0, NULL, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (io_write_all(fd, data, len) == -1 ||
	    io_write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		why_set(why, 0, NULL, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		why_set(why, 0, NULL, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		why_set(why, 0, NULL, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	if (fsync_dir(dir) == -1) {
		why_set(why, 0, NULL, "fsync %s: %s", dir, strerror(errno));
		return -1;	/* renamed: the new token is what remains */
	}
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	if (ret == -1)
		(void)unlink(tmp);
	return ret;
}
