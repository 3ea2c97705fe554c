/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.c - SMTP AUTH client: Cyrus SASL behind a small interface (as
 * Postfix xsasl does), plus XOAUTH2 and OAUTHBEARER done here.
 *
 * Owns the per-session SASL connection and copies of the credentials.
 * Credentials reach Cyrus only through per-session callbacks whose context
 * is the auth_session: there is no global credential state, so nothing
 * leaks from one session (or relay) to the next.  Every copy of a password
 * or token is wiped before it is freed.  Never sends anything itself and
 * never logs a secret; never authenticates over a clear channel unless the
 * relay says allow_plaintext_auth.
 * Debian 12 ships every Cyrus client plugin we use in libsasl2-modules:
 * PLAIN LOGIN CRAM-MD5 DIGEST-MD5 NTLM SCRAM-SHA-{1,224,256,384,512}
 * (saslpluginviewer -c); GSSAPI is in libsasl2-modules-gssapi-mit.
 * RFCs: 4954 (SMTP AUTH), 4422 (SASL), 4616 (PLAIN), 2195 (CRAM-MD5),
 * 5802/7677 (SCRAM), 7628 (OAUTHBEARER); XOAUTH2 is Google's format.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "auth.h"
#include "buf.h"
#include "log.h"
#include "oauth.h"
#include "run.h"
#include "util.h"

#define AUTH_RESP_MAX		(AUTH_TOKEN_MAX + 1024)
#define AUTH_OFFERED_MAX	32	/* names read from the EHLO list */
#define AUTH_DEFAULT_LIST	"(default: SCRAM-SHA-256 SCRAM-SHA-1 " \
				"CRAM-MD5 PLAIN LOGIN, XOAUTH2 " \
				"OAUTHBEARER with token_command)"

/* cast a callback for sasl_callback_t without -Wcast-function-type noise */
#define AUTH_CB(f)	((int (*)(void))(void (*)(void))(f))

enum auth_kind {
	AUTH_K_SASL,
	AUTH_K_XOAUTH2,
	AUTH_K_OAUTHBEARER,
};

struct auth_mech {
	const char	*name;
	enum auth_kind	 kind;
	bool		 by_default;	/* tried when auth_mechanisms unset */
	const char	*plugin;	/* Cyrus plugin file: lib<plugin>.so */
};

/* strongest first; see auth.h */
static const struct auth_mech auth_mechs[] = {
	{ "OAUTHBEARER",	AUTH_K_OAUTHBEARER,	true,	NULL },
	{ "XOAUTH2",		AUTH_K_XOAUTH2,		true,	NULL },
	{ "SCRAM-SHA-512",	AUTH_K_SASL,		true,	"scram" },
	{ "SCRAM-SHA-384",	AUTH_K_SASL,		true,	"scram" },
	{ "SCRAM-SHA-256",	AUTH_K_SASL,		true,	"scram" },
	{ "SCRAM-SHA-224",	AUTH_K_SASL,		true,	"scram" },
	{ "SCRAM-SHA-1",	AUTH_K_SASL,		true,	"scram" },
	{ "DIGEST-MD5",		AUTH_K_SASL,		false,	"digestmd5" },
	{ "CRAM-MD5",		AUTH_K_SASL,		true,	"crammd5" },
	{ "NTLM",		AUTH_K_SASL,		false,	"ntlm" },
	{ "PLAIN",		AUTH_K_SASL,		true,	"plain" },
	{ "LOGIN",		AUTH_K_SASL,		true,	"login" },
};

/*
 * The Cyrus plugins postern may load, one bit each.  sasl_client_init
 * would otherwise dlopen every plugin in the directory (sasldb pulls in
 * Berkeley DB, NTLM and SCRAM libcrypto, GSSAPI Kerberos): about 2 MB of
 * resident memory for mechanisms the configuration never uses.
 */
static bool	auth_in_list(const char *list, const char *name);

static const char *const auth_plugins[] = {
	"scram", "digestmd5", "crammd5", "ntlm", "plain", "login",
};


struct auth_session {
	const struct conf_relay	*relay;
	bool			 tls;
	char			*password;	/* copy; wiped */
	sasl_secret_t		*secret;	/* for SASL_CB_PASS; wiped */
	size_t			 secret_size;
	sasl_conn_t		*sasl;
	sasl_callback_t		 cb[5];
	const struct auth_mech	*mech;
	struct buf		 token;		/* wiped */
	struct buf		 resp;		/* our own responses; wiped */
	bool			 have_token;
};

/*
 * Cyrus SASL's global state (the agent is single-threaded; its delivery
 * workers are processes).  auth_plugins_wanted is what the configuration
 * needs (auth_global_configure, or each relay as auth_new meets it);
 * auth_plugins_loaded what the running initialisation let in.
 */
static bool		auth_sasl_ready;
static unsigned		auth_plugins_wanted;
static unsigned		auth_plugins_loaded;

/* auth_sasl_log - Cyrus SASL's messages, at debug level */
static int
auth_sasl_log(void *context, int level, const char *message)
{
	(void)context;
	if (level <= SASL_LOG_WARN)
		log_debug("sasl: %s", message != NULL ? message : "");
	return SASL_OK;
}

/* auth_plugin_bit - the auth_plugins bit of a plugin's file name, or 0 */
static unsigned
auth_plugin_bit(const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 i, n;

	base = base != NULL ? base + 1 : path;
	if (strncmp(base, "lib", 3) != 0)
		return 0;
	base += 3;
	n = strcspn(base, ".");
	for (i = 0; i < ARRAY_SIZE(auth_plugins); i++)
		if (strlen(auth_plugins[i]) == n &&
		    strncmp(base, auth_plugins[i], n) == 0)
			return 1U << i;
	return 0;
}

/* auth_sasl_verifyfile - load only the plugins the configuration uses */
static int
auth_sasl_verifyfile(void *context, const char *file,
    sasl_verify_type_t type)
{
	(void)context;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_OK;
	return (auth_plugin_bit(file) & auth_plugins_wanted) != 0 ?
	    SASL_OK : SASL_CONTINUE;
}

static sasl_callback_t auth_global_cb[] = {
	{ SASL_CB_LOG, AUTH_CB(auth_sasl_log), NULL },
	{ SASL_CB_VERIFYFILE, AUTH_CB(auth_sasl_verifyfile), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

/* auth_relay_plugins - the plugin bits relay r's mechanisms need */
static unsigned
auth_relay_plugins(const struct conf_relay *r)
{
	unsigned	bits = 0;
	size_t		i, k;

	if (r->user == NULL || r->user[0] == '\0')
		return 0;
	for (i = 0; i < ARRAY_SIZE(auth_mechs); i++) {
		const struct auth_mech *m = &auth_mechs[i];

		if (m->plugin == NULL)
			continue;
		if (r->auth_mechanisms != NULL ?
		    !auth_in_list(r->auth_mechanisms, m->name) :
		    !m->by_default)
			continue;
		for (k = 0; k < ARRAY_SIZE(auth_plugins); k++)
			if (strcmp(auth_plugins[k], m->plugin) == 0)
				bits |= 1U << k;
	}
	return bits;
}

/* auth_sasl_done - sasl_client_done, if initialised */
static void
auth_sasl_done(void)
{
	if (auth_sasl_ready) {
		sasl_client_done();
		auth_sasl_ready = false;
		auth_plugins_loaded = 0;
	}
}

/* auth_sasl_init - sasl_client_init with the plugins relay r needs */
static int
auth_sasl_init(const struct conf_relay *r, struct why *why)
{
	int	rc, ret = 0;

	/*
	 * Without auth_global_configure the first relay decides; a later
	 * relay that needs more cannot restart SASL under a live session,
	 * and its missing mechanisms are skipped like uninstalled ones.
	 */
	auth_plugins_wanted |= auth_relay_plugins(r);
	if (!auth_sasl_ready) {
		if ((rc = sasl_client_init(auth_global_cb)) != SASL_OK) {
			why_set(why, 0, NULL, "cannot initialise Cyrus SASL: "
			    "%s", sasl_errstring(rc, NULL, NULL));
			ret = -1;
		} else {
			auth_sasl_ready = true;
			auth_plugins_loaded = auth_plugins_wanted;
		}
	}
	return ret;
}

/* auth_global_configure - the plugins every relay of c needs */
void
auth_global_configure(const struct conf *c)
{
	unsigned	need = 0;
	size_t		i;

	for (i = 0; i < c->nrelays; i++)
		need |= auth_relay_plugins(&c->relays[i]);
	if (auth_sasl_ready && need != auth_plugins_loaded)
		auth_sasl_done();
	auth_plugins_wanted = need;
	oauth_configure(c, geteuid());
}

/* auth_global_done - at exit */
void
auth_global_done(void)
{
	auth_sasl_done();
	auth_plugins_wanted = 0;
	oauth_global_done();
}

/* auth_cb_simple - SASL_CB_USER (authzid: empty) and SASL_CB_AUTHNAME */
static int
auth_cb_simple(void *context, int id, const char **result, unsigned *len)
{
	struct auth_session	*as = context;
	const char		*v;

	switch (id) {
	case SASL_CB_USER:
		v = "";		/* authorize as the authenticated user */
		break;
	case SASL_CB_AUTHNAME:
		v = as->relay->user;
		break;
	default:
		return SASL_BADPARAM;
	}
	*result = v;
	if (len != NULL)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

/* auth_cb_pass - SASL_CB_PASS: the session's password copy */
static int
auth_cb_pass(sasl_conn_t *conn, void *context, int id,
    sasl_secret_t **psecret)
{
	struct auth_session	*as = context;
	size_t			 n;

	(void)conn;
	if (id != SASL_CB_PASS || as->password == NULL)
		return SASL_BADPARAM;
	/* Cyrus may wipe what it was given: rebuild it on every call */
	if (as->secret != NULL) {
		wipe(as->secret, as->secret_size);
		free(as->secret);
	}
	n = strlen(as->password);
	as->secret_size = sizeof(sasl_secret_t) + n;
	as->secret = xcalloc(1, as->secret_size);
	as->secret->len = n;
	memcpy(as->secret->data, as->password, n);
	*psecret = as->secret;
	return SASL_OK;
}

/* auth_cb_realm - SASL_CB_GETREALM: the server's first realm, or none */
static int
auth_cb_realm(void *context, int id, const char **avail, const char **result)
{
	(void)context;
	if (id != SASL_CB_GETREALM)
		return SASL_BADPARAM;
	*result = avail != NULL && avail[0] != NULL ? avail[0] : "";
	return SASL_OK;
}

/* auth_new - a session's AUTH state */
struct auth_session *
auth_new(const struct conf_relay *r, bool tls_active, struct why *why)
{
	struct auth_session	*as;

	why_clear(why);
	if (r->user == NULL || r->user[0] == '\0') {
		why_set(why, 0, NULL, "no user configured for relay %s: set "
		    "user (and the password in the secrets file) to use "
		    "AUTH", r->host != NULL ? r->host : "?");
		return NULL;
	}
	if (!tls_active && !r->allow_plaintext_auth) {
		why_set(why, 0, NULL, "refusing to send credentials for %s "
		    "over an unencrypted connection to %s: use tls = starttls "
		    "or tls = implicit, or set allow_plaintext_auth = yes if "
		    "the network is trusted", r->user,
		    r->host != NULL ? r->host : "?");
		return NULL;
	}
	if (auth_sasl_init(r, why) == -1)
		return NULL;
	as = xcalloc(1, sizeof(*as));
	as->relay = r;
	as->tls = tls_active;
	buf_init(&as->token, AUTH_TOKEN_MAX);
	buf_init(&as->resp, AUTH_RESP_MAX);
	as->cb[0] = (sasl_callback_t){ SASL_CB_USER, AUTH_CB(auth_cb_simple),
	    as };
	as->cb[1] = (sasl_callback_t){ SASL_CB_AUTHNAME,
	    AUTH_CB(auth_cb_simple), as };
	as->cb[2] = (sasl_callback_t){ SASL_CB_PASS, AUTH_CB(auth_cb_pass),
	    as };
	as->cb[3] = (sasl_callback_t){ SASL_CB_GETREALM,
	    AUTH_CB(auth_cb_realm), as };
	as->cb[4] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	return as;
}

/* auth_wipe_buf - wipe and free a buffer that may hold a secret */
static void
auth_wipe_buf(struct buf *b)
{
	if (b->data != NULL)
		wipe(b->data, b->cap);
	buf_free(b);
}

/* auth_smtp_start - auth_start for the SMTP machine's plug-in */
int
auth_smtp_start(struct auth_session *as, const char *offered,
    const char **mech, struct buf *initial, bool *has_initial,
    struct why *why)
{
	const unsigned char	*resp = NULL;
	size_t			 len = 0;

	if (auth_start(as, offered, mech, &resp, &len, why) == -1)
		return -1;
	*has_initial = resp != NULL;
	if (resp != NULL && len > 0 && buf_append(initial, resp, len) == -1) {
		why_set(why, 0, NULL, "authentication initial response too "
		    "long");
		return -1;
	}
	return 0;
}

/* auth_smtp_step - auth_step for the SMTP machine's plug-in */
int
auth_smtp_step(struct auth_session *as, const char *challenge, size_t len,
    struct buf *response, struct why *why)
{
	const unsigned char	*resp = NULL;
	size_t			 rlen = 0;

	if (as == NULL) {
		why_set(why, 0, NULL, "authentication challenge before AUTH");
		return -1;
	}
	if (auth_step(as, (const unsigned char *)challenge, len, &resp,
	    &rlen, why) == -1)
		return -1;
	if (resp != NULL && rlen > 0 && buf_append(response, resp, rlen) ==
	    -1) {
		why_set(why, 0, NULL, "authentication response too long");
		return -1;
	}
	return 0;
}

/* auth_free - dispose and wipe */
void
auth_free(struct auth_session *as)
{
	if (as == NULL)
		return;
	if (as->sasl != NULL)
		sasl_dispose(&as->sasl);
	if (as->secret != NULL) {
		wipe(as->secret, as->secret_size);
		free(as->secret);
	}
	if (as->password != NULL) {
		wipe(as->password, strlen(as->password));
		free(as->password);
	}
	auth_wipe_buf(&as->token);
	auth_wipe_buf(&as->resp);
	free(as);
}

/* auth_in_list - is name (case-folded) a word of the space list? */
static bool
auth_in_list(const char *list, const char *name)
{
	size_t		 n = strlen(name), k, words = 0;
	const char	*p = list;

	while (p != NULL && *p != '\0' && words < AUTH_OFFERED_MAX) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		k = strcspn(p, " \t,");
		if (k == 0)
			break;
		words++;
		if (k == n && strncasecmp(p, name, n) == 0)
			return true;
		p += k;
	}
	return false;
}

/* auth_candidates - offered x allowed, in our order */
size_t
auth_candidates(const struct auth_session *as, const char *offered,
    const char **out, size_t max)
{
	const struct conf_relay	*r = as->relay;
	bool			 have_token = r->token_command != NULL ||
				    r->oauth_flow != CONF_OAUTH_NONE;
	bool			 have_pass = r->password != NULL ||
				    r->password_command != NULL;
	size_t			 i, n = 0;

	for (i = 0; i < ARRAY_SIZE(auth_mechs) && n < max; i++) {
		const struct auth_mech *m = &auth_mechs[i];

		if (!auth_in_list(offered, m->name))
			continue;
		if (r->auth_mechanisms != NULL) {
			if (!auth_in_list(r->auth_mechanisms, m->name))
				continue;
		} else if (!m->by_default)
			continue;
		if (m->kind == AUTH_K_SASL ? !have_pass : !have_token)
			continue;
		out[n++] = m->name;
	}
	return n;
}

/* auth_mech_find - table entry by name */
static const struct auth_mech *
auth_mech_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(auth_mechs); i++)
		if (strcmp(auth_mechs[i].name, name) == 0)
			return &auth_mechs[i];
	return NULL;
}

/* auth_one_line - a command's output must be one line of printables */
static int
auth_one_line(const char *what, const struct buf *b, struct why *why)
{
	size_t	i;

	for (i = 0; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->data[i];

		if (ch < 0x20 || ch == 0x7f) {
			why_set(why, 0, NULL, "%s: output has a line break or "
			    "control character: print the value alone on "
			    "one line", what);
			return -1;
		}
	}
	return 0;
}

/* auth_get_password - the configured password, or password_command's */
static int
auth_get_password(struct auth_session *as, struct why *why)
{
	const struct conf_relay	*r = as->relay;
	struct buf		 out;
	int			 ret = -1;

	if (as->password != NULL)
		return 0;
	if (r->password != NULL) {
		as->password = xstrdup(r->password);
		return 0;
	}
	if (r->password_command == NULL) {
		why_set(why, 0, NULL, "no password for %s on %s: add it to "
		    "the secrets file or set password_command", r->user,
		    r->host != NULL ? r->host : "?");
		return -1;
	}
	buf_init(&out, AUTH_PASSWORD_MAX);
	if (run_command("password_command", r->password_command,
	    AUTH_COMMAND_TIMEOUT_MS, AUTH_PASSWORD_MAX, &out, why) == -1)
		goto out;
	if (auth_one_line("password_command", &out, why) == -1)
		goto out;
	as->password = xstrdup(buf_cstr(&out));
	ret = 0;
out:
	auth_wipe_buf(&out);
	return ret;
}

/*
 * auth_get_token - the relay's built-in OAuth2 token (oauth.c: cached for
 * every session), or token_command's, run once per session
 */
static int
auth_get_token(struct auth_session *as, struct why *why)
{
	if (as->have_token)
		return 0;
	if (as->relay->oauth_flow != CONF_OAUTH_NONE) {
		if (oauth_token(as->relay, &as->token, NULL, why) == -1)
			return -1;
		as->have_token = true;
		return 0;
	}
	if (run_command("token_command", as->relay->token_command,
	    AUTH_COMMAND_TIMEOUT_MS, AUTH_TOKEN_MAX, &as->token, why) == -1)
		return -1;
	if (auth_one_line("token_command", &as->token, why) == -1)
		return -1;
	as->have_token = true;
	return 0;
}

/* auth_oauth_response - the XOAUTH2 or OAUTHBEARER initial response */
static int
auth_oauth_response(struct auth_session *as, struct why *why)
{
	const struct conf_relay	*r = as->relay;
	const char		*p;
	int			 rc = 0;

	buf_reset(&as->resp);
	if (as->mech->kind == AUTH_K_XOAUTH2) {
		rc |= buf_printf(&as->resp, "user=%s\001auth=Bearer ",
		    r->user);
	} else {
		/* RFC 7628 3.1: gs2 header, authzid with ',' and '=' escaped */
		rc |= buf_puts(&as->resp, "n,a=");
		for (p = r->user; *p != '\0'; p++) {
			if (*p == ',')
				rc |= buf_puts(&as->resp, "=2C");
			else if (*p == '=')
				rc |= buf_puts(&as->resp, "=3D");
			else
				rc |= buf_putc(&as->resp, *p);
		}
		rc |= buf_printf(&as->resp, ",\001host=%s\001",
		    r->host != NULL ? r->host : "");
		if (r->port != 0)
			rc |= buf_printf(&as->resp, "port=%u\001", r->port);
		rc |= buf_puts(&as->resp, "auth=Bearer ");
	}
	rc |= buf_append(&as->resp, as->token.data, as->token.len);
	rc |= buf_puts(&as->resp, "\001\001");
	if (rc != 0) {
		why_set(why, 0, NULL, "%s response too long", as->mech->name);
		return -1;
	}
	return 0;
}

/* auth_sasl_error - Cyrus's detail in why */
static void
auth_sasl_error(struct auth_session *as, const char *where, int rc,
    struct why *why)
{
	const char	*detail = as->sasl != NULL ? sasl_errdetail(as->sasl) :
			    sasl_errstring(rc, NULL, NULL);

	if (rc == SASL_INTERACT)
		why_set(why, 0, NULL, "%s %s: SASL wants credentials postern "
		    "does not have (user, password or realm)", where,
		    as->mech->name);
	else
		why_set(why, 0, NULL, "%s %s: %s", where, as->mech->name,
		    detail != NULL ? detail : "SASL failure");
}

/* auth_sasl_begin - new SASL connection and sasl_client_start for mech */
static int
auth_sasl_begin(struct auth_session *as, const unsigned char **resp,
    size_t *resp_len, struct why *why)
{
	sasl_security_properties_t	 sp;
	sasl_interact_t			*interact = NULL;
	const char			*out = NULL, *chosen = NULL;
	unsigned			 outlen = 0;
	int				 rc;

	if (as->sasl != NULL)
		sasl_dispose(&as->sasl);
	rc = sasl_client_new(AUTH_SERVICE, as->relay->host, NULL, NULL,
	    as->cb, 0, &as->sasl);
	if (rc != SASL_OK) {
		as->sasl = NULL;
		why_set(why, 0, NULL, "SASL: %s",
		    sasl_errstring(rc, NULL, NULL));
		return -1;
	}
	/* TLS protects the session: no SASL security layer (max_ssf 0) */
	memset(&sp, 0, sizeof(sp));
	sp.security_flags = SASL_SEC_NOANONYMOUS;
	if ((rc = sasl_setprop(as->sasl, SASL_SEC_PROPS, &sp)) != SASL_OK) {
		auth_sasl_error(as, "SASL properties for", rc, why);
		return -1;
	}
	rc = sasl_client_start(as->sasl, as->mech->name, &interact, &out,
	    &outlen, &chosen);
	if (rc == SASL_NOMECH)
		return 1;
	if (rc != SASL_OK && rc != SASL_CONTINUE) {
		auth_sasl_error(as, "AUTH", rc, why);
		return -1;
	}
	if (out == NULL || outlen == 0) {
		*resp = NULL;
		*resp_len = 0;
		return 0;
	}
	buf_reset(&as->resp);
	if (buf_append(&as->resp, out, outlen) == -1) {
		why_set(why, 0, NULL, "AUTH %s: response too long",
		    as->mech->name);
		return -1;
	}
	*resp = (const unsigned char *)as->resp.data;
	*resp_len = as->resp.len;
	return 0;
}

/* auth_start - pick a mechanism and produce the initial response */
int
auth_start(struct auth_session *as, const char *offered, const char **mech,
    const unsigned char **resp, size_t *resp_len, struct why *why)
{
	const char	*cand[AUTH_MECHS_MAX];
	char		 missing[WHY_TEXT_MAX];
	size_t		 n, i;
	int		 rc;

	why_clear(why);
	missing[0] = '\0';
	*mech = NULL;
	*resp = NULL;
	*resp_len = 0;
	n = auth_candidates(as, offered != NULL ? offered : "", cand,
	    ARRAY_SIZE(cand));
	if (n == 0) {
		why_set(why, 0, NULL, "no authentication mechanism in common "
		    "with %s: server offers '%s', auth_mechanisms allows "
		    "'%s'%s", as->relay->host != NULL ? as->relay->host : "?",
		    offered != NULL ? offered : "",
		    as->relay->auth_mechanisms != NULL ?
		    as->relay->auth_mechanisms : AUTH_DEFAULT_LIST,
		    as->relay->token_command == NULL &&
		    as->relay->oauth_flow == CONF_OAUTH_NONE ? "" :
		    " (XOAUTH2/OAUTHBEARER need token_command or oauth_flow)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		as->mech = auth_mech_find(cand[i]);
		if (as->mech->kind != AUTH_K_SASL) {
			if (auth_get_token(as, why) == -1 ||
			    auth_oauth_response(as, why) == -1)
				return -1;
			*mech = as->mech->name;
			*resp = (const unsigned char *)as->resp.data;
			*resp_len = as->resp.len;
			return 0;
		}
		if (auth_get_password(as, why) == -1)
			return -1;
		rc = auth_sasl_begin(as, resp, resp_len, why);
		if (rc == -1)
			return -1;
		if (rc == 0) {
			*mech = as->mech->name;
			return 0;
		}
		log_debug("SASL mechanism %s: no client plugin, trying the "
		    "next", as->mech->name);
		if (missing[0] != '\0')
			str_append(missing, " ", sizeof(missing));
		str_append(missing, as->mech->name, sizeof(missing));
	}
	as->mech = NULL;
	why_set(why, 0, NULL, "no usable authentication mechanism: the Cyrus "
	    "SASL client plugins for %s are not installed (apt-get install "
	    "libsasl2-modules)", missing);
	return -1;
}

/* auth_printable - a challenge for the debug log */
static void
auth_printable(const unsigned char *p, size_t n, char *out, size_t size)
{
	size_t	i, k = 0;

	for (i = 0; i < n && k + 1 < size; i++)
		out[k++] = isprint(p[i]) ? (char)p[i] : '.';
	out[k] = '\0';
}

/* auth_step - answer one challenge */
int
auth_step(struct auth_session *as, const unsigned char *challenge,
    size_t len, const unsigned char **resp, size_t *resp_len,
    struct why *why)
{
	sasl_interact_t	*interact = NULL;
	const char	*out = NULL;
	unsigned	 outlen = 0;
	char		 text[WHY_TEXT_MAX];
	int		 rc;

	why_clear(why);
	if (as->mech == NULL) {
		why_set(why, 0, NULL, "AUTH: challenge before auth_start");
		return -1;
	}
	buf_reset(&as->resp);
	if (as->mech->kind != AUTH_K_SASL) {
		/* the server's error status (JSON); RFC 7628 3.2.3 */
		auth_printable(challenge, len, text, sizeof(text));
		log_debug("%s error from server: %s", as->mech->name, text);
		if (as->mech->kind == AUTH_K_OAUTHBEARER &&
		    buf_putc(&as->resp, '\001') == -1) {
			why_set(why, 0, NULL, "AUTH %s: %s", as->mech->name,
			    strerror(errno));
			return -1;
		}
		*resp = (const unsigned char *)(as->resp.data != NULL ?
		    as->resp.data : "");
		*resp_len = as->resp.len;
		return 0;
	}
	if (len > UINT32_MAX) {
		why_set(why, 0, NULL, "AUTH %s: challenge too long",
		    as->mech->name);
		return -1;
	}
	rc = sasl_client_step(as->sasl, (const char *)challenge,
	    (unsigned)len, &interact, &out, &outlen);
	if (rc != SASL_OK && rc != SASL_CONTINUE) {
		auth_sasl_error(as, "AUTH", rc, why);
		return -1;
	}
	if (out != NULL && outlen > 0 &&
	    buf_append(&as->resp, out, outlen) == -1) {
		why_set(why, 0, NULL, "AUTH %s: response too long",
		    as->mech->name);
		return -1;
	}
	*resp = (const unsigned char *)(as->resp.data != NULL ?
	    as->resp.data : "");
	*resp_len = as->resp.len;
	return 0;
}

/* auth_has - case-insensitive substring */
static bool
auth_has(const char *text, const char *needle)
{
	return text != NULL && strcasestr(text, needle) != NULL;
}

/* auth_advice - the cause and fix of a final AUTH reply */
const char *
auth_advice(int code, const char *enh, const char *text)
{
	const char	*words;
	const char	*e = enh != NULL ? enh : "";

	if (auth_has(text, "SmtpClientAuthentication is disabled"))
		words = "authenticated SMTP is disabled for this mailbox "
		    "by the provider: enable SMTP AUTH for it in the admin "
		    "center";
	else if (auth_has(text, "basic authentication is disabled") ||
	    strcmp(e, "5.7.139") == 0)
		words = "the provider has disabled password (basic) "
		    "authentication: use XOAUTH2 (oauth_flow, or a "
		    "token_command)";
	else if (code == 534 && strcmp(e, "5.7.9") == 0)
		words = "application-specific password required: create an "
		    "app password in the account's security settings and "
		    "put it in the secrets file";
	else if (code == 534 && strcmp(e, "5.7.14") == 0)
		words = "the provider wants an interactive sign-in first: log "
		    "in with a web browser, then retry";
	else if (code == 534)
		words = "authentication mechanism too weak for the server: "
		    "allow a stronger one in auth_mechanisms";
	else if (code == 530 && (auth_has(text, "STARTTLS") ||
	    strcmp(e, "5.7.0") == 0))
		words = "the server requires STARTTLS before "
		    "authentication: set tls = starttls";
	else if (code == 530)
		words = "the server requires authentication: set user and "
		    "the password for this relay";
	else if (code == 535)
		words = "authentication failed: wrong user name or password "
		    "(check user in postern.conf and the password in the "
		    "secrets file)";
	else if (code == 538)
		words = "the server requires an encrypted connection for "
		    "this mechanism: use tls = starttls or tls = implicit";
	else if (code == 454)
		words = "temporary authentication failure at the server: "
		    "will retry";
	else if (code == 504)
		words = "the server does not accept this authentication "
		    "mechanism: adjust auth_mechanisms";
	else if (code == 432)
		words = "the server wants a password change before this "
		    "account can authenticate";
	else if (code >= 400 && code < 500)
		words = "temporary authentication failure: will retry";
	else
		words = "authentication failed";
	return words;
}

/* auth_explain - the final AUTH reply in words */
void
auth_explain(int code, const char *enh, const char *text, struct why *why)
{
	const char	*words = auth_advice(code, enh, text);
	const char	*e = enh != NULL ? enh : "";

	why_set(why, code, e, "%s (server said: %d%s%s %s)", words, code,
	    e[0] != '\0' ? " " : "", e, text != NULL ? text : "");
}
