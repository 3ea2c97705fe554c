/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ehlo.h - the server's EHLO capabilities as a bit set plus values.
 *
 * Cleared and parsed again after STARTTLS (RFC 3207 4.2): nothing learnt
 * before the handshake may be trusted after it.
 */
#ifndef POSTERN_EHLO_H
#define POSTERN_EHLO_H

#include <stdbool.h>
#include <stdint.h>

#include "reply.h"

#define EHLO_PIPELINING		0x0001u	/* RFC 2920 */
#define EHLO_SIZE		0x0002u	/* RFC 1870 */
#define EHLO_8BITMIME		0x0004u	/* RFC 6152 */
#define EHLO_SMTPUTF8		0x0008u	/* RFC 6531 */
#define EHLO_DSN		0x0010u	/* RFC 3461 */
#define EHLO_ENHANCEDSTATUSCODES 0x0020u /* RFC 2034 */
#define EHLO_STARTTLS		0x0040u	/* RFC 3207 */
#define EHLO_AUTH		0x0080u	/* RFC 4954 */
#define EHLO_CHUNKING		0x0100u	/* RFC 3030: recorded, not used */

#define EHLO_AUTH_MAX		256	/* the mechanism list, as we keep it */
#define EHLO_MECH_MAX		20	/* RFC 4422 3.1: SASL names <= 20 */

struct ehlo_caps {
	unsigned	 ext;		/* EHLO_* bits */
	uint64_t	 size;		/* SIZE value; 0: no limit given */
	char		 auth[EHLO_AUTH_MAX]; /* "PLAIN LOGIN ...": upper case,
					   single spaces, no duplicates */
};

/* ehlo_clear - forget every capability (after STARTTLS, on HELO) */
void	ehlo_clear(struct ehlo_caps *);

/*
 * ehlo_parse - fill caps from a successful EHLO reply; the first line (the
 * server's greeting name) is skipped, unknown keywords are ignored, and so
 * are malformed values (a SIZE that is not a number counts as SIZE without
 * a limit).  Mechanisms from "AUTH x y" and the old "AUTH=x y" form are
 * merged; names that are not valid SASL names, or that would overflow
 * EHLO_AUTH_MAX, are dropped.  Never fails.
 */
void	ehlo_parse(struct ehlo_caps *caps, const struct reply *r);

/* ehlo_has_mech - true when the server offered mechanism mech (any case) */
bool	ehlo_has_mech(const struct ehlo_caps *, const char *mech);

/* ehlo_names - "PIPELINING SIZE=1000 ..." for debug logs into out */
char	*ehlo_names(const struct ehlo_caps *, char *out, size_t outsize);

#endif
