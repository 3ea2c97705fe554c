/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addrwalk.h - what addr.c (the parser) shares with addrq.c (qualifying
 * the mailboxes of a header value), and nobody else may include: the walk
 * over an address list.  addr.h is the public interface.
 */
#ifndef POSTERN_ADDRWALK_H
#define POSTERN_ADDRWALK_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * addr_found_fn - called by addr_walk for each mailbox: spec is its
 * addr-spec, qualified whether it has a domain, local_end the offset in
 * the walked text just past its local part.  Returns 0, or -1 to stop
 * the walk.
 */
typedef int (*addr_found_fn)(void *arg, const char *spec, bool qualified,
    size_t local_end);

/*
 * addr_walk - parse the address list s[0..len), calling found for each
 * mailbox.  Returns 0, or -1 with the reason in err (may be NULL) when
 * the list does not parse or found failed.
 */
int	addr_walk(const char *s, size_t len, addr_found_fn found, void *arg,
	    struct buf *err);

/* addr_is_ctl - control byte (never allowed in an addr-spec) */
bool	addr_is_ctl(unsigned char c);

#endif
