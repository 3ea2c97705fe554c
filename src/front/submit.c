/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submit.c - run postern-drop and feed it one envelope + message over a
 * pipe; report its verdict as a sysexits.h code.
 *
 * Owns the client side of the pipe protocol (spool.h).  The helper gets a
 * fixed argv and an empty environment, so nothing of the caller's
 * environment reaches privileged code.  The message is framed in
 * length-prefixed chunks and closed by an end marker carrying the total,
 * so a front end killed mid-message leaves a stream the helper can tell
 * from a complete one.  Never reports success unless the helper exited 0
 * and printed the queue id, which it does only after fsyncing new/.
 * Never dies of SIGPIPE: a helper that quits early is asked why instead.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "submit.h"
#include "util.h"

struct submit {
	pid_t		 pid;
	int		 to_fd;		/* helper's stdin */
	int		 out_fd;	/* helper's stdout: the qid */
	int		 err_fd;	/* helper's stderr: diagnostics */
	bool		 broken;	/* a write failed: no commit possible */
	uint64_t	 size;		/* message bytes accepted so far */
	struct sigaction old_pipe, old_chld;
	size_t		 fill;
	char		 chunk[SPOOL_PIPE_CHUNK_MAX];
};

/* submit_child - in the child: wire the pipes to 0 1 2 and exec */
static void __attribute__((noreturn))
submit_child(const char *prog, char *const argv[], int in, int out, int err,
    int status_fd)
{
	static char *const envp[] = { NULL };
	int	fds[3] = { in, out, err }, i, e;

	/* move above 2 first so dup2 never sees fd == target */
	for (i = 0; i < 3; i++)
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) == -1)
			goto fail;
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) == -1)
			goto fail;
	execve(prog, argv, envp);
fail:
	e = errno;
	if (write(status_fd, &e, sizeof(e)) == -1) {
		/* the parent sees a short status read and reports that */
	}
	_exit(127);
}

/* submit_restore - put back the caller's signal dispositions */
static void
submit_restore(struct submit *s)
{
	(void)sigaction(SIGPIPE, &s->old_pipe, NULL);
	(void)sigaction(SIGCHLD, &s->old_chld, NULL);
}

/* submit_close_fd - close and forget */
static void
submit_close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* submit_wait - reap the helper; returns the wait status, -1 on error */
static int
submit_wait(struct submit *s)
{
	int	status;
	pid_t	r;

	r = io_waitpid(s->pid, &status, 0);
	return r == -1 ? -1 : status;
}

/* submit_free - fds, signals, memory */
static void
submit_free(struct submit *s)
{
	submit_close_fd(&s->to_fd);
	submit_close_fd(&s->out_fd);
	submit_close_fd(&s->err_fd);
	submit_restore(s);
	/* only what was ever buffered: the rest of chunk was never touched */
	wipe(s->chunk, s->size < sizeof(s->chunk) ? (size_t)s->size :
	    sizeof(s->chunk));
	free(s);
}

/* submit_send - write to the helper; a failure marks the stream broken */
static int
submit_send(struct submit *s, const void *p, size_t n)
{
	if (s->broken) {
		errno = EPIPE;
		return -1;
	}
	if (io_write_all(s->to_fd, p, n) == -1) {
		s->broken = true;
		return -1;
	}
	return 0;
}

/* submit_flush - send the buffered bytes as one chunk */
static int
submit_flush(struct submit *s)
{
	char	hdr[SPOOL_PIPE_HEADER_MAX];
	int	n;

	if (s->fill == 0)
		return 0;
	n = snprintf(hdr, sizeof(hdr), "C %zu\n", s->fill);
	if (submit_send(s, hdr, (size_t)n) == -1 ||
	    submit_send(s, s->chunk, s->fill) == -1)
		return -1;
	s->fill = 0;
	return 0;
}

/* submit_open - fork, exec, send the request envelope */
struct submit *
submit_open(const char *drop_program, const char *config,
    const struct envelope *env, struct buf *err)
{
	struct submit	*s;
	struct sigaction sa;
	struct buf	 req;
	char		*argv[4] = { (char *)"postern-drop", NULL, NULL, NULL };
	int		 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int		 errp[2] = { -1, -1 }, st[2] = { -1, -1 };
	int		 child_errno;
	ssize_t		 r;

	buf_init(&req, SPOOL_ENVELOPE_MAX);
	if (envelope_write_request(env, &req) == -1) {
		buf_note(err, "cannot pass the envelope to postern-drop: %s",
		    errno == EINVAL ? "an address is empty, too long or "
		    "contains a space or control character" : strerror(errno));
		buf_free(&req);
		return NULL;
	}
	if (config != NULL) {
		argv[1] = (char *)"-C";
		argv[2] = (char *)config;
	}
	/* zero the fields, not the 64 KB chunk (see submit_free) */
	s = xmalloc(sizeof(*s));
	memset(s, 0, offsetof(struct submit, chunk));
	s->to_fd = s->out_fd = s->err_fd = -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, &s->old_pipe);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, &s->old_chld);
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1 || pipe2(st, O_CLOEXEC) == -1) {
		buf_note(err, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((s->pid = fork()) == -1) {
		buf_note(err, "fork: %s", strerror(errno));
		goto fail;
	}
	if (s->pid == 0)
		submit_child(drop_program, argv, in[0], out[1], errp[1], st[1]);
	submit_close_fd(&in[0]);
	submit_close_fd(&out[1]);
	submit_close_fd(&errp[1]);
	submit_close_fd(&st[1]);
	s->to_fd = in[1];
	s->out_fd = out[0];
	s->err_fd = errp[0];
	in[1] = out[0] = errp[0] = -1;
	/* end of file: exec succeeded; an int: it failed with that errno */
	r = io_read_full(st[0], &child_errno, sizeof(child_errno));
	submit_close_fd(&st[0]);
	if (r != 0) {
		(void)submit_wait(s);
		buf_note(err, "cannot run %s: %s: check drop_program in "
		    "postern.conf, or reinstall postern", drop_program,
		    r == (ssize_t)sizeof(child_errno) ? strerror(child_errno) :
		    "exec failed");
		goto fail;
	}
	/* a helper that refuses at once shows up at commit, not here */
	(void)submit_send(s, req.data, req.len);
	buf_free(&req);
	return s;
fail:
	submit_close_fd(&in[0]);
	submit_close_fd(&in[1]);
	submit_close_fd(&out[0]);
	submit_close_fd(&out[1]);
	submit_close_fd(&errp[0]);
	submit_close_fd(&errp[1]);
	submit_close_fd(&st[0]);
	submit_close_fd(&st[1]);
	buf_free(&req);
	submit_free(s);
	return NULL;
}

/* submit_write - buffer, sending full chunks */
int
submit_write(struct submit *s, const void *p, size_t n)
{
	const char	*c = p;
	size_t		 k;

	while (n > 0) {
		if (s->broken) {
			errno = EPIPE;
			return -1;
		}
		k = sizeof(s->chunk) - s->fill;
		k = k < n ? k : n;
		memcpy(s->chunk + s->fill, c, k);
		s->fill += k;
		s->size += k;
		c += k;
		n -= k;
		if (s->fill == sizeof(s->chunk) && submit_flush(s) == -1)
			return -1;
	}
	return 0;
}

/* submit_collect - read the helper's stdout and stderr to end of file */
static void
submit_collect(struct submit *s, struct buf *out, struct buf *errtext)
{
	struct pollfd	 pfd[2];
	char		 tmp[1024];
	struct buf	*dst[2] = { out, errtext };
	ssize_t		 r;
	int		 i;

	pfd[0].fd = s->out_fd;
	pfd[1].fd = s->err_fd;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = io_read(pfd[i].fd, tmp, sizeof(tmp));
			if (r <= 0) {
				pfd[i].fd = -1;
				continue;
			}
			/* beyond the limit the rest is read but not kept:
			   the error is sticky and submit_errtext says so */
			if (buf_append(dst[i], tmp, (size_t)r) == -1)
				continue;
		}
	}
	submit_close_fd(&s->out_fd);
	submit_close_fd(&s->err_fd);
}

/*
 * submit_errtext - the helper's stderr as one safe line, into err through
 * buf_note (a message too long for err ends in "...")
 */
static void
submit_errtext(const struct buf *in, struct buf *err)
{
	const char	*p = buf_cstr(in);
	size_t		 n = in->len;
	struct buf	 line;
	bool		 sep = false;

	/* each byte gives at most two ("\n" -> "; ") */
	buf_init(&line, 2 * n);
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	for (; n > 0; p++, n--) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n') {
			sep = true;
			continue;
		}
		if (sep && buf_puts(&line, "; ") == -1)
			break;
		sep = false;
		if (buf_putc(&line, c < 0x20 || c == 0x7f ? '?' : c) == -1)
			break;
	}
	buf_note(err, "%s%s%s", buf_cstr(&line), buf_error(&line) != 0 ?
	    " [out of memory: rest not shown]" : "", buf_error(in) != 0 ?
	    " [more output not kept]" : "");
	buf_free(&line);
}

/* submit_commit - end marker, reply, verdict */
int
submit_commit(struct submit *s, struct qid *qid, struct buf *err)
{
	struct buf	out, errtext;
	char		hdr[SPOOL_PIPE_HEADER_MAX], id[QID_LEN + 1];
	int		status, code, n;

	buf_init(&out, SUBMIT_REPLY_MAX);
	buf_init(&errtext, SUBMIT_REPLY_MAX);
	if (submit_flush(s) == 0) {
		n = snprintf(hdr, sizeof(hdr), "E %llu\n",
		    (unsigned long long)s->size);
		(void)submit_send(s, hdr, (size_t)n);
	}
	submit_close_fd(&s->to_fd);
	submit_collect(s, &out, &errtext);
	status = submit_wait(s);

	if (status == -1) {
		buf_note(err, "wait for postern-drop: %s", strerror(errno));
		code = EX_TEMPFAIL;
	} else if (WIFSIGNALED(status)) {
		buf_note(err, "postern-drop killed by signal %d",
		    WTERMSIG(status));
		code = EX_TEMPFAIL;
	} else if (WEXITSTATUS(status) == 0 && !s->broken) {
		code = EX_OK;
		if (out.len != QID_LEN + 1 || out.data[QID_LEN] != '\n') {
			code = EX_TEMPFAIL;
		} else {
			memcpy(id, out.data, QID_LEN);
			id[QID_LEN] = '\0';
			if (qid_parse(qid, id) == -1)
				code = EX_TEMPFAIL;
		}
		if (code != EX_OK)
			buf_note(err, "postern-drop exited 0 without printing "
			    "a queue id: the message may or may not be queued "
			    "(check mailq)");
	} else {
		code = WEXITSTATUS(status);
		if (code < EX__BASE || code > EX__MAX)
			code = EX_TEMPFAIL;
		if (errtext.len > 0)
			submit_errtext(&errtext, err);
		else
			buf_note(err, "postern-drop exited with status %d "
			    "and no message", WEXITSTATUS(status));
	}
	buf_free(&out);
	buf_free(&errtext);
	submit_free(s);
	return code;
}

/* submit_abort - no end marker: the helper discards */
void
submit_abort(struct submit *s)
{
	if (s == NULL)
		return;
	submit_close_fd(&s->to_fd);
	submit_close_fd(&s->out_fd);
	submit_close_fd(&s->err_fd);
	(void)submit_wait(s);
	submit_free(s);
}
