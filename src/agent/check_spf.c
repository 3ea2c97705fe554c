/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_spf.c - the SPF step of `postern check`'s sender-domain section
 * (check_dom.h): the domain's SPF record (exactly one, it parses, it
 * stays within the 10 DNS lookups of RFC 7208 4.6.4 counted over its
 * includes and redirect), then, per relay: does it authorise the relay?
 * For a preset, the provider's published include must be in the tree;
 * for any other relay the record is evaluated by libspf2 against the
 * relay's own addresses, with the caveat that its outgoing servers may
 * differ from its submission address.
 *
 * libspf2 parses and evaluates; this file only walks include: and
 * redirect= to add up the lookups (libspf2 counts one record at a time).
 * Never sends anything but DNS questions.  RFC 7208.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>

#include "check_dom.h"
#include "preset.h"
#include "util.h"

#define CHECK_SPF_LOOKUPS_MAX	10	/* RFC 7208 4.6.4 */
#define CHECK_SPF_DEPTH_MAX	10	/* include nesting followed */
#define CHECK_SPF_RECORDS_MAX	40	/* records fetched per domain */
#define CHECK_SPF_ADDRS_MAX	4	/* relay addresses evaluated */

/* what the walk over a record and its includes found */
struct check_spf_walk {
	unsigned	 lookups;	/* DNS-querying terms, all records */
	size_t		 records;
	bool		 macros;	/* a target with %{...}: not followed */
	const char	*want;		/* an include looked for, or NULL */
	bool		 found;		/* want is in the tree */
	char		 broken[CHECK_TEXT_MAX]; /* first bad include */
};

/* check_spf_server_new - libspf2's server, quiet, on the resolver */
SPF_server_t *
check_spf_server_new(void)
{
	/* libspf2 reports through these; our steps say what went wrong */
	SPF_warning_handler = NULL;
	SPF_info_handler = NULL;
	SPF_debug_handler = NULL;
	return SPF_server_new(SPF_DNS_CACHE, 0);
}

/* check_spf_server_free - release it (NULL accepted) */
void
check_spf_server_free(SPF_server_t *spf)
{
	if (spf != NULL)
		SPF_server_free(spf);
}

/* check_spf_is_spf - a TXT record that is an SPF record (RFC 7208 4.5) */
static bool
check_spf_is_spf(const char *t)
{
	return strncasecmp(t, "v=spf1", 6) == 0 &&
	    (t[6] == ' ' || t[6] == '\0');
}

/*
 * check_spf_compile - parse text with libspf2; its DNS terms into
 * *lookups; -1 with libspf2's reason in why
 */
static int
check_spf_compile(SPF_server_t *spf, const char *text, unsigned *lookups,
    char *why, size_t size)
{
	SPF_response_t	*resp = SPF_response_new(NULL);
	SPF_record_t	*rec = NULL;
	SPF_errcode_t	 err;
	int		 rc = 0;

	if (resp == NULL) {
		(void)str_copy(why, "out of memory", size);
		return -1;
	}
	err = SPF_record_compile(spf, resp, &rec, text);
	if (err != SPF_E_SUCCESS || rec == NULL) {
		if (SPF_response_messages(resp) > 0)
			(void)str_copy(why, SPF_error_message(
			    SPF_response_message(resp, 0)), size);
		else
			(void)str_copy(why, SPF_strerror(err), size);
		rc = -1;
	} else
		*lookups = rec->num_dns_mech;
	if (rec != NULL)
		SPF_record_free(rec);
	SPF_response_free(resp);
	return rc;
}

/*
 * check_spf_pick - the one SPF record among TXT answer a, or NULL;
 * *count says how many there were
 */
static const char *
check_spf_pick(const struct dnsq_answer *a, size_t *count)
{
	const char	*rec = NULL;
	size_t		 i;

	*count = 0;
	if (a->status != DNSQ_OK)
		return NULL;
	for (i = 0; i < a->n; i++)
		if (check_spf_is_spf(a->rr[i])) {
			(*count)++;
			rec = a->rr[i];
		}
	return *count == 1 ? rec : NULL;
}

static void check_spf_walk(struct check_dom *d, const char *text,
    unsigned depth, struct check_spf_walk *w);

/* check_spf_follow - fetch the SPF record of target and walk it */
static void
check_spf_follow(struct check_dom *d, const char *target, unsigned depth,
    struct check_spf_walk *w)
{
	struct dnsq_answer	*a;
	const char		*rec;
	size_t			 count;

	if (depth >= CHECK_SPF_DEPTH_MAX || w->records >= CHECK_SPF_RECORDS_MAX
	    || w->lookups > CHECK_SPF_LOOKUPS_MAX)
		return;
	a = xmalloc(sizeof(*a));
	dnsq_txt(d->q, target, a);
	w->records++;
	if ((rec = check_spf_pick(a, &count)) != NULL)
		check_spf_walk(d, rec, depth + 1, w);
	else if (w->broken[0] == '\0')
		(void)snprintf(w->broken, sizeof(w->broken), "%s: %s",
		    target, count > 1 ? "more than one SPF record" :
		    a->status == DNSQ_OK || a->status == DNSQ_NODATA ?
		    "no SPF record" : dnsq_status_text(a));
	free(a);
}

/*
 * check_spf_walk - add up the lookups of text and of every include: and
 * redirect= target it names, and look for w->want among the includes
 */
static void
check_spf_walk(struct check_dom *d, const char *text, unsigned depth,
    struct check_spf_walk *w)
{
	char		*copy, *term, *save = NULL, why[256];
	const char	*target;
	unsigned	 n = 0;

	if (check_spf_compile(d->spf, text, &n, why, sizeof(why)) == -1) {
		if (w->broken[0] == '\0')
			(void)snprintf(w->broken, sizeof(w->broken),
			    "\"%s\": %s", text, why);
		return;
	}
	w->lookups += n;
	copy = xstrdup(text);
	for (term = strtok_r(copy, " ", &save); term != NULL;
	    term = strtok_r(NULL, " ", &save)) {
		if (strchr("+-~?", term[0]) != NULL && term[0] != '\0')
			term++;
		if (strncasecmp(term, "include:", 8) == 0)
			target = term + 8;
		else if (strncasecmp(term, "redirect=", 9) == 0)
			target = term + 9;
		else
			continue;
		if (strchr(target, '%') != NULL) {
			w->macros = true;
			continue;
		}
		if (w->want != NULL && strcasecmp(target, w->want) == 0)
			w->found = true;
		check_spf_follow(d, target, depth, w);
	}
	free(copy);
}

/* check_spf_relay_preset - does the tree carry the preset's include */
static void
check_spf_relay_preset(struct check_dom *d, const char *rec,
    const struct preset *ps, struct check_dom_relay *rr)
{
	struct check_spf_walk	 w;
	char			 hint[CHECK_TEXT_MAX];

	if (ps->spf_include == NULL) {
		check_report(d->ck, CK_SPF, CHECK_SKIP, -1, NULL, NULL,
		    "postern does not know the SPF include of preset %s: "
		    "its documentation names it", ps->name);
		rr->spf_unknown = true;
		return;
	}
	memset(&w, 0, sizeof(w));
	w.want = ps->spf_include;
	check_spf_walk(d, rec, 0, &w);
	if (w.found) {
		rr->spf_ok = true;
		check_report(d->ck, CK_SPF, CHECK_OK, -1, NULL, NULL,
		    "%s includes %s: %s's servers may send for it",
		    d->name, ps->spf_include, ps->name);
		return;
	}
	(void)snprintf(hint, sizeof(hint), "add include:%s to the SPF record "
	    "of %s, before its all term", ps->spf_include, d->name);
	check_report(d->ck, CK_SPF, CHECK_WARN, -1, hint, NULL,
	    "the SPF record of %s does not include %s: mail sent through "
	    "%s fails SPF", d->name, ps->spf_include, ps->name);
}

/* check_spf_eval - libspf2's verdict for mail from d at address addr */
static SPF_result_t
check_spf_eval(struct check_dom *d, const char *addr)
{
	SPF_request_t	*req = SPF_request_new(d->spf);
	SPF_response_t	*resp = NULL;
	SPF_result_t	 res = SPF_RESULT_INVALID;
	char		 from[DNSQ_NAME_MAX + 16];
	SPF_errcode_t	 err;

	if (req == NULL)
		return res;
	(void)snprintf(from, sizeof(from), "postmaster@%s", d->name);
	err = strchr(addr, ':') != NULL ?
	    SPF_request_set_ipv6_str(req, addr) :
	    SPF_request_set_ipv4_str(req, addr);
	if (err == SPF_E_SUCCESS && SPF_request_set_env_from(req, from) == 0 &&
	    SPF_request_set_helo_dom(req, d->ck->conf.hostname) ==
	    SPF_E_SUCCESS) {
		(void)SPF_request_query_mailfrom(req, &resp);
		if (resp != NULL)
			res = SPF_response_result(resp);
	}
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	return res;
}

/* check_spf_relay_addrs - relay r's addresses (a literal, or A/AAAA) */
static void
check_spf_relay_addrs(struct check_dom *d, const struct conf_relay *r)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, r->host, &a4) == 1 ||
	    inet_pton(AF_INET6, r->host, &a6) == 1) {
		d->a->status = DNSQ_OK;
		d->a->n = 1;
		(void)str_copy(d->a->rr[0], r->host, sizeof(d->a->rr[0]));
		return;
	}
	dnsq_addr(d->q, r->host, d->a);
}

/* check_spf_loopback - 127.0.0.0/8 or ::1 */
static bool
check_spf_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* check_spf_relay_other - evaluate the record for a relay's addresses */
static void
check_spf_relay_other(struct check_dom *d, const struct conf_relay *r,
    struct check_dom_relay *rr)
{
	char		 seen[CHECK_TEXT_MAX] = "", one[96];
	const char	*pass = NULL;
	size_t		 i, n;
	SPF_result_t	 res;

	check_spf_relay_addrs(d, r);
	if (d->a->status != DNSQ_OK) {
		rr->spf_unknown = true;
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, "see the DNS "
		    "step of this relay", NULL, "cannot evaluate SPF for %s: "
		    "its address %s", r->host, dnsq_status_text(d->a));
		return;
	}
	n = d->a->n < CHECK_SPF_ADDRS_MAX ? d->a->n : CHECK_SPF_ADDRS_MAX;
	if (check_spf_loopback(d->a->rr[0])) {
		/* libspf2 passes loopback outright; it proves nothing */
		rr->spf_unknown = true;
		check_report(d->ck, CK_SPF, CHECK_SKIP, -1, "the "
		    "Authentication-Results of a test message tell "
		    "(postern check --send-test ADDRESS)", NULL, "%s is on "
		    "this machine (%s): SPF is judged on the server that "
		    "finally sends the mail out", r->host, d->a->rr[0]);
		return;
	}
	for (i = 0; i < n && pass == NULL; i++) {
		res = check_spf_eval(d, d->a->rr[i]);
		if (res == SPF_RESULT_PASS)
			pass = d->a->rr[i];
		(void)snprintf(one, sizeof(one), "%s%s %s", i ? ", " : "",
		    SPF_strresult(res), d->a->rr[i]);
		(void)str_append(seen, one, sizeof(seen));
	}
	if (pass != NULL) {
		rr->spf_ok = true;
		check_report(d->ck, CK_SPF, CHECK_OK, -1, "the relay's "
		    "outgoing servers may differ from its submission address: "
		    "the Authentication-Results of a test message tell "
		    "(postern check --send-test ADDRESS)", NULL,
		    "the SPF record of %s passes %s (%s's address)", d->name,
		    pass, r->host);
		return;
	}
	check_report(d->ck, CK_SPF, CHECK_WARN, -1, "the relay's outgoing "
	    "servers may differ from its submission address: ask its "
	    "operator which include: or ip4:/ip6: to add to the record",
	    NULL, "the SPF record of %s does not authorise %s's address (%s)",
	    d->name, r->host, seen);
}

/*
 * check_spf_record - the record step; returns the one usable record
 * (in d->a) or NULL after reporting why there is none
 */
static const char *
check_spf_record(struct check_dom *d, const char *publish)
{
	struct check_spf_walk	 w;
	const char		*rec;
	char			 hint[CHECK_TEXT_MAX];
	size_t			 count;

	dnsq_txt(d->q, d->name, d->a);
	rec = check_spf_pick(d->a, &count);
	(void)snprintf(hint, sizeof(hint), "publish one TXT record at %s: "
	    "\"v=spf1 %s ~all\"", d->name, publish);
	if (d->a->status != DNSQ_OK && d->a->status != DNSQ_NODATA) {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, NULL, NULL,
		    "cannot read the TXT records of %s: it %s", d->name,
		    dnsq_status_text(d->a));
		return NULL;
	}
	if (count == 0) {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, hint, NULL,
		    "%s has no SPF record: receivers cannot tell which "
		    "servers may send its mail", d->name);
		return NULL;
	}
	if (count > 1) {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, "merge them into "
		    "one record (one v=spf1, every mechanism once, one all "
		    "at the end)", NULL, "%s has %zu SPF records: receivers "
		    "treat that as an error (permerror, RFC 7208 4.5)",
		    d->name, count);
		return NULL;
	}
	memset(&w, 0, sizeof(w));
	check_spf_walk(d, rec, 0, &w);
	if (w.broken[0] != '\0' && strncmp(w.broken, "\"", 1) == 0 &&
	    w.records == 0) {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, "correct the "
		    "record's syntax (RFC 7208 section 5)", NULL, "the SPF "
		    "record of %s does not parse: %s", d->name, w.broken);
		return NULL;
	}
	if (w.lookups > CHECK_SPF_LOOKUPS_MAX) {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, "remove includes "
		    "no longer used, or replace some by their ip4:/ip6: "
		    "ranges", NULL, "the SPF record of %s needs %s%u DNS "
		    "lookups, over the limit of %d (RFC 7208 4.6.4): "
		    "receivers return permerror", d->name,
		    w.records >= CHECK_SPF_RECORDS_MAX ? "at least " : "",
		    w.lookups, CHECK_SPF_LOOKUPS_MAX);
		return NULL;
	}
	if (w.broken[0] != '\0') {
		check_report(d->ck, CK_SPF, CHECK_WARN, -1, "fix or remove "
		    "that include", NULL, "the SPF record of %s includes a "
		    "broken record: %s (receivers return permerror)", d->name,
		    w.broken);
		return NULL;
	}
	check_report(d->ck, CK_SPF, CHECK_OK, -1, NULL, NULL, "%s: \"%s\" "
	    "(%u DNS lookup%s of %d%s)", d->name, rec, w.lookups,
	    w.lookups == 1 ? "" : "s", CHECK_SPF_LOOKUPS_MAX, w.macros ?
	    "; macros not followed" : "");
	return rec;
}

/* check_spf_publish - the mechanisms to suggest for the relays in scope */
static void
check_spf_publish(const struct check *ck, char *out, size_t size)
{
	const struct preset	*ps;
	char			 one[DNSQ_NAME_MAX + 16];
	size_t			 i;
	bool			 other = false;

	out[0] = '\0';
	for (i = 0; i < ck->conf.nrelays; i++) {
		if (!check_dom_in_scope(ck, i))
			continue;
		ps = ck->conf.relays[i].preset != NULL ?
		    preset_find(ck->conf.relays[i].preset) : NULL;
		if (ps != NULL && ps->spf_include != NULL) {
			(void)snprintf(one, sizeof(one), "%sinclude:%s",
			    out[0] ? " " : "", ps->spf_include);
			if (strstr(out, one + (out[0] ? 1 : 0)) == NULL)
				(void)str_append(out, one, size);
		} else
			other = true;
	}
	if (other)
		(void)str_append(out, out[0] ? " ip4:RELAY-OUTGOING-ADDRESS" :
		    "ip4:RELAY-OUTGOING-ADDRESS", size);
}

/* check_spf - the record, then each relay in scope */
void
check_spf(struct check_dom *d)
{
	const struct conf_relay	*r;
	const struct preset	*ps;
	char			 publish[CHECK_TEXT_MAX], *rec;
	const char		*got;
	size_t			 i;

	check_spf_publish(d->ck, publish, sizeof(publish));
	if ((got = check_spf_record(d, publish)) == NULL)
		return;		/* SPF none or permerror: aligned nowhere */
	rec = xstrdup(got);	/* d->a is reused below */
	for (i = 0; i < d->ck->conf.nrelays; i++) {
		if (!check_dom_in_scope(d->ck, i))
			continue;
		r = &d->ck->conf.relays[i];
		d->ck->relay = i + 1;
		ps = r->preset != NULL ? preset_find(r->preset) : NULL;
		if (ps != NULL)
			check_spf_relay_preset(d, rec, ps, &d->rel[i]);
		else
			check_spf_relay_other(d, r, &d->rel[i]);
	}
	d->ck->relay = 0;
	free(rec);
}
