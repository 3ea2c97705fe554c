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

/* One run of a command: its pipes, its process, what it said. */
struct run_ctx {
	const char	*what;		/* names the command in messages */
	int		 op[2], ep[2];	/* stdout and stderr pipes */
	pid_t		 pid;		/* > 0 while the child may live */
	int64_t		 deadline;
	struct buf	 err;		/* stderr, for the reason */
	bool		 overflow, err_overflow, timed_out;
	int		 status;	/* waitpid's */
};

/*
 * run_spawn - the pipes and the child.  Returns 0, or -1 with the reason
 * in why (nothing runs).  A pipe that cannot be made non-blocking sets
 * rc->timed_out so that the child is killed.
 */
static int
run_spawn(struct run_ctx *rc, const char *cmd, struct why *why)
{
	if (pipe2(rc->op, O_CLOEXEC) == -1 || pipe2(rc->ep, O_CLOEXEC) == -1) {
		why_set(why, 0, NULL, "%s: cannot run: %s", rc->what,
		    strerror(errno));
		return -1;
	}
	if ((rc->pid = fork()) == -1) {
		why_set(why, 0, NULL, "%s: cannot run: fork: %s", rc->what,
		    strerror(errno));
		return -1;
	}
	if (rc->pid == 0)
		run_child(cmd, rc->op[1], rc->ep[1]);
	close(rc->op[1]);
	close(rc->ep[1]);
	rc->op[1] = rc->ep[1] = -1;
	if (io_set_nonblock(rc->op[0], 1) == -1 ||
	    io_set_nonblock(rc->ep[0], 1) == -1) {
		why_set(why, 0, NULL, "%s: %s", rc->what, strerror(errno));
		rc->timed_out = true;	/* forces the kill below */
	}
	return 0;
}

/* run_collect - read stdout into out and stderr until both close */
static void
run_collect(struct run_ctx *rc, struct buf *out, size_t max_out,
    struct why *why)
{
	struct pollfd	pfd[2];
	bool		out_open = true, err_open = true;
	int64_t		left;
	int		n;

	while (!rc->timed_out && (out_open || err_open)) {
		left = rc->deadline - now_ms();
		if (left <= 0) {
			rc->timed_out = true;
			break;
		}
		pfd[0].fd = out_open ? rc->op[0] : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = err_open ? rc->ep[0] : -1;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n == -1 && errno != EINTR) {
			why_set(why, 0, NULL, "%s: poll: %s", rc->what,
			    strerror(errno));
			rc->timed_out = true;
			break;
		}
		if (n <= 0)
			continue;
		if (out_open && pfd[0].revents != 0)
			out_open = run_drain(rc->op[0], out, max_out,
			    &rc->overflow);
		if (err_open && pfd[1].revents != 0)
			err_open = run_drain(rc->ep[0], &rc->err,
			    RUN_STDERR_MAX, &rc->err_overflow);
	}
}

/*
 * run_reap - wait for the child within the same deadline; kill its
 * process group when it ran out.  Returns 0 (rc->status set, the child
 * gone), or -1 when waitpid failed (the caller kills it).
 */
static int
run_reap(struct run_ctx *rc, struct why *why)
{
	pid_t	r;

	/* Both pipes are closed; the command may still run: same deadline. */
	while (!rc->timed_out) {
		r = waitpid(rc->pid, &rc->status, WNOHANG);
		if (r == rc->pid)
			break;
		if (r == -1 && errno != EINTR) {
			why_set(why, 0, NULL, "%s: waitpid: %s", rc->what,
			    strerror(errno));
			return -1;
		}
		if (now_ms() >= rc->deadline)
			rc->timed_out = true;
		else
			(void)poll(NULL, 0, RUN_REAP_POLL_MS);
	}
	if (rc->timed_out) {
		(void)kill(-rc->pid, SIGKILL);
		(void)io_waitpid(rc->pid, &rc->status, 0);
	}
	rc->pid = -1;
	return 0;
}

/*
 * run_verdict - how the command ended, and its trimmed output in out.
 * Returns 0, or -1 with the reason in why.
 */
static int
run_verdict(struct run_ctx *rc, int64_t timeout_ms, unsigned flags,
    struct buf *out, size_t max_out, struct why *why)
{
	const char	*what = rc->what;
	char		 line[RUN_STDERR_MAX];
	char		*t;
	int		 e;

	if (rc->timed_out) {
		if (why->text[0] == '\0')
			why_set(why, 0, NULL, "%s: timed out after %llds "
			    "(killed)", what, (long long)(timeout_ms / 1000));
		return -1;
	}
	run_first_line(&rc->err, line, sizeof(line));
	if (WIFSIGNALED(rc->status)) {
		why_set(why, 0, NULL, "%s: killed by signal %d%s%s", what,
		    WTERMSIG(rc->status), line[0] != '\0' ? ": " : "", line);
		return -1;
	}
	if (!WIFEXITED(rc->status) || WEXITSTATUS(rc->status) != 0) {
		e = WIFEXITED(rc->status) ? WEXITSTATUS(rc->status) : -1;
		why_set(why, 0, NULL, "%s: exited with status %d%s%s", what, e,
		    line[0] != '\0' ? ": " : "", line);
		return -1;
	}
	if (rc->overflow && out->len >= max_out) {
		why_set(why, 0, NULL, "%s: output longer than %zu bytes",
		    what, max_out);
		return -1;
	}
	t = str_trim(out->data != NULL ? out->data : (char *)"");
	if (*t == '\0' && (flags & RUN_EMPTY_OK)) {
		buf_reset(out);
		return 0;
	}
	if (*t == '\0') {
		why_set(why, 0, NULL, "%s: printed nothing on standard "
		    "output", what);
		return -1;
	}
	if (t != out->data)
		buf_consume(out, (size_t)(t - out->data));
	buf_truncate(out, strlen(out->data));
	return 0;
}

/* run_command_flags - see run.h */
int
run_command_flags(const char *what, const char *cmd, int64_t timeout_ms,
    size_t max_out, unsigned flags, struct buf *out, struct why *why)
{
	struct run_ctx	rc;
	int		ret = -1, n;

	memset(&rc, 0, sizeof(rc));
	rc.what = what;
	rc.op[0] = rc.op[1] = rc.ep[0] = rc.ep[1] = -1;
	rc.pid = -1;
	rc.deadline = now_ms() + timeout_ms;
	why_clear(why);
	buf_init(&rc.err, RUN_STDERR_MAX);
	buf_reset(out);
	if (run_spawn(&rc, cmd, why) == -1)
		goto out;
	run_collect(&rc, out, max_out, why);
	if (run_reap(&rc, why) == -1)
		goto out;
	ret = run_verdict(&rc, timeout_ms, flags, out, max_out, why);
out:
	if (rc.pid > 0) {
		(void)kill(-rc.pid, SIGKILL);
		(void)io_waitpid(rc.pid, NULL, 0);
	}
	for (n = 0; n < 2; n++) {
		if (rc.op[n] != -1)
			close(rc.op[n]);
		if (rc.ep[n] != -1)
			close(rc.ep[n]);
	}
	buf_free(&rc.err);
	if (ret == -1 && out->data != NULL) {
		wipe(out->data, out->cap);
		buf_reset(out);
	}
	return ret;
}
