/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.h - SMTP AUTH client (RFC 4954) for one session: Cyrus SASL for
 * password mechanisms, our own code for XOAUTH2 and OAUTHBEARER (RFC 7628)
 * with a token from the relay's token_command.  The SMTP machine does the
 * base64 and the "334"/"235" handling; this module sees raw bytes only.
 *
 * Mechanism choice: the server's list intersected with the relay's
 * auth_mechanisms (or the default list below), strongest first:
 *   OAUTHBEARER XOAUTH2 (only with token_command)
 *   SCRAM-SHA-512 SCRAM-SHA-384 SCRAM-SHA-256 SCRAM-SHA-224 SCRAM-SHA-1
 *   DIGEST-MD5 (only when listed: obsolete, RFC 6331)  CRAM-MD5
 *   NTLM (only when listed)  PLAIN  LOGIN
 * A mechanism whose Cyrus plugin is not installed is skipped for the next.
 */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "result.h"

#define AUTH_MECHS_MAX		16	/* candidates considered */
#define AUTH_MECH_NAME_MAX	20	/* RFC 4422 3.1: at most 20 chars */
#define AUTH_TOKEN_MAX		8192	/* token_command output */
#define AUTH_PASSWORD_MAX	1024	/* password_command output */
#define AUTH_COMMAND_TIMEOUT_MS	30000	/* token/password command */
#define AUTH_SERVICE		"smtp"	/* SASL service name (RFC 4954) */

struct auth_session;

/*
 * auth_new - prepare AUTH for one SMTP session with relay r (borrowed for
 * the session's life: user, password, password_command, token_command,
 * auth_mechanisms, allow_plaintext_auth, host, port).  Refuses (NULL,
 * reason in why) when r has no user, or when tls_active is false and
 * allow_plaintext_auth is not set: credentials never cross the network in
 * clear unless the admin said so.  Initialises Cyrus SASL on first use.
 * The session keeps its own copies of secrets and wipes them in
 * auth_free().
 */
struct auth_session *auth_new(const struct conf_relay *r, bool tls_active,
	    struct why *why);

/*
 * auth_candidates - the mechanisms auth_start would try for this offered
 * list (the EHLO AUTH keyword's value, space separated), best first,
 * stored in out[] as borrowed static strings.  Returns the count.
 */
size_t	auth_candidates(const struct auth_session *, const char *offered,
	    const char **out, size_t max);

/*
 * auth_start - choose a mechanism from offered and compute the initial
 * response.  On success returns 0 with *mech (borrowed, upper case) and
 * *resp and *resp_len: *resp NULL means "no initial response" (send "AUTH
 * MECH" alone); non-NULL with length 0 means an empty one (send "=").
 * The response is raw bytes, borrowed until the next call or auth_free.
 * Returns -1 with why->text when nothing is usable ("no mechanism in
 * common: server offers X, allowed Y"), the password or token cannot be
 * had (token_command failure: its reason), or SASL fails.
 */
int	auth_start(struct auth_session *, const char *offered,
	    const char **mech, const unsigned char **resp, size_t *resp_len,
	    struct why *why);

/*
 * auth_step - answer a server challenge (raw bytes, base64 already
 * decoded) with *resp and *resp_len (raw, borrowed as above; may be empty).
 * For XOAUTH2 and OAUTHBEARER a challenge carries the server's error: the
 * answer is the empty / "\x01" response RFC 7628 3.2.3 asks for, and the
 * server's JSON is logged at debug level.  Returns 0, or -1 with why.
 */
int	auth_step(struct auth_session *, const unsigned char *challenge,
	    size_t len, const unsigned char **resp, size_t *resp_len,
	    struct why *why);

/*
 * auth_smtp_start, auth_smtp_step - auth_start and auth_step in the shape
 * of the SMTP machine's AUTH plug-in (struct smtp_auth_ops in smtp.h):
 * the raw response is appended to a caller's struct buf, and
 * *has_initial says whether auth_start produced an initial response at
 * all.  The one adapter the agent's session and `postern check` share.
 * Returns 0, or -1 with why (also when the buffer is full).
 */
struct buf;
int	auth_smtp_start(struct auth_session *, const char *offered,
	    const char **mech, struct buf *initial, bool *has_initial,
	    struct why *why);
int	auth_smtp_step(struct auth_session *, const char *challenge,
	    size_t len, struct buf *response, struct why *why);

/*
 * auth_free - dispose of the SASL connection and wipe every secret;
 * NULL ok.
 */
void	auth_free(struct auth_session *);

/*
 * auth_explain - put the final non-2xx reply to AUTH (code, enhanced
 * status or NULL/"", text) into why as plain words with the fix, followed
 * by "(server said: ...)".  why->code and why->enh keep the server's.
 */
void	auth_explain(int code, const char *enh, const char *text,
	    struct why *why);

/*
 * auth_advice - the plain words auth_explain uses for that reply (cause
 * and fix, without the server's text), e.g. "authentication failed:
 * wrong user name or password (...)".  Returns a static string.
 */
const char *auth_advice(int code, const char *enh, const char *text);

/*
 * auth_global_configure - tell the module which relays it will serve, so
 * that Cyrus SASL loads only the plugins their auth_mechanisms can use
 * (lib<plugin>.so for SCRAM, CRAM-MD5, PLAIN, LOGIN, ...; none at all
 * when no relay has a user).  Call it before any auth_new and again after
 * a configuration change, with no auth_session alive and no other thread
 * in this module: a changed plugin set ends the running SASL
 * initialisation, and the next auth_new starts a fresh one.  Without it,
 * auth_new loads what its own relay needs.
 */
void	auth_global_configure(const struct conf *c);

/*
 * auth_global_done - release Cyrus SASL's global state (sasl_client_done)
 * at exit, for a valgrind-clean shutdown.  No auth_session may remain.
 */
void	auth_global_done(void);

#endif
