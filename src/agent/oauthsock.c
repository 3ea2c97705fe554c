/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauthsock.c - one connection on the agent's spool_dir/oauth.sock: how
 * a member of the agent's group who is not root runs `postern oauth
 * login RELAY` (issue 14, point 4) without reading the client secret or
 * writing the agent's files.
 *
 * Owns the child ctlsock.c forks for such a connection.  It asks the
 * kernel who connected (SO_PEERCRED, SO_PEERGROUPS) and serves only root
 * and the members of the agent's group (its effective gid: POSTERN_GROUP
 * once the agent has dropped root).  It reads one request line, "login
 * RELAY\n", within OAUTHSOCK_READ_MS, then runs this program's own flow
 * code (oauth_login.c: `posternd --oauth-login RELAY -C CONFIG`) as the
 * agent's user, with the socket as its input (the pasted address, read
 * with oauth_login.c's bounds) and its output and errors on pipes, sent
 * on as "out TEXT" and "err TEXT" lines (at most OAUTHSOCK_LINE_MAX,
 * control characters replaced), then "exit N" with its status.  The
 * whole login ends at OAUTHSOCK_DEADLINE_S; oauth_login.c allows one
 * login per relay at a time (a lock on its token file).
 *
 * The protocol (doc/agent.md): client "login RELAY\n"; agent "ok\n",
 * out/err lines, "exit N\n"; or "denied WHY\n" / "error WHY\n" and the
 * end.  After "ok" the client may send one line: the pasted address.
 *
 * Must never: serve a peer by what it says rather than what the kernel
 * says; send a secret, a token, a code or a PKCE verifier on the socket
 * or into the agent's log (the flow prints none: oauth_login.c); pass the
 * client anything but the relay's name into a command line.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "oauthsock.h"
#include "util.h"

#define OAUTHSOCK_READ_MS	2000	/* the request line */
#define OAUTHSOCK_SEND_S	10	/* one blocked write, then fail */
#define OAUTHSOCK_GROUPS_MAX	1024	/* the peer's groups we look at */

extern char **environ;

struct oauthsock_stream {
	int		 fd;		/* the pipe; -1 once at its end */
	const char	*tag;		/* "out" or "err" */
	size_t		 len;
	char		 line[OAUTHSOCK_LINE_MAX];
};

/* oauthsock_say - one answer line, best effort */
static void
oauthsock_say(int fd, const char *line)
{
	(void)io_write_all(fd, line, strlen(line));
}

/*
 * oauthsock_allowed - is the peer root, the agent's user or in the
 * agent's group, as the kernel saw it at connect(2)?  *uid: its uid
 */
static bool
oauthsock_allowed(int fd, unsigned long *uid)
{
	struct ucred	cred;
	gid_t		groups[OAUTHSOCK_GROUPS_MAX];
	gid_t		mine = getegid();
	socklen_t	len = sizeof(cred);
	size_t		i;

	*uid = (unsigned long)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred))
		return false;
	*uid = (unsigned long)cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid() || cred.gid == mine)
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == mine)
			return true;
	return false;
}

/*
 * oauthsock_request - the request line "login RELAY\n" within
 * OAUTHSOCK_READ_MS; RELAY (a number, a host or host:port) into relay.
 * 0, or -1 for anything else.
 */
static int
oauthsock_request(int fd, char *relay, size_t size)
{
	char	req[OAUTHSOCK_RELAY_MAX + 16];
	char	*nl = NULL;
	size_t	len = 0, n;
	ssize_t	got;
	int64_t	deadline = now_ms() + OAUTHSOCK_READ_MS;

	while (nl == NULL && len < sizeof(req) - 1) {
		if (io_wait(fd, POLLIN, deadline) != 1)
			return -1;
		/* one byte at a time: what follows is the paste's */
		if ((got = io_read(fd, req + len, 1)) == -1) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (got == 0)
			return -1;
		if (req[len++] == '\n')
			nl = req + len - 1;
	}
	if (nl == NULL || strncmp(req, "login ", 6) != 0)
		return -1;
	*nl = '\0';
	n = strlen(req + 6);
	if (n == 0 || n >= size || req[6] == '-' || strspn(req + 6,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.:_-[]") != n)
		return -1;
	memcpy(relay, req + 6, n + 1);
	return 0;
}

/* oauthsock_emit - the stream's line, tagged, on the socket */
static int
oauthsock_emit(int fd, struct oauthsock_stream *st)
{
	char	out[OAUTHSOCK_LINE_MAX + 8];
	size_t	i, n = 0;

	n += (size_t)snprintf(out, sizeof(out), "%s ", st->tag);
	for (i = 0; i < st->len; i++) {
		unsigned char	ch = (unsigned char)st->line[i];

		out[n++] = (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' :
		    (char)ch;
	}
	out[n++] = '\n';
	st->len = 0;
	return io_write_all(fd, out, n);
}

/* oauthsock_pump - what the login wrote on one pipe, line by line */
static int
oauthsock_pump(int fd, struct oauthsock_stream *st)
{
	char	buf[4096];
	ssize_t	n, i;
	int	rc = 0;

	if ((n = io_read(st->fd, buf, sizeof(buf))) == -1)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		if (st->len > 0)
			rc = oauthsock_emit(fd, st);
		close(st->fd);
		st->fd = -1;
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (buf[i] == '\n') {
			rc = oauthsock_emit(fd, st);
			continue;
		}
		if (buf[i] == '\r')
			continue;
		if (st->len == sizeof(st->line))
			rc = oauthsock_emit(fd, st);
		st->line[st->len++] = buf[i];
	}
	return rc;
}

/*
 * oauthsock_relay - the login's output and errors to the socket until
 * both pipes end; -1 when the deadline passes or the client is gone
 */
static int
oauthsock_relay(int fd, int out, int err, int64_t deadline)
{
	static struct oauthsock_stream	st[2];
	struct pollfd			pfd[2];
	int64_t				left;
	int				i, rc;

	st[0].fd = out;
	st[0].tag = "out";
	st[1].fd = err;
	st[1].tag = "err";
	while (st[0].fd != -1 || st[1].fd != -1) {
		for (i = 0; i < 2; i++) {
			pfd[i].fd = st[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		rc = poll(pfd, 2, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		for (i = 0; i < 2; i++)
			if (st[i].fd != -1 && pfd[i].revents != 0 &&
			    oauthsock_pump(fd, &st[i]) == -1)
				return -1;
	}
	return 0;
}

/* oauthsock_exec - in the grandchild: the flow, the socket as input */
static void __attribute__((noreturn))
oauthsock_exec(int fd, int out, int err, const char *prog,
    const char *config, const char *relay, pid_t parent)
{
	const char	*argv[7];
	int		 n = 0;

	/* the login dies with the child that relays it, deadline or not */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(EX_OSERR);
	(void)signal(SIGPIPE, SIG_DFL);
	argv[n++] = "posternd";
	argv[n++] = "--oauth-login";
	argv[n++] = relay;
	if (config != NULL) {
		argv[n++] = "-C";
		argv[n++] = config;
	}
	argv[n] = NULL;
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		_exit(EX_OSERR);
	execve(prog, (char *const *)argv, environ);
	_exit(EX_OSERR);
}

/* oauthsock_status - the line that ends the answer: exit N */
static void
oauthsock_status(int fd, pid_t pid, bool late, const char *relay,
    unsigned long uid)
{
	char	line[64];
	int	st, code = EX_SOFTWARE;

	if (late) {
		(void)kill(pid, SIGKILL);
		oauthsock_say(fd, "err the login ran past its time: run "
		    "postern oauth login again\n");
		code = EX_TEMPFAIL;
	}
	if (io_waitpid(pid, &st, 0) == pid && !late)
		code = WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
	log_info("oauth login for relay %s by uid %lu: exit %d", relay, uid,
	    code);
	(void)snprintf(line, sizeof(line), "exit %d\n", code);
	oauthsock_say(fd, line);
}

/* oauthsock_child - see oauthsock.h */
void
oauthsock_child(int fd, const char *prog, const char *config)
{
	struct timeval	tv = { OAUTHSOCK_SEND_S, 0 };
	char		relay[OAUTHSOCK_RELAY_MAX + 1], line[512];
	struct group	*gr;
	unsigned long	uid;
	int		out[2], err[2];
	int64_t		deadline = now_ms() + OAUTHSOCK_DEADLINE_S * 1000LL;
	pid_t		pid, self = getpid();

	(void)signal(SIGPIPE, SIG_IGN);		/* a write fails: EPIPE */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		oauthsock_say(fd, "error cannot start the login\n");
		_exit(1);
	}
	/* read first: a close with unread data would reset the peer */
	if (oauthsock_request(fd, relay, sizeof(relay)) == -1) {
		oauthsock_say(fd, "error request refused: the only request is "
		    "'login RELAY' (its number or host)\n");
		_exit(1);
	}
	if (!oauthsock_allowed(fd, &uid)) {
		gr = getgrgid(getegid());
		log_info("oauth login refused to uid %lu: not root nor in "
		    "the agent's group", uid);
		(void)snprintf(line, sizeof(line), "denied run postern oauth "
		    "login as root or as a member of the agent's group %s "
		    "(the refresh token is the agent's)\n", gr != NULL ?
		    gr->gr_name : POSTERN_GROUP);
		oauthsock_say(fd, line);
		_exit(1);
	}
	if (io_set_nonblock(fd, 0) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		oauthsock_say(fd, "error cannot start the login\n");
		_exit(1);
	}
	if (pipe2(err, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		oauthsock_say(fd, "error cannot start the login\n");
		_exit(1);
	}
	if (pid == 0)
		oauthsock_exec(fd, out[1], err[1], prog, config, relay, self);
	close(out[1]);
	close(err[1]);
	log_info("oauth login for relay %s by uid %lu: started", relay, uid);
	oauthsock_say(fd, "ok\n");
	oauthsock_status(fd, pid, oauthsock_relay(fd, out[0], err[0],
	    deadline) == -1, relay, uid);
	_exit(0);
}
