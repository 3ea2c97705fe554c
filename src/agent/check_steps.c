/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_steps.c - the steps of one relay in `postern check`: DNS, TCP
 * connect per address, implicit TLS or the greeting, EHLO, STARTTLS,
 * TLS and the certificate, EHLO again, AUTH, and the MAIL/RCPT/RSET
 * relay test, each judged with a plain-words cause and fix.
 *
 * Owns the wording of the diagnosis only: the dialogue runs through
 * check_smtp.c; a failed step reports the rest of the relay as skipped.
 * Never sends a message (the relay test ends with RSET), never writes
 * to the spool, never prints a secret.  RFCs 5321, 3207, 4954.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "auth.h"
#include "check_int.h"
#include "conf.h"
#include "conn.h"
#include "smtp.h"
#include "tls.h"
#include "tlsprobe.h"
#include "util.h"

/* check_cert_details - the certificate as detail lines */
static void
check_cert_details(const struct tls_peer_info *info, char *out, size_t size)
{
	(void)snprintf(out, size, "subject: %s\nissuer: %s\nnames: %s\n"
	    "valid: from %s until %s\nfingerprint: %s\nverification: %s",
	    info->subject[0] ? info->subject : "(none)",
	    info->issuer[0] ? info->issuer : "(none)",
	    info->sans[0] ? info->sans : "(none)",
	    info->not_before[0] ? info->not_before : "?",
	    info->not_after[0] ? info->not_after : "?",
	    info->fingerprint[0] ? info->fingerprint : "?",
	    info->verification[0] ? info->verification : "?");
}

/* check_cert_hint - the fix for a refused certificate */
static void
check_cert_hint(const struct conf_relay *r, const struct tls_peer_info *info,
    const char *why, char *out, size_t size)
{
	const char	*name = r->tls_server_name != NULL ?
			    r->tls_server_name : r->host;

	if (check_has(why, "pin mismatch"))
		(void)snprintf(out, size, "the server's certificate is not "
		    "the pinned one: if it was renewed, check it and update "
		    "tls_pins (fingerprint above)");
	else if (check_has(why, "name mismatch"))
		(void)snprintf(out, size, "the certificate is not for %s: "
		    "set host to a name it lists (see names), or "
		    "tls_server_name", name);
	else if (check_has(why, "expired"))
		(void)snprintf(out, size, "the server's certificate has "
		    "expired: the provider must renew it (check this "
		    "machine's clock too)");
	else if (check_has(why, "not yet valid"))
		(void)snprintf(out, size, "the certificate is not valid yet: "
		    "check this machine's clock");
	else if (check_has(why, "self-signed"))
		(void)snprintf(out, size, "self-signed certificate: after "
		    "checking it, pin it with tls_pins = %s, or set "
		    "tls_ca_file", info->fingerprint[0] ? info->fingerprint :
		    "FINGERPRINT");
	else if (check_has(why, "unknown authority"))
		(void)snprintf(out, size, "set tls_ca_file to the CA that "
		    "signed it, or pin it with tls_pins = %s",
		    info->fingerprint[0] ? info->fingerprint : "FINGERPRINT");
	else
		(void)snprintf(out, size, "the certificate cannot be "
		    "trusted; see the details");
}

/*
 * check_tls - the handshake (implicit TLS or after STARTTLS) and the
 * certificate, as steps st_tls and st_cert.  Returns 0 when TLS is up.
 */
static int
check_tls(struct check_conn *cc, enum check_step st_tls,
    enum check_step st_cert)
{
	struct check		*ck = cc->ck;
	struct tls_peer_info	 info;
	struct why		 why;
	char			 details[CHECK_DETAIL_MAX];
	char			 hint[CHECK_TEXT_MAX];
	int64_t			 t0 = now_ms(), ms;

	why_clear(&why);
	if (conn_starttls(cc->conn, cc->tlsc, now_ms() +
	    (int64_t)check_cap(ck, ck->conf.t_starttls) * 1000, &why) == 0) {
		ms = check_ms(t0);
		tls_peer_info(conn_tls(cc->conn), &info);
		check_report(ck, st_tls, CHECK_OK, ms, NULL, NULL, "%s, %s",
		    info.protocol, info.cipher);
		check_cert_details(&info, details, sizeof(details));
		if (info.verified)
			check_report(ck, st_cert, CHECK_OK, -1, NULL, details,
			    "%s (%s, valid until %s)", info.verification,
			    info.sans[0] ? info.sans : info.subject,
			    info.not_after);
		else
			check_report(ck, st_cert, CHECK_WARN, -1, "anyone on "
			    "the path can pretend to be the relay: set "
			    "tls_ca_file or tls_pins and remove tls_verify = "
			    "no", details, "%s", info.verification);
		return 0;
	}
	ms = check_ms(t0);
	if (tls_client_rejected(cc->tlsc, &info)) {
		check_report(ck, st_tls, CHECK_OK, ms, NULL, NULL, "handshake "
		    "completed (%s, %s)", info.protocol, info.cipher);
		check_cert_details(&info, details, sizeof(details));
		check_cert_hint(cc->r, &info, info.verification, hint,
		    sizeof(hint));
		check_report(ck, st_cert, CHECK_FAIL, -1, hint, details,
		    "refused: %s", info.verification);
		return -1;
	}
	if (check_has(why.text, "does not speak TLS on this port"))
		(void)snprintf(hint, sizeof(hint), "port %u expects STARTTLS: "
		    "set tls = starttls", cc->r->port);
	else if (check_has(why.text, "in common"))
		(void)snprintf(hint, sizeof(hint), "no TLS version or cipher "
		    "in common: check tls_priority");
	else if (check_has(why.text, "timed out"))
		(void)snprintf(hint, sizeof(hint), "the server did not "
		    "complete the TLS handshake in time");
	else
		hint[0] = '\0';
	check_report(ck, st_tls, CHECK_FAIL, ms, hint[0] ? hint : NULL, NULL,
	    "%s", why.text);
	return -1;
}

/*
 * check_probe_implicit - does the server at ai speak TLS first?
 * (tlsprobe.c, shared with delivery)
 */
static bool
check_probe_implicit(struct check_conn *cc, const struct addrinfo *ai)
{
	return tlsprobe_implicit(cc->r, ai, check_cap(cc->ck,
	    CHECK_PROBE_MAX));
}

/* check_ehlo_report - the EHLO step once the server said 2xx */
static void
check_ehlo_report(struct check_conn *cc, enum check_step st, int64_t ms)
{
	char	names[512];

	if (!cc->smtp.esmtp) {
		check_report(cc->ck, st, CHECK_WARN, ms, "no STARTTLS, AUTH, "
		    "SIZE or 8BITMIME without ESMTP: is this the right "
		    "server?", NULL, "the server refused EHLO and accepted "
		    "HELO");
		return;
	}
	ehlo_names(&cc->smtp.caps, names, sizeof(names));
	check_report(cc->ck, st, CHECK_OK, ms, NULL, NULL, "%s",
	    names[0] ? names : "(no extensions)");
}

/*
 * check_hello - the EHLO (or EHLO after TLS) phase and what the machine
 * decided right after it (STARTTLS missing, no AUTH offered, AUTH could
 * not start).  Returns 0 when the session goes on.
 */
static int
check_hello(struct check_conn *cc, enum check_step st)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 text[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;
	bool				 hello_ok;

	check_run(cc, CHECK_BIT(SMTP_S_EHLO) | CHECK_BIT(SMTP_S_HELO));
	ms = check_ms(t0);
	hello_ok = !check_over(cc) || f->kind == SMTP_E_LOCAL ||
	    (f->stage != SMTP_S_EHLO && f->stage != SMTP_S_HELO);
	if (!hello_ok) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, st, CHECK_FAIL, ms, f->kind == SMTP_E_REPLY ?
		    "the server refused our EHLO/HELO: check hostname in "
		    "[postern] (some servers want a real, resolvable name)" :
		    NULL, NULL, "%s", text);
		return -1;
	}
	check_ehlo_report(cc, st, ms);
	if (!check_over(cc))
		return 0;
	if (f->kind == SMTP_E_LOCAL && (f->stage == SMTP_S_EHLO ||
	    f->stage == SMTP_S_HELO)) {
		if (check_has(f->why.text, "STARTTLS"))
			check_report(ck, CK_STARTTLS, CHECK_FAIL, -1, "wrong "
			    "port or server: port 587 offers STARTTLS, port "
			    "465 wants tls = implicit (use tls = none only "
			    "on a trusted network)", NULL, "the server does "
			    "not offer STARTTLS: nothing was sent");
		else if (check_has(f->why.text, "no AUTH"))
			check_report(ck, CK_AUTH, CHECK_FAIL, -1, "wrong port "
			    "or STARTTLS missing: servers usually offer AUTH "
			    "on port 587 after STARTTLS (tls = starttls) or "
			    "on 465 (tls = implicit)", NULL, "no AUTH "
			    "offered by the server");
		else if (check_has(f->why.text, "without TLS"))
			check_report(ck, CK_AUTH, CHECK_FAIL, -1, "enable TLS "
			    "(tls = starttls), or set allow_plaintext_auth = "
			    "yes on a trusted network", NULL, "refusing to "
			    "send the password without TLS");
		else
			check_report(ck, st, CHECK_FAIL, -1, NULL, NULL, "%s",
			    f->why.text);
		return -1;
	}
	if (f->stage == SMTP_S_AUTH) {
		/* the mechanism choice failed before anything was sent */
		if (!ck->secrets_ok)
			check_report(ck, CK_AUTH, CHECK_SKIP, -1, NULL, NULL,
			    "not run: no password (see the secrets step)");
		else
			check_report(ck, CK_AUTH, CHECK_FAIL, 0,
			    check_has(f->why.text, "in common") ? "allow one "
			    "of the offered mechanisms in auth_mechanisms "
			    "(XOAUTH2 needs token_command)" : NULL, NULL,
			    "%s", f->why.text);
		return -1;
	}
	check_failure(cc, text, sizeof(text));
	check_report(ck, st, CHECK_FAIL, -1, NULL, NULL, "%s", text);
	return -1;
}

/* check_auth - the AUTH phase.  Returns 0 when the session goes on. */
static int
check_auth(struct check_conn *cc)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 details[CHECK_DETAIL_MAX];
	char				 text[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;

	if (cc->r->user == NULL) {
		check_report(ck, CK_AUTH, CHECK_SKIP, -1, NULL, NULL,
		    "no user set for this relay: mail goes out without AUTH");
		return 0;
	}
	if (cc->smtp.state != SMTP_S_AUTH)
		return check_over(cc) ? -1 : 0;
	check_run(cc, CHECK_BIT(SMTP_S_AUTH));
	ms = check_ms(t0);
	(void)snprintf(details, sizeof(details), "offered: %s\nallowed and "
	    "usable: %s", cc->offered, cc->candidates[0] ? cc->candidates :
	    "(none)");
	if (cc->smtp.authenticated) {
		check_report(ck, CK_AUTH, CHECK_OK, ms, NULL, details, "%s as "
		    "%s accepted", cc->mech, cc->r->user);
		return 0;
	}
	if (f->kind == SMTP_E_REPLY && f->stage == SMTP_S_AUTH) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, CK_AUTH, CHECK_FAIL, ms,
		    check_token_auth_advice(cc->r, f->why.code, f->why.enh,
		    f->why.text), details,
		    "%s as %s refused: %s", cc->mech, cc->r->user, text);
		return -1;
	}
	check_failure(cc, text, sizeof(text));
	check_report(ck, CK_AUTH, CHECK_FAIL, ms, NULL, details, "%s", text);
	return -1;
}

/* check_sender - the relay test's MAIL FROM address into out */
static void
check_sender(const struct check *ck, const struct conf_relay *r, char *out,
    size_t size)
{
	if (r->user != NULL && strchr(r->user, '@') != NULL)
		(void)str_copy(out, r->user, size);
	else
		(void)snprintf(out, size, "root@%s", ck->conf.domain);
}

/* check_recipient - the relay test's RCPT TO address into out */
static void
check_recipient(const struct check *ck, char *out, size_t size)
{
	if (ck->rcpt != NULL)
		(void)str_copy(out, ck->rcpt, size);
	else if (ck->conf.admin != NULL && ck->conf.admin[0] != '\0')
		(void)str_copy(out, ck->conf.admin, size);
	else
		(void)snprintf(out, size, "postmaster@%s", ck->conf.domain);
}

/* check_relay_hint - the fix for a refused MAIL or RCPT */
static const char *
check_relay_hint(const struct why *w, bool mail)
{
	if (check_has(w->text, "relay") || strcmp(w->enh, "5.7.1") == 0)
		return "relay access denied: the sender address or "
		    "authentication is not allowed for relaying (check user "
		    "and password; set force_sender = yes so the sender is "
		    "the account's address)";
	if (w->code == 530 || strcmp(w->enh, "5.7.0") == 0)
		return "the server requires authentication: set user and its "
		    "password for this relay";
	if (check_has(w->text, "rate") || check_has(w->text, "too many") ||
	    check_has(w->text, "limit"))
		return "the provider limits how much you send: set "
		    "rate_limit in [queue] below its limit";
	if (w->code / 100 == 4)
		return "a temporary refusal: the agent would retry later";
	if (mail)
		return "the server does not accept this sender: set "
		    "force_sender = yes (the relay user becomes the sender) "
		    "or masquerade_domain";
	return "the server refuses this recipient: try --rcpt ADDRESS";
}

/* check_relay_test - MAIL FROM, RCPT TO, RSET: nothing is sent */
static void
check_relay_test(struct check_conn *cc)
{
	struct check		*ck = cc->ck;
	struct smtp_message	 m;
	struct smtp_rcpt	 rc;
	char			 from[256], to[256];
	int64_t			 t0 = now_ms(), ms;

	check_sender(ck, cc->r, from, sizeof(from));
	check_recipient(ck, to, sizeof(to));
	memset(&m, 0, sizeof(m));
	memset(&rc, 0, sizeof(rc));
	rc.addr = to;
	m.sender = from;
	m.rcpts = &rc;
	m.nrcpts = 1;
	m.probe = true;
	if (smtp_message_start(&cc->smtp, &m) == 0)
		check_run(cc, CHECK_BIT(SMTP_S_MAIL) | CHECK_BIT(SMTP_S_RCPT) |
		    CHECK_BIT(SMTP_S_RSET));
	ms = check_ms(t0);
	switch (m.status) {
	case SMTP_MSG_PROBED:
		check_report(ck, CK_RELAY, CHECK_OK, ms, NULL, NULL,
		    "MAIL FROM:<%s> RCPT TO:<%s> accepted, then RSET: "
		    "nothing sent", from, to);
		break;
	case SMTP_MSG_REJECTED:
		if (m.stage == SMTP_S_MAIL)
			check_report(ck, CK_RELAY, CHECK_FAIL, ms,
			    check_relay_hint(&m.reply, true), NULL,
			    "MAIL FROM:<%s> refused: %d%s%s %s", from,
			    m.reply.code, m.reply.enh[0] ? " " : "",
			    m.reply.enh, m.reply.text);
		else
			check_report(ck, CK_RELAY, CHECK_FAIL, ms,
			    check_relay_hint(&rc.reply, false), NULL,
			    "RCPT TO:<%s> refused: %d%s%s %s", to,
			    rc.reply.code, rc.reply.enh[0] ? " " : "",
			    rc.reply.enh, rc.reply.text);
		break;
	default:
		check_report(ck, CK_RELAY, CHECK_FAIL, ms, NULL, NULL,
		    "%s", m.reply.text[0] ? m.reply.text :
		    cc->smtp.failure.why.text);
		break;
	}
}

/* check_connect_hint - the fix for a failed connect, by errno */
static const char *
check_connect_hint(int err, unsigned port)
{
	switch (err) {
	case ECONNREFUSED:
		return "nothing listens on that port; check host and port";
	case ETIMEDOUT:
		return port == 25 ? "no answer: a firewall or the ISP blocks "
		    "the port (port 25 is often blocked: try 587 with tls = "
		    "starttls or 465 with tls = implicit)" : "no answer: a "
		    "firewall or the ISP blocks the port (port 25 is often "
		    "blocked, try 587/465)";
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "no route to this address (no IPv6 connectivity?)";
	default:
		return NULL;
	}
}

/*
 * check_connect - DNS and TCP.  Returns the first address that answered
 * (borrowed from *res, which the caller frees) with cc->conn set, or
 * NULL when none did.
 */
static const struct addrinfo *
check_connect(struct check_conn *cc, struct addrinfo **res)
{
	struct check		*ck = cc->ck;
	const struct conf_relay	*r = cc->r;
	const struct addrinfo	*ai, *good = NULL;
	struct addrinfo		 hints, one;
	struct why		 why;
	char			 service[16], addr[CHECK_ADDR_MAX];
	char			 list[CHECK_TEXT_MAX], origin[256];
	char			 fails[CHECK_ADDRS_MAX][CHECK_TEXT_MAX];
	int			 ferr[CHECK_ADDRS_MAX];
	int64_t			 fms[CHECK_ADDRS_MAX];
	size_t			 nfail = 0, n = 0, i;
	int64_t			 t0 = now_ms();
	int			 rc, err;

	(void)snprintf(service, sizeof(service), "%u", r->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	*res = NULL;
	rc = getaddrinfo(r->host, service, &hints, res);
	if (rc != 0) {
		const struct conf_origin *o = conf_origin_of(&ck->conf,
		    "relay", "host", ck->relay - 1);
		char	hint[CHECK_TEXT_MAX];

		if (o != NULL)
			conf_origin_format(o, origin, sizeof(origin));
		else
			(void)str_copy(origin, ck->conf.path, sizeof(origin));
		*res = NULL;
		if (rc == EAI_NONAME) {
			(void)snprintf(hint, sizeof(hint), "check the "
			    "spelling of host (%s): a typo?", origin);
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    hint, NULL, "no such host %s", r->host);
		} else if (rc == EAI_AGAIN)
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    "is a name server reachable? see /etc/resolv.conf",
			    NULL, "cannot resolve %s: temporary DNS failure",
			    r->host);
		else
			check_report(ck, CK_DNS, CHECK_FAIL, check_ms(t0),
			    "check host in the [relay]", NULL,
			    "cannot resolve %s: %s", r->host,
			    rc == EAI_SYSTEM ? strerror(errno) :
			    gai_strerror(rc));
		return NULL;
	}
	list[0] = '\0';
	for (ai = *res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)str_copy(addr, "?", sizeof(addr));
		if (list[0] != '\0')
			(void)str_append(list, ", ", sizeof(list));
		(void)str_append(list, addr, sizeof(list));
	}
	check_report(ck, CK_DNS, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s -> %s", r->host, list);
	for (ai = *res; ai != NULL && n < CHECK_ADDRS_MAX; ai = ai->ai_next) {
		n++;
		one = *ai;
		one.ai_next = NULL;
		t0 = now_ms();
		cc->conn = conn_connect_ai(r->host, r->port, &one,
		    check_cap(ck, ck->conf.t_connect), &why);
		err = errno;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)str_copy(addr, "?", sizeof(addr));
		if (cc->conn != NULL) {
			good = ai;
			check_report(ck, CK_CONNECT, CHECK_OK, check_ms(t0),
			    NULL, NULL, ai->ai_family == AF_INET6 ?
			    "[%s]:%u" : "%s:%u", addr, r->port);
			break;
		}
		ferr[nfail] = err;
		cc->connect_errno = err;
		fms[nfail] = check_ms(t0);
		(void)snprintf(fails[nfail], sizeof(fails[nfail]),
		    ai->ai_family == AF_INET6 ? "[%s]:%u: %s" : "%s:%u: %s",
		    addr, r->port, ferr[nfail] == ETIMEDOUT ? "timed out" :
		    ferr[nfail] == ECONNREFUSED ? "connection refused" :
		    strerror(ferr[nfail]));
		nfail++;
	}
	/* before the greeting: a failed address costs time, not mail */
	for (i = 0; i < nfail; i++)
		check_report(ck, CK_CONNECT, good != NULL ? CHECK_WARN :
		    CHECK_FAIL, fms[i], check_connect_hint(ferr[i], r->port),
		    NULL, "%s", fails[i]);
	return good;
}

/* check_greeting - the 220.  Returns 0 when the session goes on. */
static int
check_greeting(struct check_conn *cc, const struct addrinfo *ai)
{
	struct check			*ck = cc->ck;
	const struct smtp_failure	*f = &cc->smtp.failure;
	char				 text[CHECK_TEXT_MAX];
	char				 hint[CHECK_TEXT_MAX];
	int64_t				 t0 = now_ms(), ms;

	check_run(cc, CHECK_BIT(SMTP_S_GREETING));
	ms = check_ms(t0);
	if (cc->smtp.state != SMTP_S_GREETING && !(check_over(cc) &&
	    f->stage == SMTP_S_GREETING)) {
		/* the parser still holds the greeting: EHLO's is unread */
		check_last_reply(cc, text, sizeof(text));
		check_report(ck, CK_GREETING, CHECK_OK, ms, NULL, NULL, "%s",
		    text);
		return 0;
	}
	check_failure(cc, text, sizeof(text));
	hint[0] = '\0';
	if (f->kind == SMTP_E_REPLY)
		(void)snprintf(hint, sizeof(hint), "the server turns this "
		    "host away (%s): a block list, a wrong port, or too "
		    "many connections", f->why.code == 421 ? "for now" :
		    "for good");
	else if (f->kind == SMTP_E_IO && cc->r->tls != CONF_TLS_IMPLICIT &&
	    (cc->io_errno == ETIMEDOUT || cc->io_errno == EPROTO)) {
		if (cc->io_errno == EPROTO || check_probe_implicit(cc, ai))
			(void)tlsprobe_fix_implicit(cc->r->port, hint,
			    sizeof(hint));
		else
			(void)snprintf(hint, sizeof(hint), "the server sent "
			    "no greeting: a wrong port, or an overloaded "
			    "server");
	}
	check_report(ck, CK_GREETING, CHECK_FAIL, ms, hint[0] ? hint : NULL,
	    NULL, "%s", text);
	return -1;
}

/* check_starttls - STARTTLS, the handshake, the certificate, EHLO again */
static int
check_starttls(struct check_conn *cc)
{
	struct check	*ck = cc->ck;
	char		 text[CHECK_TEXT_MAX];
	int64_t		 t0 = now_ms();

	if (cc->smtp.state != SMTP_S_STARTTLS)
		return check_over(cc) ? -1 : 0;
	check_run(cc, CHECK_BIT(SMTP_S_STARTTLS));
	if (cc->smtp.state != SMTP_S_TLS) {
		check_failure(cc, text, sizeof(text));
		check_report(ck, CK_STARTTLS, CHECK_FAIL, check_ms(t0), NULL,
		    NULL, "%s", text);
		return -1;
	}
	check_last_reply(cc, text, sizeof(text));
	check_report(ck, CK_STARTTLS, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s", text);
	if (check_tls(cc, CK_TLS, CK_CERT) == -1) {
		smtp_io_error(&cc->smtp, "TLS failed");
		return -1;
	}
	smtp_tls_done(&cc->smtp);
	return check_hello(cc, CK_EHLO_TLS);
}

/* check_relay_warnings - configuration choices that weaken a relay */
static void
check_relay_warnings(struct check *ck, const struct conf_relay *r)
{
	if (r->tls == CONF_TLS_NONE)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, "use tls = "
		    "starttls (port 587) or tls = implicit (port 465) unless "
		    "this relay is on a trusted network", NULL, "tls = none: "
		    "mail%s crosses the network in clear",
		    r->user != NULL ? " and the password" : "");
	else if (!r->tls_verify && r->tls_npins == 0)
		check_report(ck, CK_CONFIG, CHECK_WARN, -1, "remove tls_verify "
		    "= no; for a private CA set tls_ca_file, for a "
		    "self-signed certificate tls_pins", NULL, "tls_verify = "
		    "no: the relay's certificate is not checked");
	check_ports_rules(ck, r);
}

/* check_one_relay - every step for relay index i */
void
check_one_relay(struct check *ck, size_t i)
{
	const struct conf_relay	*r = &ck->conf.relays[i];
	struct check_conn	 cc;
	struct smtp_params	 p;
	struct addrinfo		*res = NULL;
	const struct addrinfo	*ai;
	struct why		 why;

	ck->relay = i + 1;
	ck->reported = 0;
	ck->failed_label = NULL;
	memset(&cc, 0, sizeof(cc));
	cc.ck = ck;
	cc.r = r;
	if (!ck->json) {
		printf("relay %zu: %s (tls = %s%s%s)\n", i + 1, r->name,
		    conf_tls_name(r->tls), r->user != NULL ? ", user " : "",
		    r->user != NULL ? r->user : "");
	}
	check_relay_warnings(ck, r);
	if (r->tls != CONF_TLS_NONE &&
	    (cc.tlsc = tls_client_new(r, &why)) == NULL) {
		check_report(ck, CK_CONFIG, CHECK_FAIL, -1, NULL, NULL,
		    "TLS settings: %s", why.text);
		goto out;
	}
	if (check_token(ck, r) == -1)
		goto out;
	if ((ai = check_connect(&cc, &res)) == NULL) {
		check_ports(ck, r, res, cc.connect_errno);
		goto out;
	}
	if (r->tls == CONF_TLS_IMPLICIT &&
	    check_tls(&cc, CK_TLS_IMPLICIT, CK_CERT_IMPLICIT) == -1)
		goto out;
	memset(&p, 0, sizeof(p));
	p.helo_name = ck->conf.hostname;
	p.tls_active = r->tls == CONF_TLS_IMPLICIT;
	p.starttls = r->tls == CONF_TLS_STARTTLS;
	cc.ops.start = check_auth_start;
	cc.ops.step = check_auth_step;
	cc.ops.arg = &cc;
	p.auth = r->user != NULL ? &cc.ops : NULL;
	p.allow_plaintext_auth = r->allow_plaintext_auth;
	smtp_init(&cc.smtp, &p);
	cc.smtp_live = true;
	if (check_greeting(&cc, ai) == -1 || check_hello(&cc, CK_EHLO) == -1 ||
	    check_starttls(&cc) == -1 || check_auth(&cc) == -1)
		goto out;
	if (cc.smtp.state == SMTP_S_READY)
		check_relay_test(&cc);
out:
	check_conn_close(&cc);
	if (res != NULL)
		freeaddrinfo(res);
	tls_client_free(cc.tlsc);
	check_skip_rest(ck, r);
	ck->relay = 0;
}
