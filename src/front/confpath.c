/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confpath.c - the -C rule of the front end (sendmail -C, postern CMD -C).
 *
 * Owns one decision: whether a caller other than root may have postern
 * read a configuration file it named, since that file names the programs
 * the front end runs (drop_program, agent_program).  The rule is
 * Postfix's (postdrop/sendmail -c: only directories listed in
 * alternate_config_directories of the default configuration), plus the
 * files only root could have written.  Works on the real path
 * (realpath(3)) and checks each directory by descriptor (O_NOFOLLOW), so
 * what it approved is what is loaded: the approved path is made only of
 * directories the caller cannot change.  Never loads more than the
 * default configuration's list; never trusts a list from a -C file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "confpath.h"
#include "util.h"

/* confpath_under - path is dir itself or below it (both real paths) */
static bool
confpath_under(const char *path, const char *dir, size_t dlen)
{
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (dlen == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, dlen) == 0 && path[dlen] == '/';
}

/* confpath_listed - real under one of default_conf's listed directories */
static bool
confpath_listed(const char *real, const char *default_conf)
{
	struct conf	 c;
	struct buf	 err;
	char		 dir[PATH_MAX], rdir[PATH_MAX];
	const char	*w;
	size_t		 n;
	bool		 ok = false;

	buf_init(&err, 4096);
	if (conf_load(&c, default_conf, false, &err) == -1) {
		buf_free(&err);
		return false;
	}
	buf_free(&err);
	w = c.alternate_config_directories != NULL ?
	    c.alternate_config_directories : "";
	for (w += strspn(w, " \t"); *w != '\0' && !ok;
	    w += n, w += strspn(w, " \t")) {
		n = strcspn(w, " \t");
		if (n >= sizeof(dir))
			continue;
		memcpy(dir, w, n);
		dir[n] = '\0';
		/* the listed directory itself may be reached by a link */
		if (realpath(dir, rdir) == NULL)
			continue;
		ok = confpath_under(real, rdir, strlen(rdir));
	}
	conf_free(&c);
	return ok;
}

/*
 * confpath_roots - real (an absolute real path) is a regular file of
 * root's that no one else can write, below directories of root's that
 * no one else can write (sticky ones allowed: their root-owned entries
 * stay root's).  Walks by descriptor, never following a link.
 */
static bool
confpath_roots(const char *real)
{
	char		 copy[PATH_MAX];
	char		*p, *slash;
	struct stat	 sb;
	int		 dfd, fd;
	bool		 ok = false;

	if (str_copy(copy, real, sizeof(copy)) == -1 || copy[0] != '/')
		return false;
	if ((dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return false;
	for (p = copy + 1;; p = slash + 1) {
		if (fstat(dfd, &sb) == -1 || sb.st_uid != 0 ||
		    ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (sb.st_mode & S_ISVTX) == 0))
			goto out;
		if ((slash = strchr(p, '/')) == NULL)
			break;
		*slash = '\0';
		fd = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1)
			goto out;
		close(dfd);
		dfd = fd;
	}
	fd = openat(dfd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		goto out;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0 &&
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) == 0;
	close(fd);
out:
	close(dfd);
	return ok;
}

/* confpath_check - see confpath.h */
int
confpath_check(const char *path, const char *default_conf, char **resolved,
    struct buf *err)
{
	char	real[PATH_MAX];

	*resolved = NULL;
	if (getuid() == 0) {
		*resolved = xstrdup(path);
		return 0;
	}
	if (realpath(path, real) == NULL) {
		buf_note(err, "-C %s: %s", path, strerror(errno));
		return -1;
	}
	if (!confpath_listed(real, default_conf) && !confpath_roots(real)) {
		buf_note(err, "-C %s: refused: only root may name a "
		    "configuration that is not root's own, except under a "
		    "directory listed in alternate_config_directories of %s "
		    "(a file you chose could make postern run any program)",
		    path, default_conf);
		return -1;
	}
	*resolved = xstrdup(real);
	return 0;
}
