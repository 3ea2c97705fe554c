/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confkey.h - what the parts of the configuration code share, and nobody
 * else may include: the key table (confkey.c), the parse context and the
 * error line, used by the loader (conf.c), the dump (confdump.c) and the
 * secrets file (confsecrets.c).  conf.h is the public interface.
 */
#ifndef POSTERN_CONFKEY_H
#define POSTERN_CONFKEY_H

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "conf.h"

/* inih's fixed line buffer holds INI_MAX_LINE bytes with CR, LF and NUL */
#define CONF_LINE_MAX		(INI_MAX_LINE - 3)
#define CONF_WHY_MAX		1024	/* one converter message */
#define CONF_VALUE_SHOWN	120	/* bytes of a bad value quoted back */
#define CONF_FQDN_MAX		256
/* auth_mechanisms: the default, and with a token_command */
#define CONF_MECHS_DEFAULT	"SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN"
#define CONF_MECHS_TOKEN	"XOAUTH2 OAUTHBEARER"
/* oauth_flow: Microsoft's sign-in host and Exchange Online's app scope */
#define CONF_OAUTH_AUTHORITY	"login.microsoftonline.com"
#define CONF_OAUTH_SCOPE_EXO	"https://outlook.office365.com/.default"

enum conf_sect {
	SECT_POSTERN = 0,
	SECT_QUEUE,
	SECT_TIMEOUTS,
	SECT_MONITORING,
	SECT_RELAY,
	SECT_NONE,		/* before the first header */
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

/* the key table, in the order of conf_dump and of the example file */
extern const struct conf_key	 conf_keys[];
extern const size_t		 conf_nkeys;
/* section names by enum conf_sect, NULL-terminated */
extern const char *const	 conf_sect_names[];

/* conf_key_find - table entry of key in sect, or NULL */
const struct conf_key *conf_key_find(enum conf_sect sect, const char *key);

/* conf_kidx - table index of a key known to exist (else fatal) */
size_t	conf_kidx(enum conf_sect sect, const char *key);

/* conf_suggest - nearest name in names within a plausible distance */
const char *conf_suggest(const char *word, const char *const *names);

/* conf_suggest_key - nearest key name of a section, or NULL */
const char *conf_suggest_key(enum conf_sect sect, const char *word);

/*
 * conf_err - one error line "path:line: [sect] key: message" in p->err
 * (line 0, sect or key NULL leave that part out); counts p->nerrors and
 * stops adding after too many
 */
void	conf_err(struct conf_parse *p, unsigned line, const char *sect,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* conf_host_ok - letters, digits, '-', '.', '_' or an address literal */
bool	conf_host_ok(const char *s);

/*
 * conf_convert - parse value v for key k into base (struct conf or
 * struct conf_relay).  Returns 0, or -1 with the reason in why.
 */
int	conf_convert(const struct conf_key *k, const char *v, void *base,
	    struct buf *why);

/* conf_relay_init - one relay with its defaults */
void	conf_relay_init(struct conf_relay *r);

#endif
