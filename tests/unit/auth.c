/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.c - unit tests for src/agent/auth.c through the real Cyrus SASL
 * client plugins: mechanism order and intersection, refusal without TLS,
 * the exact PLAIN, LOGIN, CRAM-MD5 (RFC 2195 example) and SCRAM bytes,
 * XOAUTH2/OAUTHBEARER formats from a token_command, password_command,
 * command failures, and auth_explain's words.
 */
#include "config.h"

#include "auth.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

#define XOAUTH2_WANT	"user=me@example.com\001auth=Bearer ya29.tok\001\001"
#define OAUTHBEARER_WANT "n,a=a=2Cb=3Dc,\001host=smtp.example.com\001" \
			"port=587\001auth=Bearer ya29.tok\001\001"

/* starts - got begins with prefix */
static int
starts(const char *got, const char *prefix)
{
	return strncmp(got, prefix, strlen(prefix)) == 0;
}

/* relay - a relay with user and password */
static struct conf_relay
relay(const char *user, const char *pass)
{
	struct conf_relay	r;

	memset(&r, 0, sizeof(r));
	r.host = (char *)"smtp.example.com";
	r.port = 587;
	r.tls = CONF_TLS_STARTTLS;
	r.tls_verify = true;
	r.user = (char *)user;
	r.password = (char *)pass;
	return r;
}

/* order - auth_candidates as one space-separated string */
static const char *
order(const struct conf_relay *r, const char *offered)
{
	static char		 out[256];
	struct auth_session	*as;
	struct why		 why;
	const char		*m[AUTH_MECHS_MAX];
	size_t			 n, i;

	out[0] = '\0';
	if ((as = auth_new(r, true, &why)) == NULL) {
		str_copy(out, why.text, sizeof(out));
		return out;
	}
	n = auth_candidates(as, offered, m, AUTH_MECHS_MAX);
	for (i = 0; i < n; i++) {
		if (i > 0)
			str_append(out, " ", sizeof(out));
		str_append(out, m[i], sizeof(out));
	}
	auth_free(as);
	return out;
}

/* bytes_is - raw response equality with a readable diagnostic */
static void
bytes_is(const unsigned char *got, size_t n, const char *want, size_t wn,
    const char *what)
{
	size_t	i;

	if (!ok(got != NULL && n == wn && memcmp(got, want, n) == 0, "%s",
	    what)) {
		printf("#   got (%zu):", n);
		for (i = 0; got != NULL && i < n; i++)
			printf(" %02x", got[i]);
		printf("\n");
	}
}

/* explain - auth_explain text */
static const char *
explain(int code, const char *enh, const char *text)
{
	static struct why	why;

	auth_explain(code, enh, text, &why);
	return why.text;
}

int
main(void)
{
	struct conf_relay	 r;
	struct auth_session	*as;
	struct why		 why;
	const char		*mech;
	const unsigned char	*resp;
	size_t			 len;
	const char		*all = "LOGIN PLAIN CRAM-MD5 DIGEST-MD5 NTLM "
				    "SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 "
				    "OAUTHBEARER";

	/* refusals */
	r = relay("user", "pass");
	as = auth_new(&r, false, &why);
	ok(as == NULL, "no AUTH without TLS");
	is_str(why.text, "refusing to send credentials for user over an "
	    "unencrypted connection to smtp.example.com: use tls = starttls "
	    "or tls = implicit, or set allow_plaintext_auth = yes if the "
	    "network is trusted", "and the reason says how to fix it");
	r.allow_plaintext_auth = true;
	as = auth_new(&r, false, &why);
	ok(as != NULL, "allow_plaintext_auth permits it");
	auth_free(as);
	r = relay(NULL, NULL);
	ok(auth_new(&r, true, &why) == NULL && strncmp(why.text, "no user "
	    "configured", 18) == 0, "no user: %s", why.text);

	/* ordering and intersection */
	r = relay("user", "pass");
	is_str(order(&r, all), "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN "
	    "LOGIN", "default: strongest first, no OAuth without a token, "
	    "no DIGEST-MD5/NTLM");
	is_str(order(&r, "login plain"), "PLAIN LOGIN",
	    "server list is case-insensitive, our order wins");
	r.auth_mechanisms = (char *)"LOGIN PLAIN DIGEST-MD5";
	is_str(order(&r, all), "DIGEST-MD5 PLAIN LOGIN",
	    "auth_mechanisms restricts and may enable DIGEST-MD5");
	r.auth_mechanisms = NULL;
	r.token_command = (char *)"echo tok";
	is_str(order(&r, all), "OAUTHBEARER XOAUTH2 SCRAM-SHA-256 "
	    "SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN", "token_command puts OAuth "
	    "first");
	r.password = NULL;
	is_str(order(&r, all), "OAUTHBEARER XOAUTH2", "no password: OAuth "
	    "only");
	is_str(order(&r, "PLAIN LOGIN"), "", "nothing in common");
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "PLAIN LOGIN", &mech, &resp, &len, &why) == -1,
	    "auth_start with nothing in common fails");
	is_str(why.text, "no authentication mechanism in common with "
	    "smtp.example.com: server offers 'PLAIN LOGIN', auth_mechanisms "
	    "allows '(default: SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN "
	    "LOGIN, XOAUTH2 OAUTHBEARER with token_command)' "
	    "(XOAUTH2/OAUTHBEARER need token_command or oauth_flow)",
	    "and says why");
	auth_free(as);

	/* PLAIN through Cyrus: "\0user\0pass" */
	r = relay("user", "pass");
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "PLAIN", &mech, &resp, &len, &why) == 0,
	    "PLAIN start: %s", why.text);
	is_str(mech, "PLAIN", "mechanism PLAIN");
	bytes_is(resp, len, "\0user\0pass", 10, "PLAIN initial response "
	    "\\0user\\0pass");
	auth_free(as);

	/* LOGIN: no initial response, then user, then password */
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "LOGIN", &mech, &resp, &len, &why) == 0,
	    "LOGIN start: %s", why.text);
	ok(resp == NULL && len == 0, "LOGIN has no initial response");
	ok(auth_step(as, (const unsigned char *)"Username:", 9, &resp, &len,
	    &why) == 0, "LOGIN step 1: %s", why.text);
	bytes_is(resp, len, "user", 4, "LOGIN sends the user");
	ok(auth_step(as, (const unsigned char *)"Password:", 9, &resp, &len,
	    &why) == 0, "LOGIN step 2: %s", why.text);
	bytes_is(resp, len, "pass", 4, "LOGIN sends the password");
	auth_free(as);

	/* CRAM-MD5, RFC 2195 section 2 example */
	r = relay("tim", "tanstaaftanstaaf");
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "CRAM-MD5", &mech, &resp, &len, &why) == 0 &&
	    resp == NULL, "CRAM-MD5 start, server first: %s", why.text);
	ok(auth_step(as, (const unsigned char *)
	    "<1896.697170952@postoffice.reston.mci.net>", 42, &resp, &len,
	    &why) == 0, "CRAM-MD5 step: %s", why.text);
	bytes_is(resp, len, "tim b913a602c7eda7a495b4e6e7334d3890", 36,
	    "CRAM-MD5 response is RFC 2195's");
	auth_free(as);

	/* SCRAM-SHA-256 picked over PLAIN; client-first message */
	r = relay("user", "pass");
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "PLAIN SCRAM-SHA-256", &mech, &resp, &len, &why) ==
	    0, "SCRAM start: %s", why.text);
	is_str(mech, "SCRAM-SHA-256", "SCRAM-SHA-256 preferred");
	ok(resp != NULL && len > 12 && memcmp(resp, "n,,n=user,r=", 12) == 0,
	    "client-first-message: %.*s", (int)len, resp != NULL ?
	    (const char *)resp : "");
	ok(auth_step(as, (const unsigned char *)"garbage", 7, &resp, &len,
	    &why) == -1, "a malformed server-first message is refused: %s",
	    why.text);
	auth_free(as);

	/* XOAUTH2 and OAUTHBEARER with a token_command */
	r = relay("me@example.com", NULL);
	r.token_command = (char *)"printf 'ya29.tok\\n'";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "XOAUTH2 PLAIN", &mech, &resp, &len, &why) == 0,
	    "XOAUTH2 start: %s", why.text);
	is_str(mech, "XOAUTH2", "mechanism XOAUTH2");
	bytes_is(resp, len, XOAUTH2_WANT, sizeof(XOAUTH2_WANT) - 1,
	    "XOAUTH2 initial response");
	ok(auth_step(as, (const unsigned char *)"{\"status\":\"400\"}", 16,
	    &resp, &len, &why) == 0 && len == 0, "XOAUTH2 error challenge: "
	    "empty answer");
	auth_free(as);

	r.user = (char *)"a,b=c";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "OAUTHBEARER XOAUTH2", &mech, &resp, &len, &why) ==
	    0, "OAUTHBEARER start: %s", why.text);
	is_str(mech, "OAUTHBEARER", "OAUTHBEARER preferred");
	bytes_is(resp, len, OAUTHBEARER_WANT, sizeof(OAUTHBEARER_WANT) - 1,
	    "OAUTHBEARER initial response (RFC 7628, escaped authzid)");
	ok(auth_step(as, (const unsigned char *)
	    "{\"status\":\"invalid_token\"}", 26, &resp, &len, &why) == 0,
	    "OAUTHBEARER error challenge");
	bytes_is(resp, len, "\001", 1, "answered with %x01");
	auth_free(as);

	/* token_command failures */
	r.user = (char *)"me";
	r.token_command = (char *)"echo 'invalid_grant: refresh token "
	    "expired' >&2; exit 2";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "XOAUTH2", &mech, &resp, &len, &why) == -1,
	    "failing token_command fails AUTH");
	is_str(why.text, "token_command: exited with status 2: invalid_grant: "
	    "refresh token expired", "with its stderr first line");
	auth_free(as);
	r.token_command = (char *)"printf 'a\\nb\\n'";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "XOAUTH2", &mech, &resp, &len, &why) == -1 &&
	    strstr(why.text, "line break") != NULL, "two-line token "
	    "refused: %s", why.text);
	auth_free(as);
	/* (the timeout itself is tested in tests/unit/run.c) */

	/* password_command */
	r = relay("user", NULL);
	r.password_command = (char *)"echo s3cret";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "PLAIN", &mech, &resp, &len, &why) == 0,
	    "password_command: %s", why.text);
	bytes_is(resp, len, "\0user\0s3cret", 12, "PLAIN with its password");
	auth_free(as);
	r.password_command = (char *)"exit 1";
	as = auth_new(&r, true, &why);
	ok(auth_start(as, "PLAIN", &mech, &resp, &len, &why) == -1 &&
	    strcmp(why.text, "password_command: exited with status 1") == 0,
	    "failing password_command: %s", why.text);
	auth_free(as);

	/* two sessions, two relays: nothing shared */
	{
		struct conf_relay	 r1 = relay("one", "pw1");
		struct conf_relay	 r2 = relay("two", "pw2");
		struct auth_session	*a1 = auth_new(&r1, true, &why);
		struct auth_session	*a2 = auth_new(&r2, true, &why);
		const unsigned char	*p1, *p2;
		size_t			 l1, l2;

		ok(auth_start(a1, "PLAIN", &mech, &p1, &l1, &why) == 0 &&
		    auth_start(a2, "PLAIN", &mech, &p2, &l2, &why) == 0,
		    "two sessions at once");
		bytes_is(p1, l1, "\0one\0pw1", 8, "session 1 has its own "
		    "credentials");
		bytes_is(p2, l2, "\0two\0pw2", 8, "session 2 has its own "
		    "credentials");
		auth_free(a1);
		auth_free(a2);
	}

	/* auth_explain */
	is_str(explain(535, "5.7.8", "Username and Password not accepted"),
	    "authentication failed: wrong user name or password (check user "
	    "in postern.conf and the password in the secrets file) (server "
	    "said: 535 5.7.8 Username and Password not accepted)", "535");
	ok(starts(explain(534, "5.7.9", "Application-specific password "
	    "required"), "application-specific password required: create an "
	    "app password"), "534 5.7.9: app password");
	ok(starts(explain(530, "5.7.0", "Must issue a STARTTLS command "
	    "first"),
	    "the server requires STARTTLS before authentication"),
	    "530 STARTTLS first");
	ok(starts(explain(530, "", "Authentication required"),
	    "the server requires authentication"), "530");
	ok(starts(explain(538, "5.7.11", "Encryption required"), "the server "
	    "requires an encrypted connection for this mechanism"),
	    "538");
	ok(starts(explain(535, "5.7.139", "Authentication unsuccessful, "
	    "basic authentication is disabled."), "the provider has disabled "
	    "password (basic) authentication: use XOAUTH2 (oauth_flow, "
	    "or a token_command)"), "Microsoft basic auth disabled");
	ok(starts(explain(535, "5.7.139", "Authentication unsuccessful, "
	    "SmtpClientAuthentication is disabled for the Tenant."),
	    "authenticated SMTP is disabled for this mailbox"),
	    "Microsoft SMTP AUTH disabled for the tenant");
	ok(starts(explain(454, "4.7.0", "Temporary authentication failure"),
	    "temporary authentication failure at the server: will retry"),
	    "454");
	auth_explain(454, "4.7.0", "x", &why);
	ok(why.code == 454 && strcmp(why.enh, "4.7.0") == 0, "code and "
	    "enhanced status kept");
	is_str(explain(500, NULL, "what"), "authentication failed (server "
	    "said: 500 what)", "anything else");

	auth_free(NULL);
	auth_global_done();
	return done_testing();
}
