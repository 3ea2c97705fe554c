/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauthreq.c - `postern oauth login RELAY` for a member of the agent's
 * group who is not root: the running agent does the login (its
 * oauth.sock, src/agent/oauthsock.c) and this program is the user's
 * terminal for it.
 *
 * Owns only the client side of that exchange: send "login RELAY", print
 * the agent's "out" lines on stdout and its "err" lines on stderr, pass
 * on what the user types (at most OAUTHREQ_PASTE_MAX bytes: the pasted
 * address), return the status of the agent's "exit N".  It sends nothing
 * about who is asking (the agent asks the kernel), waits at most
 * OAUTHREQ_DEADLINE_MS, and must never read the agent's secrets or
 * files, nor link anything of HTTP, TLS or JSON.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "oauthreq.h"
#include "spool.h"
#include "util.h"

#define OAUTHREQ_DEADLINE_MS	(1000 * 1000)	/* the agent's: 960 s */
#define OAUTHREQ_LINE_MAX	8192	/* one line from the agent */
#define OAUTHREQ_PASTE_MAX	8192	/* what the user types */

struct oauthreq {
	int		 fd;
	const char	*path;
	bool		 head;		/* "ok" not seen yet */
	int		 status;	/* -1: no "exit N" yet */
	size_t		 len;
	char		 line[OAUTHREQ_LINE_MAX + 1];
};

/* oauthreq_no_agent - nothing listens: say so, and what to do */
static int
oauthreq_no_agent(const char *path, int err)
{
	log_error("oauth login: no delivery agent is running (%s: %s): start "
	    "the agent (systemctl start postern) or run this as root (sudo "
	    "postern oauth login RELAY)", path, strerror(err));
	return EX_UNAVAILABLE;
}

/* oauthreq_line - act on one line of the agent's answer */
static int
oauthreq_line(struct oauthreq *q, const char *line)
{
	uint64_t	code;

	if (q->head) {
		q->head = false;
		if (strcmp(line, "ok") == 0)
			return 0;
		if (strncmp(line, "denied ", 7) == 0) {
			log_error("oauth login: %s", line + 7);
			q->status = EX_NOPERM;
		} else {
			log_error("oauth login: the agent refused: %s",
			    strncmp(line, "error ", 6) == 0 ? line + 6 : line);
			q->status = EX_UNAVAILABLE;
		}
		return 1;
	}
	if (strncmp(line, "out ", 4) == 0) {
		printf("%s\n", line + 4);
		fflush(stdout);
	} else if (strncmp(line, "err ", 4) == 0) {
		fprintf(stderr, "%s\n", line + 4);
	} else if (strncmp(line, "exit ", 5) == 0 &&
	    parse_uint(line + 5, 0, 255, &code) == 0) {
		q->status = (int)code;
		return 1;
	} else {
		log_error("oauth login: unexpected answer from the agent (%s)",
		    q->path);
		q->status = EX_PROTOCOL;
		return 1;
	}
	return 0;
}

/* oauthreq_read - what the agent sent, line by line; 1: the end */
static int
oauthreq_read(struct oauthreq *q)
{
	char	buf[4096];
	ssize_t	n, i;
	int	rc;

	if ((n = io_read(q->fd, buf, sizeof(buf))) == -1) {
		if (errno == EAGAIN)
			return 0;
		log_error("oauth login: read %s: %s", q->path, strerror(errno));
		q->status = EX_IOERR;
		return 1;
	}
	if (n == 0) {
		log_error("oauth login: the agent ended the connection without "
		    "a status (%s): see the agent's log", q->path);
		q->status = EX_PROTOCOL;
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (q->len == OAUTHREQ_LINE_MAX) {
				log_error("oauth login: a line from the agent "
				    "passed %d bytes", OAUTHREQ_LINE_MAX);
				q->status = EX_PROTOCOL;
				return 1;
			}
			q->line[q->len++] = buf[i];
			continue;
		}
		q->line[q->len] = '\0';
		q->len = 0;
		if ((rc = oauthreq_line(q, q->line)) != 0)
			return rc;
	}
	return 0;
}

/*
 * oauthreq_paste - what the user typed, on to the agent; at its end, or
 * past OAUTHREQ_PASTE_MAX, the agent's input ends.  Returns what is left.
 */
static size_t
oauthreq_paste(struct oauthreq *q, size_t left)
{
	char	buf[4096];
	ssize_t	n = io_read(STDIN_FILENO, buf, sizeof(buf) < left ?
	    sizeof(buf) : left);

	if (n == -1 && errno == EAGAIN)
		return left;
	if (n <= 0 || io_write_all(q->fd, buf, (size_t)n) == -1 ||
	    (size_t)n >= left) {
		(void)shutdown(q->fd, SHUT_WR);
		return 0;
	}
	return left - (size_t)n;
}

/* oauthreq_talk - the exchange after the request, until "exit N" */
static int
oauthreq_talk(struct oauthreq *q)
{
	struct pollfd	pfd[2];
	size_t		left = OAUTHREQ_PASTE_MAX;
	int64_t		deadline = now_ms() + OAUTHREQ_DEADLINE_MS, ms;
	int		rc;

	for (;;) {
		pfd[0].fd = q->fd;
		pfd[0].events = POLLIN;
		/* the paste only once the agent took the request */
		pfd[1].fd = left > 0 && !q->head ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if ((ms = deadline - now_ms()) <= 0 ||
		    (rc = poll(pfd, 2, (int)ms)) == 0) {
			log_error("oauth login: the agent did not finish in "
			    "time (%s)", q->path);
			return EX_TEMPFAIL;
		}
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			log_error("oauth login: poll: %s", strerror(errno));
			return EX_OSERR;
		}
		if (pfd[0].revents != 0 && oauthreq_read(q) != 0)
			return q->status;
		if (pfd[1].revents != 0)
			left = oauthreq_paste(q, left);
	}
}

/* oauthreq_login - see oauthreq.h */
int
oauthreq_login(const struct conf *c, const char *relay)
{
	struct sockaddr_un	 sun;
	struct oauthreq		*q;
	char			 path[4096], req[300];
	int			 fd, rc;

	if (strlen(relay) > 255 || relay[0] == '-' || strspn(relay,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.:_-[]") != strlen(relay)) {
		log_error("oauth login: '%s' is not a relay: give its number "
		    "in postern.conf or its host", relay);
		return EX_USAGE;
	}
	if (spool_path(c->spool_dir, SPOOL_OAUTH_SOCK, NULL, path,
	    sizeof(path)) == -1 || strlen(path) >= sizeof(sun.sun_path)) {
		log_error("spool_dir %s: path too long", c->spool_dir);
		return EX_CONFIG;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_error("oauth login: socket: %s", strerror(errno));
		return EX_OSERR;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = errno;
		close(fd);
		if (rc == ENOENT || rc == ECONNREFUSED)
			return oauthreq_no_agent(path, rc);
		log_error("oauth login: connect %s: %s", path, strerror(rc));
		return EX_UNAVAILABLE;
	}
	(void)snprintf(req, sizeof(req), "login %s\n", relay);
	if (io_write_all(fd, req, strlen(req)) == -1) {
		log_error("oauth login: ask the agent (%s): %s", path,
		    strerror(errno));
		close(fd);
		return EX_UNAVAILABLE;
	}
	q = xcalloc(1, sizeof(*q));
	q->fd = fd;
	q->path = path;
	q->head = true;
	q->status = -1;
	rc = oauthreq_talk(q);
	free(q);
	close(fd);
	return rc;
}
