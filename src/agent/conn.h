/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - one TCP connection to a relay: connect (every address, with a
 * deadline), bounded non-blocking reads and writes, and the switch to TLS.
 * The only module that touches sockets.
 */
#ifndef POSTERN_CONN_H
#define POSTERN_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "result.h"
#include "tls.h"

#define CONN_PEER_MAX		320	/* "host[addr]:port" */
#define CONN_BYE_TIMEOUT_MS	2000	/* close_notify at conn_close */

struct conn;

/*
 * conn_connect - resolve host (getaddrinfo, AF_UNSPEC) and try every
 * address in the resolver's order, IPv6 and IPv4, each with a
 * non-blocking connect bounded by timeout seconds (per address, like
 * Postfix smtp_connect_timeout; 0 means no limit).  TCP_NODELAY is set.
 * Returns the connection, or NULL with why->text naming every failure,
 * "connect to smtp.x.com[1.2.3.4]:587: Connection refused; ...", or the
 * resolver's answer ("no such host ...: check the spelling of host",
 * "temporary DNS failure ..."); why->code is 0.  errno is then the last
 * address's failure (ECONNREFUSED, ETIMEDOUT, ENETUNREACH, ...; also
 * ECONNREFUSED for an empty list), or EHOSTUNREACH when resolving failed.
 * Free with conn_close().
 */
struct conn *conn_connect(const char *host, unsigned port, uint64_t timeout,
	    struct why *why);

/*
 * conn_connect_ai - as conn_connect, over an already resolved list (tried
 * in order; host and port name the peer in messages).  list is borrowed.
 */
struct addrinfo;
struct conn *conn_connect_ai(const char *host, unsigned port,
	    const struct addrinfo *list, uint64_t timeout, struct why *why);

/*
 * conn_read - read up to n bytes (through TLS when active) before
 * deadline_ms (absolute, now_ms() clock; -1 none).  Returns the count
 * (> 0), 0 when the peer closed, or -1 with why->text "read from PEER:
 * reason" and errno (ETIMEDOUT on the deadline).  On a plain connection
 * that has received nothing yet, a timeout on port 465 or TLS bytes from
 * the server add the hint "port 465 expects implicit TLS: set tls =
 * implicit".
 */
ssize_t	conn_read(struct conn *, void *buf, size_t n, int64_t deadline_ms,
	    struct why *why);

/*
 * conn_write_all - write all n bytes (through TLS when active) before
 * deadline_ms.  Returns 0, or -1 with why->text "write to PEER: reason"
 * and errno (ETIMEDOUT, EPIPE, ...).  Never raises SIGPIPE.
 */
int	conn_write_all(struct conn *, const void *data, size_t n,
	    int64_t deadline_ms, struct why *why);

/*
 * conn_starttls - run the TLS handshake on this connection with client's
 * credentials and policy, before deadline_ms: for STARTTLS after the
 * server's 220 to STARTTLS, for implicit TLS right after conn_connect.
 * The caller must have drained every plain-text byte first (RFC 3207 4.2
 * forbids pipelining past STARTTLS).  Returns 0, or -1 with why->text
 * "TLS with PEER: reason" (see tls_session_start).  The tls_client is
 * borrowed and must outlive the connection.
 */
int	conn_starttls(struct conn *, struct tls_client *client,
	    int64_t deadline_ms, struct why *why);

/*
 * conn_set_stop - every wait of this module (connect, read, write, TLS)
 * also polls fd (a signalfd); when it is readable, stopping(fd, arg) runs
 * (it must drain fd) and, when it returns true, the wait ends at once
 * with errno ECANCELED ("interrupted: the agent is stopping").  So a
 * SIGTERM ends any stage at once, whatever the peer does.  stopping ==
 * NULL removes the hook.  One hook per process.
 */
void	conn_set_stop(int fd, bool (*stopping)(int fd, void *arg), void *arg);

/* conn_tls - the active TLS session (borrowed), or NULL when plain */
struct tls_session *conn_tls(const struct conn *);

/* conn_peer - "host[addr]:port" for logs; borrowed */
const char *conn_peer(const struct conn *);

/* conn_addr - the numeric address connected to; borrowed */
const char *conn_addr(const struct conn *);

/*
 * conn_close - close_notify when TLS is active (bounded by
 * CONN_BYE_TIMEOUT_MS), close the socket and free; NULL ok.
 */
void	conn_close(struct conn *);

#endif
