/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * preset.c - the table of relay presets (preset.h): one entry per
 * provider, and the lookups over it.
 *
 * Owns every provider's host, port and TLS mode.  Never does I/O, never
 * allocates; a setting that cannot be confirmed from the provider's own
 * published documentation does not go in.
 */
#include "config.h"

#include <string.h>

#include "preset.h"
#include "util.h"

static const struct preset presets[] = {
	{ .name = "gmail", .host = "smtp.gmail.com",
	    .port = 587, .tls = CONF_TLS_STARTTLS,
	    .oauth_token_endpoint = "https://oauth2.googleapis.com/token",
	    .oauth_scope_app = "https://mail.google.com/",
	    .oauth_scope_user = "https://mail.google.com/",
	    .oauth_login_endpoint =
	    "https://accounts.google.com/o/oauth2/v2/auth" },
	{ .name = "office365", .host = "smtp.office365.com",
	    .port = 587, .tls = CONF_TLS_STARTTLS,
	    .oauth_authority = "login.microsoftonline.com",
	    .oauth_scope_app = "https://outlook.office365.com/.default",
	    .oauth_scope_user = "https://outlook.office.com/SMTP.Send "
	    "offline_access" },
	{ .name = "outlook", .host = "smtp-mail.outlook.com",
	    .port = 587, .tls = CONF_TLS_STARTTLS,
	    .oauth_authority = "login.microsoftonline.com",
	    .oauth_tenant = "consumers",
	    .oauth_scope_user = "https://outlook.office.com/SMTP.Send "
	    "offline_access" },
	{ .name = "fastmail", .host = "smtp.fastmail.com",
	    .port = 465, .tls = CONF_TLS_IMPLICIT },
	{ .name = "sendgrid", .host = "smtp.sendgrid.net",
	    .port = 587, .tls = CONF_TLS_STARTTLS },
	{ .name = "mailgun", .host = "smtp.mailgun.org",
	    .port = 587, .tls = CONF_TLS_STARTTLS },
	{ .name = "ses-us-east-1", .host = "email-smtp.us-east-1.amazonaws.com",
	    .port = 587, .tls = CONF_TLS_STARTTLS },
};

/* the configuration's value list: the same names, in the same order */
const char *const preset_names[] = {
	"gmail", "office365", "outlook", "fastmail", "sendgrid", "mailgun",
	"ses-us-east-1", NULL
};

_Static_assert(ARRAY_SIZE(preset_names) == ARRAY_SIZE(presets) + 1,
    "preset_names lists every preset once");

/* preset_find - the preset called name, or NULL */
const struct preset *
preset_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

/* preset_count - number of presets */
size_t
preset_count(void)
{
	return ARRAY_SIZE(presets);
}

/* preset_at - the i-th preset in table order (i < preset_count()) */
const struct preset *
preset_at(size_t i)
{
	return i < ARRAY_SIZE(presets) ? &presets[i] : NULL;
}
