/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confpath.c - unit tests for the -C rule (src/front/confpath.c): as a
 * user other than root (the test forks a child that becomes nobody), a
 * file is accepted only under a directory listed in the default
 * configuration's alternate_config_directories, or when only root could
 * have written it; links are judged by where they lead.  Needs root to
 * make files of root's and of nobody's (exit 77 otherwise).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "confpath.h"
#include "tap.h"

#define NOBODY	65534

static char	dir[] = "/tmp/postern-confpath-XXXXXX";
static char	defconf[600];

/* put - a file with mode and owner */
static void
put(const char *name, const char *text, mode_t mode, uid_t uid)
{
	char	 path[600];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF || chmod(path, mode) == -1 ||
	    chown(path, uid, uid == 0 ? 0 : NOBODY) == -1) {
		perror(path);
		exit(99);
	}
}

/* sub - a directory with mode and owner */
static void
sub(const char *name, mode_t mode, uid_t uid)
{
	char	path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, mode) == -1 || chmod(path, mode) == -1 ||
	    chown(path, uid, uid == 0 ? 0 : NOBODY) == -1) {
		perror(path);
		exit(99);
	}
}

/* link_to - name -> target, both under dir */
static void
link_to(const char *name, const char *target)
{
	char	path[600], t[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(t, sizeof(t), "%s/%s", dir, target);
	if (symlink(t, path) == -1) {
		perror(path);
		exit(99);
	}
}

/* allowed_as_nobody - confpath_check(name) in a child that is nobody */
static int
allowed_as_nobody(const char *name, char *why, size_t whysize)
{
	char	 path[600];
	int	 fds[2], st;
	ssize_t	 n;
	pid_t	 pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		struct buf	 err;
		char		*res = NULL;
		gid_t		 g = NOBODY;
		int		 rc;

		close(fds[0]);
		if (setgroups(1, &g) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1)
			_exit(99);
		buf_init(&err, 4096);
		rc = confpath_check(path, defconf, &res, &err);
		if (rc == -1 && write(fds[1], err.data, err.len) == -1)
			_exit(98);
		buf_free(&err);
		free(res);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], why, whysize - 1);
	why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > 1) {
		fprintf(stderr, "child failed\n");
		exit(99);
	}
	return WEXITSTATUS(st) == 0;
}

int
main(void)
{
	char	why[4096], text[1200];

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (files of root's and nobody's)\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1) {
		perror(dir);
		return 99;
	}
	snprintf(defconf, sizeof(defconf), "%s/default.conf", dir);
	snprintf(text, sizeof(text), "[postern]\n"
	    "alternate_config_directories = /nonexistent %s/alt\n", dir);
	put("default.conf", text, 0644, 0);
	sub("alt", 0755, 0);
	sub("user", 0755, NOBODY);
	sub("rootw", 0777, 0);		/* world-writable, not sticky */
	put("alt/listed.conf", "[postern]\n", 0666, NOBODY);
	put("user/mine.conf", "[postern]\ndrop_program = /bin/sh\n", 0644,
	    NOBODY);
	put("root.conf", "[postern]\n", 0644, 0);
	put("rootw.conf", "[postern]\n", 0666, 0);
	put("rootw/in.conf", "[postern]\n", 0644, 0);
	link_to("user/to-listed.conf", "alt/listed.conf");
	link_to("user/to-root.conf", "root.conf");
	link_to("alt/to-mine.conf", "user/mine.conf");

	ok(!allowed_as_nobody("user/mine.conf", why, sizeof(why)),
	    "a file of the caller's own, in its own directory: refused");
	ok(strstr(why, "refused") != NULL &&
	    strstr(why, "alternate_config_directories") != NULL,
	    "the reason names the rule and its key: %s", why);
	ok(allowed_as_nobody("alt/listed.conf", why, sizeof(why)),
	    "a file under a listed directory: accepted (even the caller's)");
	ok(allowed_as_nobody("user/to-listed.conf", why, sizeof(why)),
	    "a link that leads under a listed directory: accepted");
	ok(!allowed_as_nobody("alt/to-mine.conf", why, sizeof(why)),
	    "a link in a listed directory to the caller's file: refused");
	ok(allowed_as_nobody("root.conf", why, sizeof(why)),
	    "a file only root could write: accepted");
	ok(allowed_as_nobody("user/to-root.conf", why, sizeof(why)),
	    "a link to a file only root could write: accepted");
	ok(!allowed_as_nobody("rootw.conf", why, sizeof(why)),
	    "a file of root's that anyone may write: refused");
	ok(!allowed_as_nobody("rootw/in.conf", why, sizeof(why)),
	    "a file of root's in a directory anyone may write: refused");
	ok(!allowed_as_nobody("user/missing.conf", why, sizeof(why)),
	    "a missing file: refused (%s)", why);
	if (fork() == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	(void)wait(NULL);
	return done_testing();
}
