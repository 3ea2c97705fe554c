/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.h - postern.conf parsed into one typed struct.
 *
 * The file is INI (libinih).  Sections: [postern] (paths, identity,
 * limits), [queue] (retry and expiry policy), [timeouts] (SMTP stages), and
 * one or more [relay] sections, tried in the order written.  Every key is
 * validated at load; errors name file:line, section, key, the bad value and
 * the accepted forms.  Secrets (relay passwords) live in a separate file,
 * loaded only by the agent with conf_load_secrets().
 *
 * Four files implement it, so each program links only its part: conf.c
 * (the loader and cross-checks), confkey.c (the key table, types,
 * bounds, defaults), confsecrets.c (conf_load_secrets*) and confdump.c
 * (conf_dump); confkey.h is what they share.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define CONF_RELAYS_MAX		8
#define CONF_PINS_MAX		8

enum conf_tls {
	CONF_TLS_STARTTLS = 0,	/* default */
	CONF_TLS_IMPLICIT,	/* port 465 */
	CONF_TLS_NONE,		/* only when written explicitly */
};

/* [relay] oauth_flow: how posternd gets an OAuth2 token itself */
enum conf_oauth {
	CONF_OAUTH_NONE = 0,		/* default: no built-in token */
	CONF_OAUTH_CLIENT_CREDENTIALS,	/* client id + secret (app) */
	CONF_OAUTH_REFRESH_TOKEN,	/* client id + refresh token */
	CONF_OAUTH_SERVICE_ACCOUNT,	/* Google: JSON key, signed JWT */
};

enum conf_log {
	CONF_LOG_SYSLOG = 0,
	CONF_LOG_STDERR,
	CONF_LOG_BOTH,
};

/*
 * Where a value came from, for `postern config` and error messages:
 * file != NULL: written at file:line; preset != NULL: filled in by
 * "preset = NAME" in a [relay]; both NULL: built-in default.  file points
 * at conf->path, preset at a static string.
 */
struct conf_origin {
	const char	*file;
	unsigned	 line;
	const char	*preset;
};

struct conf_relay {
	char		*name;		/* "host:port", for logs (derived) */
	char		*host;		/* required */
	unsigned	 port;		/* 0 in the file: 587/465/25 by tls */
	enum conf_tls	 tls;
	bool		 tls_verify;	/* default yes */
	char		*tls_ca_file;	/* NULL: system trust store */
	char		*tls_server_name; /* NULL: host (SNI + verification) */
	char		*tls_cert_file;	/* client certificate, or NULL */
	char		*tls_key_file;
	char		*tls_priority;	/* GnuTLS priority string or NULL */
	char		*tls_pins[CONF_PINS_MAX]; /* "sha256:HEX" (cert) or
					   "pubkey-sha256:HEX" */
	size_t		 tls_npins;
	char		*user;		/* SASL user; NULL: no AUTH */
	char		*auth_mechanisms; /* space list, upper case */
	bool		 allow_plaintext_auth;
	char		*token_command;	/* XOAUTH2/OAUTHBEARER token source */
	char		*password_command; /* alternative to the secrets file */
	bool		 force_sender;	/* envelope sender + From := user */
	enum conf_oauth	 oauth_flow;	/* built-in OAuth2 token, or none */
	char		*oauth_authority; /* Microsoft login host */
	char		*oauth_tenant;	/* Microsoft tenant id or domain */
	char		*oauth_client_id;
	char		*oauth_token_endpoint; /* https://...; derived from
					   authority and tenant when unset */
	char		*oauth_scope;	/* space separated */
	char		*oauth_login_endpoint; /* `postern oauth login`: device
					   code (.../devicecode) or the
					   authorization endpoint (PKCE) */
	char		*oauth_token_file; /* refresh token, the agent's;
					   NULL: SPOOL/state/oauth/
					   HOST-PORT.refresh */
	char		*oauth_key_file; /* private key (PEM) or Google's
					   JSON key file: signed assertions */
	char		*oauth_certificate_file; /* its certificate (x5t) */
	char		*oauth_ca_file;	/* CA bundle for the endpoint */
	char		*preset;	/* provider preset name, or NULL */
	char		*ses_region;	/* preset = ses: the AWS region */
	char		*password;	/* from conf_load_secrets(); wiped */
	struct conf_origin origin;	/* the [relay] line */
	struct conf_origin *origins;	/* per key; see conf_origin_of() */
};

struct conf {
	char		*path;		/* the file loaded */
	/* [postern] */
	char		*spool_dir;
	char		*aliases;	/* aliases file ("" disables) */
	char		*secrets_file;
	char		*drop_program;	/* default SBINDIR/postern-drop */
	char		*agent_program;	/* default SBINDIR/posternd */
	char		*alternate_config_directories; /* absolute paths,
					   space separated; "": none */
	char		*domain;	/* qualifies bare names; default FQDN */
	char		*hostname;	/* EHLO name, Message-ID; default
					   FQDN */
	char		*admin;		/* address for root / system users */
	char		*masquerade_domain; /* NULL: off */
	bool		 masquerade_from; /* also rewrite From: header */
	uint64_t	 max_message_size;
	uint64_t	 max_header_size;
	unsigned	 system_uid_max; /* uids below this are "system" */
	enum conf_log	 log;
	bool		 debug;
	/* [queue] */
	uint64_t	 retry_min;	/* seconds */
	uint64_t	 retry_max;
	uint64_t	 max_age;	/* bounce after this */
	uint64_t	 delay_warning;	/* delayed DSN after this; 0: off */
	uint64_t	 failed_keep;	/* remove failed/ entries after this */
	uint64_t	 scan_interval;	/* periodic full scan */
	uint64_t	 tmp_max_age;	/* stale tmp/ files removed after */
	unsigned	 concurrency;	/* sessions in parallel */
	unsigned	 session_max_messages;
	uint64_t	 session_idle;	/* QUIT an idle session after */
	unsigned	 rate_limit;	/* messages per rate_period, 0: off */
	uint64_t	 rate_period;
	/* [timeouts] (seconds) */
	uint64_t	 t_connect, t_greeting, t_ehlo, t_starttls, t_auth,
			 t_mail, t_rcpt, t_data, t_data_block, t_data_end,
			 t_rset, t_quit, t_oauth;
	/* [monitoring] */
	char		*prometheus_textfile; /* "" off; ends in .prom */
	char		*alert_command;	/* NULL: off */
	uint64_t	 alert_timeout;	/* seconds */
	/* [relay]... */
	struct conf_relay relays[CONF_RELAYS_MAX];
	size_t		 nrelays;
	/* where each value came from; private, use conf_origin_of() */
	struct conf_origin *origins;
	size_t		 norigins;
};

/*
 * Value conventions after a successful conf_load():
 * - string keys with a default are never NULL; admin may be "" (meaning
 *   root@domain) and aliases may be "" (alias expansion off);
 * - optional strings (masquerade_domain, tls_ca_file, tls_server_name,
 *   tls_cert_file, tls_key_file, tls_priority, user, token_command,
 *   password_command, preset) are NULL when unset; "key =" in the file
 *   also means unset;
 * - domain and hostname hold the machine's FQDN when not set;
 * - relays[i].port is resolved (587/465/25 by tls, or the preset's);
 *   relays[i].host is set (a [relay] without host and preset is an error
 *   when need_relay; otherwise host stays NULL and name is "relay N");
 * - tls_pins[] are normalised to "sha256:" or "pubkey-sha256:" followed
 *   by 64 lower-case hex digits, no colons;
 * - auth_mechanisms is upper case, space separated, never empty; it
 *   defaults to "XOAUTH2 OAUTHBEARER" when token_command is set.
 */

/*
 * conf_load - parse path into *c (which conf_load initialises).  On error
 * returns -1 and leaves one line per problem in err (file:line: section
 * key: what is wrong: accepted forms (did you mean ...)); c is then freed.
 * A missing relay host is an error only when need_relay is true (the front
 * end can queue without one; the agent cannot deliver); so is a file with
 * no [relay] at all.  All problems are reported, in file order, then the
 * cross-field ones (at most 50 lines).  err keeps its own maximum: lines
 * that do not fit are dropped.  domain/hostname trigger a DNS lookup
 * (getaddrinfo AI_CANONNAME) only when either is unset.
 */
int	conf_load(struct conf *c, const char *path, bool need_relay,
	    struct buf *err);

#define CONF_NEED_RELAY	0x01	/* as need_relay above */
#define CONF_NO_NAMES	0x02	/* leave unset domain/hostname NULL */

/*
 * conf_load_flags - conf_load with flags.  CONF_NO_NAMES is for programs
 * that never use domain or hostname (postern-drop): no DNS lookup, and
 * both stay NULL unless the file sets them.
 */
int	conf_load_flags(struct conf *c, const char *path, unsigned flags,
	    struct buf *err);

/* conf_defaults - fill *c with built-in defaults and no relays */
void	conf_defaults(struct conf *c);

/* conf_free - release everything, wiping passwords; NULL-safe on fields */
void	conf_free(struct conf *c);

/*
 * conf_load_secrets - read the secrets file named by c->secrets_file and
 * fill relays[].password for relays with a user and neither
 * password_command nor token_command.  When no relay needs a password the
 * file is not opened and 0 is returned.  The file must be a regular file
 * (not a symlink) owned by the effective uid with no group or other
 * permission bits (like ssh for keys); otherwise -1 with the file, its
 * mode or owner and the fix ("chmod 600 FILE" / "chown USER FILE") in err.
 * Format: one "HOST[:PORT] PASSWORD" per line ("[ADDR]:PORT" for IPv6);
 * HOST is matched case-insensitively, a line with the relay's port wins
 * over one without; the password is the rest of the line after the blanks
 * that follow HOST (spaces, '#' and ';' kept; only LF or CRLF removed).
 * Lines whose first non-blank is '#' and blank lines are ignored, lines
 * for unknown hosts too.  Errors (-1, one line each in err, never quoting
 * a line's text): a relay with no matching line, a line without a
 * password, two equally specific lines for one relay, a NUL byte, a file
 * over 64 KiB.  On -1 no password is filled in.  Passwords are wiped by
 * conf_free().
 */
int	conf_load_secrets(struct conf *c, struct buf *err);

/*
 * conf_load_secrets_as - conf_load_secrets with the file required to
 * belong to owner instead of the effective uid (whose permission to open
 * it is still needed).  For `postern check` run as root, which reads the
 * file the agent's user owns and applies the agent's rules to it.
 */
int	conf_load_secrets_as(struct conf *c, uid_t owner, struct buf *err);

/*
 * conf_secrets_needed - whether conf_load_secrets reads the secrets file
 * for c: a relay takes its password or client secret from it, or a
 * refresh_token relay's optional client secret is there (the file
 * exists).  Relays with password_command, token_command, a certificate
 * or a service account key need none.
 */
bool	conf_secrets_needed(const struct conf *c);

/*
 * conf_dump - append the effective configuration to out: [section]
 * headers, then one "key = value  # ORIGIN" line per key in table order
 * (ORIGIN is "default", "FILE:LINE" or "preset NAME"; unset optional
 * values print as "key ="; one line per tls_pin; a line that would pass
 * the reader's line limit loses its comment, then the blanks around '=').
 * Passwords are never
 * printed.  The output loads again with conf_load().  Returns 0, or -1
 * (errno EMSGSIZE) when out reached its maximum (output then truncated).
 */
int	conf_dump(const struct conf *c, struct buf *out);

/* conf_tls_name - "starttls", "implicit", "none" */
const char *conf_tls_name(enum conf_tls);

/* conf_log_name - "syslog", "stderr", "both" */
const char *conf_log_name(enum conf_log);

/*
 * conf_origin_of - where the value of key in section came from.  For
 * section "relay", relay is the index into c->relays (ignored otherwise).
 * Returns a pointer into c (valid until conf_free), or NULL for an
 * unknown section or key or a relay index >= c->nrelays.
 */
const struct conf_origin *conf_origin_of(const struct conf *c,
	    const char *section, const char *key, size_t relay);

/*
 * conf_origin_format - "default", "FILE:LINE" or "preset NAME" into out
 * (truncated safely); returns out.
 */
char	*conf_origin_format(const struct conf_origin *, char *out,
	    size_t outsize);

/*
 * conf_key_name - the i-th known key (0-based, in documentation order)
 * and its section in *section; NULL past the end.  For documentation
 * and tests (every key must appear in the example file).
 */
const char *conf_key_name(size_t i, const char **section);

#endif
