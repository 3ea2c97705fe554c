/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsq.h - DNS questions for `postern check`'s sender-domain section
 * (check_domain.c): MX, A/AAAA presence and TXT, through the C library's
 * resolver (res_ninit/res_nquery, libresolv) with a timeout and a retry
 * count set on the resolver's own state, the answers parsed with
 * ns_initparse/ns_parserr, the results bounded.
 *
 * The answer is one of: records found, NXDOMAIN (the name does not
 * exist), no data (the name exists, no record of that type), timeout (no
 * server answered), SERVFAIL (a server answered that it failed), or an
 * error (a malformed answer, no resolver configuration).
 */
#ifndef POSTERN_DNSQ_H
#define POSTERN_DNSQ_H

#include <stdbool.h>
#include <stddef.h>

#define DNSQ_TXT_MAX	4096	/* bytes of one TXT record, joined */
#define DNSQ_NAME_MAX	256	/* a domain name, with the NUL */
#define DNSQ_RR_MAX	16	/* records kept per answer */
#define DNSQ_ANSWER_MAX	65536	/* bytes of one DNS message */

enum dnsq_status {
	DNSQ_OK = 0,		/* at least one record of the type */
	DNSQ_NXDOMAIN,		/* the name does not exist */
	DNSQ_NODATA,		/* the name exists, no record of the type */
	DNSQ_TIMEOUT,		/* no server answered in time */
	DNSQ_SERVFAIL,		/* a server answered that it failed */
	DNSQ_ERROR,		/* anything else: see the why text */
};

/* one answer: up to DNSQ_RR_MAX records (n), each a string */
struct dnsq_answer {
	enum dnsq_status status;
	size_t		 n;
	bool		 truncated;	/* more records than kept */
	char		 rr[DNSQ_RR_MAX][DNSQ_TXT_MAX];
	char		 why[128];	/* DNSQ_ERROR: the cause */
};

struct dnsq;

/*
 * dnsq_new - a resolver state from /etc/resolv.conf with timeout_s
 * seconds per try and attempts tries per server (res_ninit, then the
 * state's retrans and retry); NULL when the resolver cannot be set up
 * (why holds the cause, whysize bytes).  Free with dnsq_free.
 */
struct dnsq *dnsq_new(unsigned timeout_s, unsigned attempts, char *why,
	    size_t whysize);
/* dnsq_free - release q (NULL accepted) */
void	dnsq_free(struct dnsq *q);

/*
 * dnsq_txt - the TXT records of name into a, each record's
 * character-strings joined (RFC 7208 3.3); a->status says the outcome
 */
void	dnsq_txt(struct dnsq *q, const char *name, struct dnsq_answer *a);
/* dnsq_mx - the MX exchanges of name into a ("PREF HOST") */
void	dnsq_mx(struct dnsq *q, const char *name, struct dnsq_answer *a);
/* dnsq_addr - the A and AAAA records of name into a (numeric text) */
void	dnsq_addr(struct dnsq *q, const char *name, struct dnsq_answer *a);

/*
 * dnsq_parse - the records of type (ns_t_txt, ns_t_mx, ns_t_a,
 * ns_t_aaaa) in the answer section of the DNS message msg (len bytes)
 * into a, appended to what a holds; 0, or -1 on a malformed message
 * (a->status DNSQ_ERROR, a->why set).  Separate for the unit tests.
 */
int	dnsq_parse(const unsigned char *msg, size_t len, int type,
	    struct dnsq_answer *a);

/* dnsq_status_text - the outcome in words ("does not exist (NXDOMAIN)") */
const char *dnsq_status_text(const struct dnsq_answer *a);

#endif
