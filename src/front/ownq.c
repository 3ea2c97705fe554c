/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ownq.c - `postern queue` (mailq, sendmail -bp) for a user outside the
 * postern group: connect to the agent's socket spool_dir/queue.sock,
 * send one request line, copy the answer to stdout.
 *
 * Owns only the client side of that exchange.  It sends nothing about
 * who is asking (the agent asks the kernel: SO_PEERCRED), reads at most
 * OWNQ_OUT_MAX bytes within OWNQ_DEADLINE_MS, and must never touch the
 * spool itself nor print an answer the agent did not accept ("ok").
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "ownq.h"
#include "spool.h"
#include "util.h"

#define OWNQ_DEADLINE_MS	90000	/* the agent's child: 60 s */
#define OWNQ_OUT_MAX		(256u << 20)
#define OWNQ_LINE_MAX		512	/* the agent's first line */

/* ownq_login - the caller's login name for the adduser hint, or "USER" */
static const char *
ownq_login(void)
{
	struct passwd	*pw = getpwuid(getuid());

	return pw != NULL && pw->pw_name != NULL ? pw->pw_name : "USER";
}

/* ownq_no_agent - nothing listens: say so, and what the admin can do */
static int
ownq_no_agent(const char *path, int err)
{
	log_error("queue: cannot list your messages: no delivery agent is "
	    "running (%s: %s).  Once the agent runs (systemctl start "
	    "postern), every user sees their own messages; until then only "
	    "root and the members of the mail system's group %s can list "
	    "the queue (sudo postern queue, or have an administrator add you "
	    "to the group: adduser %s %s, then log in again)", path,
	    strerror(err), POSTERN_GROUP, ownq_login(), POSTERN_GROUP);
	return EX_UNAVAILABLE;
}

/* ownq_list - see ownq.h */
int
ownq_list(const struct conf *c, bool json)
{
	struct sockaddr_un	 sun;
	char			 path[4096], buf[65536];
	const char		*req = json ? "list json\n" : "list\n";
	size_t			 total = 0;
	int64_t			 deadline = now_ms() + OWNQ_DEADLINE_MS;
	bool			 head = true;
	ssize_t			 n;
	int			 fd, rc;

	if (spool_path(c->spool_dir, SPOOL_QUEUE_SOCK, NULL, path, sizeof(path))
	    == -1 || strlen(path) >= sizeof(sun.sun_path))
		fatal_exit(EX_CONFIG, "spool_dir %s: path too long",
		    c->spool_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal_errno(EX_OSERR, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = errno;
		close(fd);
		if (rc == ENOENT || rc == ECONNREFUSED)
			return ownq_no_agent(path, rc);
		fatal_exit(EX_UNAVAILABLE, "queue: connect %s: %s", path,
		    strerror(rc));
	}
	if (io_set_nonblock(fd, 1) == -1 ||
	    io_write_all(fd, req, strlen(req)) == -1)
		fatal_errno(EX_UNAVAILABLE, "queue: ask the agent (%s)", path);
	for (;;) {
		if ((rc = io_wait(fd, POLLIN, deadline)) != 1)
			fatal_exit(EX_TEMPFAIL, "queue: the agent did not "
			    "answer in time (%s)", path);
		if ((n = io_read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EAGAIN)
				continue;
			fatal_errno(EX_IOERR, "queue: read %s", path);
		}
		if (n == 0)
			break;
		if ((total += (size_t)n) > OWNQ_OUT_MAX)
			fatal_exit(EX_SOFTWARE, "queue: the agent's answer "
			    "passed %u bytes", OWNQ_OUT_MAX);
		if (head) {
			/* "ok\n" or "error WHY\n", written whole first */
			char	line[OWNQ_LINE_MAX];
			char	*nl = memchr(buf, '\n', (size_t)n);
			size_t	 k = nl != NULL ? (size_t)(nl - buf) :
			    (size_t)n;

			if (k >= sizeof(line) || nl == NULL)
				fatal_exit(EX_PROTOCOL, "queue: unexpected "
				    "answer from the agent (%s)", path);
			memcpy(line, buf, k);
			line[k] = '\0';
			head = false;
			if (strcmp(line, "ok") != 0)
				fatal_exit(EX_UNAVAILABLE, "queue: the agent "
				    "refused: %s", strncmp(line, "error ", 6)
				    == 0 ? line + 6 : line);
			k++;
			if ((size_t)n > k && fwrite(buf + k, 1, (size_t)n - k,
			    stdout) != (size_t)n - k)
				break;
			continue;
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	close(fd);
	if (head)
		fatal_exit(EX_PROTOCOL, "queue: the agent closed the "
		    "connection without an answer (%s)", path);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("write the listing");
		return EX_IOERR;
	}
	return EX_OK;
}
