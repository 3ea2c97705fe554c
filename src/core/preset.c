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

#include <stdio.h>
#include <string.h>

#include "preset.h"
#include "util.h"

#define STARTTLS(p)	{ (p), CONF_TLS_STARTTLS }
#define IMPLICIT(p)	{ (p), CONF_TLS_IMPLICIT }

/*
 * One entry per provider, each with the provider's own page(s) its
 * settings were checked against.  A provider whose host,
 * port or TLS mode is stated only on third-party pages is not here, nor
 * is a port or rule that only they state; the README names the
 * providers left out.  ports[] lists every submission port the provider
 * offers, the preset's own first: `postern check` tries the others when
 * that one is blocked (check_ports.c).
 */
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
	/* developers.google.com/gmail/imap/imap-smtp (smtp.gmail.com: 465
	 * SSL, 587 STARTTLS); support.google.com/accounts/answer/185833
	 * (app passwords, 2-Step Verification on); support.google.com/mail/
	 * answer/7126229 (user: the full address; read in a verbatim copy);
	 * support.google.com/a/answer/166852 (Google Workspace: 2,000
	 * messages a day, 500 for trial accounts, over a rolling 24 hours) */
	{
		.name = "gmail",
		.host = "smtp.gmail.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "_spf.google.com",
		.dkim_selectors = "google",
		.title = "Gmail",
		.ports = { STARTTLS(587), IMPLICIT(465) },
		.user_form = "the full Gmail address",
		.app_password = true,
		.limit = 2000,
		.limit_period = 86400,
		.notes = "an app password (2-step verification on), or "
		    "OAuth2 (oauth_flow); the limit is Google "
		    "Workspace's (500 a day for trial accounts)",
		.oauth_token_endpoint = "https://oauth2.googleapis.com/token",
		.oauth_scope_app = "https://mail.google.com/",
		.oauth_scope_user = "https://mail.google.com/",
		.oauth_login_endpoint =
		    "https://accounts.google.com/o/oauth2/v2/auth",
	},
	/* learn.microsoft.com/en-us/exchange/mail-flow-best-practices/
	 * how-to-set-up-a-multifunction-device-or-application-to-send-email-
	 * using-microsoft-365-or-office-365 (smtp.office365.com, 587
	 * STARTTLS; the authenticating mailbox is the sender; SMTP AUTH off
	 * by default, Basic authentication being retired: OAuth) */
	{
		.name = "office365",
		.host = "smtp.office365.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "spf.protection.outlook.com",
		.dkim_selectors = "selector1 selector2",
		.title = "Microsoft 365 (Exchange Online)",
		.ports = { STARTTLS(587) },
		.user_form = "the mailbox's full address",
		.oauth2 = true,
		.force_sender = true,
		.notes = "basic authentication is off for most tenants: "
		    "oauth_flow (or token_command), and SMTP AUTH allowed "
		    "for the mailbox",
		.oauth_authority = "login.microsoftonline.com",
		.oauth_scope_app = "https://outlook.office365.com/.default",
		.oauth_scope_user = "https://outlook.office.com/SMTP.Send "
		    "offline_access",
	},
	/* support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-
	 * 8361e398-8af4-4e97-b147-6c6c4ac95353 (smtp-mail.outlook.com, 587
	 * STARTTLS, user: the e-mail address, OAuth2/Modern Auth required) */
	{
		.name = "outlook",
		.host = "smtp-mail.outlook.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.title = "Outlook.com",
		.ports = { STARTTLS(587) },
		.user_form = "the full Outlook.com address",
		.oauth2 = true,
		.oauth_authority = "login.microsoftonline.com",
		.oauth_tenant = "consumers",
		.oauth_scope_user = "https://outlook.office.com/SMTP.Send "
		    "offline_access",
	},
	/* fastmail.com/help/technical/servernamesandports.html
	 * (smtp.fastmail.com, 465 SSL/TLS "not STARTTLS", the full address,
	 * an app password) */
	{
		.name = "fastmail",
		.host = "smtp.fastmail.com",
		.port = 465,
		.tls = CONF_TLS_IMPLICIT,
		.spf_include = "spf.messagingengine.com",
		.dkim_selectors = "fm1 fm2 fm3",
		.title = "Fastmail",
		.ports = { IMPLICIT(465) },
		.user_form = "the full Fastmail address",
		.app_password = true,
	},
	/* twilio.com/docs/sendgrid/for-developers/sending-email/
	 * integrating-with-the-smtp-api (user apikey; 25, 2525, 587; 465) */
	{
		.name = "sendgrid",
		.host = "smtp.sendgrid.net",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "sendgrid.net",
		.dkim_selectors = "s1 s2",
		.title = "Twilio SendGrid",
		.ports = { STARTTLS(587), IMPLICIT(465), STARTTLS(2525),
		    STARTTLS(25) },
		.user_form = "the word apikey (the password is the API key)",
	},
	/* documentation.mailgun.com/docs/mailgun/user-manual/sending-
	 * messages/send-smtp (25, 587, 2525 STARTTLS; 465 TLS) and .../
	 * smtp-protocol/smtp-relay (per-domain login, postmaster@DOMAIN) */
	{
		.name = "mailgun",
		.host = "smtp.mailgun.org",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "mailgun.org",
		.title = "Mailgun",
		.ports = { STARTTLS(587), IMPLICIT(465), STARTTLS(2525),
		    STARTTLS(25) },
		.user_form = "the domain's SMTP login (postmaster@DOMAIN)",
	},
	/* docs.aws.amazon.com/ses/latest/dg/smtp-connect.html (STARTTLS
	 * 25, 587, 2587; TLS wrapper 465, 2465), .../DeveloperGuide/
	 * smtp-issues.html (SMTP credentials are not the AWS ones), .../dg/
	 * verify-addresses-and-domains.html (the sender: a verified
	 * identity) */
	{
		.name = "ses",
		.host = "email-smtp." PRESET_REGION_MARK ".amazonaws.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "amazonses.com",
		.title = "Amazon SES (ses_region = REGION)",
		.ports = { STARTTLS(587), IMPLICIT(465), STARTTLS(2587),
		    IMPLICIT(2465), STARTTLS(25) },
		.region = true,
		.user_form = "the SMTP user name of the SES SMTP credentials "
		    "(not the access key id)",
		.notes = "the sender must be a verified identity",
	},
	/* the same pages; the old spelling of ses + ses_region = us-east-1 */
	{
		.name = "ses-us-east-1",
		.host = "email-smtp.us-east-1.amazonaws.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.spf_include = "amazonses.com",
		.title = "Amazon SES us-east-1 (old spelling)",
		.ports = { STARTTLS(587), IMPLICIT(465), STARTTLS(2587),
		    IMPLICIT(2465), STARTTLS(25) },
		.user_form = "the SMTP user name of the SES SMTP credentials "
		    "(not the access key id)",
		.notes = "write preset = ses and ses_region = us-east-1",
	},
	/* help.ovhcloud.com MX Plan guides, source github.com/ovh/docs
	 * pages/web_cloud/email_and_collaborative_solutions/mx_plan/
	 * how_to_configure_thunderbird_windows (ssl0.ovh.net, 465 SSL/TLS,
	 * the full address); 587 is given only as "without SSL"
	 * (email_generalities), so it is not offered here */
	{
		.name = "ovh",
		.host = "ssl0.ovh.net",
		.port = 465,
		.tls = CONF_TLS_IMPLICIT,
		.title = "OVHcloud (MX Plan)",
		.ports = { IMPLICIT(465) },
		.user_form = "the full e-mail address",
	},
	/* zoho.com/mail/help/zoho-smtp.html (smtp.zoho.com, 465 SSL, 587
	 * TLS, the entire address, the sender must be the account or one
	 * of its aliases, an application-specific password with two-factor
	 * authentication); the other data centers' hosts are on no Zoho
	 * page found, so they have no preset */
	{
		.name = "zoho",
		.host = "smtp.zoho.com",
		.port = 465,
		.tls = CONF_TLS_IMPLICIT,
		.title = "Zoho Mail (US data center)",
		.ports = { IMPLICIT(465), STARTTLS(587) },
		.user_form = "the full Zoho address",
		.force_sender = true,
		.notes = "an application-specific password when two-factor "
		    "authentication is on",
	},
	/* postmarkapp.com/support/article/811-what-are-the-smtp-details-
	 * api-tokens-i-should-be-using (25, 2525, 587, STARTTLS; the token
	 * as user and password) and postmarkapp.com/developer/user-guide/
	 * managing-your-account/managing-sender-signatures */
	{
		.name = "postmark",
		.host = "smtp.postmarkapp.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.title = "Postmark",
		.ports = { STARTTLS(587), STARTTLS(2525), STARTTLS(25) },
		.user_form = "the Server API token (the password is the same "
		    "token)",
		.notes = "the sender must be a confirmed sender signature",
	},
	/* github.com/mailjet/mailjet-gem lib/mailjet/mailer.rb (Mailjet's
	 * own library: in-v3.mailjet.com, 587, STARTTLS, user the API key,
	 * password the secret key); 2525 is stated only by Google's Compute
	 * Engine tutorial, so it is not offered here */
	{
		.name = "mailjet",
		.host = "in-v3.mailjet.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.title = "Mailjet",
		.ports = { STARTTLS(587) },
		.user_form = "the API key (the password is the secret key)",
	},
	/* developers.sparkpost.com/api/smtp/ (587 or 2525, STARTTLS, AUTH
	 * LOGIN, user SMTP_Injection, smtp.eu.sparkpostmail.com for EU) */
	{
		.name = "sparkpost",
		.host = "smtp.sparkpostmail.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.title = "SparkPost",
		.ports = { STARTTLS(587), STARTTLS(2525) },
		.user_form = "the word SMTP_Injection (the password is an API "
		    "key with Send via SMTP)",
	},
	{
		.name = "sparkpost-eu",
		.host = "smtp.eu.sparkpostmail.com",
		.port = 587,
		.tls = CONF_TLS_STARTTLS,
		.title = "SparkPost EU",
		.ports = { STARTTLS(587), STARTTLS(2525) },
		.user_form = "the word SMTP_Injection (the password is an API "
		    "key with Send via SMTP)",
	},
};

#undef STARTTLS
#undef IMPLICIT

/* the configuration's value list: the same names, in the same order */
const char *const preset_names[] = {
	"gmail", "office365", "outlook", "fastmail", "sendgrid", "mailgun",
	"ses", "ses-us-east-1", "ovh", "zoho", "postmark", "mailjet",
	"sparkpost", "sparkpost-eu", NULL
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

/* preset_host - the region filled into a region preset's host */
char *
preset_host(const struct preset *ps, const char *region, char *out,
    size_t outsize)
{
	const char	*mark;
	int		 n;

	if (!ps->region || region == NULL ||
	    (mark = strstr(ps->host, PRESET_REGION_MARK)) == NULL)
		n = snprintf(out, outsize, "%s", ps->host);
	else
		n = snprintf(out, outsize, "%.*s%s%s",
		    (int)(mark - ps->host), ps->host, region,
		    mark + strlen(PRESET_REGION_MARK));
	return n < 0 || (size_t)n >= outsize ? NULL : out;
}

/* preset_region_ok - words of a-z joined by '-', the last one a number */
bool
preset_region_ok(const char *region)
{
	const char	*s, *last;
	size_t		 words = 0;

	if (strlen(region) > PRESET_REGION_MAX)
		return false;
	for (s = region;; s++) {
		last = s;
		if (*s < 'a' || *s > 'z') {
			if (*s < '0' || *s > '9')
				return false;
			/* the number: the last word, digits only */
			while (*s >= '0' && *s <= '9')
				s++;
			return *s == '\0' && words >= 2;
		}
		while (*s >= 'a' && *s <= 'z')
			s++;
		if (*s != '-' || s == last)
			return false;
		words++;
	}
}
