/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.c - unit tests for src/agent/tls.c through conn_starttls(), against
 * a small GnuTLS server forked from this test (session tickets on), with
 * certificates made by tests/lib/tls-certs-unit.sh: verified, name
 * mismatch, self-signed, unknown CA, expired, not yet valid, pins (match,
 * mismatch, match that bypasses the CA), verification off, resumption
 * (TLS 1.3 and 1.2), handshake deadline, plain banner on implicit TLS.
 */
#include "config.h"

#include "conn.h"
#include "run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "buf.h"
#include "tap.h"
#include "util.h"
#include "certs.h"

enum srv_mode {
	SRV_TLS,	/* handshake, echo one read, close */
	SRV_PLAIN,	/* an SMTP banner in clear */
};

/* under the build directory, removed at the end */
static char	dir[] = "tls-unit-XXXXXX";
static pid_t	servers[16];
static size_t	nservers;

/* listen_any - 127.0.0.1, a free port */
static int
listen_any(unsigned *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("listen");
		exit(99);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* srv_tls_one - serve one TLS connection */
static void
srv_tls_one(int fd, gnutls_certificate_credentials_t x, gnutls_datum_t *tk)
{
	gnutls_session_t	s;
	char			buf[256];
	ssize_t			r;
	int			rc;

	if (gnutls_init(&s, GNUTLS_SERVER) < 0)
		return;
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, x);
	gnutls_session_ticket_enable_server(s, tk);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 5000);
	gnutls_record_set_timeout(s, 5000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc == 0) {
		do
			r = gnutls_record_recv(s, buf, sizeof(buf));
		while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		if (r > 0)
			(void)gnutls_record_send(s, buf, (size_t)r);
		(void)gnutls_bye(s, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(s);
}

/* srv_start - fork a server for cert/key (SRV_TLS) or a banner; its port */
static unsigned
srv_start(enum srv_mode mode, const char *name)
{
	gnutls_certificate_credentials_t x;
	gnutls_datum_t	tk;
	char		cert[256], key[256], buf[256];
	unsigned	port;
	int		lfd, fd;
	pid_t		pid;

	lfd = listen_any(&port);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(99);
	}
	if (pid > 0) {
		close(lfd);
		servers[nservers++] = pid;
		return port;
	}
	signal(SIGPIPE, SIG_IGN);
	if (mode == SRV_TLS) {
		snprintf(cert, sizeof(cert), "%s/%s.pem", dir, name);
		snprintf(key, sizeof(key), "%s/%s.key", dir, name);
		if (gnutls_certificate_allocate_credentials(&x) < 0 ||
		    gnutls_certificate_set_x509_key_file(x, cert, key,
		    GNUTLS_X509_FMT_PEM) < 0 ||
		    gnutls_session_ticket_key_generate(&tk) < 0)
			_exit(98);
	}
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if (mode == SRV_TLS)
			srv_tls_one(fd, x, &tk);
		else {
			if (write(fd, "220 plain.example ESMTP\r\n", 25) != 25)
				_exit(97);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		}
		close(fd);
	}
}

/* relay - a [relay] for the test server */
static struct conf_relay
relay(const char *host, unsigned port, enum conf_tls mode, bool verify,
    const char *ca)
{
	struct conf_relay	r;
	static char		ca_path[3][256];
	static int		k;

	memset(&r, 0, sizeof(r));
	r.host = (char *)host;
	r.port = port;
	r.tls = mode;
	r.tls_verify = verify;
	if (ca != NULL) {
		k = (k + 1) % 3;
		snprintf(ca_path[k], sizeof(ca_path[k]), "%s/%s.pem", dir, ca);
		r.tls_ca_file = ca_path[k];
	}
	return r;
}

/* attempt - connect to 127.0.0.1:port and handshake; NULL with why */
static struct conn *
attempt(struct tls_client *tc, unsigned port, int64_t ms, struct why *why)
{
	struct conn	*c;

	if ((c = conn_connect("127.0.0.1", port, 5, why)) == NULL)
		return NULL;
	if (conn_starttls(c, tc, now_ms() + ms, why) == -1) {
		conn_close(c);
		return NULL;
	}
	return c;
}

/* echo - one line through TLS and back (lets TLS 1.3 tickets arrive) */
static bool
echo(struct conn *c)
{
	struct why	why;
	char		buf[64];
	size_t		got = 0;
	ssize_t		r;

	if (conn_write_all(c, "ping\r\n", 6, now_ms() + 2000, &why) == -1)
		return false;
	while (got < 6) {
		r = conn_read(c, buf + got, sizeof(buf) - got, now_ms() + 2000,
		    &why);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return memcmp(buf, "ping\r\n", 6) == 0;
}

/* expect_fail - a handshake to port must fail with want in the reason */
static void
expect_fail(struct conf_relay *r, unsigned port, const char *want,
    const char *what)
{
	struct tls_client	*tc;
	struct conn		*c = NULL;
	struct why		 why;

	tc = tls_client_new(r, &why);
	if (tc != NULL)
		c = attempt(tc, port, 3000, &why);
	if (!ok(c == NULL && strstr(why.text, want) != NULL, "%s", what))
		diag("got: %s", c != NULL ? "(connected)" : why.text);
	else
		diag("%s", why.text);
	conn_close(c);
	tls_client_free(tc);
}

int
main(void)
{
	struct conf_relay	 r;
	struct tls_client	*tc;
	struct tls_peer_info	 info;
	struct conn		*c;
	struct why		 why;
	char			 cmd[1024], out[1024], pin[128], pin2[128];
	char			 spki[128];
	unsigned		 p_good, p_other, p_self, p_expired, p_future;
	unsigned		 p_plain, p_silent;
	int			 silent, i;
	int64_t			 t0, dt;

	signal(SIGPIPE, SIG_IGN);
	if ((i = certs_make(dir)) != 0)
		return i;

	p_good = srv_start(SRV_TLS, "good");
	p_other = srv_start(SRV_TLS, "other");
	p_self = srv_start(SRV_TLS, "self");
	p_expired = srv_start(SRV_TLS, "expired");
	p_future = srv_start(SRV_TLS, "future");
	p_plain = srv_start(SRV_PLAIN, NULL);
	silent = listen_any(&p_silent);	/* accepts (backlog), never talks */

	/* verified, then resumed */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	tc = tls_client_new(&r, &why);
	ok(tc != NULL, "tls_client_new with tls_ca_file: %s", why.text);
	c = attempt(tc, p_good, 3000, &why);
	ok(c != NULL, "good certificate verified: %s", why.text);
	if (c != NULL) {
		tls_peer_info(conn_tls(c), &info);
		is_str(info.verification, "verified", "peer info: verified");
		ok(info.verified && !info.resumed, "first handshake is full");
		is_str(info.protocol, "TLS1.3", "protocol TLS1.3");
		ok(info.cipher[0] != '\0', "cipher %s", info.cipher);
		diag("description: %s", info.description);
		is_str(info.subject, "CN=localhost", "subject");
		is_str(info.issuer, "CN=postern unit test CA", "issuer");
		is_str(info.sans, "localhost, 127.0.0.1", "SANs");
		ok(strlen(info.not_before) == 23 && strlen(info.not_after) ==
		    23, "validity %s .. %s", info.not_before, info.not_after);
		ok(echo(c), "data through TLS");
		snprintf(cmd, sizeof(cmd), "certtool --fingerprint --hash "
		    "sha256 --infile '%s/good.pem'", dir);
		shell_out(cmd, out, sizeof(out));
		str_copy(pin, "sha256:", sizeof(pin));
		str_append(pin, out, sizeof(pin));
		is_str(info.fingerprint, pin, "fingerprint agrees with "
		    "certtool");
		snprintf(cmd, sizeof(cmd), "certtool --key-id --hash sha256 "
		    "--infile '%s/good.pem'", dir);
		shell_out(cmd, out, sizeof(out));
		str_copy(spki, "pubkey-sha256:", sizeof(spki));
		str_append(spki, out, sizeof(spki));
		is_str(info.pubkey_pin, spki, "SPKI pin agrees with certtool "
		    "--key-id");
	}
	conn_close(c);
	for (i = 0; i < 2; i++) {
		c = attempt(tc, p_good, 3000, &why);
		ok(c != NULL && tls_resumed(conn_tls(c)), "TLS 1.3 "
		    "reconnect %d resumes the session", i + 1);
		ok(c != NULL && echo(c), "and carries data");
		conn_close(c);
	}
	tls_client_forget(tc);
	c = attempt(tc, p_good, 3000, &why);
	ok(c != NULL && !tls_resumed(conn_tls(c)), "after forget: full "
	    "handshake");
	conn_close(c);
	tls_client_free(tc);

	/* TLS 1.2 through tls_priority, resumed too */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	r.tls_priority = (char *)"NORMAL:-VERS-ALL:+VERS-TLS1.2";
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "TLS 1.2 by priority: %s", why.text);
	if (c != NULL) {
		tls_peer_info(conn_tls(c), &info);
		is_str(info.protocol, "TLS1.2", "protocol TLS1.2");
		ok(echo(c), "TLS 1.2 data");
	}
	conn_close(c);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL && tls_resumed(conn_tls(c)), "TLS 1.2 reconnect "
	    "resumes");
	conn_close(c);
	tls_client_free(tc);

	/* verification by IP address (SAN iPAddress, no SNI) */
	r = relay("127.0.0.1", 587, CONF_TLS_STARTTLS, true, "ca");
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "IP address matches an iPAddress SAN: %s", why.text);
	conn_close(c);
	tls_client_free(tc);

	/* the failures, in words */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	expect_fail(&r, p_other, "name mismatch: wanted localhost, "
	    "certificate has other.example, alt.example", "name mismatch");
	r.tls_server_name = (char *)"mail.x.com";
	expect_fail(&r, p_good, "name mismatch: wanted mail.x.com, "
	    "certificate has localhost, 127.0.0.1",
	    "tls_server_name is the name checked");
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	expect_fail(&r, p_self, "issuer not trusted (self-signed "
	    "certificate)", "self-signed");
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "self");
	expect_fail(&r, p_good, "signed by an unknown authority: "
	    "CN=postern unit test CA", "unknown authority");
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	expect_fail(&r, p_expired, "certificate expired on 2021-01-02",
	    "expired");
	expect_fail(&r, p_future, "certificate not yet valid (valid from "
	    "2099-01-01", "not yet valid");
	/* the system trust store does not know the test CA */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, NULL);
	expect_fail(&r, p_good, "signed by an unknown authority: CN=postern "
	    "unit test CA", "system trust store");

	/* pins */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, NULL);
	r.tls_pins[0] = pin;
	r.tls_npins = 1;
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "certificate pin matches: %s", why.text);
	if (c != NULL) {
		tls_peer_info(conn_tls(c), &info);
		ok(strncmp(info.verification, "pin matched (sha256:", 20) ==
		    0 && info.verified, "peer info: %s", info.verification);
	}
	conn_close(c);
	/* a pin match is sufficient (DANE-EE-like): wrong name is fine */
	r.host = (char *)"mail.x.com";
	tls_client_free(tc);
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "pin match bypasses CA and name checks");
	conn_close(c);
	tls_client_free(tc);
	r.host = (char *)"localhost";
	r.tls_pins[0] = spki;
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "pubkey pin matches: %s", why.text);
	conn_close(c);
	tls_client_free(tc);
	/* uppercase with colons is accepted */
	str_copy(pin2, "SHA256:", sizeof(pin2));
	for (i = 7; pin[i] != '\0'; i += 2) {
		char two[4] = { pin[i], pin[i + 1], ':', '\0' };

		two[0] = (char)(two[0] >= 'a' ? two[0] - 32 : two[0]);
		two[1] = (char)(two[1] >= 'a' ? two[1] - 32 : two[1]);
		str_append(pin2, two, sizeof(pin2));
	}
	pin2[strlen(pin2) - 1] = '\0';
	r.tls_pins[0] = pin2;
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_good, 3000, &why) : NULL;
	ok(c != NULL, "pin in upper case with colons: %s", why.text);
	conn_close(c);
	tls_client_free(tc);
	r.tls_pins[0] = pin;
	snprintf(out, sizeof(out), "pin mismatch: got sha256:");
	expect_fail(&r, p_other, out, "pin mismatch");
	r.tls_verify = false;
	expect_fail(&r, p_other, "expected sha256:", "tls_verify = no does "
	    "not disable pins");
	r.tls_pins[0] = (char *)"sha256:1234";
	tc = tls_client_new(&r, &why);
	ok(tc == NULL && strstr(why.text, "bad tls_pin 'sha256:1234'") !=
	    NULL, "malformed pin refused: %s", why.text);
	tls_client_free(tc);

	/* verification off: encryption only */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, false, NULL);
	tc = tls_client_new(&r, &why);
	c = tc != NULL ? attempt(tc, p_self, 3000, &why) : NULL;
	ok(c != NULL, "tls_verify = no connects to a self-signed server");
	if (c != NULL) {
		tls_peer_info(conn_tls(c), &info);
		is_str(info.verification, "not verified (tls_verify = no)",
		    "and says so");
		ok(!info.verified, "not verified");
	}
	conn_close(c);
	tls_client_free(tc);

	/* bad settings */
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "ca");
	r.tls_priority = (char *)"NORMAL:+NO-SUCH-THING";
	tc = tls_client_new(&r, &why);
	ok(tc == NULL && strstr(why.text, "string at '+NO-SUCH-THING'") != NULL,
	    "bad priority string names the position: %s", why.text);
	r = relay("localhost", 587, CONF_TLS_STARTTLS, true, "nonexistent");
	tc = tls_client_new(&r, &why);
	ok(tc == NULL && strstr(why.text, "nonexistent.pem: No such file "
	    "or directory") != NULL, "missing CA file: %s", why.text);

	/* deadline: a server that accepts and never answers */
	r = relay("localhost", 465, CONF_TLS_IMPLICIT, true, "ca");
	tc = tls_client_new(&r, &why);
	t0 = now_ms();
	c = tc != NULL ? attempt(tc, p_silent, 400, &why) : NULL;
	dt = now_ms() - t0;
	ok(c == NULL && strstr(why.text, "TLS handshake timed out") != NULL &&
	    errno == ETIMEDOUT, "silent server: %s", why.text);
	ok(dt >= 390 && dt < 1500, "handshake gave up at the deadline "
	    "(%lld ms)", (long long)dt);
	tls_client_free(tc);

	/* implicit TLS against a plain SMTP server */
	r = relay("localhost", 587, CONF_TLS_IMPLICIT, true, "ca");
	expect_fail(&r, p_plain, "server does not speak TLS on this port "
	    "(port 587 expects STARTTLS: set tls = starttls): it sent "
	    "\"220 plain.example ESMTP\"",
	    "plain banner on implicit TLS: the hint, quoting the banner");
	r.port = 25;
	expect_fail(&r, p_plain, "(port 25 expects STARTTLS", "port 25 too");

	close(silent);
	for (i = 0; i < (int)nservers; i++) {
		kill(servers[i], SIGKILL);
		waitpid(servers[i], NULL, 0);
	}
	certs_remove(dir);
	return done_testing();
}
