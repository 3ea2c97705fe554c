/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.c - postern.conf (INI, via libinih) into struct conf, and the
 * secrets file into relays[].password.
 *
 * One static key table drives parsing with range checks, the built-in
 * defaults (parsed by the same converters), conf_dump and "did you mean".
 * Every problem becomes one line in the caller's buffer (file:line:
 * [section] key: cause: fix) and parsing goes on, so all are shown at once.
 * inih splits "key = value"; our reader in front of it counts lines, takes
 * [section] headers itself (a repeated [relay] starts a new relay), refuses
 * overlong lines and strips leading blanks (no inih continuation lines).
 * Must never log or echo a password: secrets-file errors name the line,
 * never its text.  Timeout defaults follow RFC 5321 4.5.3.2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "util.h"

/* inih's fixed line buffer holds INI_MAX_LINE bytes with CR, LF and NUL */
#define CONF_LINE_MAX		(INI_MAX_LINE - 3)
#define CONF_ERRORS_MAX		50	/* then "too many errors" */
#define CONF_WHY_MAX		1024	/* one converter message */
#define CONF_MECHS_MAX		256	/* normalised auth_mechanisms */
#define CONF_VALUE_SHOWN	120	/* bytes of a bad value quoted back */
#define CONF_SECRETS_MAX	65536	/* secrets file size */
#define CONF_SUGGEST_MIN	2	/* edit distance always suggested */
#define CONF_FQDN_MAX		256

_Static_assert(sizeof(enum conf_tls) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum conf_log) == sizeof(int), "enum storage");

enum conf_sect {
	SECT_POSTERN = 0,
	SECT_QUEUE,
	SECT_TIMEOUTS,
	SECT_MONITORING,
	SECT_RELAY,
	SECT_NONE,		/* before the first header */
};

static const char *const conf_sect_names[] = {
	"postern", "queue", "timeouts", "monitoring", "relay", NULL
};

enum conf_type {
	T_STRING,	/* any text without control characters */
	T_HOST,		/* host or domain name, or an address literal */
	T_PATH,		/* absolute path */
	T_BOOL,
	T_UINT,		/* unsigned, [min, max] */
	T_DURATION,	/* uint64_t seconds, [min, max] */
	T_SIZE,		/* uint64_t bytes, [min, max] */
	T_ENUM,		/* int index into names */
	T_MECHS,	/* SASL mechanism list */
	T_PINS,		/* tls_pins[] */
	T_PRESET,	/* relay preset name */
};

#define K_OPTIONAL	0x01	/* empty value: unset (NULL) */
#define K_EMPTY		0x02	/* empty value allowed and stored as "" */
#define K_REPEAT	0x04	/* may be written more than once */

struct conf_key {
	enum conf_sect		 sect;
	const char		*name;
	enum conf_type		 type;
	const char		*def;	/* as written in a file; NULL: unset */
	uint64_t		 min, max;
	size_t			 off;	/* in struct conf or conf_relay */
	const char *const	*names;	/* T_ENUM, T_PRESET */
	unsigned		 flags;
	const char		*help;
};

struct conf_preset {
	const char	*name;
	const char	*host;
	unsigned	 port;
	enum conf_tls	 tls;
};

static const struct conf_preset conf_presets[] = {
	{ "gmail", "smtp.gmail.com", 587, CONF_TLS_STARTTLS },
	{ "office365", "smtp.office365.com", 587, CONF_TLS_STARTTLS },
	{ "outlook", "smtp-mail.outlook.com", 587, CONF_TLS_STARTTLS },
	{ "fastmail", "smtp.fastmail.com", 465, CONF_TLS_IMPLICIT },
	{ "sendgrid", "smtp.sendgrid.net", 587, CONF_TLS_STARTTLS },
	{ "mailgun", "smtp.mailgun.org", 587, CONF_TLS_STARTTLS },
	{ "ses-us-east-1", "email-smtp.us-east-1.amazonaws.com", 587,
	    CONF_TLS_STARTTLS },
};

static const char *const conf_preset_names[] = {
	"gmail", "office365", "outlook", "fastmail", "sendgrid", "mailgun",
	"ses-us-east-1", NULL
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

#define CONF_MECHS_DEFAULT	"SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN"
#define CONF_MECHS_TOKEN	"XOAUTH2 OAUTHBEARER"

#define MIN	60ULL
#define HOUR	3600ULL
#define DAY	86400ULL
#define KIB	1024ULL
#define MIB	(1024ULL * 1024)
#define GIB	(1024ULL * 1024 * 1024)

#define G(f)	offsetof(struct conf, f)
#define R(f)	offsetof(struct conf_relay, f)

/* the order here is the order of conf_dump and of the example file */
static const struct conf_key conf_keys[] = {
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
	    G(t_data_block), NULL, 0, "each write of message data (4.5.3.2.5)" },
	{ SECT_TIMEOUTS, "data_end", T_DURATION, "10m", 1, HOUR,
	    G(t_data_end), NULL, 0, "reply to the final dot (4.5.3.2.6)" },
	{ SECT_TIMEOUTS, "rset", T_DURATION, "2m", 1, HOUR, G(t_rset), NULL,
	    0, "RSET reply" },
	{ SECT_TIMEOUTS, "quit", T_DURATION, "1m", 1, HOUR, G(t_quit), NULL,
	    0, "QUIT reply" },

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
	    conf_preset_names, K_OPTIONAL,
	    "fill host, port and tls for a known provider" },
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
};

#undef G
#undef R

#define CONF_NKEYS	ARRAY_SIZE(conf_keys)

struct conf_parse {
	struct conf		*c;
	FILE			*fp;
	const char		*path;
	struct buf		*err;
	bool			 need_relay;
	unsigned		 line;
	enum conf_sect		 sect;
	bool			 skip;	/* unknown section or relay overflow */
	struct conf_relay	*relay;	/* current [relay], or NULL */
	size_t			 nerrors;
};

static void	conf_relay_init(struct conf_relay *);
static void	conf_relay_free(struct conf_relay *);

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
static const struct conf_key *
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
static size_t
conf_kidx(enum conf_sect sect, const char *key)
{
	const struct conf_key *k = conf_key_find(sect, key);

	if (k == NULL)
		fatal_exit(EX_SOFTWARE, "conf: no key %s", key);
	return (size_t)(k - conf_keys);
}

/* conf_suggest - nearest name in names within a plausible distance */
static const char *
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
static const char *
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
static void
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
static bool
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
static int
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
static void
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

/* conf_preset_find - preset by name */
static const struct conf_preset *
conf_preset_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(conf_presets); i++)
		if (strcmp(conf_presets[i].name, name) == 0)
			return &conf_presets[i];
	return NULL;
}

/* conf_relay_end - apply the preset, derive port and name, check host */
static void
conf_relay_end(struct conf_parse *p)
{
	struct conf_relay		*r = p->relay;
	const struct conf_preset	*ps = NULL;
	struct conf_origin		*o_host, *o_port, *o_tls, *o_mech;

	if (r == NULL)
		return;
	p->relay = NULL;
	o_host = &r->origins[conf_kidx(SECT_RELAY, "host")];
	o_port = &r->origins[conf_kidx(SECT_RELAY, "port")];
	o_tls = &r->origins[conf_kidx(SECT_RELAY, "tls")];
	o_mech = &r->origins[conf_kidx(SECT_RELAY, "auth_mechanisms")];
	if (r->preset != NULL && (ps = conf_preset_find(r->preset)) != NULL) {
		if (o_host->file == NULL) {
			free(r->host);
			r->host = xstrdup(ps->host);
			o_host->preset = ps->name;
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
	if (r->token_command != NULL && o_mech->file == NULL) {
		free(r->auth_mechanisms);
		r->auth_mechanisms = xstrdup(CONF_MECHS_TOKEN);
	}
	free(r->name);
	if (r->host != NULL)
		r->name = xasprintf("%s:%u", r->host, r->port);
	else
		r->name = xasprintf("relay %zu", (size_t)(r - p->c->relays) + 1);
	if (r->host == NULL && p->need_relay)
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
		for (s = 0; s < CONF_NKEYS; s++)
			if (strcmp(conf_keys[s].name, name) == 0)
				break;
		if (s < CONF_NKEYS)
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
		for (s = 0; s < CONF_NKEYS; s++)
			if (strcmp(conf_keys[s].name, name) == 0)
				break;
		if (s < CONF_NKEYS)
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
	size_t		 i;

	if (c->alternate_config_directories != NULL) {
		const char	*w = c->alternate_config_directories;

		while (*w == ' ' || *w == '\t')
			w++;
		for (; *w != '\0'; w += strcspn(w, " \t"),
		    w += strspn(w, " \t"))
			if (*w != '/') {
				conf_err(p, conf_line_of(c->origins,
				    SECT_POSTERN, "alternate_config_directories"),
				    "postern", "alternate_config_directories",
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
	if (c->prometheus_textfile[0] != '\0' &&
	    (strlen(c->prometheus_textfile) < 6 || strcmp(c->prometheus_textfile +
	    strlen(c->prometheus_textfile) - 5, ".prom") != 0 ||
	    c->prometheus_textfile[strlen(c->prometheus_textfile) - 6] == '/'))
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

/*
 * conf_dump_line - "key = value  # comment" when that fits a line the
 * reader accepts (CONF_LINE_MAX); else without the comment, then without
 * the blanks around '=', so that the dump always loads again.  A NULL key
 * writes the comment alone (a header), and only when it fits.
 */
static int
conf_dump_line(struct buf *out, const char *key, const char *value,
    const char *comment)
{
	size_t	klen = key != NULL ? strlen(key) : 0, vlen = strlen(value);
	size_t	clen = comment != NULL ? strlen(comment) : 0;
	/* a blank before a leading '#' or ';' would make the value a comment */
	const char *eq = value[0] == '#' || value[0] == ';' ? " =" : " = ";

	if (key == NULL)
		return clen + 2 > CONF_LINE_MAX ? 0 :
		    buf_printf(out, "# %s\n", comment);
	if (comment != NULL && klen + 3 + vlen + 4 + clen <= CONF_LINE_MAX)
		return buf_printf(out, "%s%s%s  # %s\n", key, eq, value,
		    comment);
	if (klen + 3 + vlen <= CONF_LINE_MAX)
		return buf_printf(out, "%s%s%s\n", key, eq, value);
	return buf_printf(out, "%s=%s\n", key, value);
}

/* conf_dump_key - "key = value  # origin" for one key; 0 or -1 */
static int
conf_dump_key(const struct conf_key *k, const void *base,
    const struct conf_origin *o, struct buf *out)
{
	const char	*field = (const char *)base + k->off;
	const char	*s;
	char		 tmp[64], where[CONF_FQDN_MAX + 32];
	size_t		 i;

	conf_origin_format(o, where, sizeof(where));
	switch (k->type) {
	case T_STRING:
	case T_HOST:
	case T_PATH:
	case T_MECHS:
	case T_PRESET:
		s = *(char *const *)(const void *)field;
		return conf_dump_line(out, k->name, s ? s : "", where);
	case T_BOOL:
		s = *(const bool *)field ? "yes" : "no";
		break;
	case T_UINT:
		snprintf(tmp, sizeof(tmp), "%u", *(const unsigned *)field);
		s = tmp;
		break;
	case T_DURATION:
		s = format_duration(*(const uint64_t *)field, tmp, sizeof(tmp));
		break;
	case T_SIZE:
		s = format_size(*(const uint64_t *)field, tmp, sizeof(tmp));
		break;
	case T_ENUM:
		s = k->names[*(const int *)field];
		break;
	case T_PINS: {
		const struct conf_relay *r = base;

		if (r->tls_npins == 0)
			return conf_dump_line(out, k->name, "", where);
		for (i = 0; i < r->tls_npins; i++)
			if (conf_dump_line(out, k->name, r->tls_pins[i],
			    where) == -1)
				return -1;
		return 0;
	}
	default:
		fatal_exit(EX_SOFTWARE, "conf: bad key type %d", k->type);
	}
	return conf_dump_line(out, k->name, s, where);
}

/* conf_dump - the effective configuration with origins */
int
conf_dump(const struct conf *c, struct buf *out)
{
	char	where[CONF_FQDN_MAX + 32], head[CONF_FQDN_MAX + 64], *text;
	size_t	s, i, r;
	int	rc = 0;

	/* comments too (a long -C path) must fit the reader's lines */
	text = xasprintf("postern configuration from %s", c->path != NULL ?
	    c->path : "(built-in defaults)");
	if (strlen(text) + 2 > CONF_LINE_MAX)
		text[strlen("postern configuration")] = '\0';
	if (conf_dump_line(out, NULL, "", text) == -1)
		rc = -1;
	free(text);
	for (s = SECT_POSTERN; s < SECT_RELAY; s++) {
		if (buf_printf(out, "\n[%s]\n", conf_sect_names[s]) == -1)
			rc = -1;
		for (i = 0; i < CONF_NKEYS; i++)
			if (conf_keys[i].sect == (enum conf_sect)s &&
			    conf_dump_key(&conf_keys[i], c, c->origins ?
			    &c->origins[i] : NULL, out) == -1)
				rc = -1;
	}
	for (r = 0; r < c->nrelays; r++) {
		snprintf(head, sizeof(head), "%s, tried %zu of %zu",
		    conf_origin_format(&c->relays[r].origin, where,
		    sizeof(where)), r + 1, c->nrelays);
		if ((strlen(head) + 11 <= CONF_LINE_MAX ?
		    buf_printf(out, "\n[relay]  # %s\n", head) :
		    buf_puts(out, "\n[relay]\n")) == -1)
			rc = -1;
		for (i = 0; i < CONF_NKEYS; i++)
			if (conf_keys[i].sect == SECT_RELAY &&
			    conf_dump_key(&conf_keys[i], &c->relays[r],
			    &c->relays[r].origins[i], out) == -1)
				rc = -1;
	}
	return rc;
}

/* conf_user_name - the name of a uid, or the number */
static void
conf_user_name(uid_t uid, char *out, size_t outsize)
{
	struct passwd	*pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, outsize, "%s", pw->pw_name);
	else
		snprintf(out, outsize, "%lu", (unsigned long)uid);
}

/* conf_needs_secret - a relay that takes its password from the file */
static bool
conf_needs_secret(const struct conf_relay *r)
{
	return r->user != NULL && r->password_command == NULL &&
	    r->token_command == NULL;
}

/*
 * conf_secret_match - how well "HOST[:PORT]" names relay r: 2 host and
 * port, 1 host alone, 0 not at all.  "[addr]:port" for IPv6 literals.
 */
static int
conf_secret_match(const char *tok, size_t len, const struct conf_relay *r)
{
	const char	*host = tok, *colon, *end = tok + len;
	size_t		 hlen = len;
	char		 num[8];
	uint64_t	 port;

	if (r->host == NULL)
		return 0;
	if (len > 0 && *tok == '[') {
		if ((colon = memchr(tok, ']', len)) == NULL)
			return 0;
		host = tok + 1;
		hlen = (size_t)(colon - host);
		colon++;
		if (colon != end && *colon != ':')
			return 0;
		if (colon == end)
			colon = NULL;
	} else if ((colon = memchr(tok, ':', len)) != NULL &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)) == NULL)
		hlen = (size_t)(colon - tok);
	else
		colon = NULL;	/* no port, or a bare IPv6 address */
	if (strlen(r->host) != hlen || strncasecmp(r->host, host, hlen) != 0)
		return 0;
	if (colon == NULL)
		return 1;
	if ((size_t)(end - colon - 1) >= sizeof(num))
		return 0;
	memcpy(num, colon + 1, (size_t)(end - colon - 1));
	num[end - colon - 1] = '\0';
	if (parse_uint(num, 1, 65535, &port) == -1 || port != r->port)
		return 0;
	return 2;
}

/* conf_load_secrets - relay passwords from the secrets file */
int
conf_load_secrets(struct conf *c, struct buf *err)
{
	return conf_load_secrets_as(c, geteuid(), err);
}

/* conf_load_secrets_as - the same, for a file that owner must own */
int
conf_load_secrets_as(struct conf *c, uid_t owner, struct buf *err)
{
	struct conf_parse	 p;
	struct stat		 st;
	char			*data = NULL, *line, *nl, *pw, me[64], them[64];
	const char		*path = c->secrets_file;
	size_t			 len = 0, i, hlen;
	size_t			 pwoff[CONF_RELAYS_MAX], pwlen[CONF_RELAYS_MAX];
	unsigned		 lineno = 0, seen[CONF_RELAYS_MAX];
	int			 best[CONF_RELAYS_MAX], m, fd = -1;
	ssize_t			 n;
	bool			 need = false;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = path;
	p.err = err;
	for (i = 0; i < c->nrelays; i++) {
		best[i] = 0;
		seen[i] = 0;
		need |= conf_needs_secret(&c->relays[i]);
	}
	if (!need)
		return 0;
	conf_user_name(owner, me, sizeof(me));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		conf_err(&p, 0, NULL, NULL, "cannot open: %s: create it with "
		    "one line \"HOST[:PORT] PASSWORD\" per relay, owned by %s "
		    "with mode 600", strerror(errno), me);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		conf_err(&p, 0, NULL, NULL, "fstat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(&p, 0, NULL, NULL, "not a regular file: make it a "
		    "plain file owned by %s with mode 600", me);
		goto out;
	}
	if (st.st_uid != owner) {
		conf_user_name(st.st_uid, them, sizeof(them));
		conf_err(&p, 0, NULL, NULL, "owned by %s, not by %s who reads "
		    "it: chown %s %s", them, me, me, path);
	}
	if ((st.st_mode & 077) != 0)
		conf_err(&p, 0, NULL, NULL, "mode %04o lets %s read the relay "
		    "passwords: chmod 600 %s", (unsigned)(st.st_mode & 07777),
		    (st.st_mode & 007) ? "every user" : "the group", path);
	if (p.nerrors > 0)
		goto out;
	/* one fixed buffer, never reallocated, so wiping it wipes all */
	data = xmalloc(CONF_SECRETS_MAX + 1);
	while ((n = read(fd, data + len, CONF_SECRETS_MAX + 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_err(&p, 0, NULL, NULL, "read: %s",
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
		if (len > CONF_SECRETS_MAX) {
			conf_err(&p, 0, NULL, NULL, "larger than %d bytes: "
			    "keep only the relay passwords in it",
			    CONF_SECRETS_MAX);
			goto out;
		}
	}
	data[len] = '\0';
	for (line = data; line < data + len; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(data + len - line)))
		    == NULL)
			nl = data + len;
		*nl = '\0';
		if (strlen(line) != (size_t)(nl - line)) {
			conf_err(&p, lineno, NULL, NULL, "NUL byte in the "
			    "line: remove it");
			continue;
		}
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		hlen = strcspn(line, " \t");
		pw = line + hlen;
		pw += strspn(pw, " \t");
		if (*pw == '\0') {
			/* never quote the line: it may be a bare password */
			conf_err(&p, lineno, NULL, NULL, "expected HOST[:PORT] "
			    "PASSWORD on one line");
			continue;
		}
		for (i = 0; i < c->nrelays; i++) {
			if (!conf_needs_secret(&c->relays[i]))
				continue;
			m = conf_secret_match(line, hlen, &c->relays[i]);
			if (m == 0 || m < best[i])
				continue;
			if (m == best[i]) {
				conf_err(&p, lineno, NULL, NULL, "second "
				    "password for %.*s (first at line %u): "
				    "keep one", (int)hlen, line, seen[i]);
				continue;
			}
			best[i] = m;
			seen[i] = lineno;
			pwoff[i] = (size_t)(pw - data);
			pwlen[i] = strlen(pw);
		}
	}
	for (i = 0; i < c->nrelays; i++)
		if (conf_needs_secret(&c->relays[i]) && best[i] == 0)
			conf_err(&p, 0, NULL, NULL, "no password for relay %s "
			    "(user %s): add a line \"%s PASSWORD\" to %s, or "
			    "set password_command in its [relay]",
			    c->relays[i].name, c->relays[i].user,
			    c->relays[i].host ? c->relays[i].host : "HOST",
			    path);
	if (p.nerrors > 0)
		goto out;
	for (i = 0; i < c->nrelays; i++) {
		if (best[i] == 0)
			continue;
		if (c->relays[i].password != NULL) {
			wipe(c->relays[i].password,
			    strlen(c->relays[i].password));
			free(c->relays[i].password);
		}
		c->relays[i].password = xstrndup(data + pwoff[i], pwlen[i]);
	}
out:
	if (data != NULL) {
		wipe(data, CONF_SECRETS_MAX + 1);
		free(data);
	}
	if (fd != -1)
		close(fd);
	return p.nerrors > 0 ? -1 : 0;
}
