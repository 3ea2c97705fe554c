/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_login.c - `postern oauth login RELAY`, run as `posternd
 * --oauth-login RELAY`: get a refresh token for a relay with oauth_flow
 * = refresh_token on a machine without a browser, and store it durably
 * in the relay's token file as the agent's user.
 *   - Microsoft: the device authorization grant (RFC 8628): print the
 *     code and the page to enter it on, poll the token endpoint;
 *   - an authorization endpoint (Google): the authorization code grant
 *     with PKCE (RFC 7636) and a loopback redirect (RFC 8252 7.3): print
 *     the URL to open on any machine, read back the address the browser
 *     ends on (nothing listens: the page need not load), check its
 *     state, trade the code and the verifier for the tokens.
 * Runs as root or the agent's user: `postern oauth login` by root execs
 * it, and the running agent runs it for a member of its group who asks
 * on spool_dir/oauth.sock (oauthsock.c: its output goes to that user's
 * terminal, the pasted address comes from it).  As root it reads the
 * secrets file with the agent's rules, then drops to the agent's user
 * before any network traffic or file write.  One login per relay at a
 * time (a lock on TOKEN_FILE.lock).  Never prints or logs a token, a
 * code verifier or a secret; the terminal sees only the URL, the user
 * code and where the token went.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-c/json.h>

#include "base64.h"
#include "check.h"
#include "conf.h"
#include "log.h"
#include "oauth.h"
#include "oauth_int.h"
#include "util.h"

#define LOGIN_WAIT_MAX		900	/* s: the device code, the paste */
#define LOGIN_LINE_MAX		8192	/* the pasted address */
#define LOGIN_GRANT_DEVICE	"urn:ietf:params:oauth:grant-type:device_code"

struct login {
	const struct conf_relay	*r;
	struct oauth_request	 q;
	struct oauth_reply	 rep;
};

/* login_request - a fresh request to url, the form empty */
static void
login_request(struct login *l, const char *url, const struct conf *c)
{
	if (l->q.form.data != NULL)
		wipe(l->q.form.data, l->q.form.cap);
	buf_free(&l->q.form);
	buf_init(&l->q.form, OAUTH_FORM_MAX);
	l->q.url = url;
	l->q.ca_file = l->r->oauth_ca_file;
	l->q.connect_ms = (long)c->t_connect * 1000;
	l->q.total_ms = (long)c->t_oauth * 1000;
}

/* login_client - client_id and, when the secrets file has one, the secret */
static int
login_client(struct login *l)
{
	int	rc = oauth_form_add(&l->q, "client_id", l->r->oauth_client_id);

	if (l->r->password != NULL)
		rc |= oauth_form_add(&l->q, "client_secret", l->r->password);
	return rc;
}

/* login_save - the refresh token of l->rep into the relay's token file */
static int
login_save(struct login *l)
{
	char		path[4096];
	struct why	why;

	why_clear(&why);
	if (l->rep.refresh.len == 0) {
		log_error("the token endpoint sent no refresh token: add "
		    "offline_access to oauth_scope (Microsoft) or sign in "
		    "again with consent (Google)");
		return EX_PROTOCOL;
	}
	if (oauth_refresh_path(l->r, path, sizeof(path)) == -1 ||
	    (l->r->oauth_token_file == NULL && oauth_state_ready(&why) ==
	    -1) || oauth_write_private(path, l->rep.refresh.data,
	    l->rep.refresh.len, &why) == -1) {
		log_error("cannot save the refresh token: %s", why.text[0] ?
		    why.text : "path too long");
		return EX_CANTCREAT;
	}
	/* the old grant's access token goes with it: no server refused it */
	oauth_forget_token(l->r);
	printf("refresh token for %s saved in %s (mode 600); posternd uses "
	    "it from its next token request\n", l->r->name, path);
	return EX_OK;
}

/* login_json_str - a string member of the answer, or NULL */
static const char *
login_json_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* login_json_int - an integer member of the answer, or def */
static int64_t
login_json_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_int64(v) : def;
}

/* login_poll - the token endpoint until the user has signed in */
static int
login_poll(struct login *l, const struct conf *c, const char *device_code,
    int64_t interval, int64_t expires)
{
	int64_t		deadline = now_ms() + expires * 1000;
	struct why	why;
	int		rc;

	while (now_ms() < deadline) {
		(void)poll(NULL, 0, (int)(interval * 1000));
		login_request(l, l->r->oauth_token_endpoint, c);
		if (oauth_form_add(&l->q, "grant_type", LOGIN_GRANT_DEVICE) ||
		    oauth_form_add(&l->q, "device_code", device_code) ||
		    login_client(l) == -1)
			return EX_SOFTWARE;
		oauth_reply_free(&l->rep);
		oauth_reply_init(&l->rep);
		rc = oauth_http_post(&l->q, &l->rep, &why);
		if (rc == 0)
			return login_save(l);
		if (rc == -1) {
			log_error("%s", why.text);
			return EX_UNAVAILABLE;
		}
		if (strcmp(l->rep.error, "authorization_pending") == 0)
			continue;
		if (strcmp(l->rep.error, "slow_down") == 0) {
			interval += 5;
			continue;
		}
		log_error("sign-in failed: %s (%s: %s)", oauth_advice(
		    l->rep.error, l->rep.aadsts), l->rep.error, l->rep.desc);
		return EX_NOPERM;
	}
	log_error("the code expired before the sign-in: run postern oauth "
	    "login again");
	return EX_TEMPFAIL;
}

/* login_device - Microsoft's device authorization grant (RFC 8628) */
static int
login_device(struct login *l, const struct conf *c)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*o = NULL;
	struct buf		 body;
	struct why		 why;
	const char		*code, *user_code, *uri, *msg;
	long			 http = 0;
	int			 ret = EX_UNAVAILABLE;

	buf_init(&body, OAUTH_REPLY_MAX);
	login_request(l, l->r->oauth_login_endpoint, c);
	if (login_client(l) == -1 ||
	    oauth_form_add(&l->q, "scope", l->r->oauth_scope) == -1) {
		ret = EX_SOFTWARE;
		goto out;
	}
	if (oauth_http_raw(&l->q, &body, &http, &why) == -1) {
		log_error("%s: %s", l->q.url, why.text);
		goto out;
	}
	if ((tok = json_tokener_new()) == NULL || (o = json_tokener_parse_ex(
	    tok, body.data != NULL ? body.data : "", (int)body.len)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		log_error("%s answered HTTP %ld without JSON", l->q.url, http);
		goto out;
	}
	code = login_json_str(o, "device_code");
	user_code = login_json_str(o, "user_code");
	uri = login_json_str(o, "verification_uri");
	if (http != 200 || code == NULL || user_code == NULL || uri == NULL) {
		msg = login_json_str(o, "error_description");
		log_error("%s refused the device code request: %s: %s",
		    l->q.url, login_json_str(o, "error") != NULL ?
		    login_json_str(o, "error") : "?", msg != NULL ? msg : "");
		ret = EX_NOPERM;
		goto out;
	}
	printf("To sign in as %s, open %s in a web browser on any machine "
	    "and enter the code %s\n(waiting up to %lld seconds)\n",
	    l->r->user, uri, user_code,
	    (long long)login_json_int(o, "expires_in", LOGIN_WAIT_MAX));
	fflush(stdout);
	ret = login_poll(l, c, code, login_json_int(o, "interval", 5),
	    login_json_int(o, "expires_in", LOGIN_WAIT_MAX) > LOGIN_WAIT_MAX ?
	    LOGIN_WAIT_MAX : login_json_int(o, "expires_in", LOGIN_WAIT_MAX));
out:
	if (o != NULL)
		json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	if (body.data != NULL)
		wipe(body.data, body.cap);
	buf_free(&body);
	return ret;
}

/* login_random - n random bytes, base64url, into out */
static int
login_random(size_t n, struct buf *out)
{
	unsigned char	r[64];
	int		rc;

	if (n > sizeof(r) || gnutls_rnd(GNUTLS_RND_KEY, r, n) < 0)
		return -1;
	rc = oauth_b64url(r, n, out);
	wipe(r, sizeof(r));
	return rc == 0 ? buf_putc(out, '\0') : -1;
}

/* login_query - the value of name in the pasted address, or NULL */
static char *
login_query(const char *url, const char *name)
{
	CURLU		*u = curl_url();
	char		*query = NULL, *p, *val = NULL;
	size_t		 n = strlen(name);

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		goto out;
	for (p = query; p != NULL && *p != '\0'; p += strcspn(p, "&"),
	    p += *p == '&') {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			val = curl_easy_unescape(NULL, p + n + 1,
			    (int)strcspn(p + n + 1, "&"), NULL);
			break;
		}
	}
out:
	curl_free(query);
	curl_url_cleanup(u);
	return val;
}

/* login_read_line - one line from stdin within LOGIN_WAIT_MAX */
static int
login_read_line(char *line, size_t size)
{
	struct pollfd	pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	if (poll(&pfd, 1, LOGIN_WAIT_MAX * 1000) <= 0 ||
	    fgets(line, (int)size, stdin) == NULL)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	return 0;
}

/* login_url - the authorization URL into url (form-encoded parameters) */
static int
login_url(struct login *l, const char *redirect, const char *challenge,
    const char *state, struct buf *url)
{
	struct oauth_request	q;
	int			rc = 0;

	memset(&q, 0, sizeof(q));
	buf_init(&q.form, OAUTH_FORM_MAX);
	rc |= oauth_form_add(&q, "response_type", "code");
	rc |= oauth_form_add(&q, "client_id", l->r->oauth_client_id);
	rc |= oauth_form_add(&q, "redirect_uri", redirect);
	rc |= oauth_form_add(&q, "scope", l->r->oauth_scope);
	rc |= oauth_form_add(&q, "code_challenge", challenge);
	rc |= oauth_form_add(&q, "code_challenge_method", "S256");
	rc |= oauth_form_add(&q, "state", state);
	rc |= oauth_form_add(&q, "access_type", "offline");
	rc |= oauth_form_add(&q, "prompt", "consent");
	if (strchr(l->r->user, '@') != NULL)
		rc |= oauth_form_add(&q, "login_hint", l->r->user);
	rc |= buf_printf(url, "%s%c%s", l->r->oauth_login_endpoint,
	    strchr(l->r->oauth_login_endpoint, '?') != NULL ? '&' : '?',
	    buf_cstr(&q.form));
	buf_free(&q.form);
	return rc != 0 ? -1 : 0;
}

/* login_trade - the code and the verifier for the tokens */
static int
login_trade(struct login *l, const struct conf *c, const char *code,
    const char *redirect, const char *verifier)
{
	struct why	why;
	int		rc;

	login_request(l, l->r->oauth_token_endpoint, c);
	if (oauth_form_add(&l->q, "grant_type", "authorization_code") ||
	    oauth_form_add(&l->q, "code", code) ||
	    oauth_form_add(&l->q, "redirect_uri", redirect) ||
	    oauth_form_add(&l->q, "code_verifier", verifier) ||
	    login_client(l) == -1)
		return EX_SOFTWARE;
	rc = oauth_http_post(&l->q, &l->rep, &why);
	if (rc == 0)
		return login_save(l);
	if (rc == -1) {
		log_error("%s", why.text);
		return EX_UNAVAILABLE;
	}
	log_error("the token endpoint refused the code: %s (%s: %s)",
	    oauth_advice(l->rep.error, l->rep.aadsts), l->rep.error,
	    l->rep.desc);
	return EX_NOPERM;
}

/* login_pkce - authorization code with PKCE and a loopback redirect */
static int
login_pkce(struct login *l, const struct conf *c)
{
	struct buf	 verifier, challenge, state, url;
	unsigned char	 digest[32];
	unsigned short	 port;
	char		 redirect[64], line[LOGIN_LINE_MAX];
	char		*code = NULL, *got_state = NULL, *error = NULL;
	int		 ret = EX_SOFTWARE;

	buf_init(&verifier, 128);
	buf_init(&challenge, 128);
	buf_init(&state, 64);
	buf_init(&url, OAUTH_FORM_MAX);
	/* RFC 7636 4.1, 4.2: 32 random bytes, S256 */
	if (login_random(32, &verifier) == -1 || login_random(16, &state) ==
	    -1 || gnutls_rnd(GNUTLS_RND_NONCE, &port, sizeof(port)) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier.data,
	    strlen(verifier.data), digest) < 0 ||
	    oauth_b64url(digest, sizeof(digest), &challenge) == -1 ||
	    buf_putc(&challenge, '\0') == -1)
		goto out;
	/* RFC 8252 7.3: the loopback IP literal, any port */
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u/",
	    49152u + port % 16384u);
	if (login_url(l, redirect, challenge.data, state.data, &url) == -1)
		goto out;
	printf("Open this URL in a web browser on any machine and sign in as "
	    "%s:\n\n%s\n\nThe browser then goes to %s... and shows an error "
	    "page: that is expected.\nPaste the whole address from its "
	    "address bar here and press Enter:\n", l->r->user,
	    buf_cstr(&url), redirect);
	fflush(stdout);
	ret = EX_DATAERR;
	if (login_read_line(line, sizeof(line)) == -1) {
		log_error("no address pasted: run postern oauth login again");
		goto out;
	}
	if ((error = login_query(line, "error")) != NULL) {
		log_error("sign-in refused: %s", error);
		ret = EX_NOPERM;
		goto out;
	}
	code = login_query(line, "code");
	got_state = login_query(line, "state");
	if (code == NULL || got_state == NULL ||
	    strcmp(got_state, state.data) != 0) {
		log_error("that address has no code or not this login's state: "
		    "paste the address the browser ended on, starting with "
		    "%s", redirect);
		goto out;
	}
	ret = login_trade(l, c, code, redirect, verifier.data);
out:
	if (code != NULL) {
		wipe(code, strlen(code));
		curl_free(code);
	}
	curl_free(got_state);
	curl_free(error);
	wipe(line, sizeof(line));
	wipe(verifier.data != NULL ? verifier.data : line, verifier.cap);
	buf_free(&verifier);
	buf_free(&challenge);
	buf_free(&state);
	buf_free(&url);
	return ret;
}

/* login_find - the relay named by arg: its number, host or host:port */
static const struct conf_relay *
login_find(const struct conf *c, const char *arg)
{
	uint64_t	n;
	size_t		i;

	if (parse_uint(arg, 1, c->nrelays, &n) == 0)
		return &c->relays[n - 1];
	for (i = 0; i < c->nrelays; i++)
		if ((c->relays[i].host != NULL &&
		    strcasecmp(c->relays[i].host, arg) == 0) ||
		    strcasecmp(c->relays[i].name, arg) == 0)
			return &c->relays[i];
	return NULL;
}

/* login_owner - whose secrets file: the agent's user when root */
static uid_t
login_owner(void)
{
	struct passwd	*pw;

	if (geteuid() == 0 && (pw = getpwnam(POSTERN_USER)) != NULL)
		return pw->pw_uid;
	return geteuid();
}

/*
 * login_is_agent - after the drop: are we the agent's user, the owner of
 * the spool's state/ (a member of its group could otherwise make
 * state/oauth/ its own, which the agent then refuses)?
 */
static bool
login_is_agent(const struct conf *c)
{
	char		dir[4096];
	struct stat	st;

	if (snprintf(dir, sizeof(dir), "%s/state", c->spool_dir) >=
	    (int)sizeof(dir) || stat(dir, &st) == -1) {
		log_error("%s/state: %s: is spool_dir right?", c->spool_dir,
		    strerror(errno));
		return false;
	}
	if (st.st_uid != geteuid()) {
		log_error("postern oauth login writes the token as the agent's "
		    "user, the owner of %s: run it as root (sudo postern "
		    "oauth login RELAY)", dir);
		return false;
	}
	return true;
}

/*
 * login_lock - one login per relay: an exclusive lock on the token
 * file's name and ".lock", held until this process ends.  0, or -1 said
 */
static int
login_lock(struct login *l)
{
	char		file[4096], path[4096 + 8];
	struct why	why;
	int		fd;

	why_clear(&why);
	if (oauth_refresh_path(l->r, file, sizeof(file)) == -1 ||
	    (l->r->oauth_token_file == NULL && oauth_state_ready(&why) ==
	    -1)) {
		log_error("cannot prepare the token file: %s", why.text[0] ?
		    why.text : "path too long");
		return -1;
	}
	(void)snprintf(path, sizeof(path), "%s.lock", file);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_error("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_error("a login for relay %s is already running (%s is "
		    "locked): finish it, or wait until it ends (at most %d "
		    "minutes)", l->r->name, path, LOGIN_WAIT_MAX / 60 + 1);
		close(fd);
		return -1;
	}
	return 0;	/* the descriptor stays open: the lock with it */
}

/* oauth_login_main - posternd --oauth-login RELAY [-C config] */
int
oauth_login_main(int argc, char **argv)
{
	struct conf	 c;
	struct login	 l;
	struct buf	 err;
	const char	*path = CONFDIR "/postern.conf", *relay = NULL;
	int		 i, ret;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--oauth-login") == 0 && i + 1 < argc)
			relay = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			log_set_debug(true);
	if (relay == NULL) {
		log_error("usage: postern oauth login RELAY (its number or "
		    "host)");
		return EX_USAGE;
	}
	buf_init(&err, 8192);
	if (conf_load(&c, path, true, &err) == -1) {
		log_error("%s", buf_cstr(&err));
		buf_free(&err);
		return EX_CONFIG;
	}
	memset(&l, 0, sizeof(l));
	oauth_reply_init(&l.rep);
	ret = EX_CONFIG;
	if ((l.r = login_find(&c, relay)) == NULL)
		log_error("no relay %s in %s: give its number (1 to %zu) or "
		    "host", relay, path, c.nrelays);
	else if (l.r->oauth_flow != CONF_OAUTH_REFRESH_TOKEN ||
	    l.r->oauth_login_endpoint == NULL)
		log_error("relay %s: postern oauth login is for oauth_flow = "
		    "refresh_token with oauth_login_endpoint (a preset or "
		    "oauth_tenant sets it)", l.r->name);
	else if (buf_reset(&err), conf_load_secrets_as(&c, login_owner(),
	    &err) == -1)
		log_error("%s", buf_cstr(&err));
	else {
		/* the agent's user from here on: its files, its rights */
		check_drop_root();
		oauth_configure(&c, geteuid());
		if (!login_is_agent(&c))
			ret = EX_NOPERM;
		else if (login_lock(&l) == -1)
			ret = EX_TEMPFAIL;
		else if (strstr(l.r->oauth_login_endpoint, "/devicecode") !=
		    NULL)
			ret = login_device(&l, &c);
		else
			ret = login_pkce(&l, &c);
	}
	oauth_reply_free(&l.rep);
	if (l.q.form.data != NULL)
		wipe(l.q.form.data, l.q.form.cap);
	buf_free(&l.q.form);
	oauth_global_done();
	conf_free(&c);
	buf_free(&err);
	return ret;
}
