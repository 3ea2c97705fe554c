/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * preset.c - the table of relay presets (preset.h): one entry per
 * provider, and the lookups over it.
 *
 * Owns every provider's host, port and TLS mode, SPF include and DKIM
 * selectors.  Never does I/O, never allocates; a setting that cannot be
 * confirmed from the provider's published documentation does not go in.
 */
#include "config.h"

#include <string.h>

#include "preset.h"
#include "util.h"

/*
 * spf_include and dkim_selectors, as the providers publish them (pages
 * checked when the fields were added; third-party guides named where
 * the provider's own page was not at hand):
 * gmail: Google Workspace "Set up SPF" (include:_spf.google.com);
 *   support.google.com/a/answer/11611356 (DKIM selector "google" by
 *   default);
 * office365: Microsoft's "Set up SPF to identify valid email sources
 *   for your Microsoft 365 domain" (include:spf.protection.outlook.com);
 *   learn.microsoft.com defender-office-365/
 *   email-authentication-dkim-configure (selector1, selector2);
 * outlook (Outlook.com): mail goes out as the Microsoft address, there
 *   is nothing to publish for a domain of one's own: neither is set;
 * fastmail: fastmail.help/hc/en-us/articles/360060591153 (selectors
 *   fm1, fm2, fm3; include:spf.messagingengine.com);
 * sendgrid: twilio.com/docs/sendgrid/ui/account-and-settings/
 *   how-to-set-up-domain-authentication; dmarc.wiki/sendgrid (manual
 *   security: include:sendgrid.net; DKIM selectors s1, s2);
 * mailgun: documentation.mailgun.com/docs/mailgun/user-manual/domains/
 *   domains-verify (include:mailgun.org); the DKIM selector is shown
 *   per domain in its control panel: not set;
 * ses: docs.aws.amazon.com/ses/latest/dg/send-email-authentication-spf
 *   (include:amazonses.com on a custom MAIL FROM domain); Easy DKIM
 *   selectors are per-identity tokens: not set.
 */
static const struct preset presets[] = {
	{ "gmail", "smtp.gmail.com", 587, CONF_TLS_STARTTLS,
	    .spf_include = "_spf.google.com", .dkim_selectors = "google" },
	{ "office365", "smtp.office365.com", 587, CONF_TLS_STARTTLS,
	    .spf_include = "spf.protection.outlook.com",
	    .dkim_selectors = "selector1 selector2" },
	{ "outlook", "smtp-mail.outlook.com", 587, CONF_TLS_STARTTLS,
	    .spf_include = NULL, .dkim_selectors = NULL },
	{ "fastmail", "smtp.fastmail.com", 465, CONF_TLS_IMPLICIT,
	    .spf_include = "spf.messagingengine.com",
	    .dkim_selectors = "fm1 fm2 fm3" },
	{ "sendgrid", "smtp.sendgrid.net", 587, CONF_TLS_STARTTLS,
	    .spf_include = "sendgrid.net", .dkim_selectors = "s1 s2" },
	{ "mailgun", "smtp.mailgun.org", 587, CONF_TLS_STARTTLS,
	    .spf_include = "mailgun.org" },
	{ "ses-us-east-1", "email-smtp.us-east-1.amazonaws.com", 587,
	    CONF_TLS_STARTTLS, .spf_include = "amazonses.com" },
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
