/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - the agent's sockets: resolve, connect to each address in turn,
 * and move bytes with absolute deadlines, in clear or through tls.c.
 *
 * The only module that calls socket(2), connect(2), recv(2) or send(2).
 * Sockets are non-blocking from creation; every wait is an io_wait() with
 * the caller's deadline, so nothing here can hang.  send() uses
 * MSG_NOSIGNAL: a vanished peer is an error, never a SIGPIPE.  Never logs
 * above debug level: callers put the reason (struct why) in their line.
 * RFCs: 3493 (getaddrinfo), 6724 (address order, the resolver's), 3207.
 */
#include "config.h"

/* module headers first, then the system ones */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "util.h"

#define CONN_ADDR_MAX	INET6_ADDRSTRLEN

struct conn {
	int			 fd;
	unsigned		 port;
	char			 addr[CONN_ADDR_MAX];
	char			 peer[CONN_PEER_MAX];
	struct tls_session	*tls;
	uint64_t		 nread;		/* bytes received, plain+TLS */
};

/* the stop hook (conn_set_stop): one per process */
static int	  conn_stop_fd = -1;
static bool	(*conn_stop_fn)(int, void *);
static void	 *conn_stop_arg;

/* conn_set_stop - see conn.h */
void
conn_set_stop(int fd, bool (*stopping)(int fd, void *arg), void *arg)
{
	conn_stop_fd = stopping != NULL ? fd : -1;
	conn_stop_fn = stopping;
	conn_stop_arg = arg;
}

/*
 * conn_wait - io_wait on fd, and on the stop hook's descriptor: when that
 * one is readable and the hook says stop, -1 with errno ECANCELED.
 * Returns 1 ready, 0 deadline passed (errno ETIMEDOUT), -1 error.
 */
static int
conn_wait(int fd, short events, int64_t deadline_ms)
{
	int	rc;

	for (;;) {
		rc = io_wait_either(fd, events, conn_stop_fd, deadline_ms);
		if (rc != 2)
			return rc;
		if (conn_stop_fn(conn_stop_fd, conn_stop_arg)) {
			errno = ECANCELED;
			return -1;
		}
	}
}

/* conn_format_peer - "host[addr]:port" */
static void
conn_format_peer(char *out, size_t size, const char *host, const char *addr,
    unsigned port)
{
	if (snprintf(out, size, "%s[%s]:%u", host, addr, port) >= (int)size)
		out[size - 1] = '\0';
}

/* conn_resolve_error - the resolver's answer in words */
static void
conn_resolve_error(const char *host, int rc, struct why *why)
{
	switch (rc) {
	case EAI_NONAME:
		why_set(why, 0, NULL, "no such host %s: check the spelling "
		    "of host in postern.conf", host);
		break;
	case EAI_AGAIN:
		why_set(why, 0, NULL, "cannot resolve %s: temporary DNS "
		    "failure (is a name server reachable? see "
		    "/etc/resolv.conf); will retry", host);
		break;
#ifdef EAI_NODATA
	case EAI_NODATA:
		why_set(why, 0, NULL, "host %s has no address (no A or AAAA "
		    "record)", host);
		break;
#endif
	case EAI_FAIL:
		why_set(why, 0, NULL, "cannot resolve %s: the name server "
		    "failed", host);
		break;
	case EAI_SYSTEM:
		why_set(why, 0, NULL, "cannot resolve %s: %s", host,
		    strerror(errno));
		break;
	default:
		why_set(why, 0, NULL, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
		break;
	}
}

/*
 * conn_try - one address: non-blocking connect, then wait for POLLOUT and
 * read SO_ERROR.  Returns the fd, or -1 with errno.
 */
static int
conn_try(const struct addrinfo *ai, uint64_t timeout)
{
	int64_t		deadline;
	socklen_t	len;
	int		fd, err = 0, one = 1, w;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		deadline = timeout > 0 ? now_ms() + (int64_t)timeout * 1000 :
		    -1;
		w = conn_wait(fd, POLLOUT, deadline);
		if (w == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (w == -1)
			goto fail;
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	/* SMTP is a command/reply dialogue: do not let Nagle delay it */
	if (ai->ai_protocol == IPPROTO_TCP || ai->ai_protocol == 0)
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1)
			log_debug("TCP_NODELAY: %s", strerror(errno));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* conn_numeric - the numeric form of an address */
static void
conn_numeric(const struct addrinfo *ai, char *out, size_t size)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)size,
	    NULL, 0, NI_NUMERICHOST) != 0)
		str_copy(out, "?", size);
}

/* conn_connect - resolve, then every address in turn */
struct conn *
conn_connect(const char *host, unsigned port, uint64_t timeout,
    struct why *why)
{
	struct addrinfo	 hints, *res = NULL;
	struct conn	*c;
	char		 service[16];
	int		 rc;

	why_clear(why);
	snprintf(service, sizeof(service), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* no AI_ADDRCONFIG: it hides ::1 on IPv4-only hosts; we try all */
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		conn_resolve_error(host, rc, why);
		errno = EHOSTUNREACH;
		return NULL;
	}
	c = conn_connect_ai(host, port, res, timeout, why);
	freeaddrinfo(res);
	return c;
}

/* conn_connect_ai - every address of a resolved list until one answers */
struct conn *
conn_connect_ai(const char *host, unsigned port, const struct addrinfo *list,
    uint64_t timeout, struct why *why)
{
	const struct addrinfo	*ai;
	struct conn		*c = NULL;
	char			 addr[CONN_ADDR_MAX];
	char			 peer[CONN_PEER_MAX], part[WHY_TEXT_MAX];
	char			 all[WHY_TEXT_MAX];
	int			 fd, last = ECONNREFUSED;

	why_clear(why);
	all[0] = '\0';
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		conn_numeric(ai, addr, sizeof(addr));
		conn_format_peer(peer, sizeof(peer), host, addr, port);
		if ((fd = conn_try(ai, timeout)) != -1) {
			c = xcalloc(1, sizeof(*c));
			c->fd = fd;
			c->port = port;
			str_copy(c->addr, addr, sizeof(c->addr));
			str_copy(c->peer, peer, sizeof(c->peer));
			log_debug("connected to %s", peer);
			break;
		}
		last = errno;
		if (errno == ETIMEDOUT)
			snprintf(part, sizeof(part), "connect to %s: timed out "
			    "after %llus (a firewall may be dropping "
			    "packets to port %u)", peer,
			    (unsigned long long)timeout, port);
		else
			snprintf(part, sizeof(part), "connect to %s: %s", peer,
			    strerror(errno));
		log_debug("%s", part);
		if (all[0] != '\0')
			str_append(all, "; ", sizeof(all));
		str_append(all, part, sizeof(all));
	}
	if (c == NULL) {
		why_set(why, 0, NULL, "%s", all[0] != '\0' ? all :
		    "no address to connect to");
		errno = last;
	}
	return c;
}

/*
 * conn_quickack - acknowledge what arrived at once.  A server that writes
 * one reply in two small pieces with Nagle on (Postfix after STARTTLS:
 * its TLS 1.3 session tickets, then the EHLO reply) otherwise waits for
 * our delayed ACK: 40 ms per session, measured (bench/README).  Linux
 * drops back to delayed ACKs by itself, hence after every read.  A
 * failure only costs that delay, so it is ignored.
 */
static void
conn_quickack(struct conn *c)
{
#ifdef TCP_QUICKACK
	int	one = 1;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)c;
#endif
}

/* conn_raw_recv - tls_transport recv: one non-blocking recv */
static ssize_t
conn_raw_recv(void *ctx, void *buf, size_t n)
{
	struct conn	*c = ctx;
	ssize_t		 r;

	r = io_recv(c->fd, buf, n, 0);
	if (r > 0) {
		c->nread += (uint64_t)r;
		conn_quickack(c);
	}
	return r;
}

/* conn_raw_send - tls_transport send: one non-blocking send, no SIGPIPE */
static ssize_t
conn_raw_send(void *ctx, const void *buf, size_t n)
{
	struct conn	*c = ctx;
	ssize_t		 r;

	r = io_send(c->fd, buf, n, MSG_NOSIGNAL);
	return r;
}

/* conn_raw_wait - tls_transport wait */
static int
conn_raw_wait(void *ctx, short events, int64_t deadline_ms)
{
	struct conn	*c = ctx;

	return conn_wait(c->fd, events, deadline_ms);
}

/* conn_why_wait - why a wait failed (errno kept) */
static void
conn_why_wait(const struct conn *c, const char *what, struct why *why)
{
	int	saved = errno;

	if (errno == ECANCELED)
		why_set(why, 0, NULL, "%s %s: interrupted: the agent is "
		    "stopping", what, c->peer);
	else
		why_set(why, 0, NULL, "%s %s: %s", what, c->peer,
		    strerror(errno));
	errno = saved;
}

/* conn_looks_like_tls - a TLS record header (handshake or alert) */
static bool
conn_looks_like_tls(const unsigned char *p, size_t n)
{
	return n >= 2 && (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03;
}

/* conn_read - bytes before the deadline */
ssize_t
conn_read(struct conn *c, void *buf, size_t n, int64_t deadline_ms,
    struct why *why)
{
	struct why	 w;
	bool		 first = c->nread == 0;
	ssize_t		 r;
	int		 rc;

	if (c->tls != NULL) {
		r = tls_read(c->tls, buf, n, deadline_ms, &w);
		if (r == -1)
			why_set(why, 0, NULL, "read from %s: %s", c->peer,
			    w.text);
		return r;
	}
	for (;;) {
		r = conn_raw_recv(c, buf, n);
		if (r >= 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			why_set(why, 0, NULL, "read from %s: %s", c->peer,
			    strerror(errno));
			return -1;
		}
		rc = conn_wait(c->fd, POLLIN, deadline_ms);
		if (rc == 0) {
			if (first && c->port == 465)
				why_set(why, 0, NULL, "read from %s: timed "
				    "out, nothing received (port 465 expects "
				    "implicit TLS: set tls = implicit)",
				    c->peer);
			else
				why_set(why, 0, NULL, "read from %s: timed "
				    "out", c->peer);
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1) {
			conn_why_wait(c, "read from", why);
			return -1;
		}
	}
	if (first && r > 0 && conn_looks_like_tls(buf, (size_t)r)) {
		why_set(why, 0, NULL, "read from %s: the server speaks TLS "
		    "first (port %u expects implicit TLS: set tls = "
		    "implicit)", c->peer, c->port);
		errno = EPROTO;
		return -1;
	}
	return r;
}

/* conn_write_all - every byte before the deadline */
int
conn_write_all(struct conn *c, const void *data, size_t n,
    int64_t deadline_ms, struct why *why)
{
	const char	*p = data;
	struct why	 w;
	ssize_t		 r;
	int		 rc;

	if (c->tls != NULL) {
		if (tls_write_all(c->tls, data, n, deadline_ms, &w) == -1) {
			why_set(why, 0, NULL, "write to %s: %s", c->peer,
			    w.text);
			return -1;
		}
		return 0;
	}
	while (n > 0) {
		r = conn_raw_send(c, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			why_set(why, 0, NULL, "write to %s: %s", c->peer,
			    strerror(errno));
			return -1;
		}
		rc = conn_wait(c->fd, POLLOUT, deadline_ms);
		if (rc == 0) {
			why_set(why, 0, NULL, "write to %s: timed out",
			    c->peer);
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1) {
			conn_why_wait(c, "write to", why);
			return -1;
		}
	}
	return 0;
}

/* conn_starttls - switch this connection to TLS */
int
conn_starttls(struct conn *c, struct tls_client *client, int64_t deadline_ms,
    struct why *why)
{
	struct tls_transport	 t;
	struct why		 w;
	int			 saved;

	if (c->tls != NULL) {
		why_set(why, 0, NULL, "TLS with %s: already active", c->peer);
		errno = EINVAL;
		return -1;
	}
	t.ctx = c;
	t.recv = conn_raw_recv;
	t.send = conn_raw_send;
	t.wait = conn_raw_wait;
	c->tls = tls_session_start(client, &t, deadline_ms, &w);
	if (c->tls == NULL) {
		saved = errno;
		why_set(why, 0, NULL, "TLS with %s: %s", c->peer, w.text);
		errno = saved;
		return -1;
	}
	return 0;
}

/* conn_tls - the TLS session or NULL */
struct tls_session *
conn_tls(const struct conn *c)
{
	return c->tls;
}

/* conn_peer - for logs */
const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

/* conn_addr - numeric address */
const char *
conn_addr(const struct conn *c)
{
	return c->addr;
}

/* conn_close - TLS goodbye, close, free */
void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->tls != NULL)
		tls_session_close(c->tls, now_ms() + CONN_BYE_TIMEOUT_MS);
	if (close(c->fd) == -1)
		log_debug("close %s: %s", c->peer, strerror(errno));
	free(c);
}
