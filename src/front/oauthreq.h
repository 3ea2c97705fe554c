/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauthreq.h - `postern oauth login` asked of the running agent's
 * oauth.sock by a member of its group who is not root.
 */
#ifndef POSTERN_OAUTHREQ_H
#define POSTERN_OAUTHREQ_H

#include "conf.h"

/*
 * oauthreq_login - have the agent of c's spool run the login for relay
 * (its number or host), this terminal its input and output.  Returns the
 * login's sysexits.h status: EX_UNAVAILABLE, after saying how to proceed,
 * when no agent listens; EX_NOPERM when the agent refuses the caller.
 */
int	oauthreq_login(const struct conf *c, const char *relay);

#endif
