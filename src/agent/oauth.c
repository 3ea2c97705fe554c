/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth.c - the agent's OAuth2 access tokens, one per relay (oauth.h):
 * the cache in memory and in SPOOL/state/oauth/HOST-PORT.access, the
 * lock that lets one process at a time ask the endpoint, the grants
 * (client_credentials, refresh_token; RFC 6749 4.4 and 6), and the
 * refresh token file, rewritten durably when the endpoint rotates it.
 *
 * Invariants: a refresh token the endpoint returned is on disk (fsync
 * of the file and of its directory) before its access token is used or
 * cached; the old one is only replaced by rename(2), so at every instant
 * the file holds one whole token.  Every file read here must be a
 * regular file owned by the agent's user with no group or other bits.
 * Never logs a token or a secret, never runs a command, never passes a
 * secret through the environment.  Called by auth.c (oauth_token) and
 * session.c (oauth_drop); the agent configures it at start and reload.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "io.h"
#include "log.h"
#include "oauth.h"
#include "oauth_int.h"
#include "util.h"

#define OAUTH_LOCK_POLL_MS	50
#define OAUTH_FILE_MAX		(OAUTH_TOKEN_MAX + 64)
/* RFC 7523 2.1 and 2.2 */
#define OAUTH_GRANT_JWT		"urn:ietf:params:oauth:grant-type:jwt-bearer"
#define OAUTH_ASSERTION_JWT	\
	"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* one relay's token in this process */
struct oauth_cached {
	char		 relay[300];	/* "host:port client_id" */
	char		*token;		/* wiped */
	int64_t		 expires_ms;	/* wall clock */
};

static struct oauth_cached oauth_cache[CONF_RELAYS_MAX];
static char	*oauth_spool;
static long	 oauth_connect_ms = 30000, oauth_total_ms = 30000;
static bool	 oauth_curl_ready;

/* oauth_wall_ms - wall-clock milliseconds (expiry is shared on disk) */
static int64_t
oauth_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* oauth_forget - wipe one cache slot */
static void
oauth_forget(struct oauth_cached *e)
{
	if (e->token != NULL) {
		wipe(e->token, strlen(e->token));
		free(e->token);
	}
	memset(e, 0, sizeof(*e));
}

/* oauth_configure - settings, and an empty cache */
void
oauth_configure(const struct conf *c, uid_t owner)
{
	size_t	i;

	for (i = 0; i < CONF_RELAYS_MAX; i++)
		oauth_forget(&oauth_cache[i]);
	free(oauth_spool);
	oauth_spool = xstrdup(c->spool_dir);
	oauth_file_owner(owner);
	oauth_connect_ms = (long)c->t_connect * 1000;
	oauth_total_ms = (long)c->t_oauth * 1000;
}

/* oauth_global_done - at exit */
void
oauth_global_done(void)
{
	size_t	i;

	for (i = 0; i < CONF_RELAYS_MAX; i++)
		oauth_forget(&oauth_cache[i]);
	free(oauth_spool);
	oauth_spool = NULL;
	if (oauth_curl_ready)
		curl_global_cleanup();
	oauth_curl_ready = false;
}

/* oauth_state_path - SPOOL/state/oauth/HOST-PORT + suffix; -1: too long */
static int
oauth_state_path(const struct conf_relay *r, const char *suffix, char *out,
    size_t size)
{
	int	n;

	n = snprintf(out, size, "%s/state/oauth/%s-%u%s",
	    oauth_spool != NULL ? oauth_spool : SPOOLDIR,
	    r->host != NULL ? r->host : "relay", r->port, suffix);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* oauth_refresh_path - the refresh token file */
int
oauth_refresh_path(const struct conf_relay *r, char *out, size_t size)
{
	if (r->oauth_token_file != NULL)
		return str_copy(out, r->oauth_token_file, size);
	return oauth_state_path(r, ".refresh", out, size);
}

/* oauth_slot - the cache slot of r (by name and client), claimed */
static struct oauth_cached *
oauth_slot(const struct conf_relay *r)
{
	char	key[sizeof(oauth_cache[0].relay)];
	size_t	i, free_i = CONF_RELAYS_MAX;

	snprintf(key, sizeof(key), "%s %s", r->name != NULL ? r->name : "",
	    r->oauth_client_id != NULL ? r->oauth_client_id : "");
	for (i = 0; i < CONF_RELAYS_MAX; i++) {
		if (strcmp(oauth_cache[i].relay, key) == 0)
			return &oauth_cache[i];
		if (oauth_cache[i].relay[0] == '\0' &&
		    free_i == CONF_RELAYS_MAX)
			free_i = i;
	}
	if (free_i == CONF_RELAYS_MAX) {
		free_i = 0;	/* more relays than slots: reuse the first */
		oauth_forget(&oauth_cache[0]);
	}
	(void)str_copy(oauth_cache[free_i].relay, key,
	    sizeof(oauth_cache[free_i].relay));
	return &oauth_cache[free_i];
}

/* oauth_margin_ms - how long before expiry a token is renewed */
static int64_t
oauth_margin_ms(int64_t lifetime_s)
{
	int64_t	m = lifetime_s / 5;

	return (m > OAUTH_MARGIN_MAX ? OAUTH_MARGIN_MAX : m) * 1000;
}

/*
 * oauth_state_ready - SPOOL/state/oauth/, made on first use: a directory
 * of the agent's user with mode 700 (the state files beside it are the
 * group's to read; these are not)
 */
int
oauth_state_ready(struct why *why)
{
	char		dir[OAUTH_PATH_MAX];
	struct stat	st;

	if (snprintf(dir, sizeof(dir), "%s/state/oauth", oauth_spool !=
	    NULL ? oauth_spool : SPOOLDIR) >= (int)sizeof(dir)) {
		why_set(why, 0, NULL, "OAuth2 state directory: path too long");
		return -1;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		why_set(why, 0, NULL, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		why_set(why, 0, NULL, "%s must be a directory of the agent's "
		    "user with mode 700: remove it, posternd makes it again",
		    dir);
		return -1;
	}
	return 0;
}

/* oauth_lock - take r's lock file within the request deadline; fd or -1 */
static int
oauth_lock(const struct conf_relay *r, struct why *why)
{
	char	path[OAUTH_PATH_MAX];
	int64_t	deadline = now_ms() + oauth_total_ms + oauth_connect_ms;
	int	fd;

	if (oauth_state_ready(why) == -1)
		return -1;
	if (oauth_state_path(r, ".lock", path, sizeof(path)) == -1) {
		why_set(why, 0, NULL, "OAuth2 lock file: path too long");
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		why_set(why, 0, NULL, "OAuth2 lock file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			why_set(why, 0, NULL, "lock %s: %s", path,
			    strerror(errno));
			break;
		}
		if (now_ms() >= deadline) {
			why_set(why, 0, NULL, "another posternd process has "
			    "been asking the token endpoint for too long "
			    "(lock %s)", path);
			break;
		}
		(void)poll(NULL, 0, OAUTH_LOCK_POLL_MS);
	}
	if (why->text[0] != '\0') {
		close(fd);
		return -1;
	}
	return fd;
}

/* oauth_cache_set - remember token until expires_ms in slot e */
static void
oauth_cache_set(struct oauth_cached *e, const char *token, size_t len,
    int64_t expires_ms)
{
	if (e->token != NULL) {
		wipe(e->token, strlen(e->token));
		free(e->token);
	}
	e->token = xstrndup(token, len);
	e->expires_ms = expires_ms;
}

/*
 * oauth_shared_read - the token another process cached in the .access
 * file ("EXPIRES_MS TOKEN"), into slot e when it is still good
 */
static bool
oauth_shared_read(const struct conf_relay *r, struct oauth_cached *e)
{
	char		 path[OAUTH_PATH_MAX];
	struct buf	 b;
	struct why	 why;
	char		*sp;
	int64_t		 exp;
	bool		 ok = false;

	why_clear(&why);
	buf_init(&b, OAUTH_FILE_MAX);
	if (oauth_state_path(r, ".access", path, sizeof(path)) == -1 ||
	    oauth_read_private(path, "OAuth2 token cache", &b, &why) != 0)
		goto out;
	if (buf_putc(&b, '\0') == -1 ||
	    (sp = strchr(b.data, ' ')) == NULL)
		goto out;
	exp = strtoll(b.data, NULL, 10);
	if (exp <= oauth_wall_ms())
		goto out;
	oauth_cache_set(e, sp + 1, strlen(sp + 1), exp);
	ok = true;
out:
	if (why.text[0] != '\0')
		log_warnx("%s", why.text);
	if (b.data != NULL)
		wipe(b.data, b.cap);
	buf_free(&b);
	return ok;
}

/* oauth_shared_write - the token for the other processes */
static void
oauth_shared_write(const struct conf_relay *r, const struct oauth_cached *e)
{
	char		path[OAUTH_PATH_MAX];
	struct buf	b;
	struct why	why;

	why_clear(&why);
	buf_init(&b, OAUTH_FILE_MAX);
	if (oauth_state_path(r, ".access", path, sizeof(path)) == -1)
		goto out;
	if (buf_printf(&b, "%" PRId64 " %s", e->expires_ms, e->token) == -1 ||
	    oauth_write_private(path, b.data, b.len, &why) == -1)
		log_warnx("relay %s: cannot share the OAuth2 token with the "
		    "other workers: %s", r->name, why.text);
out:
	if (b.data != NULL)
		wipe(b.data, b.cap);
	buf_free(&b);
}

/* oauth_shared_drop - remove the shared token */
static void
oauth_shared_drop(const struct conf_relay *r)
{
	char	path[OAUTH_PATH_MAX];

	if (oauth_state_path(r, ".access", path, sizeof(path)) == 0 &&
	    unlink(path) == -1 && errno != ENOENT)
		log_warn("unlink %s", path);
}

/* oauth_forget_token - see oauth.h */
void
oauth_forget_token(const struct conf_relay *r)
{
	struct oauth_cached	*e = oauth_slot(r);
	char			 key[sizeof(e->relay)];

	(void)str_copy(key, e->relay, sizeof(key));
	oauth_forget(e);
	(void)str_copy(e->relay, key, sizeof(e->relay));
	oauth_shared_drop(r);
}

/* oauth_drop - the server refused r's token */
void
oauth_drop(const struct conf_relay *r)
{
	oauth_forget_token(r);
	log_info("relay %s: OAuth2 access token dropped (refused by the "
	    "server); the next session asks for a new one", r->name);
}

/* oauth_form - the grant's form for relay r; -1 with why */
static int
oauth_form(const struct conf_relay *r, struct oauth_request *q,
    struct buf *refresh, struct buf *assertion, struct why *why)
{
	char	path[OAUTH_PATH_MAX];
	int	rc = 0, got;

	if (r->oauth_flow == CONF_OAUTH_REFRESH_TOKEN) {
		if (oauth_refresh_path(r, path, sizeof(path)) == -1) {
			why_set(why, 0, NULL, "refresh token file: path too "
			    "long");
			return -1;
		}
		got = oauth_read_private(path, "refresh token file", refresh,
		    why);
		if (got == 1 || (got == 0 && refresh->len == 0)) {
			why_set(why, 0, NULL, "no refresh token for relay %s: "
			    "run `postern oauth login` or put it in %s (owned "
			    "by the agent's user, mode 600)", r->name, path);
			return -1;
		}
		if (got == -1 || buf_putc(refresh, '\0') == -1)
			return -1;
		rc |= oauth_form_add(q, "grant_type", "refresh_token");
		rc |= oauth_form_add(q, "refresh_token", refresh->data);
	} else if (r->oauth_key_file != NULL) {
		if (oauth_jwt_assertion(r, assertion, why) == -1 ||
		    buf_putc(assertion, '\0') == -1)
			return -1;
		if (r->oauth_flow == CONF_OAUTH_SERVICE_ACCOUNT) {
			rc |= oauth_form_add(q, "grant_type", OAUTH_GRANT_JWT);
			rc |= oauth_form_add(q, "assertion", assertion->data);
			goto done;
		}
		rc |= oauth_form_add(q, "grant_type", "client_credentials");
		rc |= oauth_form_add(q, "client_assertion_type",
		    OAUTH_ASSERTION_JWT);
		rc |= oauth_form_add(q, "client_assertion", assertion->data);
	} else {
		if (r->password == NULL) {
			why_set(why, 0, NULL, "no client secret for relay %s: "
			    "add the line \"%s SECRET\" to the secrets file",
			    r->name, r->host);
			return -1;
		}
		rc |= oauth_form_add(q, "grant_type", "client_credentials");
	}
	rc |= oauth_form_add(q, "client_id", r->oauth_client_id);
	if (r->password != NULL && r->oauth_key_file == NULL)
		rc |= oauth_form_add(q, "client_secret", r->password);
	rc |= oauth_form_add(q, "scope", r->oauth_scope);
done:
	if (rc != 0) {
		why_set(why, 0, NULL, "OAuth2 request for relay %s too long",
		    r->name);
		return -1;
	}
	return 0;
}

/* oauth_store_refresh - a rotated refresh token, on disk before use */
static void
oauth_store_refresh(const struct conf_relay *r, const struct buf *old,
    const struct buf *fresh)
{
	char		path[OAUTH_PATH_MAX];
	struct why	why;

	if (r->oauth_flow != CONF_OAUTH_REFRESH_TOKEN || fresh->len == 0 ||
	    (old->len == fresh->len + 1 &&
	    memcmp(old->data, fresh->data, fresh->len) == 0))
		return;
	why_clear(&why);
	if (oauth_refresh_path(r, path, sizeof(path)) == -1 ||
	    oauth_write_private(path, fresh->data, fresh->len, &why) == -1)
		log_warnx("relay %s: the token endpoint rotated the refresh "
		    "token but it could not be saved (%s): the old one stays "
		    "in use; if it stops working run `postern oauth login`",
		    r->name, why.text);
	else
		log_info("relay %s: new refresh token saved in %s", r->name,
		    path);
}

/* oauth_endpoint_error - the endpoint's refusal in words */
static void
oauth_endpoint_error(const struct conf_relay *r,
    const struct oauth_reply *rep, struct why *why)
{
	why_set(why, 0, NULL, "relay %s: no OAuth2 token: %s (token endpoint "
	    "said: HTTP %ld %s%s%s)", r->name,
	    oauth_advice(rep->error, rep->aadsts), rep->http, rep->error,
	    rep->desc[0] ? ": " : "", rep->desc);
}

/* oauth_status_copy - the reply's facts for oauth_probe */
static void
oauth_status_copy(struct oauth_status *st, const struct oauth_reply *rep)
{
	if (st == NULL)
		return;
	st->http = rep->http;
	(void)str_copy(st->error, rep->error, sizeof(st->error));
	(void)str_copy(st->desc, rep->desc, sizeof(st->desc));
	st->aadsts = rep->aadsts;
	st->expires_in = rep->expires_in;
}

/*
 * oauth_fetch - ask the endpoint (the lock held) and cache the answer;
 * st (may be NULL) gets the endpoint's facts.  0, 1 (refused), -1.
 */
static int
oauth_fetch(const struct conf_relay *r, struct oauth_cached *e,
    struct oauth_status *st, struct why *why)
{
	struct oauth_request	q;
	struct oauth_reply	rep;
	struct buf		refresh, assertion;
	struct why		cause;
	int64_t			life, t0 = oauth_wall_ms();
	int			rc, ret = -1;

	memset(&q, 0, sizeof(q));
	why_clear(&cause);
	buf_init(&q.form, OAUTH_FORM_MAX);
	buf_init(&refresh, OAUTH_TOKEN_MAX + 1);
	buf_init(&assertion, OAUTH_TOKEN_MAX);
	oauth_reply_init(&rep);
	q.url = r->oauth_token_endpoint;
	q.ca_file = r->oauth_ca_file;
	q.connect_ms = oauth_connect_ms;
	q.total_ms = oauth_total_ms;
	if (oauth_form(r, &q, &refresh, &assertion, why) == -1)
		goto out;
	if (!oauth_curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			why_set(why, 0, NULL, "libcurl: cannot initialise");
			goto out;
		}
		oauth_curl_ready = true;
	}
	log_debug("relay %s: asking %s for an OAuth2 token", r->name, q.url);
	rc = oauth_http_post(&q, &rep, &cause);
	oauth_status_copy(st, &rep);
	if (rc == 1) {
		oauth_endpoint_error(r, &rep, why);
		ret = 1;
	}
	if (rc == -1)
		why_set(why, 0, NULL, "relay %s: no OAuth2 token from %s: %s",
		    r->name, q.url, cause.text);
	if (rc != 0)
		goto out;
	oauth_store_refresh(r, &refresh, &rep.refresh);
	life = rep.expires_in > 0 ? rep.expires_in : 3600;
	oauth_cache_set(e, rep.access.data, rep.access.len,
	    t0 + life * 1000 - oauth_margin_ms(life));
	oauth_shared_write(r, e);
	log_info("relay %s: new OAuth2 access token, valid %" PRId64 "s",
	    r->name, life);
	ret = 0;
out:
	if (q.form.data != NULL)
		wipe(q.form.data, q.form.cap);
	buf_free(&q.form);
	if (refresh.data != NULL)
		wipe(refresh.data, refresh.cap);
	buf_free(&refresh);
	if (assertion.data != NULL)
		wipe(assertion.data, assertion.cap);
	buf_free(&assertion);
	oauth_reply_free(&rep);
	return ret;
}

/* oauth_token - memory, the shared file, or the endpoint */
int
oauth_token(const struct conf_relay *r, struct buf *out, bool *fetched,
    struct why *why)
{
	struct oauth_cached	*e = oauth_slot(r);
	int			 fd = -1, ret = -1;

	why_clear(why);
	if (fetched != NULL)
		*fetched = false;
	if (e->token == NULL || e->expires_ms <= oauth_wall_ms()) {
		if ((fd = oauth_lock(r, why)) == -1)
			return -1;
		if (!oauth_shared_read(r, e)) {
			if (oauth_fetch(r, e, NULL, why) != 0)
				goto out;
			if (fetched != NULL)
				*fetched = true;
		}
	}
	if (buf_puts(out, e->token) == -1) {
		why_set(why, 0, NULL, "relay %s: OAuth2 token too long",
		    r->name);
		goto out;
	}
	ret = 0;
out:
	if (fd != -1)
		close(fd);	/* releases the lock */
	return ret;
}

/* oauth_probe - a new token now, for `postern check` */
int
oauth_probe(const struct conf_relay *r, struct oauth_status *st,
    struct why *why)
{
	struct oauth_cached	*e = oauth_slot(r);
	int			 fd, rc;

	why_clear(why);
	memset(st, 0, sizeof(*st));
	if ((fd = oauth_lock(r, why)) == -1)
		return -1;
	rc = oauth_fetch(r, e, st, why);
	close(fd);
	return rc;
}
