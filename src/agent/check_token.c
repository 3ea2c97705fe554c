/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_token.c - `postern check`'s OAuth2 token step, for a relay with
 * oauth_flow: ask the token endpoint for a new token (oauth_probe) and
 * name the cause and the fix of a refusal in plain words (the AADSTS
 * codes and OAuth errors users meet, oauth_advice), and what to do when
 * the token is good but the SMTP server refuses it (Exchange Online's
 * 535 5.7.3 steps, oauth_auth_advice).
 *
 * Runs as the agent's user (check.c has dropped root).  Never prints a
 * token or a secret: only the endpoint's error, its description and
 * the token's lifetime.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check_int.h"
#include "oauth.h"
#include "util.h"

/* check_token_flow - the flow's name for the report */
static const char *
check_token_flow(const struct conf_relay *r)
{
	switch (r->oauth_flow) {
	case CONF_OAUTH_CLIENT_CREDENTIALS:
		return r->oauth_key_file != NULL ?
		    "client_credentials, certificate" :
		    "client_credentials, client secret";
	case CONF_OAUTH_REFRESH_TOKEN:
		return "refresh_token";
	case CONF_OAUTH_SERVICE_ACCOUNT:
		return "service_account";
	default:
		return "none";
	}
}

/* check_token - the token step; 0 (ok or not planned) or -1 */
int
check_token(struct check *ck, const struct conf_relay *r)
{
	struct oauth_status	st;
	struct why		why;
	int64_t			t0 = now_ms();
	int			rc;

	if (r->oauth_flow == CONF_OAUTH_NONE)
		return 0;
	rc = oauth_probe(r, &st, &why);
	if (rc == 0) {
		check_report(ck, CK_TOKEN, CHECK_OK, check_ms(t0), NULL, NULL,
		    "%s (%s): a token valid %llds", r->oauth_token_endpoint,
		    check_token_flow(r), (long long)st.expires_in);
		return 0;
	}
	if (rc == 1) {
		check_report(ck, CK_TOKEN, CHECK_FAIL, check_ms(t0),
		    oauth_advice(st.error, st.aadsts), NULL, "%s (%s) "
		    "refused: HTTP %ld %s%s%s", r->oauth_token_endpoint,
		    check_token_flow(r), st.http, st.error,
		    st.desc[0] ? ": " : "", st.desc);
		return -1;
	}
	check_report(ck, CK_TOKEN, CHECK_FAIL, check_ms(t0), st.http == 0 ?
	    "check that this machine reaches the endpoint over HTTPS (DNS, "
	    "firewall, proxy) and, if set, oauth_ca_file" : NULL, NULL, "%s",
	    why.text);
	return -1;
}

/* check_token_auth_advice - AUTH's advice, OAuth2-aware */
const char *
check_token_auth_advice(const struct conf_relay *r, int code,
    const char *enh, const char *text)
{
	const char	*words = NULL;

	if (r->oauth_flow != CONF_OAUTH_NONE)
		words = oauth_auth_advice(code, enh, text);
	return words != NULL ? words : auth_advice(code, enh, text);
}
