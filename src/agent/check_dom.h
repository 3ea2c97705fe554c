/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_dom.h - private to the sender-domain section of `postern check`
 * (check_domain.c: the domains, existence, DKIM, DMARC; check_spf.c:
 * SPF): one domain's state while its checks run.  check_domain.c calls
 * check_spf.c, never the reverse.  Nothing else may include it.
 */
#ifndef POSTERN_CHECK_DOM_H
#define POSTERN_CHECK_DOM_H

#include <stdbool.h>
#include <stddef.h>

#include "check_int.h"
#include "dnsq.h"

#define CHECK_DOM_MAX		8	/* sender domains checked */
#define CHECK_DOM_DNS_TRIES	2	/* tries per name server */
#define CHECK_DOM_DNS_WAIT	5	/* s per try (capped by --timeout) */

struct SPF_server_struct;

/* what SPF and DKIM say of mail for the domain through one relay */
struct check_dom_relay {
	bool	spf_ok;		/* the record authorises the relay */
	bool	spf_unknown;	/* cannot be judged from here */
	bool	dkim_ok;	/* the provider's key is published */
	bool	dkim_unknown;	/* the relay's selectors are not known */
};

/* one sender domain under test */
struct check_dom {
	struct check		*ck;
	struct dnsq		*q;
	struct SPF_server_struct *spf;
	struct dnsq_answer	*a;		/* scratch answer */
	const char		*name;		/* the domain, lower case */
	const char		*origin;	/* where postern got it */
	const char		*fix;		/* what to set instead */
	struct check_dom_relay	 rel[CONF_RELAYS_MAX]; /* by relay index */
};

/*
 * check_dom_in_scope - is relay index i (0-based) checked (--relay)?
 * Inline here: both check_domain.c and check_spf.c ask, and a function in
 * either would make the two files call each other.
 */
static inline bool
check_dom_in_scope(const struct check *ck, size_t i)
{
	return ck->relay_only == 0 || ck->relay_only == i + 1;
}

/*
 * check_spf - the SPF step of d: one record, parses, within the
 * 10-lookup limit (RFC 7208 4.6.4), then one step per relay in scope:
 * does the record authorise it; sets d->rel[].spf_ok, spf_unknown
 */
void	check_spf(struct check_dom *d);

/* check_spf_server_new, check_spf_server_free - libspf2's server */
struct SPF_server_struct *check_spf_server_new(void);
void	check_spf_server_free(struct SPF_server_struct *spf);

#endif
