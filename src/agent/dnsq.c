/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsq.c - DNS questions through the C library's resolver (dnsq.h):
 * res_ninit on a private state whose retrans (seconds per try) and
 * retry (tries) bound every wait, res_nquery for one name and type, the
 * answer section walked with ns_initparse/ns_parserr.
 *
 * Owns the mapping of the resolver's outcome to dnsq_status: glibc's
 * res_nquery fails alike (h_errno TRY_AGAIN) on SERVFAIL and on no
 * answer at all, so the reply's header left in the buffer decides
 * (dnsq_failed).  Never asks anything but the configured name servers,
 * never follows a search list (res_nquery, not res_nsearch), never keeps
 * more than DNSQ_RR_MAX records of DNSQ_TXT_MAX bytes.  RFCs 1035,
 * 3596, 7208 3.3.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsq.h"
#include "util.h"

struct dnsq {
	struct __res_state	res;
};

/* dnsq_new - a private resolver state with our timeout and tries */
struct dnsq *
dnsq_new(unsigned timeout_s, unsigned attempts, char *why, size_t whysize)
{
	struct dnsq	*q = xcalloc(1, sizeof(*q));

	if (res_ninit(&q->res) != 0) {
		(void)snprintf(why, whysize, "cannot set up the resolver "
		    "(res_ninit): check /etc/resolv.conf");
		free(q);
		return NULL;
	}
	q->res.retrans = timeout_s > 0 ? (int)timeout_s : 1;
	q->res.retry = attempts > 0 ? (int)attempts : 1;
	/* exactly the name asked: no search list, no default domain */
	q->res.options &= ~(unsigned long)(RES_DEFNAMES | RES_DNSRCH);
	return q;
}

/* dnsq_free - release q */
void
dnsq_free(struct dnsq *q)
{
	if (q == NULL)
		return;
	res_nclose(&q->res);
	free(q);
}

/* dnsq_set_error - a->status DNSQ_ERROR with the cause */
static int
dnsq_set_error(struct dnsq_answer *a, const char *what)
{
	a->status = DNSQ_ERROR;
	(void)str_copy(a->why, what, sizeof(a->why));
	return -1;
}

/* dnsq_txt_join - a TXT record's character-strings, joined, into out */
static int
dnsq_txt_join(const unsigned char *rd, size_t len, char *out, size_t size)
{
	size_t	i = 0, o = 0, n;

	while (i < len) {
		n = rd[i++];
		if (n > len - i)
			return -1;
		if (o + n >= size)
			n = size - 1 - o;	/* cut, still NUL-terminated */
		memcpy(out + o, rd + i, n);
		o += n;
		i += rd[i - 1];
	}
	out[o] = '\0';
	return 0;
}

/* dnsq_rr_text - one record's data as text into out; -1 if malformed */
static int
dnsq_rr_text(ns_msg *msg, ns_rr *rr, int type, char *out, size_t size)
{
	const unsigned char	*rd = ns_rr_rdata(*rr);
	size_t			 len = ns_rr_rdlen(*rr);
	char			 host[DNSQ_NAME_MAX];

	switch (type) {
	case ns_t_txt:
		return dnsq_txt_join(rd, len, out, size);
	case ns_t_mx:
		if (len < 3 || ns_name_uncompress(ns_msg_base(*msg),
		    ns_msg_end(*msg), rd + 2, host, sizeof(host)) < 0)
			return -1;
		(void)snprintf(out, size, "%u %s", ns_get16(rd), host);
		return 0;
	case ns_t_a:
		return len == 4 && inet_ntop(AF_INET, rd, out,
		    (socklen_t)size) != NULL ? 0 : -1;
	case ns_t_aaaa:
		return len == 16 && inet_ntop(AF_INET6, rd, out,
		    (socklen_t)size) != NULL ? 0 : -1;
	default:
		return -1;
	}
}

/* dnsq_parse - the answer section's records of type into a */
int
dnsq_parse(const unsigned char *msg, size_t len, int type,
    struct dnsq_answer *a)
{
	ns_msg	handle;
	ns_rr	rr;
	int	i, count;

	if (len > DNSQ_ANSWER_MAX ||
	    ns_initparse(msg, (int)len, &handle) < 0)
		return dnsq_set_error(a, "malformed DNS answer");
	count = ns_msg_count(handle, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&handle, ns_s_an, i, &rr) < 0)
			return dnsq_set_error(a, "malformed DNS record");
		if ((int)ns_rr_type(rr) != type ||
		    ns_rr_class(rr) != ns_c_in)
			continue;	/* the CNAME chain, other types */
		if (a->n == DNSQ_RR_MAX) {
			a->truncated = true;
			continue;
		}
		if (dnsq_rr_text(&handle, &rr, type, a->rr[a->n],
		    sizeof(a->rr[a->n])) == -1)
			return dnsq_set_error(a, "malformed DNS record data");
		a->n++;
	}
	return 0;
}

/*
 * dnsq_failed - why res_nquery failed.  glibc leaves a server's reply in
 * the buffer when its rcode is not NOERROR or its answer is empty, so
 * the header tells NXDOMAIN, no data, SERVFAIL and REFUSED apart; a
 * header that is no reply (QR clear: the buffer as we zeroed it) means
 * no server answered: timed out, or refused (errno ECONNREFUSED).
 */
static void
dnsq_failed(const unsigned char *msg, int herr, int err,
    struct dnsq_answer *a)
{
	if ((msg[2] & 0x80) != 0) {
		switch (msg[3] & 0x0f) {
		case ns_r_noerror:
			a->status = DNSQ_NODATA;
			break;
		case ns_r_nxdomain:
			a->status = DNSQ_NXDOMAIN;
			break;
		case ns_r_servfail:
			a->status = DNSQ_SERVFAIL;
			break;
		case ns_r_refused:
			(void)dnsq_set_error(a, "the name server refused the "
			    "question (REFUSED): is it a resolver?");
			break;
		default:
			(void)dnsq_set_error(a, "the name server could not "
			    "answer (FORMERR or NOTIMP)");
			break;
		}
		return;
	}
	if (herr != TRY_AGAIN) {
		/* never sent: res_nmkquery refused the name */
		(void)dnsq_set_error(a, "not a valid domain name (a label "
		    "over 63 bytes?)");
		return;
	}
	a->status = DNSQ_TIMEOUT;
	if (err == ECONNREFUSED)
		(void)str_copy(a->why, "no answer: nothing listens at the "
		    "name servers in /etc/resolv.conf (connection refused)",
		    sizeof(a->why));
}

/* dnsq_query - one question, appended to a; the status from the resolver */
static void
dnsq_query(struct dnsq *q, const char *name, int type,
    struct dnsq_answer *a)
{
	unsigned char	*msg = xcalloc(1, DNSQ_ANSWER_MAX);
	int		 len;

	errno = 0;
	len = res_nquery(&q->res, name, ns_c_in, type, msg, DNSQ_ANSWER_MAX);
	if (len < 0)
		dnsq_failed(msg, q->res.res_h_errno, errno, a);
	else if (dnsq_parse(msg, (size_t)len, type, a) == 0)
		a->status = a->n > 0 ? DNSQ_OK : DNSQ_NODATA;
	free(msg);
}

/* dnsq_reset - an empty answer */
static void
dnsq_reset(struct dnsq_answer *a)
{
	a->status = DNSQ_NODATA;
	a->n = 0;
	a->truncated = false;
	a->why[0] = '\0';
}

/* dnsq_txt - TXT records */
void
dnsq_txt(struct dnsq *q, const char *name, struct dnsq_answer *a)
{
	dnsq_reset(a);
	dnsq_query(q, name, ns_t_txt, a);
}

/* dnsq_mx - MX records */
void
dnsq_mx(struct dnsq *q, const char *name, struct dnsq_answer *a)
{
	dnsq_reset(a);
	dnsq_query(q, name, ns_t_mx, a);
}

/*
 * dnsq_addr - A, then AAAA; found when either has records.  An
 * NXDOMAIN on A settles it; a timeout on one type counts as the answer
 * only when the other found nothing.
 */
void
dnsq_addr(struct dnsq *q, const char *name, struct dnsq_answer *a)
{
	enum dnsq_status	first;

	dnsq_reset(a);
	dnsq_query(q, name, ns_t_a, a);
	if (a->status == DNSQ_NXDOMAIN)
		return;
	first = a->status;
	dnsq_query(q, name, ns_t_aaaa, a);
	if (a->n > 0)
		a->status = DNSQ_OK;
	else if (first != DNSQ_NODATA && first != DNSQ_OK)
		a->status = first;
}

/* dnsq_status_text - the outcome in words */
const char *
dnsq_status_text(const struct dnsq_answer *a)
{
	switch (a->status) {
	case DNSQ_OK:
		return "found";
	case DNSQ_NXDOMAIN:
		return "does not exist (NXDOMAIN)";
	case DNSQ_NODATA:
		return "exists but has no such record";
	case DNSQ_TIMEOUT:
		return a->why[0] != '\0' ? a->why : "no answer from the name "
		    "servers in /etc/resolv.conf (timeout)";
	case DNSQ_SERVFAIL:
		return "the name server failed to answer (SERVFAIL)";
	case DNSQ_ERROR:
		return a->why[0] != '\0' ? a->why : "DNS error";
	default:
		return "?";
	}
}
