/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.c - the loader: postern.conf (INI, via libinih) into struct conf,
 * through the key table of confkey.c, then the cross-checks between keys.
 *
 * Every problem becomes one line in the caller's buffer (file:line:
 * [section] key: cause: fix) and parsing goes on, so all are shown at once.
 * inih splits "key = value"; our reader in front of it counts lines, takes
 * [section] headers itself (a repeated [relay] starts a new relay), refuses
 * overlong lines and strips leading blanks (no inih continuation lines).
 * The secrets file is confsecrets.c's, the dump confdump.c's: this file
 * never reads a password.  Timeout defaults follow RFC 5321 4.5.3.2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "confkey.h"
#include "preset.h"
#include "util.h"

/*
 * conf_relay_region - ses_region: needed by a region preset (ses), a
 * valid region name, and nowhere else
 */
static void
conf_relay_region(struct conf_parse *p, const struct conf_relay *r,
    const struct preset *ps)
{
	const struct conf_origin *o =
	    &r->origins[conf_kidx(SECT_RELAY, "ses_region")];
	unsigned	 line = o->file != NULL ? o->line : r->origin.line;

	if (r->ses_region != NULL && !preset_region_ok(r->ses_region))
		conf_err(p, line, "relay", "ses_region", "bad value '%.*s': "
		    "expected an AWS region like eu-west-1 or us-east-1 (the "
		    "part after email-smtp. in the SES SMTP endpoint)",
		    CONF_VALUE_SHOWN, r->ses_region);
	else if (ps != NULL && ps->region && r->ses_region == NULL &&
	    o->file == NULL &&
	    r->origins[conf_kidx(SECT_RELAY, "host")].file == NULL)
		conf_err(p, r->origin.line, "relay", "ses_region", "missing: "
		    "preset = %s needs ses_region = REGION, the AWS region "
		    "of your SES account (for example eu-west-1)", ps->name);
	else if (r->ses_region != NULL && (ps == NULL || !ps->region))
		conf_err(p, line, "relay", "ses_region", "set without preset "
		    "= ses: add preset = ses or remove ses_region");
}

/* conf_preset_str - fill an unset string key from a preset value */
static void
conf_preset_str(struct conf_relay *r, const char *key, char **field,
    const char *value, const char *preset)
{
	struct conf_origin	*o = &r->origins[conf_kidx(SECT_RELAY, key)];

	if (value == NULL || o->file != NULL || *field != NULL)
		return;
	*field = xstrdup(value);
	o->preset = preset;
}

/*
 * conf_relay_oauth - oauth_flow's defaults: the preset's endpoints and
 * scopes, then Microsoft's endpoint from authority and tenant
 */
static void
conf_relay_oauth(struct conf_relay *r, const struct preset *ps)
{
	bool	app = r->oauth_flow != CONF_OAUTH_REFRESH_TOKEN;

	if (r->oauth_flow == CONF_OAUTH_NONE)
		return;
	if (ps != NULL) {
		conf_preset_str(r, "oauth_authority", &r->oauth_authority,
		    ps->oauth_authority, ps->name);
		conf_preset_str(r, "oauth_tenant", &r->oauth_tenant,
		    ps->oauth_tenant, ps->name);
		conf_preset_str(r, "oauth_token_endpoint",
		    &r->oauth_token_endpoint, ps->oauth_token_endpoint,
		    ps->name);
		conf_preset_str(r, "oauth_scope", &r->oauth_scope,
		    app ? ps->oauth_scope_app : ps->oauth_scope_user,
		    ps->name);
		conf_preset_str(r, "oauth_login_endpoint",
		    &r->oauth_login_endpoint, ps->oauth_login_endpoint,
		    ps->name);
	}
	if (r->oauth_login_endpoint == NULL && r->oauth_tenant != NULL)
		r->oauth_login_endpoint = xasprintf("https://%s/%s/oauth2/"
		    "v2.0/devicecode", r->oauth_authority != NULL ?
		    r->oauth_authority : CONF_OAUTH_AUTHORITY,
		    r->oauth_tenant);
	if (r->oauth_token_endpoint == NULL && r->oauth_tenant != NULL)
		r->oauth_token_endpoint = xasprintf("https://%s/%s/oauth2/"
		    "v2.0/token", r->oauth_authority != NULL ?
		    r->oauth_authority : CONF_OAUTH_AUTHORITY,
		    r->oauth_tenant);
	if (r->oauth_scope == NULL && app && r->oauth_tenant != NULL)
		r->oauth_scope = xstrdup(CONF_OAUTH_SCOPE_EXO);
}

/* conf_relay_end - apply the preset, derive port and name, check host */
static void
conf_relay_end(struct conf_parse *p)
{
	struct conf_relay		*r = p->relay;
	const struct preset		*ps = NULL;
	struct conf_origin		*o_host, *o_port, *o_tls, *o_mech;
	struct conf_origin		*o_fs;
	char				 host[256];

	if (r == NULL)
		return;
	p->relay = NULL;
	o_host = &r->origins[conf_kidx(SECT_RELAY, "host")];
	o_port = &r->origins[conf_kidx(SECT_RELAY, "port")];
	o_tls = &r->origins[conf_kidx(SECT_RELAY, "tls")];
	o_mech = &r->origins[conf_kidx(SECT_RELAY, "auth_mechanisms")];
	o_fs = &r->origins[conf_kidx(SECT_RELAY, "force_sender")];
	if (r->preset != NULL && (ps = preset_find(r->preset)) != NULL) {
		if (o_host->file == NULL && (!ps->region ||
		    (r->ses_region != NULL &&
		    preset_region_ok(r->ses_region)))) {
			free(r->host);
			r->host = xstrdup(preset_host(ps, r->ses_region, host,
			    sizeof(host)) != NULL ? host : ps->host);
			o_host->preset = ps->name;
		}
		/* the account must be the sender: unless the file says */
		if (ps->force_sender && o_fs->file == NULL) {
			r->force_sender = true;
			o_fs->preset = ps->name;
		}
		/* the preset's port only goes with the preset's TLS mode */
		if (o_tls->file == NULL) {
			r->tls = ps->tls;
			o_tls->preset = ps->name;
			if (o_port->file == NULL) {
				r->port = ps->port;
				o_port->preset = ps->name;
			}
		}
	}
	if (o_port->file == NULL && o_port->preset == NULL)
		r->port = r->tls == CONF_TLS_IMPLICIT ? 465 :
		    r->tls == CONF_TLS_NONE ? 25 : 587;
	conf_relay_oauth(r, ps);
	if ((r->token_command != NULL || r->oauth_flow != CONF_OAUTH_NONE) &&
	    o_mech->file == NULL) {
		free(r->auth_mechanisms);
		r->auth_mechanisms = xstrdup(CONF_MECHS_TOKEN);
	}
	free(r->name);
	if (r->host != NULL)
		r->name = xasprintf("%s:%u", r->host, r->port);
	else
		r->name = xasprintf("relay %zu",
		    (size_t)(r - p->c->relays) + 1);
	conf_relay_region(p, r, ps);
	if (r->host == NULL && p->need_relay && (ps == NULL || !ps->region))
		conf_err(p, r->origin.line, "relay", "host", "missing: every "
		    "[relay] section needs host = NAME");
}

/* conf_section_begin - a [name] header at the current line */
static void
conf_section_begin(struct conf_parse *p, const char *name)
{
	const char	*sug;
	size_t		 s;

	if (p->sect == SECT_RELAY)
		conf_relay_end(p);
	p->skip = false;
	for (s = 0; conf_sect_names[s] != NULL; s++)
		if (strcmp(conf_sect_names[s], name) == 0)
			break;
	p->sect = (enum conf_sect)s;
	if (conf_sect_names[s] == NULL) {
		p->sect = SECT_NONE;
		p->skip = true;
		if ((sug = conf_suggest(name, conf_sect_names)) != NULL)
			conf_err(p, p->line, name, NULL, "unknown section (did "
			    "you mean '%s'?)", sug);
		else
			conf_err(p, p->line, name, NULL, "unknown section: "
			    "expected [postern], [queue], [timeouts] or "
			    "[relay]");
		return;
	}
	if (p->sect != SECT_RELAY)
		return;
	if (p->c->nrelays == CONF_RELAYS_MAX) {
		conf_err(p, p->line, "relay", NULL, "too many relays (at most "
		    "%d): remove this one", CONF_RELAYS_MAX);
		p->skip = true;
		return;
	}
	p->relay = &p->c->relays[p->c->nrelays++];
	conf_relay_init(p->relay);
	p->relay->origin.file = p->c->path;
	p->relay->origin.line = p->line;
}

/* conf_handler - inih callback for one "key = value" */
static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse	*p = user;
	const struct conf_key	*k;
	struct conf_origin	*o;
	const char		*sect, *sug;
	struct buf		 why;
	void			*base;
	size_t			 s;

	(void)section;		/* we track sections in conf_reader */
	if (p->skip)
		return 1;
	if (p->sect == SECT_NONE) {
		for (s = 0; s < conf_nkeys; s++)
			if (strcmp(conf_keys[s].name, name) == 0)
				break;
		if (s < conf_nkeys)
			conf_err(p, p->line, NULL, name, "key before any "
			    "[section]: put it under [%s]",
			    conf_sect_names[conf_keys[s].sect]);
		else
			conf_err(p, p->line, NULL, name, "key before any "
			    "[section]: start the file with [postern]");
		return 1;
	}
	sect = conf_sect_names[p->sect];
	if ((k = conf_key_find(p->sect, name)) == NULL) {
		for (s = 0; s < conf_nkeys; s++)
			if (strcmp(conf_keys[s].name, name) == 0)
				break;
		if (s < conf_nkeys)
			conf_err(p, p->line, sect, name, "unknown key here: "
			    "it belongs in [%s]",
			    conf_sect_names[conf_keys[s].sect]);
		else if ((sug = conf_suggest_key(p->sect, name)) != NULL)
			conf_err(p, p->line, sect, name, "unknown key (did you "
			    "mean '%s'?)", sug);
		else
			conf_err(p, p->line, sect, name, "unknown key: see "
			    "postern.conf(5) for the keys of [%s]", sect);
		return 1;
	}
	if (p->sect == SECT_RELAY) {
		base = p->relay;
		o = &p->relay->origins[k - conf_keys];
	} else {
		base = p->c;
		o = &p->c->origins[k - conf_keys];
	}
	if (o->file != NULL && !(k->flags & K_REPEAT)) {
		conf_err(p, p->line, sect, name, "duplicate key (first set at "
		    "line %u)", o->line);
		return 1;
	}
	buf_init(&why, CONF_WHY_MAX);
	if (conf_convert(k, value, base, &why) == -1)
		conf_err(p, p->line, sect, name, "%s", buf_cstr(&why));
	else if (o->file == NULL) {
		o->file = p->c->path;
		o->line = p->line;
	}
	buf_free(&why);
	return 1;
}

/* conf_strip_hash - cut a '#' comment that follows a blank */
static void
conf_strip_hash(char *s)
{
	char	*h;

	for (h = s; (h = strchr(h, '#')) != NULL; h++)
		if (h > s && (h[-1] == ' ' || h[-1] == '\t')) {
			*h = '\0';
			break;
		}
}

/*
 * conf_reader - inih reader: one line of the file into str.  Counts lines,
 * takes [section] headers itself, and hands inih only clean "key = value"
 * lines (or "" for anything else) so inih's own syntax handling never
 * fires.
 */
static char *
conf_reader(char *str, int num, void *arg)
{
	struct conf_parse	*p = arg;
	char			*s, *e;
	size_t			 n = 0, cap = (size_t)num;
	bool			 toolong = false, nul = false;
	int			 ch;

	for (;;) {
		if ((ch = getc(p->fp)) == EOF || ch == '\n')
			break;
		if (ch == '\0')
			nul = true;
		if (n + 3 >= cap || n >= CONF_LINE_MAX)
			toolong = true;
		else
			str[n++] = (char)ch;
	}
	if (ch == EOF && n == 0 && !toolong && !nul)
		return NULL;
	str[n] = '\0';
	p->line++;
	if (toolong) {
		conf_err(p, p->line, NULL, NULL, "line too long (more than %d "
		    "characters): shorten it", CONF_LINE_MAX);
		goto blank;
	}
	if (nul) {
		conf_err(p, p->line, NULL, NULL, "NUL byte in the line: remove "
		    "it");
		goto blank;
	}
	s = str;
	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s = str_trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		goto blank;
	conf_strip_hash(s);
	if (*s == '[') {
		if ((e = strchr(s, ']')) == NULL) {
			conf_err(p, p->line, NULL, NULL, "section header "
			    "without ']': write [postern], [queue], "
			    "[timeouts] or [relay]");
			goto blank;
		}
		*e = '\0';
		e = str_trim(e + 1);
		if (*e != '\0' && *e != ';') {
			conf_err(p, p->line, NULL, NULL, "text after the "
			    "section header: put keys on their own lines");
			goto blank;
		}
		conf_section_begin(p, str_trim(s + 1));
		goto blank;
	}
	e = s + strcspn(s, "=:");
	if (*e == '\0' || e == s) {
		conf_err(p, p->line, NULL, NULL, "syntax error: expected "
		    "key = value, a [section] header or a # comment");
		goto blank;
	}
	memmove(str, s, strlen(s) + 1);
	return str;
blank:
	str[0] = '\0';
	return str;
}

/* conf_fqdn - the machine's FQDN, or its short name */
static char *
conf_fqdn(void)
{
	struct addrinfo	 hints, *res = NULL;
	char		 name[CONF_FQDN_MAX], *out = NULL;

	if (gethostname(name, sizeof(name)) == -1 || name[0] == '\0')
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.') != NULL)
		return xstrdup(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		if (res != NULL && res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    conf_host_ok(res->ai_canonname))
			out = xstrdup(res->ai_canonname);
		freeaddrinfo(res);
	}
	return out != NULL ? out : xstrdup(name);
}

/* conf_line_of - line of a key's origin (0 when not from the file) */
static unsigned
conf_line_of(const struct conf_origin *origins, enum conf_sect s,
    const char *key)
{
	const struct conf_origin *o = &origins[conf_kidx(s, key)];

	return o->file != NULL ? o->line : 0;
}

/* conf_relay_validate_oauth - the rules of oauth_flow */
static void
conf_relay_validate_oauth(struct conf_parse *p, struct conf_relay *r)
{
	const struct conf_origin	*o = r->origins;
	unsigned			 l = conf_line_of(o, SECT_RELAY,
					    "oauth_flow");

	if (l == 0)
		l = r->origin.line;
	if (r->oauth_flow == CONF_OAUTH_NONE)
		return;
	if (r->user == NULL)
		conf_err(p, l, "relay", "oauth_flow", "needs user: add user = "
		    "ADDRESS (the mailbox the token is for)");
	if (r->token_command != NULL || r->password_command != NULL)
		conf_err(p, l, "relay", "oauth_flow", "set together with "
		    "token_command or password_command: keep only one way "
		    "to get the credential");
	if (r->oauth_client_id == NULL &&
	    r->oauth_flow != CONF_OAUTH_SERVICE_ACCOUNT)
		conf_err(p, l, "relay", "oauth_client_id", "missing: "
		    "oauth_flow needs the application (client) id");
	if (r->oauth_flow == CONF_OAUTH_SERVICE_ACCOUNT &&
	    r->oauth_key_file == NULL)
		conf_err(p, l, "relay", "oauth_key_file", "missing: "
		    "service_account needs the service account's JSON key "
		    "file");
	if (r->oauth_flow == CONF_OAUTH_CLIENT_CREDENTIALS &&
	    (r->oauth_key_file == NULL) != (r->oauth_certificate_file == NULL))
		conf_err(p, l, "relay", r->oauth_key_file == NULL ?
		    "oauth_key_file" : "oauth_certificate_file", "missing: a "
		    "certificate credential needs both oauth_key_file and "
		    "oauth_certificate_file");
	if (r->oauth_flow == CONF_OAUTH_REFRESH_TOKEN &&
	    r->oauth_key_file != NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "oauth_key_file"),
		    "relay", "oauth_key_file", "not used by refresh_token: "
		    "remove it");
	if (r->oauth_token_endpoint == NULL)
		conf_err(p, l, "relay", "oauth_token_endpoint", "missing: "
		    "set oauth_tenant (Microsoft), a preset, or "
		    "oauth_token_endpoint = https://...");
	else if (strncmp(r->oauth_token_endpoint, "https://", 8) != 0)
		conf_err(p, conf_line_of(o, SECT_RELAY,
		    "oauth_token_endpoint"), "relay", "oauth_token_endpoint",
		    "'%.*s' is not an https:// URL: secrets are only sent "
		    "over TLS", CONF_VALUE_SHOWN, r->oauth_token_endpoint);
	if (r->oauth_login_endpoint != NULL &&
	    strncmp(r->oauth_login_endpoint, "https://", 8) != 0)
		conf_err(p, conf_line_of(o, SECT_RELAY,
		    "oauth_login_endpoint"), "relay", "oauth_login_endpoint",
		    "'%.*s' is not an https:// URL", CONF_VALUE_SHOWN,
		    r->oauth_login_endpoint);
	if (r->oauth_scope == NULL)
		conf_err(p, l, "relay", "oauth_scope", "missing: set "
		    "oauth_scope, or a preset that knows it");
	if (strstr(r->auth_mechanisms, "XOAUTH2") == NULL &&
	    strstr(r->auth_mechanisms, "OAUTHBEARER") == NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "auth_mechanisms"),
		    "relay", "auth_mechanisms", "has neither XOAUTH2 nor "
		    "OAUTHBEARER, so the OAuth2 token would never be used: "
		    "add one of them");
}

/* conf_relay_validate - cross-field rules of one relay */
static void
conf_relay_validate(struct conf_parse *p, struct conf_relay *r)
{
	const struct conf_origin	*o = r->origins;
	unsigned			 l;

	if (r->user != NULL && r->tls == CONF_TLS_NONE &&
	    !r->allow_plaintext_auth) {
		l = conf_line_of(o, SECT_RELAY, "tls");
		conf_err(p, l ? l : r->origin.line, "relay", "tls", "none "
		    "with user set: AUTH would send the password in clear: "
		    "use tls = starttls or implicit, or set "
		    "allow_plaintext_auth = yes if the path to %s is trusted",
		    r->host != NULL ? r->host : "the relay");
	}
	if (r->tls_key_file != NULL && r->tls_cert_file == NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "tls_key_file"),
		    "relay", "tls_key_file", "set without tls_cert_file: add "
		    "tls_cert_file = /path/to/cert.pem or remove tls_key_file");
	if (r->tls_cert_file != NULL && r->tls_key_file == NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "tls_cert_file"),
		    "relay", "tls_cert_file", "set without tls_key_file: add "
		    "tls_key_file = /path/to/key.pem or remove tls_cert_file");
	if (r->token_command != NULL && r->user == NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "token_command"),
		    "relay", "token_command", "needs user: add user = "
		    "ADDRESS (the account the token belongs to)");
	if (r->token_command != NULL && r->password_command != NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "password_command"),
		    "relay", "password_command", "set together with "
		    "token_command: keep only one of them");
	if (r->token_command != NULL &&
	    strstr(r->auth_mechanisms, "XOAUTH2") == NULL &&
	    strstr(r->auth_mechanisms, "OAUTHBEARER") == NULL)
		conf_err(p, conf_line_of(o, SECT_RELAY, "auth_mechanisms"),
		    "relay", "auth_mechanisms", "has neither XOAUTH2 nor "
		    "OAUTHBEARER, so token_command would never be used: add "
		    "one of them");
	conf_relay_validate_oauth(p, r);
	if (r->tls_npins > 0 && r->tls == CONF_TLS_NONE)
		conf_err(p, conf_line_of(o, SECT_RELAY, "tls_pin"), "relay",
		    "tls_pin", "set with tls = none: pins need TLS: use tls = "
		    "starttls or implicit");
}

/* conf_validate - cross-field rules after the whole file is read */
static void
conf_validate(struct conf_parse *p)
{
	struct conf	*c = p->c;
	char		 a[32], b[32];
	unsigned	 l;
	size_t		 i, pl;

	if (c->alternate_config_directories != NULL) {
		const char	*w = c->alternate_config_directories;

		while (*w == ' ' || *w == '\t')
			w++;
		for (; *w != '\0'; w += strcspn(w, " \t"),
		    w += strspn(w, " \t"))
			if (*w != '/') {
				l = conf_line_of(c->origins, SECT_POSTERN,
				    "alternate_config_directories");
				conf_err(p, l, "postern",
				    "alternate_config_directories",
				    "'%.*s' is not an absolute path: list "
				    "directories starting with /",
				    (int)strcspn(w, " \t"), w);
				break;
			}
	}
	if (c->retry_min > c->retry_max) {
		l = conf_line_of(c->origins, SECT_QUEUE, "retry_min");
		conf_err(p, l ? l : conf_line_of(c->origins, SECT_QUEUE,
		    "retry_max"), "queue", "retry_min", "%s is more than "
		    "retry_max (%s): make retry_min <= retry_max",
		    format_duration(c->retry_min, a, sizeof(a)),
		    format_duration(c->retry_max, b, sizeof(b)));
	}
	pl = strlen(c->prometheus_textfile);
	if (pl > 0 && (pl < 6 || strcmp(c->prometheus_textfile + pl - 5,
	    ".prom") != 0 || c->prometheus_textfile[pl - 6] == '/'))
		conf_err(p, conf_line_of(c->origins, SECT_MONITORING,
		    "prometheus_textfile"), "monitoring", "prometheus_textfile",
		    "'%.*s' does not end in .prom: node_exporter's textfile "
		    "collector reads only *.prom files (for example "
		    "/var/lib/prometheus/node-exporter/postern.prom)",
		    CONF_VALUE_SHOWN, c->prometheus_textfile);
	if (c->max_header_size > c->max_message_size) {
		l = conf_line_of(c->origins, SECT_POSTERN, "max_header_size");
		conf_err(p, l ? l : conf_line_of(c->origins, SECT_POSTERN,
		    "max_message_size"), "postern", "max_header_size", "%s is "
		    "more than max_message_size (%s): lower it",
		    format_size(c->max_header_size, a, sizeof(a)),
		    format_size(c->max_message_size, b, sizeof(b)));
	}
	for (i = 0; i < c->nrelays; i++)
		conf_relay_validate(p, &c->relays[i]);
	if (p->need_relay && c->nrelays == 0)
		conf_err(p, 0, NULL, NULL, "no [relay] section: add one with "
		    "host = NAME (your provider's submission server) or "
		    "preset = NAME");
}

/* conf_load - parse, default, derive and validate */
int
conf_load(struct conf *c, const char *path, bool need_relay,
    struct buf *err)
{
	return conf_load_flags(c, path, need_relay ? CONF_NEED_RELAY : 0,
	    err);
}

/* conf_load_flags - parse, validate, and (unless told not to) name */
int
conf_load_flags(struct conf *c, const char *path, unsigned flags,
    struct buf *err)
{
	struct conf_parse	p;
	bool			need_relay = (flags & CONF_NEED_RELAY) != 0;
	int			rc;

	conf_defaults(c);
	c->path = xstrdup(path);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = c->path;
	p.err = err;
	p.need_relay = need_relay;
	p.sect = SECT_NONE;
	if ((p.fp = fopen(path, "re")) == NULL) {
		conf_err(&p, 0, NULL, NULL, "cannot open: %s: create it from "
		    "postern.conf.example or pass the right path",
		    strerror(errno));
		goto out;
	}
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	if (ferror(p.fp))
		conf_err(&p, 0, NULL, NULL, "read error: %s", strerror(errno));
	else if (rc != 0)
		conf_err(&p, rc > 0 ? (unsigned)rc : 0, NULL, NULL,
		    "syntax error");
	fclose(p.fp);
	if (p.sect == SECT_RELAY)
		conf_relay_end(&p);
	if ((flags & CONF_NO_NAMES) == 0 &&
	    (c->domain == NULL || c->hostname == NULL)) {
		char *fqdn = conf_fqdn();

		if (c->domain == NULL)
			c->domain = xstrdup(fqdn);
		if (c->hostname == NULL)
			c->hostname = xstrdup(fqdn);
		free(fqdn);
	}
	conf_validate(&p);
out:
	if (p.nerrors > 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}
