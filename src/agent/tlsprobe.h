/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlsprobe.h - the wrong-TLS-mode diagnosis shared by delivery
 * (session.c) and `postern check` (check_steps.c): a relay configured for
 * STARTTLS or plain text whose server sends no greeting may be an
 * implicit-TLS port (465) waiting for a ClientHello.  A second, brief
 * connection tries a TLS handshake to tell.  (The reverse, tls =
 * implicit against a server that greets in plain text, is recognised in
 * the handshake itself: tls.c.)
 */
#ifndef POSTERN_TLSPROBE_H
#define POSTERN_TLSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define TLSPROBE_WAIT_S	5	/* s: greeting awaited before a probe, and
				   the probe's own connect and handshake */

struct addrinfo;

/*
 * tlsprobe_implicit - does the server of r (at ai, one address, or r's
 * host resolved when ai is NULL) complete a TLS handshake as soon as the
 * connection opens?  A fresh connection and a handshake without
 * certificate verification (nothing is sent over it), each bounded by
 * timeout_s seconds.  True when the handshake completed.
 */
bool	tlsprobe_implicit(const struct conf_relay *r,
	    const struct addrinfo *ai, uint64_t timeout_s);

/*
 * tlsprobe_fix_implicit - the fix in words, "port N expects implicit TLS:
 * set tls = implicit", into out (cut to outsize); returns out
 */
char	*tlsprobe_fix_implicit(unsigned port, char *out, size_t outsize);

#endif
