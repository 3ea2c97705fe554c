/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauthsock.h - `postern oauth login` through the running agent: the
 * child that answers one connection on spool_dir/oauth.sock
 * (doc/agent.md, "oauth.sock").
 */
#ifndef POSTERN_OAUTHSOCK_H
#define POSTERN_OAUTHSOCK_H

#define OAUTHSOCK_DEADLINE_S	960	/* a whole login: the 900 s of
					   oauth_login.c, and its requests */
#define OAUTHSOCK_RELAY_MAX	255	/* the relay's number or host */
#define OAUTHSOCK_LINE_MAX	4096	/* one line of the login's output */

/*
 * oauthsock_child - in a child of the agent, the connection fd of
 * oauth.sock: refuse a peer who is neither root nor in the agent's
 * group (the kernel's credentials), read "login RELAY", run prog (this
 * posternd) --oauth-login RELAY -C config as the agent's user with the
 * socket as its input, send its output framed, then its status; exit.
 */
void	oauthsock_child(int fd, const char *prog, const char *config)
	    __attribute__((noreturn));

#endif
