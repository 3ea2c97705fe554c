/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - run_command(): fork, execve /bin/sh -c CMD, read stdout and
 * stderr through non-blocking pipes with poll until a deadline.
 *
 * Exists because system(3) and popen(3) are banned: they block without a
 * deadline, share our signals and read unbounded output.  The command is
 * the administrator's configuration (postern.conf, root-owned), so a shell
 * is acceptable; nothing from mail or the network reaches it.  The child
 * gets its own process group so a timeout kills the whole pipeline.
 * The output may be a secret: it is wiped on every failure path.
 */
#include "config.h"

/* module headers first, then the system ones */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

#define RUN_SHELL	"/bin/sh"
#define RUN_CHUNK	1024
#define RUN_REAP_POLL_MS 10	/* waiting for exit after the pipes close */

/* run_child - in the child: wire the pipes and exec the shell */
static void __attribute__((noreturn))
run_child(const char *cmd, int out_fd, int err_fd)
{
	int	null_fd;
	char	*argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	extern char **environ;

	(void)setpgid(0, 0);
	if ((null_fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		_exit(126);
	(void)close_range(3, ~0U, 0);
	/* default signal dispositions for the admin's command */
	signal(SIGPIPE, SIG_DFL);
	execve(RUN_SHELL, argv, environ);
	_exit(127);
}

/* run_drain - read what is available from fd; false at end of file */
static bool
run_drain(int fd, struct buf *b, size_t max, bool *overflow)
{
	char	chunk[RUN_CHUNK];
	ssize_t	r;
	size_t	room;

	for (;;) {
		r = io_read(fd, chunk, sizeof(chunk));
		if (r == 0)
			return false;
		if (r == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		room = b->len < max ? max - b->len : 0;
		if ((size_t)r > room) {
			*overflow = true;
			r = (ssize_t)room;
		}
		if (r > 0 && buf_append(b, chunk, (size_t)r) == -1)
			*overflow = true;
		wipe(chunk, sizeof(chunk));
	}
}

/* run_first_line - first non-empty stderr line, trimmed, for reasons */
static void
run_first_line(struct buf *err, char *out, size_t size)
{
	char	*s, *nl;

	out[0] = '\0';
	if (err->len == 0)
		return;
	s = err->data;
	while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
		s++;
	if ((nl = strpbrk(s, "\r\n")) != NULL)
		*nl = '\0';
	str_copy(out, s, size);
}

/* run_command - see run.h */
int
run_command(const char *what, const char *cmd, int64_t timeout_ms,
    size_t max_out, struct buf *out, struct why *why)
{
	return run_command_flags(what, cmd, timeout_ms, max_out, 0, out, why);
}

/* run_command_flags - see run.h */
int
run_command_flags(const char *what, const char *cmd, int64_t timeout_ms,
    size_t max_out, unsigned flags, struct buf *out, struct why *why)
{
	int		 op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	struct pollfd	 pfd[2];
	struct buf	 err;
	bool		 out_open = true, err_open = true, overflow = false;
	bool		 timed_out = false, err_overflow = false;
	int64_t		 deadline = now_ms() + timeout_ms, left;
	char		 line[RUN_STDERR_MAX];
	char		*t;
	pid_t		 pid = -1, r;
	int		 status = 0, ret = -1, n, e;

	why_clear(why);
	buf_init(&err, RUN_STDERR_MAX);
	buf_reset(out);
	if (pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		why_set(why, 0, NULL, "%s: cannot run: %s", what,
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		why_set(why, 0, NULL, "%s: cannot run: fork: %s", what,
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(cmd, op[1], ep[1]);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (io_set_nonblock(op[0], 1) == -1 ||
	    io_set_nonblock(ep[0], 1) == -1) {
		why_set(why, 0, NULL, "%s: %s", what, strerror(errno));
		timed_out = true;	/* forces the kill below */
	}
	while (!timed_out && (out_open || err_open)) {
		left = deadline - now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		pfd[0].fd = out_open ? op[0] : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = err_open ? ep[0] : -1;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n == -1 && errno != EINTR) {
			why_set(why, 0, NULL, "%s: poll: %s", what,
			    strerror(errno));
			timed_out = true;
			break;
		}
		if (n <= 0)
			continue;
		if (out_open && pfd[0].revents != 0)
			out_open = run_drain(op[0], out, max_out, &overflow);
		if (err_open && pfd[1].revents != 0)
			err_open = run_drain(ep[0], &err, RUN_STDERR_MAX,
			    &err_overflow);
	}
	/* Both pipes are closed; the command may still run: same deadline. */
	while (!timed_out) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			why_set(why, 0, NULL, "%s: waitpid: %s", what,
			    strerror(errno));
			goto out;
		}
		if (now_ms() >= deadline)
			timed_out = true;
		else
			(void)poll(NULL, 0, RUN_REAP_POLL_MS);
	}
	if (timed_out) {
		(void)kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	pid = -1;
	if (timed_out) {
		if (why->text[0] == '\0')
			why_set(why, 0, NULL, "%s: timed out after %llds "
			    "(killed)", what, (long long)(timeout_ms / 1000));
		goto out;
	}
	run_first_line(&err, line, sizeof(line));
	if (WIFSIGNALED(status)) {
		why_set(why, 0, NULL, "%s: killed by signal %d%s%s", what,
		    WTERMSIG(status), line[0] != '\0' ? ": " : "", line);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		e = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		why_set(why, 0, NULL, "%s: exited with status %d%s%s", what, e,
		    line[0] != '\0' ? ": " : "", line);
		goto out;
	}
	if (overflow && out->len >= max_out) {
		why_set(why, 0, NULL, "%s: output longer than %zu bytes",
		    what, max_out);
		goto out;
	}
	t = str_trim(out->data != NULL ? out->data : (char *)"");
	if (*t == '\0' && (flags & RUN_EMPTY_OK)) {
		buf_reset(out);
		ret = 0;
		goto out;
	}
	if (*t == '\0') {
		why_set(why, 0, NULL, "%s: printed nothing on standard "
		    "output", what);
		goto out;
	}
	if (t != out->data)
		buf_consume(out, (size_t)(t - out->data));
	buf_truncate(out, strlen(out->data));
	ret = 0;
out:
	if (pid > 0) {
		(void)kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	for (n = 0; n < 2; n++) {
		if (op[n] != -1)
			close(op[n]);
		if (ep[n] != -1)
			close(ep[n]);
	}
	buf_free(&err);
	if (ret == -1 && out->data != NULL) {
		wipe(out->data, out->cap);
		buf_reset(out);
	}
	return ret;
}
