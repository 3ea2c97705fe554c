/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlsprobe.c - is this an implicit-TLS port?  One brief connection and
 * TLS handshake, unverified, that sends nothing but the ClientHello and
 * is closed at once: never used for mail, never for AUTH.  Callers:
 * session.c (a greeting that does not come within TLSPROBE_WAIT_S) and
 * check_steps.c (`postern check`).  Owns the wording of the fix, so both say
 * the same.  RFC 8314 (implicit TLS for submission, port 465).
 */
#include "config.h"

#include <netdb.h>
#include <stdio.h>

#include "conn.h"
#include "tls.h"
#include "tlsprobe.h"
#include "util.h"

/* tlsprobe_implicit - a handshake on a fresh connection, briefly */
bool
tlsprobe_implicit(const struct conf_relay *r, const struct addrinfo *ai,
    uint64_t timeout_s)
{
	struct conf_relay	 pr = *r;
	struct tls_client	*tc;
	struct conn		*c;
	struct addrinfo		 one;
	struct why		 why;
	bool			 yes = false;

	pr.tls = CONF_TLS_IMPLICIT;
	pr.tls_verify = false;
	pr.tls_npins = 0;
	pr.tls_cert_file = NULL;
	pr.tls_key_file = NULL;
	if ((tc = tls_client_new(&pr, &why)) == NULL)
		return false;
	if (ai != NULL) {
		one = *ai;
		one.ai_next = NULL;
		c = conn_connect_ai(r->host, r->port, &one, timeout_s, &why);
	} else
		c = conn_connect(r->host, r->port, timeout_s, &why);
	if (c != NULL) {
		yes = conn_starttls(c, tc, now_ms() + (int64_t)timeout_s *
		    1000, &why) == 0;
		conn_close(c);
	}
	tls_client_free(tc);
	return yes;
}

/* tlsprobe_fix_implicit - the fix, in the words check and the log share */
char *
tlsprobe_fix_implicit(unsigned port, char *out, size_t outsize)
{
	(void)snprintf(out, outsize, "port %u expects implicit TLS: set "
	    "tls = implicit", port);
	return out;
}
