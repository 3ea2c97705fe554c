/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlsock.c - the agent's sockets: spool_dir/queue.sock, how a user
 * outside the postern group sees their own queued and failed messages;
 * and spool_dir/oauth.sock, how root or a member of the agent's group
 * runs `postern oauth login` without the agent's secrets (the child's
 * work is oauthsock.c's).  Two sockets, not two requests on one: the
 * main process never reads from a client, so the socket a connection
 * came on is all it knows of it, and a login (up to OAUTHSOCK_DEADLINE_S)
 * must neither hold a listing's slot nor live under a listing's deadline.
 *
 * Owns the listening sockets and the children that answer them (a
 * login's child: oauthsock_child()).  On queue.sock, a connection's one
 * request line ("list" or "list json", read within
 * CTLSOCK_READ_MS) is answered by a child that execs `postern queue
 * --owner UID [--json]` as the agent's user with its output on the
 * socket; UID is the peer's uid as the kernel reports it (SO_PEERCRED).
 * The main process only accepts and forks: it never reads from a client,
 * never blocks, and runs at most CTLSOCK_KIDS children.  A child whose
 * client stops reading fails its next write after CTLSOCK_SEND_S seconds
 * (SO_SNDTIMEO) and exits; one still running after CTLSOCK_DEADLINE_S is
 * killed when the next connection comes (that is when its slot counts),
 * and every child when the agent stops.  oauth.sock has its own
 * CTLSOCK_KIDS slots, and a deadline of OAUTHSOCK_DEADLINE_S and that.
 *
 * Must never: take the uid (or anything but the request word) from what
 * the client sends; answer anything on queue.sock but the listing of the
 * caller's own messages; loosen a mode of the spool; wait for a client in
 * the main process.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlsock.h"
#include "io.h"
#include "log.h"
#include "oauthsock.h"
#include "spool.h"
#include "util.h"

#define CTLSOCK_MODE		0666	/* any local user may connect */
#define CTLSOCK_BACKLOG		16
#define CTLSOCK_REQ_MAX		32	/* one request line, LF included */
#define CTLSOCK_READ_MS		2000	/* for the request line */
#define CTLSOCK_SEND_S		10	/* one blocked write, then EAGAIN */
#define CTLSOCK_DEADLINE_S	60	/* a whole answer, then SIGKILL */

extern char **environ;

/*
 * ctlsock_prog - the postern front end installed next to this program,
 * or this program itself (oauth.sock)
 */
static char *
ctlsock_prog(enum ctlsock_kind kind)
{
	char	self[PATH_MAX], *slash;
	ssize_t	n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if (kind == CTLSOCK_OAUTH)
		return xstrdup(self);
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/postern", self);
}

/* ctlsock_what - what is lost without the socket, for the log */
static const char *
ctlsock_what(enum ctlsock_kind kind)
{
	return kind == CTLSOCK_OAUTH ? "postern oauth login works for root "
	    "only" : "users cannot list their own messages";
}

/* ctlsock_deadline_ms - how long a child of this socket may run */
static int64_t
ctlsock_deadline_ms(const struct ctlsock *s)
{
	return (int64_t)(s->kind == CTLSOCK_OAUTH ? OAUTHSOCK_DEADLINE_S +
	    CTLSOCK_DEADLINE_S : CTLSOCK_DEADLINE_S) * 1000;
}

/* ctlsock_open - see ctlsock.h */
void
ctlsock_open(struct ctlsock *s, const char *spool, const char *config,
    enum ctlsock_kind kind)
{
	struct sockaddr_un	 sun;
	char			 path[PATH_MAX];
	const char		*name = kind == CTLSOCK_OAUTH ?
	    SPOOL_OAUTH_SOCK : SPOOL_QUEUE_SOCK;
	mode_t			 old;
	int			 rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->kind = kind;
	if (spool_path(spool, name, NULL, path, sizeof(path)) == -1 ||
	    strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s/%s: path too long for a socket: %s", spool,
		    name, ctlsock_what(kind));
		return;
	}
	if ((s->prog = ctlsock_prog(kind)) == NULL) {
		log_warn("readlink /proc/self/exe (%s)", ctlsock_what(kind));
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		log_warn("socket (%s)", ctlsock_what(kind));
		return;
	}
	/* a stale socket of an agent that died: the directory is ours */
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("unlink %s", path);
	old = umask(0777 & ~CTLSOCK_MODE);
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (rc == -1 || listen(s->fd, CTLSOCK_BACKLOG) == -1) {
		log_warn("bind %s (%s)", path, ctlsock_what(kind));
		close(s->fd);
		s->fd = -1;
		return;
	}
	s->path = xstrdup(path);
	s->config = config != NULL ? xstrdup(config) : NULL;
}

/*
 * ctlsock_reap - collect the children that ended, kill those past
 * CTLSOCK_DEADLINE_S (a login: OAUTHSOCK_DEADLINE_S and that); returns a
 * free slot, or -1
 */
static int
ctlsock_reap(struct ctlsock *s)
{
	int64_t	now = now_ms();
	int	i, st, free_slot = -1;

	for (i = 0; i < CTLSOCK_KIDS; i++) {
		if (s->kid[i] != 0 && now - s->started[i] >
		    ctlsock_deadline_ms(s)) {
			log_warnx("%s: child %ld ran past %lld s: killed",
			    s->path, (long)s->kid[i],
			    (long long)ctlsock_deadline_ms(s) / 1000);
			(void)kill(s->kid[i], SIGKILL);
			(void)io_waitpid(s->kid[i], &st, 0);
			s->kid[i] = 0;
		}
		if (s->kid[i] != 0 && waitpid(s->kid[i], &st, WNOHANG) ==
		    s->kid[i])
			s->kid[i] = 0;
		if (s->kid[i] == 0 && free_slot == -1)
			free_slot = i;
	}
	return free_slot;
}

/* ctlsock_say - a short answer line, best effort */
static void
ctlsock_say(int fd, const char *line)
{
	(void)io_write_all(fd, line, strlen(line));
}

/*
 * ctlsock_request - read the one request line within CTLSOCK_READ_MS.
 * Returns 1 for "list json", 0 for "list", -1 for anything else.
 */
static int
ctlsock_request(int fd)
{
	char	req[CTLSOCK_REQ_MAX + 1];
	size_t	len = 0;
	ssize_t	n;
	int64_t	deadline = now_ms() + CTLSOCK_READ_MS;

	while (len < CTLSOCK_REQ_MAX) {
		if (io_wait(fd, POLLIN, deadline) != 1)
			return -1;
		if ((n = io_read(fd, req + len, CTLSOCK_REQ_MAX - len)) == -1) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		len += (size_t)n;
		if (memchr(req, '\n', len) != NULL)
			break;
	}
	req[len] = '\0';
	if (strcmp(req, "list\n") == 0)
		return 0;
	if (strcmp(req, "list json\n") == 0)
		return 1;
	return -1;
}

/*
 * ctlsock_child - answer one connection and exit: check the request,
 * then exec postern queue --owner UID with stdout and stderr on it
 */
static void __attribute__((noreturn))
ctlsock_child(struct ctlsock *s, int fd)
{
	struct ucred	 cred;
	struct timeval	 tv = { CTLSOCK_SEND_S, 0 };
	socklen_t	 len = sizeof(cred);
	sigset_t	 none;
	char		 uid[32];
	const char	*argv[9];
	int		 json, n = 0;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	close(s->fd);
	if (s->kind == CTLSOCK_OAUTH)
		oauthsock_child(fd, s->prog, s->config);
	/* a client that stops reading: the listing's write fails, it ends */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		ctlsock_say(fd, "error cannot start the listing\n");
		_exit(1);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred)) {
		ctlsock_say(fd, "error cannot tell who is asking\n");
		_exit(1);
	}
	if ((json = ctlsock_request(fd)) == -1) {
		ctlsock_say(fd, "error request refused: the only requests "
		    "are 'list' and 'list json'\n");
		_exit(1);
	}
	(void)snprintf(uid, sizeof(uid), "%lu", (unsigned long)cred.uid);
	argv[n++] = "postern";
	argv[n++] = "queue";
	if (s->config != NULL) {
		argv[n++] = "-C";
		argv[n++] = s->config;
	}
	argv[n++] = "--owner";
	argv[n++] = uid;
	if (json)
		argv[n++] = "--json";
	argv[n] = NULL;
	if (io_set_nonblock(fd, 0) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		ctlsock_say(fd, "error cannot start the listing\n");
		_exit(1);
	}
	ctlsock_say(fd, "ok\n");
	execve(s->prog, (char *const *)argv, environ);
	log_warn("exec %s", s->prog);
	_exit(1);
}

/* ctlsock_accept - see ctlsock.h */
void
ctlsock_accept(struct ctlsock *s)
{
	int	fd, slot;
	pid_t	pid;

	if (s->fd == -1)
		return;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept on %s", s->path);
		return;
	}
	if ((slot = ctlsock_reap(s)) == -1) {
		ctlsock_say(fd, "error busy: try again in a minute\n");
		close(fd);
		return;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("fork for %s", s->path);
		close(fd);
		return;
	}
	if (pid == 0)
		ctlsock_child(s, fd);
	s->kid[slot] = pid;
	s->started[slot] = now_ms();
	close(fd);
}

/* ctlsock_close - see ctlsock.h */
void
ctlsock_close(struct ctlsock *s)
{
	int	i, st;

	if (s->fd != -1) {
		close(s->fd);
		if (unlink(s->path) == -1 && errno != ENOENT)
			log_warn("unlink %s", s->path);
	}
	s->fd = -1;
	for (i = 0; i < CTLSOCK_KIDS; i++) {
		if (s->kid[i] == 0)
			continue;
		(void)kill(s->kid[i], SIGTERM);
		(void)io_waitpid(s->kid[i], &st, 0);
		s->kid[i] = 0;
	}
	free(s->prog);
	free(s->config);
	free(s->path);
	s->prog = s->config = s->path = NULL;
}
