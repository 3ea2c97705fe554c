/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - unit tests for src/agent/conn.c against real loopback sockets:
 * refused, unresolvable, several addresses with one listening, read and
 * write deadlines, end of file, the implicit-TLS hint.
 */
#include "config.h"

#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

/* listen_on - a listening TCP socket on addr (v4 or v6), port 0 = any */
static int
listen_on(int family, const char *addr, unsigned port, unsigned *bound)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 8) == -1) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = ntohs(family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* make_ai - one addrinfo entry for a numeric address */
static struct addrinfo *
make_ai(int family, const char *addr, unsigned port, struct addrinfo *next)
{
	struct addrinfo	*ai = xcalloc(1, sizeof(*ai));

	if (family == AF_INET) {
		struct sockaddr_in *sin = xcalloc(1, sizeof(*sin));

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		ai->ai_addr = (struct sockaddr *)sin;
		ai->ai_addrlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = xcalloc(1, sizeof(*sin6));

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		ai->ai_addr = (struct sockaddr *)sin6;
		ai->ai_addrlen = sizeof(*sin6);
	}
	ai->ai_family = family;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_protocol = IPPROTO_TCP;
	ai->ai_next = next;
	return ai;
}

/* free_ai - release make_ai entries */
static void
free_ai(struct addrinfo *ai)
{
	struct addrinfo	*next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai->ai_addr);
		free(ai);
	}
}

/* count_addrs - how many stream addresses the resolver gives for host */
static int
count_addrs(const char *host)
{
	struct addrinfo	 hints, *res, *ai;
	int		 n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, "25", &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	freeaddrinfo(res);
	return n;
}

int
main(void)
{
	struct why	 why;
	struct conn	*c;
	struct addrinfo	*list;
	unsigned	 port, port6;
	int		 lfd, lfd6, afd;
	char		 want[256], buf[64], *big;
	int64_t		 t0, dt;
	ssize_t		 r;
	size_t		 bign = 64 << 20;

	/* refused: a port we just closed */
	lfd = listen_on(AF_INET, "127.0.0.1", 0, &port);
	ok(lfd != -1, "listen on 127.0.0.1");
	close(lfd);
	c = conn_connect("127.0.0.1", port, 5, &why);
	ok(c == NULL, "connect to a closed port fails");
	snprintf(want, sizeof(want), "connect to 127.0.0.1[127.0.0.1]:%u: "
	    "Connection refused", port);
	is_str(why.text, want, "refused: reason names host[addr]:port");

	/* unresolvable: RFC 6761 .invalid never resolves */
	c = conn_connect("no-such-host.invalid", 587, 5, &why);
	ok(c == NULL, "connect to an unresolvable name fails");
	if (strncmp(why.text, "cannot resolve", 14) == 0)
		ok(strstr(why.text, "temporary DNS failure") != NULL,
		    "no resolver here: EAI_AGAIN says temporary (%s)",
		    why.text);
	else
		is_str(why.text, "no such host no-such-host.invalid: check "
		    "the spelling of host in postern.conf",
		    "EAI_NONAME: spelling hint");

	/* several addresses, only the last listening: ::1, 127.0.0.2, v4 */
	lfd = listen_on(AF_INET, "127.0.0.1", 0, &port);
	ok(lfd != -1, "listen on 127.0.0.1 again");
	list = make_ai(AF_INET6, "::1", port, make_ai(AF_INET, "127.0.0.2",
	    port, make_ai(AF_INET, "127.0.0.1", port, NULL)));
	c = conn_connect_ai("multi.test", port, list, 5, &why);
	ok(c != NULL, "connect tries every address until one answers");
	snprintf(want, sizeof(want), "multi.test[127.0.0.1]:%u", port);
	is_str(c != NULL ? conn_peer(c) : NULL, want, "peer is the one that "
	    "answered");
	is_str(c != NULL ? conn_addr(c) : NULL, "127.0.0.1", "conn_addr");
	conn_close(c);
	/* keep the listen queue empty for the tests below */
	if ((afd = accept(lfd, NULL, NULL)) != -1)
		close(afd);
	free_ai(list);

	/* every address fails: one reason per address */
	list = make_ai(AF_INET6, "::1", port, make_ai(AF_INET, "127.0.0.2",
	    port, NULL));
	c = conn_connect_ai("multi.test", port, list, 5, &why);
	ok(c == NULL, "all addresses refused");
	snprintf(want, sizeof(want), "connect to multi.test[::1]:%u: "
	    "Connection refused; connect to multi.test[127.0.0.2]:%u: "
	    "Connection refused", port, port);
	is_str(why.text, want, "a reason for each address");
	free_ai(list);

	/* the real resolver: localhost, IPv6 only listening when possible */
	lfd6 = listen_on(AF_INET6, "::1", 0, &port6);
	if (count_addrs("localhost") >= 2 && lfd6 != -1) {
		c = conn_connect("localhost", port6, 5, &why);
		ok(c != NULL, "localhost with only ::1 listening: %s",
		    why.text);
		conn_close(c);
	} else
		ok(1, "localhost with several addresses # SKIP localhost "
		    "resolves to one address here");
	if (lfd6 != -1)
		close(lfd6);
	c = conn_connect("localhost", port, 5, &why);
	ok(c != NULL, "connect to localhost by name: %s", why.text);

	/* a read deadline against a silent peer (accepted, never writes) */
	t0 = now_ms();
	r = c != NULL ? conn_read(c, buf, sizeof(buf), now_ms() + 300, &why) :
	    0;
	dt = now_ms() - t0;
	ok(r == -1 && errno == ETIMEDOUT, "silent peer: read times out");
	ok(dt >= 290 && dt < 1500, "within the deadline (%lld ms)",
	    (long long)dt);
	snprintf(want, sizeof(want), "read from localhost[127.0.0.1]:%u: "
	    "timed out", port);
	is_str(why.text, want, "timeout reason");

	/* bytes both ways, then end of file */
	afd = accept(lfd, NULL, NULL);
	ok(afd != -1, "accepted");
	ok(conn_write_all(c, "EHLO x\r\n", 8, now_ms() + 1000, &why) == 0,
	    "write");
	memset(buf, 0, sizeof(buf));
	ok(read(afd, buf, sizeof(buf)) == 8 && memcmp(buf, "EHLO x\r\n", 8)
	    == 0, "peer got the bytes");
	ok(write(afd, "250 ok\r\n", 8) == 8, "peer writes");
	r = conn_read(c, buf, sizeof(buf), now_ms() + 1000, &why);
	ok(r == 8 && memcmp(buf, "250 ok\r\n", 8) == 0, "read the reply");

	/* write deadline: the peer never reads, 64 MB cannot fit */
	big = xcalloc(1, bign);
	t0 = now_ms();
	ok(conn_write_all(c, big, bign, now_ms() + 300, &why) == -1 &&
	    errno == ETIMEDOUT, "write to a peer that never reads times out");
	dt = now_ms() - t0;
	ok(dt >= 290 && dt < 1500, "write within the deadline (%lld ms)",
	    (long long)dt);
	free(big);
	close(afd);
	/* the peer is gone: drain, then EOF or reset, never a hang */
	do
		r = conn_read(c, buf, sizeof(buf), now_ms() + 1000, &why);
	while (r > 0);
	ok(r == 0 || (r == -1 && errno != ETIMEDOUT), "closed peer: end of "
	    "file or reset, no hang");
	ok(conn_write_all(c, "QUIT\r\n", 6, now_ms() + 1000, &why) == -1 ||
	    conn_write_all(c, "QUIT\r\n", 6, now_ms() + 1000, &why) == -1,
	    "writing to a closed peer fails without SIGPIPE (%s)", why.text);
	conn_close(c);

	/* a server that speaks TLS first: the implicit TLS hint */
	c = conn_connect("127.0.0.1", port, 5, &why);
	afd = accept(lfd, NULL, NULL);
	ok(write(afd, "\x16\x03\x01\x00\x05hello", 10) == 10, "peer sends "
	    "a TLS record");
	r = c != NULL ? conn_read(c, buf, sizeof(buf), now_ms() + 1000, &why) :
	    0;
	snprintf(want, sizeof(want), "read from 127.0.0.1[127.0.0.1]:%u: the "
	    "server speaks TLS first (port %u expects implicit TLS: set tls = "
	    "implicit)", port, port);
	ok(r == -1, "TLS bytes on a plain read are refused");
	is_str(why.text, want, "implicit TLS hint");
	close(afd);
	conn_close(c);
	close(lfd);

	/* port 465, plain client, silent server: the reverse hint */
	lfd = listen_on(AF_INET, "127.0.0.1", 465, &port);
	if (lfd != -1) {
		c = conn_connect("127.0.0.1", 465, 5, &why);
		r = c != NULL ? conn_read(c, buf, sizeof(buf), now_ms() + 200,
		    &why) : 0;
		is_str(why.text, "read from 127.0.0.1[127.0.0.1]:465: timed "
		    "out, nothing received (port 465 expects implicit TLS: "
		    "set tls = implicit)",
		    "silent port 465: implicit TLS hint");
		conn_close(c);
		close(lfd);
	} else
		ok(1, "silent port 465 hint # SKIP cannot bind port 465 (%s)",
		    strerror(errno));
	conn_close(NULL);
	return done_testing();
}
