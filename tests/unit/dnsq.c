/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsq.c - unit test of the DNS answer parser (src/agent/dnsq.c,
 * dnsq_parse) on canned messages built here: TXT records of several
 * character-strings joined, an empty string, MX with a compressed name,
 * A and AAAA, records of other types skipped (a CNAME chain), the
 * DNSQ_RR_MAX bound, a TXT longer than DNSQ_TXT_MAX cut, and malformed
 * messages (a character-string running past the record, a truncated
 * message) refused.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsq.h"
#include "tap.h"

static unsigned char	m[70000];
static size_t		mlen;

/* put - append bytes to the message */
static void
put(const void *p, size_t n)
{
	memcpy(m + mlen, p, n);
	mlen += n;
}

/* put16 - a 16-bit value in network order */
static void
put16(unsigned v)
{
	unsigned char	b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(b, 2);
}

/* msg_start - header with ancount answers and the question example.org */
static void
msg_start(unsigned ancount, unsigned qtype)
{
	static const unsigned char	qname[] = "\7example\3org";

	mlen = 0;
	put16(0x1234);
	put16(0x8180);	/* response, RD, RA, NOERROR */
	put16(1);
	put16(ancount);
	put16(0);
	put16(0);
	put(qname, sizeof(qname));	/* with the root label's 0 */
	put16(qtype);
	put16(ns_c_in);
}

/* rr_start - an answer RR for the question's name (pointer to 12) */
static void
rr_start(unsigned type, size_t rdlen)
{
	put16(0xc00c);
	put16(type);
	put16(ns_c_in);
	put16(0);
	put16(300);
	put16((unsigned)rdlen);
}

int
main(void)
{
	struct dnsq_answer	*a = calloc(1, sizeof(*a));
	unsigned char		 big[1 + 255];
	size_t			 i;

	/* TXT: two character-strings joined, then a record with "" */
	msg_start(2, ns_t_txt);
	rr_start(ns_t_txt, 1 + 10 + 1 + 8);
	put("\12v=spf1 ip4", 11);
	put("\10:1.2.3.4", 9);
	rr_start(ns_t_txt, 1);
	put("\0", 1);
	ok(dnsq_parse(m, mlen, ns_t_txt, a) == 0 && a->n == 2,
	    "two TXT records");
	is_str(a->rr[0], "v=spf1 ip4:1.2.3.4", "character-strings joined");
	is_str(a->rr[1], "", "an empty character-string");

	/* MX with a compressed exchange name; a CNAME before it skipped */
	memset(a, 0, sizeof(*a));
	msg_start(2, ns_t_mx);
	rr_start(ns_t_cname, 2);
	put16(0xc00c);
	rr_start(ns_t_mx, 2 + 5 + 2);
	put16(10);
	put("\4mail\300\14", 7);
	ok(dnsq_parse(m, mlen, ns_t_mx, a) == 0 && a->n == 1,
	    "MX: the CNAME skipped, one MX");
	is_str(a->rr[0], "10 mail.example.org", "MX preference and host");

	/* A and AAAA */
	memset(a, 0, sizeof(*a));
	msg_start(1, ns_t_a);
	rr_start(ns_t_a, 4);
	put("\300\0\2\1", 4);
	ok(dnsq_parse(m, mlen, ns_t_a, a) == 0 && a->n == 1, "one A");
	is_str(a->rr[0], "192.0.2.1", "A as text");
	memset(a, 0, sizeof(*a));
	msg_start(1, ns_t_aaaa);
	rr_start(ns_t_aaaa, 16);
	put("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	ok(dnsq_parse(m, mlen, ns_t_aaaa, a) == 0 && a->n == 1, "one AAAA");
	is_str(a->rr[0], "2001:db8::1", "AAAA as text");
	memset(a, 0, sizeof(*a));
	msg_start(1, ns_t_a);
	rr_start(ns_t_a, 3);
	put("\1\2\3", 3);
	ok(dnsq_parse(m, mlen, ns_t_a, a) == -1 && a->status == DNSQ_ERROR,
	    "an A record of 3 bytes is refused");

	/* the bound: DNSQ_RR_MAX kept, the rest counted as truncated */
	memset(a, 0, sizeof(*a));
	msg_start(DNSQ_RR_MAX + 3, ns_t_txt);
	for (i = 0; i < DNSQ_RR_MAX + 3; i++) {
		rr_start(ns_t_txt, 2);
		put("\1x", 2);
	}
	ok(dnsq_parse(m, mlen, ns_t_txt, a) == 0 && a->n == DNSQ_RR_MAX &&
	    a->truncated, "%d records kept of %d, truncated flagged",
	    DNSQ_RR_MAX, DNSQ_RR_MAX + 3);

	/* a TXT of 20 x 255 bytes is cut to DNSQ_TXT_MAX - 1 */
	memset(a, 0, sizeof(*a));
	memset(big, 'a', sizeof(big));
	big[0] = 255;
	msg_start(1, ns_t_txt);
	rr_start(ns_t_txt, 20 * sizeof(big));
	for (i = 0; i < 20; i++)
		put(big, sizeof(big));
	ok(dnsq_parse(m, mlen, ns_t_txt, a) == 0 && a->n == 1 &&
	    strlen(a->rr[0]) == DNSQ_TXT_MAX - 1, "a long TXT is cut at %d",
	    DNSQ_TXT_MAX - 1);

	/* malformed: a character-string longer than its record */
	memset(a, 0, sizeof(*a));
	msg_start(1, ns_t_txt);
	rr_start(ns_t_txt, 3);
	put("\5ab", 3);
	ok(dnsq_parse(m, mlen, ns_t_txt, a) == -1 && a->status == DNSQ_ERROR,
	    "a character-string past the record's end is refused");
	/* malformed: the message cut inside a record */
	memset(a, 0, sizeof(*a));
	msg_start(1, ns_t_txt);
	rr_start(ns_t_txt, 10);
	put("\11v=spf1", 7);
	ok(dnsq_parse(m, mlen, ns_t_txt, a) == -1 && a->status == DNSQ_ERROR,
	    "a truncated message is refused");
	ok(dnsq_parse(m, 5, ns_t_txt, a) == -1, "a 5-byte message is refused");
	free(a);
	return done_testing();
}
