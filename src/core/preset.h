/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * preset.h - the relay presets: what postern knows about each provider a
 * [relay] may name with "preset = NAME".  One table (preset.c), the only
 * place a provider's settings are written; the configuration loader fills
 * a relay from it, and the tools that explain a relay read it.
 *
 * Data only: never does I/O, never allocates, never decides anything
 * about a relay the administrator configured by hand.
 */
#ifndef POSTERN_PRESET_H
#define POSTERN_PRESET_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

#define PRESET_PORTS_MAX	6	/* submission ports of one provider */
#define PRESET_REGION_MARK	"REGION" /* in host, for region presets */
#define PRESET_REGION_MAX	32	/* bytes of a region name */

/* one submission port a provider offers, with the TLS mode it speaks */
struct preset_port {
	unsigned	 port;		/* 0 ends the list */
	enum conf_tls	 tls;
};

struct preset {
	const char	*name;		/* as written after "preset =" */
	const char	*host;		/* the submission host */
	unsigned	 port;		/* goes with tls, never alone */
	enum conf_tls	 tls;
	/* the provider's rules (postern config --presets) */
	const char	*title;		/* the provider's name, for people */
	struct preset_port ports[PRESET_PORTS_MAX]; /* every submission
					   port offered, port first */
	bool		 region;	/* host holds PRESET_REGION_MARK,
					   filled from ses_region */
	const char	*user_form;	/* what user must be */
	bool		 app_password;	/* an app password, not the
					   account's own */
	bool		 oauth2;	/* OAuth2 required (token_command) */
	bool		 force_sender;	/* the envelope sender must be the
					   account: sets force_sender */
	unsigned	 limit;		/* messages per limit_period; 0: none
					   published */
	unsigned	 limit_period;	/* seconds */
	const char	*notes;		/* other rules, one sentence, or NULL */
	/*
	 * the provider's SPF include ("include:" target) for the sender
	 * domain, or NULL when it cannot be confirmed; the DKIM selectors
	 * the provider signs with, space separated, or NULL (chosen per
	 * account).  Read by `postern check`'s sender-domain section.
	 */
	const char	*spf_include;
	const char	*dkim_selectors;
	/* OAuth2 (oauth_flow); NULL where the provider has none */
	const char	*oauth_authority;	/* Microsoft login host */
	const char	*oauth_tenant;		/* fixed tenant, or NULL */
	const char	*oauth_token_endpoint;	/* NULL: from authority */
	const char	*oauth_scope_app;	/* client_credentials */
	const char	*oauth_scope_user;	/* refresh_token */
	const char	*oauth_login_endpoint;	/* NULL: from authority */
};

/*
 * preset_names - every preset's name in table order, NULL-terminated
 * (the configuration's list of allowed values)
 */
extern const char *const preset_names[];

/* preset_find - the preset called name (exact, lower case), or NULL */
const struct preset *preset_find(const char *name);

/*
 * preset_host - the host of ps for region (NULL unless ps->region) into
 * out: PRESET_REGION_MARK replaced by region.  Returns out, or NULL when
 * it does not fit.
 */
char	*preset_host(const struct preset *ps, const char *region, char *out,
	    size_t outsize);

/*
 * preset_region_ok - is region a plausible AWS region name ("eu-west-1",
 * "us-gov-west-1"): lower-case words joined by '-', ending in a number
 */
bool	preset_region_ok(const char *region);

/* preset_count, preset_at - walk the table in order (i < preset_count()) */
size_t	preset_count(void);
const struct preset *preset_at(size_t i);

#endif
