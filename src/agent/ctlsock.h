/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlsock.h - the agent's sockets: spool_dir/queue.sock, where any local
 * user asks for the listing of their own messages (doc/SECURITY.md), and
 * spool_dir/oauth.sock, where root or the agent's group runs `postern
 * oauth login` through the agent (oauthsock.c).
 */
#ifndef POSTERN_CTLSOCK_H
#define POSTERN_CTLSOCK_H

#include <stdint.h>
#include <sys/types.h>

#define CTLSOCK_KIDS		4	/* listings (logins) running at once */

enum ctlsock_kind {
	CTLSOCK_QUEUE,			/* queue.sock: listings */
	CTLSOCK_OAUTH			/* oauth.sock: oauth logins */
};

struct ctlsock {
	enum ctlsock_kind kind;
	int		 fd;		/* listening socket; -1: off */
	pid_t		 kid[CTLSOCK_KIDS];	/* 0: free slot */
	int64_t		 started[CTLSOCK_KIDS];	/* now_ms() at fork */
	char		*prog;		/* postern next to posternd, or
					   posternd itself (oauth.sock) */
	char		*config;	/* postern.conf the agent loaded */
	char		*path;		/* the socket's path */
};

/*
 * ctlsock_open - bind and listen on spool/queue.sock or spool/oauth.sock
 * (mode 0666, owned by the agent's user, in the spool directory it
 * owns).  On failure it logs why and leaves s->fd -1: the agent runs on
 * without it.
 */
void	ctlsock_open(struct ctlsock *s, const char *spool, const char *config,
	    enum ctlsock_kind kind);

/*
 * ctlsock_accept - s->fd is readable: accept one connection and hand it
 * to a child (never blocks; refuses when CTLSOCK_KIDS are running).
 */
void	ctlsock_accept(struct ctlsock *s);

/* ctlsock_close - stop listening, remove the socket, end the children */
void	ctlsock_close(struct ctlsock *s);

#endif
