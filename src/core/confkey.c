/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confkey.c - the configuration's key table: every key with its section,
 * type, default and bounds (the relay presets are preset.c's), and the
 * converters that turn one value into its field (with "did you mean" on
 * a typo); the built-in defaults go through the same converters.
 *
 * The loader (conf.c), the dump (confdump.c) and conf_origin_of all walk
 * this one table.  Never reads a file, never logs, never shows a
 * password.
 */
#include "config.h"
#include "postern-paths.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "conf.h"
#include "confkey.h"
#include "preset.h"
#include "log.h"
#include "util.h"

#define CONF_ERRORS_MAX		50	/* then "too many errors" */
#define CONF_MECHS_MAX		256	/* normalised auth_mechanisms */
#define CONF_SUGGEST_MIN	2	/* edit distance always suggested */

_Static_assert(sizeof(enum conf_tls) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum conf_log) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum conf_oauth) == sizeof(int), "enum storage");

const char *const conf_sect_names[] = {
	"postern", "queue", "timeouts", "monitoring", "relay", NULL
};

static const char *const conf_tls_names[] = {
	"starttls", "implicit", "none", NULL
};

static const char *const conf_log_names[] = {
	"syslog", "stderr", "both", NULL
};

static const char *const conf_mech_names[] = {
	"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN",
	"XOAUTH2", "OAUTHBEARER", NULL
};

static const char *const conf_oauth_names[] = {
	"none", "client_credentials", "refresh_token", "service_account",
	NULL
};

#define MIN	60ULL
#define HOUR	3600ULL
#define DAY	86400ULL
#define KIB	1024ULL
#define MIB	(1024ULL * 1024)
#define GIB	(1024ULL * 1024 * 1024)

#define G(f)	offsetof(struct conf, f)
#define R(f)	offsetof(struct conf_relay, f)

/* the order here is the order of conf_dump and of the example file */
const struct conf_key conf_keys[] = {
	{ SECT_POSTERN, "spool_dir", T_PATH, SPOOLDIR, 0, 0, G(spool_dir),
	    NULL, 0, "the queue directory (tmp/ new/ cur/ failed/)" },
	{ SECT_POSTERN, "secrets_file", T_PATH, CONFDIR "/secrets", 0, 0,
	    G(secrets_file), NULL, 0,
	    "relay passwords, readable by the agent's user only" },
	{ SECT_POSTERN, "aliases", T_PATH, "/etc/aliases", 0, 0, G(aliases),
	    NULL, K_EMPTY, "aliases file; empty turns alias expansion off" },
	{ SECT_POSTERN, "drop_program", T_PATH, SBINDIR "/postern-drop", 0, 0,
	    G(drop_program), NULL, 0, "the setgid spool writer" },
	{ SECT_POSTERN, "agent_program", T_PATH, SBINDIR "/posternd", 0, 0,
	    G(agent_program), NULL, 0, "the forwarding agent" },
	{ SECT_POSTERN, "alternate_config_directories", T_STRING, "", 0, 0,
	    G(alternate_config_directories), NULL, K_EMPTY,
	    "directories whose files any user may name with -C; read from "
	    "the default configuration only" },
	{ SECT_POSTERN, "domain", T_HOST, NULL, 0, 0, G(domain), NULL, 0,
	    "qualifies bare user names; default the machine's FQDN" },
	{ SECT_POSTERN, "hostname", T_HOST, NULL, 0, 0, G(hostname), NULL, 0,
	    "EHLO name and Message-ID right side; default the machine's FQDN" },
	{ SECT_POSTERN, "admin", T_STRING, "", 0, 0, G(admin), NULL, K_EMPTY,
	    "where mail for root and system users goes; empty: root@domain" },
	{ SECT_POSTERN, "masquerade_domain", T_HOST, NULL, 0, 0,
	    G(masquerade_domain), NULL, K_OPTIONAL,
	    "rewrite the envelope sender's domain to this one" },
	{ SECT_POSTERN, "masquerade_from", T_BOOL, "no", 0, 0,
	    G(masquerade_from), NULL, 0, "also rewrite the From: header" },
	{ SECT_POSTERN, "max_message_size", T_SIZE, "64M", KIB, 4 * GIB,
	    G(max_message_size), NULL, 0, "larger messages are refused" },
	{ SECT_POSTERN, "max_header_size", T_SIZE, "256K", KIB, 64 * MIB,
	    G(max_header_size), NULL, 0, "larger header blocks are refused" },
	{ SECT_POSTERN, "system_uid_max", T_UINT, "1000", 0, 2147483647,
	    G(system_uid_max), NULL, 0,
	    "uids below this are system users (mail goes to admin)" },
	{ SECT_POSTERN, "log", T_ENUM, "syslog", 0, 0, G(log), conf_log_names,
	    0, "where the log goes" },
	{ SECT_POSTERN, "debug", T_BOOL, "no", 0, 0, G(debug), NULL, 0,
	    "log protocol traces (passwords are never logged)" },

	{ SECT_QUEUE, "retry_min", T_DURATION, "1m", 1, DAY, G(retry_min),
	    NULL, 0, "first retry delay; doubles up to retry_max" },
	{ SECT_QUEUE, "retry_max", T_DURATION, "1h", 1, 7 * DAY, G(retry_max),
	    NULL, 0, "longest delay between retries" },
	{ SECT_QUEUE, "max_age", T_DURATION, "5d", 1, 60 * DAY, G(max_age),
	    NULL, 0, "bounce a message still undelivered after this" },
	{ SECT_QUEUE, "delay_warning", T_DURATION, "0", 0, 60 * DAY,
	    G(delay_warning), NULL, 0,
	    "warn the sender once (a DSN, Action: delayed) when a message "
	    "waits this long; 0: never" },
	{ SECT_QUEUE, "failed_keep", T_DURATION, "7d", 1, 365 * DAY,
	    G(failed_keep), NULL, 0, "remove failed/ entries after this" },
	{ SECT_QUEUE, "scan_interval", T_DURATION, "5m", 1, DAY,
	    G(scan_interval), NULL, 0, "periodic full queue scan" },
	{ SECT_QUEUE, "tmp_max_age", T_DURATION, "36h", 1, 30 * DAY,
	    G(tmp_max_age), NULL, 0, "remove stale tmp/ files after this" },
	{ SECT_QUEUE, "concurrency", T_UINT, "2", 1, 16, G(concurrency), NULL,
	    0, "SMTP sessions in parallel" },
	{ SECT_QUEUE, "session_max_messages", T_UINT, "100", 1, 100000,
	    G(session_max_messages), NULL, 0,
	    "messages per session before QUIT" },
	{ SECT_QUEUE, "session_idle", T_DURATION, "10s", 0, HOUR,
	    G(session_idle), NULL, 0, "QUIT an idle session after this" },
	{ SECT_QUEUE, "rate_limit", T_UINT, "0", 0, 1000000, G(rate_limit),
	    NULL, 0, "messages per rate_period; 0: no limit" },
	{ SECT_QUEUE, "rate_period", T_DURATION, "1m", 1, DAY, G(rate_period),
	    NULL, 0, "the window of rate_limit" },

	{ SECT_TIMEOUTS, "connect", T_DURATION, "30s", 1, HOUR, G(t_connect),
	    NULL, 0, "TCP connect" },
	{ SECT_TIMEOUTS, "greeting", T_DURATION, "5m", 1, HOUR, G(t_greeting),
	    NULL, 0, "220 greeting (RFC 5321 4.5.3.2.1)" },
	{ SECT_TIMEOUTS, "ehlo", T_DURATION, "5m", 1, HOUR, G(t_ehlo), NULL,
	    0, "EHLO reply" },
	{ SECT_TIMEOUTS, "starttls", T_DURATION, "2m", 1, HOUR, G(t_starttls),
	    NULL, 0, "STARTTLS reply and the TLS handshake" },
	{ SECT_TIMEOUTS, "auth", T_DURATION, "2m", 1, HOUR, G(t_auth), NULL,
	    0, "each AUTH step" },
	{ SECT_TIMEOUTS, "mail", T_DURATION, "5m", 1, HOUR, G(t_mail), NULL,
	    0, "MAIL FROM reply (4.5.3.2.2)" },
	{ SECT_TIMEOUTS, "rcpt", T_DURATION, "5m", 1, HOUR, G(t_rcpt), NULL,
	    0, "RCPT TO reply (4.5.3.2.3)" },
	{ SECT_TIMEOUTS, "data", T_DURATION, "2m", 1, HOUR, G(t_data), NULL,
	    0, "DATA 354 reply (4.5.3.2.4)" },
	{ SECT_TIMEOUTS, "data_block", T_DURATION, "3m", 1, HOUR,
	    G(t_data_block), NULL, 0,
	    "each write of message data (4.5.3.2.5)" },
	{ SECT_TIMEOUTS, "data_end", T_DURATION, "10m", 1, HOUR,
	    G(t_data_end), NULL, 0, "reply to the final dot (4.5.3.2.6)" },
	{ SECT_TIMEOUTS, "rset", T_DURATION, "2m", 1, HOUR, G(t_rset), NULL,
	    0, "RSET reply" },
	{ SECT_TIMEOUTS, "quit", T_DURATION, "1m", 1, HOUR, G(t_quit), NULL,
	    0, "QUIT reply" },
	{ SECT_TIMEOUTS, "oauth", T_DURATION, "30s", 1, HOUR, G(t_oauth),
	    NULL, 0, "a whole OAuth2 token request (connect: [timeouts] "
	    "connect)" },

	{ SECT_MONITORING, "prometheus_textfile", T_PATH, "", 0, 0,
	    G(prometheus_textfile), NULL, K_EMPTY,
	    "the agent writes its metrics there for node_exporter's textfile "
	    "collector (a .prom file); empty: off" },
	{ SECT_MONITORING, "alert_command", T_STRING, NULL, 0, 0,
	    G(alert_command), NULL, K_OPTIONAL,
	    "run by /bin/sh -c as the agent's user when a relay goes down "
	    "and when it is back, the facts in POSTERN_* variables; unset: "
	    "off" },
	{ SECT_MONITORING, "alert_timeout", T_DURATION, "30s", 1, 10 * MIN,
	    G(alert_timeout), NULL, 0,
	    "alert_command is killed after this" },

	{ SECT_RELAY, "preset", T_PRESET, NULL, 0, 0, R(preset),
	    preset_names, K_OPTIONAL,
	    "fill host, port and tls for a known provider (postern config "
	    "--presets lists them)" },
	{ SECT_RELAY, "ses_region", T_STRING, NULL, 0, 0, R(ses_region),
	    NULL, K_OPTIONAL, "the AWS region of preset = ses, like "
	    "eu-west-1" },
	{ SECT_RELAY, "host", T_HOST, NULL, 0, 0, R(host), NULL, 0,
	    "the smarthost (required unless preset is set)" },
	{ SECT_RELAY, "port", T_UINT, NULL, 1, 65535, R(port), NULL, 0,
	    "default 587 (starttls), 465 (implicit), 25 (none)" },
	{ SECT_RELAY, "tls", T_ENUM, "starttls", 0, 0, R(tls), conf_tls_names,
	    0, "TLS mode" },
	{ SECT_RELAY, "tls_verify", T_BOOL, "yes", 0, 0, R(tls_verify), NULL,
	    0, "verify the certificate chain and host name" },
	{ SECT_RELAY, "tls_ca_file", T_PATH, NULL, 0, 0, R(tls_ca_file), NULL,
	    K_OPTIONAL, "CA bundle instead of the system trust store" },
	{ SECT_RELAY, "tls_server_name", T_HOST, NULL, 0, 0,
	    R(tls_server_name), NULL, K_OPTIONAL,
	    "name for SNI and verification instead of host" },
	{ SECT_RELAY, "tls_cert_file", T_PATH, NULL, 0, 0, R(tls_cert_file),
	    NULL, K_OPTIONAL, "client certificate (PEM)" },
	{ SECT_RELAY, "tls_key_file", T_PATH, NULL, 0, 0, R(tls_key_file),
	    NULL, K_OPTIONAL, "client certificate key (PEM)" },
	{ SECT_RELAY, "tls_priority", T_STRING, NULL, 0, 0, R(tls_priority),
	    NULL, K_OPTIONAL, "GnuTLS priority string" },
	{ SECT_RELAY, "tls_pin", T_PINS, NULL, 0, 0, R(tls_pins), NULL,
	    K_OPTIONAL | K_REPEAT, "accepted certificate or key fingerprints" },
	{ SECT_RELAY, "user", T_STRING, NULL, 0, 0, R(user), NULL, K_OPTIONAL,
	    "SASL user name; unset: no AUTH" },
	{ SECT_RELAY, "auth_mechanisms", T_MECHS, CONF_MECHS_DEFAULT, 0, 0,
	    R(auth_mechanisms), NULL, 0, "SASL mechanisms to try, in order" },
	{ SECT_RELAY, "allow_plaintext_auth", T_BOOL, "no", 0, 0,
	    R(allow_plaintext_auth), NULL, 0,
	    "allow AUTH without TLS (the password crosses in clear)" },
	{ SECT_RELAY, "token_command", T_STRING, NULL, 0, 0, R(token_command),
	    NULL, K_OPTIONAL, "prints an OAuth2 token (XOAUTH2/OAUTHBEARER)" },
	{ SECT_RELAY, "password_command", T_STRING, NULL, 0, 0,
	    R(password_command), NULL, K_OPTIONAL,
	    "prints the password instead of the secrets file" },
	{ SECT_RELAY, "force_sender", T_BOOL, "no", 0, 0, R(force_sender),
	    NULL, 0, "envelope sender and From: become user" },
	{ SECT_RELAY, "oauth_flow", T_ENUM, "none", 0, 0, R(oauth_flow),
	    conf_oauth_names, 0,
	    "posternd gets the XOAUTH2/OAUTHBEARER token itself: "
	    "client_credentials, refresh_token or service_account; none: "
	    "off" },
	{ SECT_RELAY, "oauth_authority", T_STRING, NULL, 0, 0,
	    R(oauth_authority), NULL, K_OPTIONAL,
	    "Microsoft sign-in host (national clouds); default "
	    "login.microsoftonline.com" },
	{ SECT_RELAY, "oauth_tenant", T_STRING, NULL, 0, 0, R(oauth_tenant),
	    NULL, K_OPTIONAL, "Microsoft tenant id or domain" },
	{ SECT_RELAY, "oauth_client_id", T_STRING, NULL, 0, 0,
	    R(oauth_client_id), NULL, K_OPTIONAL,
	    "the application (client) id" },
	{ SECT_RELAY, "oauth_token_endpoint", T_STRING, NULL, 0, 0,
	    R(oauth_token_endpoint), NULL, K_OPTIONAL,
	    "https URL of the token endpoint; default from the preset, or "
	    "https://AUTHORITY/TENANT/oauth2/v2.0/token" },
	{ SECT_RELAY, "oauth_scope", T_STRING, NULL, 0, 0, R(oauth_scope),
	    NULL, K_OPTIONAL, "scopes asked for, space separated; default "
	    "from the preset" },
	{ SECT_RELAY, "oauth_login_endpoint", T_STRING, NULL, 0, 0,
	    R(oauth_login_endpoint), NULL, K_OPTIONAL,
	    "postern oauth login: Microsoft's device code endpoint "
	    "(.../devicecode), or an authorization endpoint (loopback "
	    "redirect with PKCE); default from the preset or the tenant" },
	{ SECT_RELAY, "oauth_token_file", T_PATH, NULL, 0, 0,
	    R(oauth_token_file), NULL, K_OPTIONAL,
	    "the refresh token, owned by the agent's user, mode 600, in a "
	    "directory it can write; default "
	    "SPOOL/state/oauth/HOST-PORT.refresh" },
	{ SECT_RELAY, "oauth_key_file", T_PATH, NULL, 0, 0,
	    R(oauth_key_file), NULL, K_OPTIONAL,
	    "signs the client assertion: the certificate's private key "
	    "(PEM, Microsoft) or the service account's JSON key file "
	    "(Google); the agent's user's, mode 600" },
	{ SECT_RELAY, "oauth_certificate_file", T_PATH, NULL, 0, 0,
	    R(oauth_certificate_file), NULL, K_OPTIONAL,
	    "the certificate (PEM) of oauth_key_file, as uploaded to the "
	    "Microsoft app registration" },
	{ SECT_RELAY, "oauth_ca_file", T_PATH, NULL, 0, 0, R(oauth_ca_file),
	    NULL, K_OPTIONAL,
	    "CA bundle for the token endpoint instead of the system's" },
};

#undef G
#undef R

#define CONF_NKEYS	ARRAY_SIZE(conf_keys)

const size_t conf_nkeys = CONF_NKEYS;

/* conf_tls_name - name of a TLS mode */
const char *
conf_tls_name(enum conf_tls t)
{
	if ((size_t)t < ARRAY_SIZE(conf_tls_names) - 1)
		return conf_tls_names[t];
	return "?";
}

/* conf_log_name - name of a log destination */
const char *
conf_log_name(enum conf_log l)
{
	if ((size_t)l < ARRAY_SIZE(conf_log_names) - 1)
		return conf_log_names[l];
	return "?";
}

/* conf_key_name - the i-th key, for documentation and tests */
const char *
conf_key_name(size_t i, const char **section)
{
	if (i >= CONF_NKEYS)
		return NULL;
	if (section != NULL)
		*section = conf_sect_names[conf_keys[i].sect];
	return conf_keys[i].name;
}

/* conf_key_find - table entry of key in sect, or NULL */
const struct conf_key *
conf_key_find(enum conf_sect sect, const char *key)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (conf_keys[i].sect == sect &&
		    strcmp(conf_keys[i].name, key) == 0)
			return &conf_keys[i];
	return NULL;
}

/* conf_kidx - table index of a key known to exist */
size_t
conf_kidx(enum conf_sect sect, const char *key)
{
	const struct conf_key *k = conf_key_find(sect, key);

	if (k == NULL)
		fatal_exit(EX_SOFTWARE, "conf: no key %s", key);
	return (size_t)(k - conf_keys);
}

/* conf_suggest - nearest name in names within a plausible distance */
const char *
conf_suggest(const char *word, const char *const *names)
{
	const char	*best = NULL;
	size_t		 d, bestd = (size_t)-1, limit;

	limit = strlen(word) / 3;
	if (limit < CONF_SUGGEST_MIN)
		limit = CONF_SUGGEST_MIN;
	for (; *names != NULL; names++) {
		d = edit_distance(word, *names);
		if (d < bestd) {
			bestd = d;
			best = *names;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* conf_suggest_key - nearest key name of a section */
const char *
conf_suggest_key(enum conf_sect sect, const char *word)
{
	const char	*names[CONF_NKEYS + 1];
	size_t		 i, n = 0;

	for (i = 0; i < CONF_NKEYS; i++)
		if (conf_keys[i].sect == sect)
			names[n++] = conf_keys[i].name;
	names[n] = NULL;
	return conf_suggest(word, names);
}

/* conf_join - "a, b or c" */
static void
conf_join(struct buf *b, const char *const *names, const char *last)
{
	size_t	i, n;

	for (n = 0; names[n] != NULL; n++)
		;
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_note(b, "%s", i + 1 == n ? last : ", ");
		buf_note(b, "%s", names[i]);
	}
}

/* conf_verr - one error line: "path:line: [sect] key: message" */
__attribute__((format(printf, 5, 0)))
static void
conf_verr(struct conf_parse *p, unsigned line, const char *sect,
    const char *key, const char *fmt, va_list ap)
{
	if (p->nerrors == CONF_ERRORS_MAX) {
		buf_note(p->err, "%s: too many errors, stopping here\n",
		    p->path);
		p->nerrors++;
	}
	if (p->nerrors > CONF_ERRORS_MAX)
		return;
	p->nerrors++;
	if (line > 0)
		buf_note(p->err, "%s:%u: ", p->path, line);
	else
		buf_note(p->err, "%s: ", p->path);
	if (sect != NULL && key != NULL)
		buf_note(p->err, "[%s] %s: ", sect, key);
	else if (sect != NULL)
		buf_note(p->err, "[%s]: ", sect);
	else if (key != NULL)
		buf_note(p->err, "%s: ", key);
	buf_vnote(p->err, fmt, ap);
	buf_note(p->err, "\n");
}

/* conf_err - as conf_verr */
__attribute__((format(printf, 5, 6)))
void
conf_err(struct conf_parse *p, unsigned line, const char *sect,
    const char *key, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_verr(p, line, sect, key, fmt, ap);
	va_end(ap);
}

/* conf_origin_format - human form of an origin */
char *
conf_origin_format(const struct conf_origin *o, char *out, size_t outsize)
{
	if (o != NULL && o->file != NULL)
		snprintf(out, outsize, "%s:%u", o->file, o->line);
	else if (o != NULL && o->preset != NULL)
		snprintf(out, outsize, "preset %s", o->preset);
	else
		snprintf(out, outsize, "default");
	return out;
}

/* conf_origin_of - public lookup of a value's origin */
const struct conf_origin *
conf_origin_of(const struct conf *c, const char *section, const char *key,
    size_t relay)
{
	size_t	s, i;

	for (s = 0; conf_sect_names[s] != NULL; s++)
		if (strcmp(conf_sect_names[s], section) == 0)
			break;
	if (conf_sect_names[s] == NULL)
		return NULL;
	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_keys[i].sect != (enum conf_sect)s ||
		    strcmp(conf_keys[i].name, key) != 0)
			continue;
		if (s != SECT_RELAY)
			return c->origins != NULL ? &c->origins[i] : NULL;
		if (relay >= c->nrelays || c->relays[relay].origins == NULL)
			return NULL;
		return &c->relays[relay].origins[i];
	}
	return NULL;
}

/* conf_has_ctl - true if s holds a control character */
static bool
conf_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* conf_host_ok - letters, digits, '-', '.', '_' or an address literal */
bool
conf_host_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._:[]", *s) == NULL)
			return false;
	return true;
}

/* conf_parse_bool - yes/no/true/false/on/off/1/0 */
static int
conf_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* conf_parse_mechs - validate and normalise a mechanism list */
static int
conf_parse_mechs(const char *v, char **out, struct buf *why)
{
	struct buf	 b;
	char		 tok[64];
	const char	*s = v, *sug;
	bool		 seen[ARRAY_SIZE(conf_mech_names)] = { false };
	size_t		 n, i;
	int		 rc = -1;

	buf_init(&b, CONF_MECHS_MAX);
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		n = strcspn(s, " \t,");
		if (n >= sizeof(tok))
			n = sizeof(tok) - 1;
		memcpy(tok, s, n);
		tok[n] = '\0';
		s += strcspn(s, " \t,");
		for (i = 0; conf_mech_names[i] != NULL; i++)
			if (strcasecmp(tok, conf_mech_names[i]) == 0)
				break;
		if (conf_mech_names[i] == NULL) {
			buf_note(why, "unknown mechanism '%s': expected some "
			    "of ", tok);
			conf_join(why, conf_mech_names, " and ");
			if ((sug = conf_suggest(tok, conf_mech_names)) != NULL)
				buf_note(why, " (did you mean '%s'?)", sug);
			goto out;
		}
		/* a repeated mechanism is harmless: keep the first */
		if (seen[i])
			continue;
		seen[i] = true;
		if ((b.len > 0 && buf_putc(&b, ' ') == -1) ||
		    buf_puts(&b, conf_mech_names[i]) == -1) {
			buf_note(why, "list too long");
			goto out;
		}
	}
	if (b.len == 0) {
		buf_note(why, "empty list: expected some of ");
		conf_join(why, conf_mech_names, " and ");
		goto out;
	}
	*out = xstrdup(buf_cstr(&b));
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* conf_parse_pin - "sha256:HEX" or "pubkey-sha256:HEX" into normal form */
static char *
conf_parse_pin(const char *tok, size_t len)
{
	static const char *const kinds[] = { "sha256:", "pubkey-sha256:" };
	char		 hex[65];
	const char	*kind = NULL, *s, *end = tok + len;
	size_t		 i, n = 0;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (len > strlen(kinds[i]) &&
		    strncasecmp(tok, kinds[i], strlen(kinds[i])) == 0)
			kind = kinds[i];
	if (kind == NULL)
		return NULL;
	for (s = tok + strlen(kind); s < end; s++) {
		if (*s == ':') {
			/* only between pairs: after an even, non-zero count */
			if (n == 0 || n % 2 != 0 || s + 1 == end ||
			    s[1] == ':')
				return NULL;
			continue;
		}
		if (!isxdigit((unsigned char)*s) || n == 64)
			return NULL;
		hex[n++] = (char)tolower((unsigned char)*s);
	}
	if (n != 64)
		return NULL;
	hex[n] = '\0';
	return xasprintf("%s%s", kind, hex);
}

/* conf_parse_pins - append comma-separated pins to a relay */
static int
conf_parse_pins(const char *v, struct conf_relay *r, struct buf *why)
{
	const char	*s = v;
	char		*pin;
	size_t		 n;

	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			return 0;
		n = strcspn(s, " \t,");
		if ((pin = conf_parse_pin(s, n)) == NULL) {
			buf_note(why, "bad value '%.*s': expected sha256:HEX "
			    "(certificate) or pubkey-sha256:HEX (public key) "
			    "with 64 hex digits, colons between pairs allowed",
			    (int)(n > CONF_VALUE_SHOWN ? CONF_VALUE_SHOWN : n),
			    s);
			return -1;
		}
		if (r->tls_npins == CONF_PINS_MAX) {
			free(pin);
			buf_note(why, "too many pins (at most %d per relay)",
			    CONF_PINS_MAX);
			return -1;
		}
		r->tls_pins[r->tls_npins++] = pin;
		s += n;
	}
}

/* conf_range_text - "from MIN to MAX" in the key's own units */
static void
conf_range_text(const struct conf_key *k, struct buf *why)
{
	char	a[32], b[32];

	switch (k->type) {
	case T_DURATION:
		buf_note(why, "from %s to %s",
		    format_duration(k->min, a, sizeof(a)),
		    format_duration(k->max, b, sizeof(b)));
		break;
	case T_SIZE:
		buf_note(why, "from %s to %s",
		    format_size(k->min, a, sizeof(a)),
		    format_size(k->max, b, sizeof(b)));
		break;
	default:
		buf_note(why, "from %llu to %llu",
		    (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	}
}

/* conf_form_text - the accepted form of a key, for messages */
static void
conf_form_text(const struct conf_key *k, struct buf *why)
{
	switch (k->type) {
	case T_UINT:
		buf_note(why, "expected a whole number ");
		conf_range_text(k, why);
		break;
	case T_DURATION:
		buf_note(why, "expected a duration like 30s, 5m, 2h or 5d, ");
		conf_range_text(k, why);
		break;
	case T_SIZE:
		buf_note(why, "expected a size like 512K, 10M or 1G, ");
		conf_range_text(k, why);
		break;
	default:
		break;
	}
}

/*
 * conf_bad_preset - an unknown preset: too many to list, so the message
 * names the command that does.  Returns -1.
 */
static int
conf_bad_preset(const char *v, const char *const *names, struct buf *why)
{
	const char	*sug;

	buf_note(why, "bad value '%.*s': no such preset", CONF_VALUE_SHOWN, v);
	if ((sug = conf_suggest(v, names)) != NULL)
		buf_note(why, " (did you mean '%s'?)", sug);
	buf_note(why, ": postern config --presets lists them");
	return -1;
}

/* conf_strp - the char * field of a key */
static char **
conf_strp(const struct conf_key *k, void *base)
{
	return (char **)(void *)((char *)base + k->off);
}

/*
 * conf_convert - parse value for key k into base (struct conf or
 * struct conf_relay).  Returns 0, or -1 with the reason in why.
 */
int
conf_convert(const struct conf_key *k, const char *v, void *base,
    struct buf *why)
{
	void		*field = (char *)base + k->off;
	const char	*shown = v, *sug;
	uint64_t	 u;
	bool		 b;
	size_t		 i;
	char		*s;
	int		 rc;

	if (*v == '\0' && k->type != T_PINS) {
		if (k->flags & K_OPTIONAL) {
			free(*conf_strp(k, base));
			*conf_strp(k, base) = NULL;
			return 0;
		}
		if (!(k->flags & K_EMPTY)) {
			buf_note(why, "empty value: write a value or remove "
			    "the line to get the default");
			return -1;
		}
	}
	if (conf_has_ctl(v)) {
		buf_note(why, "control character in the value: remove it");
		return -1;
	}
	switch (k->type) {
	case T_PATH:
		if (*v != '\0' && *v != '/') {
			buf_note(why, "bad value '%.*s': expected an absolute "
			    "path starting with /", CONF_VALUE_SHOWN, shown);
			return -1;
		}
		goto string;
	case T_HOST:
		if (!conf_host_ok(v)) {
			buf_note(why, "bad value '%.*s': expected a host "
			    "name like smtp.example.com", CONF_VALUE_SHOWN,
			    shown);
			return -1;
		}
		/* FALLTHROUGH */
	case T_STRING:
	string:
		free(*conf_strp(k, base));
		*conf_strp(k, base) = xstrdup(v);
		return 0;
	case T_BOOL:
		if (conf_parse_bool(v, &b) == -1) {
			buf_note(why, "bad value '%.*s': expected yes or no "
			    "(or true/false, on/off, 1/0)", CONF_VALUE_SHOWN,
			    shown);
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case T_UINT:
	case T_DURATION:
	case T_SIZE:
		errno = 0;
		if (k->type == T_UINT)
			rc = parse_uint(v, 0, UINT64_MAX, &u);
		else if (k->type == T_DURATION)
			rc = parse_duration(v, &u);
		else
			rc = parse_size(v, &u);
		if (rc == -1 && errno != ERANGE) {
			buf_note(why, "bad value '%.*s': ", CONF_VALUE_SHOWN,
			    shown);
			conf_form_text(k, why);
			return -1;
		}
		if (rc == -1 || u < k->min || u > k->max) {
			buf_note(why, "value '%.*s' out of range: ",
			    CONF_VALUE_SHOWN, shown);
			conf_form_text(k, why);
			return -1;
		}
		if (k->type == T_UINT)
			*(unsigned *)field = (unsigned)u;
		else
			*(uint64_t *)field = u;
		return 0;
	case T_ENUM:
	case T_PRESET:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcasecmp(v, k->names[i]) == 0)
				break;
		if (k->names[i] == NULL && k->type == T_PRESET)
			return conf_bad_preset(v, k->names, why);
		if (k->names[i] == NULL) {
			buf_note(why, "bad value '%.*s': expected ",
			    CONF_VALUE_SHOWN, shown);
			conf_join(why, k->names, " or ");
			if ((sug = conf_suggest(v, k->names)) != NULL)
				buf_note(why, " (did you mean '%s'?)", sug);
			return -1;
		}
		if (k->type == T_ENUM) {
			*(int *)field = (int)i;
			return 0;
		}
		free(*conf_strp(k, base));
		*conf_strp(k, base) = xstrdup(k->names[i]);
		return 0;
	case T_MECHS:
		if (conf_parse_mechs(v, &s, why) == -1)
			return -1;
		free(*conf_strp(k, base));
		*conf_strp(k, base) = s;
		return 0;
	case T_PINS:
		return conf_parse_pins(v, base, why);
	default:
		fatal_exit(EX_SOFTWARE, "conf: bad key type %d", k->type);
	}
}

/* conf_apply_defaults - built-in defaults of one section kind */
static void
conf_apply_defaults(bool relay, void *base)
{
	struct buf	why;
	size_t		i;

	buf_init(&why, CONF_WHY_MAX);
	for (i = 0; i < CONF_NKEYS; i++) {
		if ((conf_keys[i].sect == SECT_RELAY) != relay ||
		    conf_keys[i].def == NULL)
			continue;
		if (conf_convert(&conf_keys[i], conf_keys[i].def, base,
		    &why) == -1)
			fatal_exit(EX_SOFTWARE, "conf: bad default for %s: %s",
			    conf_keys[i].name, buf_cstr(&why));
	}
	buf_free(&why);
}

/* conf_defaults - built-in defaults, no relays */
void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->origins = xcalloc(CONF_NKEYS, sizeof(*c->origins));
	c->norigins = CONF_NKEYS;
	conf_apply_defaults(false, c);
}

/* conf_relay_init - one relay with its defaults */
void
conf_relay_init(struct conf_relay *r)
{
	memset(r, 0, sizeof(*r));
	r->origins = xcalloc(CONF_NKEYS, sizeof(*r->origins));
	conf_apply_defaults(true, r);
}

/* conf_free_strings - every string field named by the table */
static void
conf_free_strings(bool relay, void *base)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++) {
		switch (conf_keys[i].type) {
		case T_STRING:
		case T_HOST:
		case T_PATH:
		case T_MECHS:
		case T_PRESET:
			if ((conf_keys[i].sect == SECT_RELAY) == relay) {
				free(*conf_strp(&conf_keys[i], base));
				*conf_strp(&conf_keys[i], base) = NULL;
			}
			break;
		default:
			break;
		}
	}
}

/* conf_relay_free - a relay's storage, wiping the password */
static void
conf_relay_free(struct conf_relay *r)
{
	size_t	i;

	conf_free_strings(true, r);
	for (i = 0; i < r->tls_npins; i++)
		free(r->tls_pins[i]);
	if (r->password != NULL) {
		wipe(r->password, strlen(r->password));
		free(r->password);
	}
	free(r->name);
	free(r->origins);
	memset(r, 0, sizeof(*r));
}

/* conf_free - everything, NULL-safe on fields */
void
conf_free(struct conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nrelays && i < CONF_RELAYS_MAX; i++)
		conf_relay_free(&c->relays[i]);
	conf_free_strings(false, c);
	free(c->origins);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
