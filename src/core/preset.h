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

#include <stddef.h>

#include "conf.h"

struct preset {
	const char	*name;		/* as written after "preset =" */
	const char	*host;		/* the submission host */
	unsigned	 port;		/* goes with tls, never alone */
	enum conf_tls	 tls;
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

/* preset_count, preset_at - walk the table in order (i < preset_count()) */
size_t	preset_count(void);
const struct preset *preset_at(size_t i);

#endif
