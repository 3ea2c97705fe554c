/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_ports.c - what a relay's preset (src/core/preset.c) adds to
 * `postern check`: when the configured port is filtered or refused, the
 * provider's other submission ports are tried from this host (the
 * preset's list, or 587 and 465 for a relay without a preset) and the
 * report says which one works and the exact lines to change ("587 is
 * blocked here; 465 answers with TLS: set port = 465 and tls =
 * implicit"); and the provider's rules the configuration misses
 * become warnings: OAuth2 without oauth_flow or token_command, a
 * published sending limit above rate_limit.
 *
 * Advice only: never changes the configuration, and the agent never
 * switches ports by itself.  Each probe is one connection
 * per port that sends at most EHLO and QUIT (or, for implicit TLS, the
 * ClientHello of tlsprobe.c, which owns that detection); every wait is
 * bounded.  RFCs 5321, 3207, 8314.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check_int.h"
#include "conf.h"
#include "conn.h"
#include "preset.h"
#include "tlsprobe.h"
#include "util.h"

#define PORTS_CONNECT_S		10	/* s: connect to another port */
#define PORTS_REPLY_MAX		4096	/* bytes of a greeting or EHLO reply */
#define PORTS_LINE_MAX		512	/* the advice or one detail line */

enum ports_state {
	PORTS_BLOCKED = 0,	/* no answer: filtered */
	PORTS_REFUSED,		/* nothing listens */
	PORTS_UNREACHABLE,	/* no route, or another connect error */
	PORTS_IMPLICIT,		/* a TLS handshake completes at once */
	PORTS_STARTTLS,		/* SMTP greeting, EHLO offers STARTTLS */
	PORTS_PLAIN,		/* SMTP greeting, no STARTTLS offered */
	PORTS_SILENT,		/* connects, then neither TLS nor SMTP */
};

/* ports_state_text - how a port behaved, for the detail lines */
static const char *
ports_state_text(enum ports_state st)
{
	switch (st) {
	case PORTS_BLOCKED:
		return "blocked (no answer)";
	case PORTS_REFUSED:
		return "refused (nothing listens)";
	case PORTS_UNREACHABLE:
		return "unreachable";
	case PORTS_IMPLICIT:
		return "answers with TLS (implicit)";
	case PORTS_STARTTLS:
		return "answers with STARTTLS";
	case PORTS_PLAIN:
		return "answers, but offers no STARTTLS";
	case PORTS_SILENT:
		return "accepts the connection but says nothing";
	default:
		return "?";
	}
}

/*
 * ports_reply - read one complete SMTP reply (its last line "DDD " or
 * "DDD" alone) into buf before deadline.  Returns its code, or -1.
 */
static int
ports_reply(struct conn *c, char *buf, size_t size, int64_t deadline)
{
	struct why	 why;
	size_t		 len = 0;
	ssize_t		 n;
	char		*line, *nl;

	buf[0] = '\0';
	for (;;) {
		if (len + 1 >= size)
			return -1;
		n = conn_read(c, buf + len, size - len - 1, deadline, &why);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		/* complete lines only: "DDD-" goes on, "DDD " or "DDD" ends */
		for (line = buf; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1) {
			if (nl - line < 3 || line[0] < '2' || line[0] > '5')
				return -1;
			if (line[3] != '-')
				return (line[0] - '0') * 100 +
				    (line[1] - '0') * 10 + (line[2] - '0');
		}
	}
}

/*
 * ports_smtp - a plain connection that greets: does EHLO offer
 * STARTTLS?  PORTS_STARTTLS, PORTS_PLAIN or PORTS_SILENT.
 */
static enum ports_state
ports_smtp(struct check *ck, const char *host, unsigned port,
    const struct addrinfo *ai, uint64_t wait)
{
	struct conn		*c;
	struct why		 why;
	struct addrinfo		 one = *ai;
	char			 reply[PORTS_REPLY_MAX], ehlo[300];
	enum ports_state	 st = PORTS_SILENT;
	int64_t			 deadline;

	one.ai_next = NULL;
	if ((c = conn_connect_ai(host, port, &one, wait, &why)) == NULL)
		return PORTS_SILENT;
	deadline = now_ms() + (int64_t)wait * 1000;
	if (ports_reply(c, reply, sizeof(reply), deadline) != 220)
		goto out;
	(void)snprintf(ehlo, sizeof(ehlo), "EHLO %s\r\n", ck->conf.hostname);
	if (conn_write_all(c, ehlo, strlen(ehlo), deadline, &why) == -1 ||
	    ports_reply(c, reply, sizeof(reply), deadline) != 250)
		goto out;
	st = check_has(reply, "STARTTLS") ? PORTS_STARTTLS : PORTS_PLAIN;
	(void)conn_write_all(c, "QUIT\r\n", 6, deadline, &why);
out:
	conn_close(c);
	return st;
}

/*
 * ports_addr - ai (resolved for the configured port) as a one-entry list
 * for port: the address copied into ss with its port replaced.  Returns
 * 0, or -1 for a family other than IPv4 and IPv6.
 */
static int
ports_addr(const struct addrinfo *ai, unsigned port, struct addrinfo *one,
    struct sockaddr_storage *ss)
{
	if (ai->ai_addrlen > sizeof(*ss))
		return -1;
	*one = *ai;
	one->ai_next = NULL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	one->ai_addr = (struct sockaddr *)ss;
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ai->ai_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port =
		    htons((uint16_t)port);
	else
		return -1;
	return 0;
}

/* ports_try - how port behaves from here, over the addresses of res */
static enum ports_state
ports_try(struct check *ck, const struct conf_relay *r, unsigned port,
    const struct addrinfo *res)
{
	const struct addrinfo	*ai;
	struct addrinfo		 one;
	struct sockaddr_storage	 ss;
	struct conf_relay	 pr = *r;
	struct conn		*c;
	struct why		 why;
	enum ports_state	 st = PORTS_UNREACHABLE;
	uint64_t		 wait = check_cap(ck, ck->conf.t_connect <
				    PORTS_CONNECT_S ? ck->conf.t_connect :
				    PORTS_CONNECT_S);
	size_t			 n = 0;
	int			 err;

	pr.port = port;
	for (ai = res; ai != NULL && n < CHECK_ADDRS_MAX; ai = ai->ai_next) {
		n++;
		if (ports_addr(ai, port, &one, &ss) == -1)
			continue;
		c = conn_connect_ai(r->host, port, &one, wait, &why);
		err = errno;
		if (c == NULL) {
			/* a silent port costs its wait once, not per address */
			if (err == ETIMEDOUT)
				return PORTS_BLOCKED;
			if (err == ECONNREFUSED)
				st = PORTS_REFUSED;
			continue;
		}
		conn_close(c);
		if (tlsprobe_implicit(&pr, &one, check_cap(ck,
		    CHECK_PROBE_MAX)))
			return PORTS_IMPLICIT;
		return ports_smtp(ck, r->host, port, &one, check_cap(ck,
		    CHECK_PROBE_MAX));
	}
	return st;
}

/* ports_candidates - the ports to try: the preset's, or 587 and 465 */
static size_t
ports_candidates(const struct conf_relay *r, struct preset_port *out)
{
	static const struct preset_port dflt[] = {
		{ 587, CONF_TLS_STARTTLS }, { 465, CONF_TLS_IMPLICIT },
	};
	const struct preset	*ps = r->preset != NULL ?
				    preset_find(r->preset) : NULL;
	size_t			 i, n = 0;

	if (ps != NULL) {
		for (i = 0; i < PRESET_PORTS_MAX && ps->ports[i].port != 0;
		    i++)
			if (ps->ports[i].port != r->port)
				out[n++] = ps->ports[i];
		return n;
	}
	for (i = 0; i < ARRAY_SIZE(dflt); i++)
		if (dflt[i].port != r->port)
			out[n++] = dflt[i];
	return n;
}

/* ports_fix - "set port = N and tls = MODE" for a port that works */
static bool
ports_fix(enum ports_state st, unsigned port, char *out, size_t size)
{
	if (st == PORTS_IMPLICIT)
		(void)snprintf(out, size, "%u answers with TLS: set port = %u "
		    "and tls = implicit", port, port);
	else if (st == PORTS_STARTTLS)
		(void)snprintf(out, size, "%u answers with STARTTLS: set port "
		    "= %u and tls = starttls", port, port);
	else
		return false;
	return true;
}

/* check_ports - the other ports after r->port failed with err */
void
check_ports(struct check *ck, const struct conf_relay *r,
    const struct addrinfo *res, int err)
{
	struct preset_port	 cand[PRESET_PORTS_MAX];
	enum ports_state	 st;
	struct buf		 details;
	char			 msg[2 * PORTS_LINE_MAX], fix[PORTS_LINE_MAX];
	char			 tried[PORTS_LINE_MAX];
	size_t			 n, i;
	int64_t			 t0 = now_ms();
	bool			 found = false;

	if (res == NULL || (err != ETIMEDOUT && err != ECONNREFUSED) ||
	    (n = ports_candidates(r, cand)) == 0)
		return;
	buf_init(&details, CHECK_DETAIL_MAX);
	tried[0] = '\0';
	for (i = 0; i < n; i++) {
		st = ports_try(ck, r, cand[i].port, res);
		if (!found && ports_fix(st, cand[i].port, fix, sizeof(fix)))
			found = true;
		(void)snprintf(msg, sizeof(msg), "%s%s%u", tried,
		    i == 0 ? "" : i + 1 == n ? " and " : ", ", cand[i].port);
		(void)str_copy(tried, msg, sizeof(tried));
		if (buf_printf(&details, "%sport %u: %s", i > 0 ? "\n" : "",
		    cand[i].port, ports_state_text(st)) == -1)
			continue;	/* details full: the advice stands */
	}
	if (found) {
		(void)snprintf(msg, sizeof(msg), "%u is %s here; %s", r->port,
		    err == ETIMEDOUT ? "blocked" : "refused", fix);
		check_report(ck, CK_CONNECT, CHECK_WARN, check_ms(t0), NULL,
		    buf_cstr(&details), "%s", msg);
	} else
		check_report(ck, CK_CONNECT, CHECK_FAIL, check_ms(t0),
		    "a firewall on this host or its network blocks outgoing "
		    "mail ports: open one of them, or relay through a host "
		    "that can reach the provider", buf_cstr(&details),
		    "%u is %s here, and %s %s no way out either", r->port,
		    err == ETIMEDOUT ? "blocked" : "refused", tried,
		    n == 1 ? "gives" : "give");
	buf_free(&details);
}

/* check_ports_rules - OAuth2 and the sending limit, as warnings */
void
check_ports_rules(struct check *ck, const struct conf_relay *r)
{
	const struct preset	*ps = r->preset != NULL ?
				    preset_find(r->preset) : NULL;
	char			 per[32];

	if (ps == NULL)
		return;
	if (ps->oauth2 && r->token_command == NULL &&
	    r->oauth_flow == CONF_OAUTH_NONE)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, NULL, NULL,
		    "%s requires OAuth2: set oauth_flow (postern.conf(5), "
		    "OAuth2) or token_command; a password is likely "
		    "refused", ps->title);
	if (ps->limit == 0)
		return;
	format_duration(ps->limit_period, per, sizeof(per));
	/* rate_limit/rate_period above limit/limit_period, or none */
	if (ck->conf.rate_limit == 0 || (uint64_t)ck->conf.rate_limit *
	    ps->limit_period > (uint64_t)ps->limit * ck->conf.rate_period)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, NULL, NULL,
		    "%s accepts about %u messages per %s: set rate_limit = "
		    "%u and rate_period = %s in [queue] so the queue waits "
		    "instead of the account being blocked", ps->title,
		    ps->limit, per, ps->limit, per);
}
