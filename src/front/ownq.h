/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ownq.h - the listing of one's own messages, asked of the agent's queue
 * socket by a caller who may not read the spool.
 */
#ifndef POSTERN_OWNQ_H
#define POSTERN_OWNQ_H

#include <stdbool.h>

#include "conf.h"

/*
 * ownq_list - ask the running agent for the caller's own messages (text
 * or JSON) and copy the answer to stdout.  Returns a sysexits.h status:
 * EX_UNAVAILABLE, after saying so, when no agent listens.
 */
int	ownq_list(const struct conf *c, bool json);

#endif
