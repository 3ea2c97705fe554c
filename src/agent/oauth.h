/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth.h - OAuth2 access tokens for XOAUTH2 and OAUTHBEARER, got by
 * posternd itself ([relay] oauth_flow): the client credentials grant
 * with a client secret (Microsoft 365) and the refresh token grant
 * (RFC 6749 4.4 and 6), over HTTPS with libcurl, answers read with
 * json-c.  One token per relay is kept: in this process's memory and
 * in SPOOL/state/oauth/HOST-PORT.access (mode 600), so that every
 * session and every delivery worker of the agent shares it, under a
 * lock so that only one of them asks the endpoint at a time.  A token
 * is used until OAUTH_MARGIN before it expires, never fetched per
 * message.  A refresh token the endpoint rotates is written durably
 * (temporary file, fsync, rename, fsync of the directory) before the
 * new access token is used, so a crash never loses the only valid one.
 *
 * Secrets (client secret, refresh token, access token) never reach a
 * log, a command line, the environment or the queue.
 */
#ifndef POSTERN_OAUTH_H
#define POSTERN_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "result.h"

#define OAUTH_TOKEN_MAX		8192	/* an access or refresh token */
#define OAUTH_REPLY_MAX		65536	/* the endpoint's answer, bytes */
#define OAUTH_MARGIN_MAX	300	/* refresh this long before expiry */

/*
 * oauth_configure - the agent's settings every request uses: the spool
 * (its state/ directory keeps the shared token and the default refresh
 * token file), [timeouts] connect and oauth, and owner, the uid that
 * must own the refresh token file (the agent's; `postern check` as root
 * passes the agent's).  Forgets every token cached in memory (call it
 * again after a reload).  Copies what it keeps.
 */
void	oauth_configure(const struct conf *c, uid_t owner);

/*
 * oauth_token - a live access token for relay r (oauth_flow set),
 * appended to out (the caller wipes it).  From memory, else from the
 * shared file, else from the token endpoint.  *fetched (may be NULL)
 * says whether the endpoint was asked just now.  Returns 0, or -1 with
 * why->text in plain words: the cause, the fix and what the endpoint
 * said (its error, AADSTS code and description, never a secret).
 */
int	oauth_token(const struct conf_relay *r, struct buf *out,
	    bool *fetched, struct why *why);

/* what the endpoint answered (oauth_probe) */
struct oauth_status {
	long		 http;		/* HTTP status, 0: no answer */
	char		 error[64];	/* RFC 6749 5.2 "error", or "" */
	char		 desc[400];	/* its description's first line */
	unsigned long	 aadsts;	/* Microsoft's code, 0 when none */
	int64_t		 expires_in;	/* of the token, seconds */
};

/*
 * oauth_probe - ask the endpoint for a new token for r now, whatever is
 * cached (for `postern check`): the token replaces the cached one and a
 * rotated refresh token is saved as oauth_token does.  Returns 0 (a
 * token; st->expires_in), 1 when the endpoint refused (st->error, desc,
 * aadsts, http), or -1 when there was no usable answer or a local
 * problem (why).
 */
int	oauth_probe(const struct conf_relay *r, struct oauth_status *st,
	    struct why *why);

/*
 * oauth_auth_advice - cause and fix when the SMTP server refuses a good
 * token (code, enhanced status, text of the final AUTH reply): Exchange
 * Online's 535 5.7.3 (the service principal, the mailbox permission,
 * SMTP AUTH for the mailbox) and Gmail's 535 5.7.8.  NULL when it has
 * nothing better than auth_advice.  Returns a static string.
 */
const char *oauth_auth_advice(int code, const char *enh, const char *text);

/*
 * oauth_forget_token - forget relay r's access token, in memory and in
 * the shared file, silently: the next oauth_token asks the endpoint.
 * Never touches the refresh token.  For a new login's refresh token.
 */
void	oauth_forget_token(const struct conf_relay *r);

/*
 * oauth_drop - oauth_forget_token, and log why: the SMTP server refused
 * the token.
 */
void	oauth_drop(const struct conf_relay *r);

/*
 * oauth_refresh_path - the refresh token file of r (oauth_token_file, or
 * SPOOL/state/oauth/HOST-PORT.refresh) into out; -1 when it does not fit
 */
int	oauth_refresh_path(const struct conf_relay *r, char *out,
	    size_t size);

/*
 * oauth_advice - the cause and fix, in plain words, for the endpoint's
 * error (the "error" member, e.g. "invalid_client") and its AADSTS code
 * (0 when none).  Returns a static string.
 */
const char *oauth_advice(const char *error, unsigned long aadsts);

/*
 * oauth_login_main - posternd --oauth-login RELAY [-C config] [-v], the
 * work of `postern oauth login` (oauth_login.c): as root or the agent's
 * user, get a refresh token for RELAY (its number, host or host:port)
 * by the device code flow or the loopback redirect with PKCE and store
 * it in its token file.  Returns a <sysexits.h> code.
 */
int	oauth_login_main(int argc, char **argv);

/* oauth_global_done - curl's global state, at exit */
void	oauth_global_done(void);

#endif
