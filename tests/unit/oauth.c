/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth.c - unit tests of the OAuth2 module's pure parts: the advice for
 * every endpoint error users meet (each names its own cause, none the
 * generic one), the Exchange and Gmail AUTH advice, base64url (RFC 4648
 * test vectors, no padding), the refresh token file's default path, and
 * the private file's write (mode 600, whole content, no temporary left,
 * an old file replaced whole) and read (refused when others may read it
 * or another user owns it).  The network paths are agent-oauth*.sh's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "oauth.h"
#include "oauth_int.h"
#include "tap.h"
#include "util.h"

static const char *const generic = "the token endpoint refused the request";

/* test_advice - each error its own words */
static void
test_advice(void)
{
	static const struct {
		const char	*error;
		unsigned long	 code;
		const char	*needle;
	} cases[] = {
		{ "invalid_client", 7000215, "client secret is wrong" },
		{ "invalid_client", 7000222, "secret has expired" },
		{ "unauthorized_client", 700016, "not known in this tenant" },
		{ "invalid_request", 90002, "tenant does not exist" },
		{ "invalid_client", 700027, "assertion (certificate)" },
		{ "invalid_client", 700024, "clock" },
		{ "invalid_grant", 70000, "postern oauth login" },
		{ "invalid_grant", 700082, "postern oauth login" },
		{ "invalid_grant", 65001, "admin consent" },
		{ "invalid_grant", 0, "postern oauth login" },
		{ "unauthorized_client", 0, "domain-wide delegation" },
		{ "invalid_scope", 0, "oauth_scope" },
	};
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *w = oauth_advice(cases[i].error, cases[i].code);

		ok(strstr(w, cases[i].needle) != NULL, "%s AADSTS%lu: '%s'",
		    cases[i].error, cases[i].code, w);
	}
	is_str(oauth_advice("server_error", 0), generic,
	    "an unknown error: the generic words");
	is_str(oauth_advice("invalid_grant", 123), oauth_advice(
	    "invalid_grant", 0), "an unknown AADSTS code: the error's words");
	ok(strstr(oauth_auth_advice(535, "5.7.3", "Authentication "
	    "unsuccessful"), "New-ServicePrincipal") != NULL &&
	    strstr(oauth_auth_advice(535, "", "5.7.3 Authentication "
	    "unsuccessful"), "SmtpClientAuthenticationDisabled $false") !=
	    NULL, "535 5.7.3: the Exchange steps");
	ok(strstr(oauth_auth_advice(535, "5.7.8", "Username and Password "
	    "not accepted"), "https://mail.google.com/") != NULL,
	    "535 5.7.8: Gmail's scope and account");
	ok(oauth_auth_advice(535, "5.7.139", "basic auth") == NULL &&
	    oauth_auth_advice(454, "4.7.0", "try later") == NULL,
	    "other replies: nothing better than auth_advice");
}

/* test_b64url - RFC 4648 10 vectors, url alphabet, no padding */
static void
test_b64url(void)
{
	static const char *const want[] = {
		"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy",
	};
	struct buf	b;
	size_t		i;

	buf_init(&b, 256);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		buf_reset(&b);
		ok(oauth_b64url("foobar", i, &b) == 0, "b64url of %zu bytes",
		    i);
		is_str(buf_cstr(&b), want[i], "RFC 4648 vector, unpadded");
	}
	buf_reset(&b);
	ok(oauth_b64url("\xfb\xff\xbf", 3, &b) == 0 &&
	    strcmp(buf_cstr(&b), "-_-_") == 0, "the url alphabet: - and _");
	buf_free(&b);
}

/* test_files - the durable private file */
static void
test_files(const char *dir)
{
	struct conf	c;
	struct conf_relay *r;
	struct buf	b;
	struct why	why;
	struct stat	st;
	char		path[512], tmp[600];

	conf_defaults(&c);
	free(c.spool_dir);
	c.spool_dir = xstrdup(dir);
	c.relays[0].host = xstrdup("smtp.example.com");
	c.relays[0].port = 587;
	c.relays[0].name = xstrdup("smtp.example.com:587");
	c.nrelays = 1;
	r = &c.relays[0];
	oauth_configure(&c, geteuid());
	ok(oauth_refresh_path(r, path, sizeof(path)) == 0, "refresh path");
	snprintf(tmp, sizeof(tmp), "%s/state/oauth/smtp.example.com-587."
	    "refresh", dir);
	is_str(path, tmp, "default: SPOOL/state/oauth/HOST-PORT.refresh");
	why_clear(&why);
	ok(oauth_state_ready(&why) == 0, "state/oauth/ made: %s", why.text);
	ok(stat(tmp, &st) == -1, "no refresh token file yet");
	snprintf(tmp, sizeof(tmp), "%s/state/oauth", dir);
	ok(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "state/oauth/ is mode 700");
	ok(oauth_write_private(path, "rt-one", 6, &why) == 0, "write");
	ok(oauth_write_private(path, "rt-two-longer", 13, &why) == 0,
	    "replace");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is mode 600");
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	ok(access(tmp, F_OK) == -1, "no temporary file left");
	buf_init(&b, 64);
	ok(oauth_read_private(path, "refresh token file", &b, &why) == 0,
	    "read back");
	is_str(buf_cstr(&b), "rt-two-longer", "whole, the line break cut");
	ok(chmod(path, 0644) == 0, "chmod 644");
	buf_reset(&b);
	ok(oauth_read_private(path, "refresh token file", &b, &why) == -1 &&
	    strstr(why.text, "mode 600") != NULL, "mode 644 refused: %s",
	    why.text);
	ok(chmod(path, 0600) == 0, "chmod 600");
	if (geteuid() == 0 && chown(path, 65534, (gid_t)-1) == 0) {
		buf_reset(&b);
		ok(oauth_read_private(path, "refresh token file", &b, &why) ==
		    -1 && strstr(why.text, "must belong to") != NULL,
		    "another owner refused");
	} else
		ok(1, "# SKIP not root: no other owner to give the file");
	buf_reset(&b);
	snprintf(tmp, sizeof(tmp), "%s/none", dir);
	ok(oauth_read_private(tmp, "x", &b, &why) == 1, "missing: 1");
	buf_free(&b);
	unlink(path);
	oauth_global_done();
	conf_free(&c);
}

/* main */
int
main(void)
{
	char	dir[] = "/tmp/postern-oauth.XXXXXX", sub[64];

	test_advice();
	test_b64url();
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sub, sizeof(sub), "%s/state", dir);
	if (mkdir(sub, 0700) == -1) {
		printf("Bail out! mkdir: %s\n", strerror(errno));
		return 1;
	}
	test_files(dir);
	snprintf(sub, sizeof(sub), "%s/state/oauth", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/state", dir);
	rmdir(sub);
	rmdir(dir);
	return done_testing();
}
