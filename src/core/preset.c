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
	{ "gmail", "smtp.gmail.com", 587, CONF_TLS_STARTTLS },
	{ "office365", "smtp.office365.com", 587, CONF_TLS_STARTTLS },
	{ "outlook", "smtp-mail.outlook.com", 587, CONF_TLS_STARTTLS },
	{ "fastmail", "smtp.fastmail.com", 465, CONF_TLS_IMPLICIT },
	{ "sendgrid", "smtp.sendgrid.net", 587, CONF_TLS_STARTTLS },
	{ "mailgun", "smtp.mailgun.org", 587, CONF_TLS_STARTTLS },
	{ "ses-us-east-1", "email-smtp.us-east-1.amazonaws.com", 587,
	    CONF_TLS_STARTTLS },
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
