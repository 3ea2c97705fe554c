/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_advice.c - what a token endpoint's error means and how to fix
 * it: Microsoft's AADSTS codes and the RFC 6749 5.2 error names, as
 * Microsoft identity platform and Google answer them.  Data and one
 * look-up; used by the agent's deferral reasons and by `postern check`.
 * Never sees a secret.
 */
#include "config.h"

#include <string.h>

#include "oauth.h"
#include "util.h"

struct oauth_code_advice {
	unsigned long	 code;
	const char	*words;
};

static const struct oauth_code_advice oauth_aadsts[] = {
	{ 7000215, "the client secret is wrong: copy the secret's Value "
	    "(not its ID) from the app registration into the secrets file" },
	{ 7000222, "the client secret has expired: create a new one under "
	    "Certificates & secrets and put it in the secrets file" },
	{ 700016, "the application (client) id is not known in this "
	    "tenant: check oauth_client_id and oauth_tenant, or have the "
	    "app consented in this tenant" },
	{ 90002, "the tenant does not exist: check oauth_tenant (the "
	    "directory id or a verified domain)" },
	{ 900023, "the tenant name is not valid: check oauth_tenant" },
	{ 700027, "the client assertion (certificate) is not valid: upload "
	    "the certificate to the app registration and check the key" },
	{ 700024, "the client assertion is outside its validity: the "
	    "clock of this machine is off; set it right (NTP)" },
	{ 70000, "the refresh token is no longer valid: run `postern oauth "
	    "login` again" },
	{ 700082, "the refresh token has expired (unused for 90 days): run "
	    "`postern oauth login` again" },
	{ 65001, "an administrator has not consented to the permission: "
	    "grant admin consent for the app (API permissions)" },
	{ 50126, "wrong user name or password" },
	{ 7000218, "the request needs a client secret or assertion: add the "
	    "client secret to the secrets file" },
};

struct oauth_error_advice {
	const char	*error;		/* RFC 6749 5.2 "error" */
	const char	*words;
};

static const struct oauth_error_advice oauth_errors[] = {
	{ "invalid_grant", "the grant was refused (refresh token expired "
	    "or revoked, or a signed assertion with a bad signature, clock "
	    "skew, or a user outside the domain): run `postern oauth login` "
	    "again, or check the key, the clock and user" },
	{ "invalid_client", "the client was not recognised: check "
	    "oauth_client_id and the client secret" },
	{ "unauthorized_client", "this client may not use this grant: for "
	    "Google, grant domain-wide delegation to this client id with "
	    "the scope https://mail.google.com/; for Microsoft, allow the "
	    "flow in the app registration" },
	{ "invalid_scope", "the scope was refused: check oauth_scope" },
	{ "temporarily_unavailable", "the token endpoint is busy: will "
	    "retry" },
};

/* oauth_auth_advice - the SMTP server refused a token the endpoint gave */
const char *
oauth_auth_advice(int code, const char *enh, const char *text)
{
	const char	*e = enh != NULL ? enh : "";

	if (code == 535 && (strcmp(e, "5.7.3") == 0 || (text != NULL &&
	    strstr(text, "5.7.3") != NULL)))
		return "Exchange Online refused the token for this mailbox: "
		    "register the application's service principal in "
		    "Exchange (New-ServicePrincipal -AppId CLIENT_ID "
		    "-ObjectId OBJECT_ID), give it the mailbox "
		    "(Add-MailboxPermission -Identity MAILBOX -User "
		    "SERVICE_PRINCIPAL_ID -AccessRights FullAccess), enable "
		    "SMTP AUTH for the mailbox (Set-CASMailbox -Identity "
		    "MAILBOX -SmtpClientAuthenticationDisabled $false), and "
		    "check that user is that mailbox";
	if (code == 535 && strcmp(e, "5.7.8") == 0)
		return "the server refused the token: it is for another "
		    "account than user, or lacks the scope "
		    "https://mail.google.com/";
	return NULL;
}

/* oauth_advice - cause and fix of an endpoint error */
const char *
oauth_advice(const char *error, unsigned long aadsts)
{
	size_t	i;

	for (i = 0; aadsts != 0 && i < ARRAY_SIZE(oauth_aadsts); i++)
		if (oauth_aadsts[i].code == aadsts)
			return oauth_aadsts[i].words;
	for (i = 0; error != NULL && i < ARRAY_SIZE(oauth_errors); i++)
		if (strcmp(oauth_errors[i].error, error) == 0)
			return oauth_errors[i].words;
	return "the token endpoint refused the request";
}
