/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_int.h - private to oauth*.c: one token request over HTTPS and
 * its parsed answer (oauth_http.c), for the token cache (oauth.c).
 */
#ifndef POSTERN_OAUTH_INT_H
#define POSTERN_OAUTH_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "result.h"

#define OAUTH_PATH_MAX		4096	/* a path the OAuth2 code builds */
#define OAUTH_ERR_MAX		64	/* the "error" member kept */
#define OAUTH_DESC_MAX		400	/* error_description kept */
#define OAUTH_FORM_MAX		(4 * OAUTH_TOKEN_MAX)

/* one request: where, how long, and its form (secrets: wiped) */
struct oauth_request {
	const char	*url;		/* https:// only */
	const char	*ca_file;	/* NULL: the system's */
	long		 connect_ms, total_ms;
	struct buf	 form;		/* application/x-www-form-urlencoded */
};

/* the answer: a token, or the endpoint's error */
struct oauth_reply {
	long		 http;		/* HTTP status, 0: no answer */
	struct buf	 access;	/* access_token; wiped */
	struct buf	 refresh;	/* refresh_token, if any; wiped */
	int64_t		 expires_in;	/* seconds; 0 when absent */
	char		 error[OAUTH_ERR_MAX];
	char		 desc[OAUTH_DESC_MAX];	/* first line only */
	unsigned long	 aadsts;	/* Microsoft's code, 0 when none */
};

/*
 * oauth_form_add - append "name=value" (value percent-encoded) to the
 * request's form.  Returns 0, or -1 when the form is full.
 */
int	oauth_form_add(struct oauth_request *, const char *name,
	    const char *value);

/* oauth_reply_init, oauth_reply_free - an empty reply; wipe and free */
void	oauth_reply_init(struct oauth_reply *);
void	oauth_reply_free(struct oauth_reply *);

/*
 * oauth_http_raw - POST the form and put the answer's body (at most
 * OAUTH_REPLY_MAX bytes) into body, *http its status.  Returns 0 when
 * there was an answer (any status), or -1 with why.  The caller wipes
 * body.  (oauth_http.c)
 */
int	oauth_http_raw(const struct oauth_request *, struct buf *body,
	    long *http, struct why *why);

/*
 * oauth_write_private - replace path durably with data and a line break
 * (a mode 600 temporary file in the same directory, fsync, rename, fsync
 * of the directory).  Returns 0, or -1 with why.  (oauth_file.c)
 */
int	oauth_write_private(const char *path, const char *data, size_t len,
	    struct why *why);

/*
 * oauth_state_ready - SPOOL/state/oauth/ exists, the agent's, mode 700
 * (made when missing).  Returns 0, or -1 with why.  (oauth.c)
 */
int	oauth_state_ready(struct why *why);

/*
 * oauth_http_post - POST the form, read at most OAUTH_REPLY_MAX bytes of
 * answer within the deadlines, TLS verified, and parse it into rep.
 * Returns 0 when rep holds an access token, 1 when the endpoint answered
 * with an error (rep->error, desc, aadsts), or -1 when there was no
 * usable answer (why: connection, TLS, timeout, not JSON).
 */
int	oauth_http_post(const struct oauth_request *,
	    struct oauth_reply *rep, struct why *why);

/* oauth_file_owner - the uid the private files must belong to */
void	oauth_file_owner(uid_t owner);

/*
 * oauth_read_private - a small file that must belong to the agent's user
 * with mode 600, into b (trailing blanks and line breaks cut; b's
 * maximum bounds it).  Returns 0, 1 when the file does not exist, or -1
 * with why naming the file and the fix.  (oauth_file.c)
 */
int	oauth_read_private(const char *path, const char *what, struct buf *b,
	    struct why *why);

/*
 * oauth_jwt_assertion - the relay's RS256-signed JWT assertion (RFC
 * 7523), appended to out: Google's service account (oauth_flow =
 * service_account) or Microsoft's certificate credential.  Returns 0,
 * or -1 with why.  (oauth_jwt.c)
 */
/*
 * oauth_b64url - append the unpadded base64url (RFC 4648 5) of p[0..n)
 * to out.  Returns 0, or -1 when out is full.  (oauth_jwt.c)
 */
int	oauth_b64url(const void *p, size_t n, struct buf *out);

struct conf_relay;
int	oauth_jwt_assertion(const struct conf_relay *r, struct buf *out,
	    struct why *why);

#endif
