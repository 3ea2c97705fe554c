/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_domain.c - the sender-domain section of `postern check`: for
 * each domain the host sends from (domain, masquerade_domain, a relay
 * user's domain under force_sender, the admin address's domain, and
 * --sender addresses), will the mail be accepted and trusted?  (1) the
 * domain exists in public DNS (MX, else A/AAAA) and is no internal
 * name; (2) SPF (check_spf.c); (3) DKIM: the provider's selectors for
 * presets; (4) DMARC: the policy, from _dmarc or the organisational
 * domain's, and the verdict from 2 and 3.
 *
 * Owns the list of sender domains and the wording of these steps; DNS
 * through dnsq.c, SPF through libspf2, the organisational domain through
 * libpsl and the public suffix list.  Only DNS questions leave the
 * machine; --no-dns skips the section.  RFCs 7208, 6376, 7489.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "check_dom.h"
#include "preset.h"
#include "util.h"

/* names no public DNS has: RFC 6762 .local, common home and office ones */
static const char *const check_dom_internal[] = {
	"localdomain", "localhost", "local", "lan", "internal", "intranet",
	"home", "corp", "private", "home.arpa", NULL
};

/* the DMARC policy found and what it means */
struct check_dmarc {
	char	 p[16];			/* none, quarantine, reject, "" */
	char	 where[DNSQ_NAME_MAX + 8];	/* the name it came from */
	bool	 inherited;		/* from the organisational domain */
};

/* check_dom_preset - relay i's preset, or NULL */
static const struct preset *
check_dom_preset(const struct check *ck, size_t i)
{
	const char	*name = ck->conf.relays[i].preset;

	return name != NULL ? preset_find(name) : NULL;
}

/*
 * check_dom_internal_name - why name cannot be a public sender domain
 * (not a domain name, a bare host name, an internal name, a top-level
 * domain no registry runs), or NULL
 */
static const char *
check_dom_internal_name(const char *name, psl_ctx_t *psl)
{
	const char	*tld, *label, *dot;
	size_t		 i, n = strlen(name), len;

	for (label = name;; label = dot + 1) {
		dot = strchr(label, '.');
		len = dot != NULL ? (size_t)(dot - label) : strlen(label);
		if (len == 0 || len > 63)
			return "not a valid domain name (a label longer than "
			    "63 bytes, or an empty one)";
		if (dot == NULL)
			break;
	}
	if (strchr(name, '.') == NULL)
		return "a bare host name, not a domain";
	for (i = 0; check_dom_internal[i] != NULL; i++) {
		len = strlen(check_dom_internal[i]);
		if (n > len && name[n - len - 1] == '.' &&
		    strcasecmp(name + n - len, check_dom_internal[i]) == 0)
			return "an internal name";
	}
	tld = strrchr(name, '.') + 1;
	if (psl != NULL && !psl_is_public_suffix2(psl, tld,
	    PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
		return "not under a public top-level domain";
	return NULL;
}

/* check_dom_skip - the remaining steps of a domain that cannot go on */
static void
check_dom_skip(struct check *ck, const char *why)
{
	check_report(ck, CK_SPF, CHECK_SKIP, -1, NULL, NULL, "not run (%s)",
	    why);
	check_report(ck, CK_DKIM, CHECK_SKIP, -1, NULL, NULL, "not run (%s)",
	    why);
	check_report(ck, CK_DMARC, CHECK_SKIP, -1, NULL, NULL, "not run (%s)",
	    why);
}

/* check_dom_exists - check 1; 0 when the others may run */
static int
check_dom_exists(struct check_dom *d, psl_ctx_t *psl)
{
	const char	*kind = check_dom_internal_name(d->name, psl);
	const char	*hint = d->fix;
	char		 mx[DNSQ_TXT_MAX];

	if (kind != NULL) {
		check_report(d->ck, CK_SENDER_DOMAIN, CHECK_FAIL, -1, hint,
		    NULL, "%s (%s) is %s: providers refuse mail from it "
		    "(553 5.1.8, 550 5.7.1 sender domain does not exist)",
		    d->name, d->origin, kind);
		return -1;
	}
	dnsq_mx(d->q, d->name, d->a);
	if (d->a->status == DNSQ_OK) {
		(void)str_copy(mx, d->a->rr[0], sizeof(mx));
		check_report(d->ck, CK_SENDER_DOMAIN, CHECK_OK, -1, NULL, NULL,
		    "%s (%s) exists: MX %s%s", d->name, d->origin, mx,
		    d->a->n > 1 ? ", ..." : "");
		return 0;
	}
	if (d->a->status == DNSQ_NODATA) {
		dnsq_addr(d->q, d->name, d->a);
		if (d->a->status == DNSQ_OK) {
			check_report(d->ck, CK_SENDER_DOMAIN, CHECK_OK, -1,
			    NULL, NULL, "%s (%s) exists: no MX, address %s",
			    d->name, d->origin, d->a->rr[0]);
			return 0;
		}
	}
	if (d->a->status == DNSQ_NXDOMAIN || d->a->status == DNSQ_NODATA) {
		check_report(d->ck, CK_SENDER_DOMAIN, CHECK_FAIL, -1, hint,
		    NULL, "%s (%s) %s: providers refuse mail from it "
		    "(553 5.1.8, 550 5.7.1 sender domain does not exist)",
		    d->name, d->origin, d->a->status == DNSQ_NXDOMAIN ?
		    "does not exist in DNS (NXDOMAIN)" : "has no MX and no "
		    "A/AAAA record");
		return -1;
	}
	check_report(d->ck, CK_SENDER_DOMAIN, CHECK_WARN, -1, "check "
	    "/etc/resolv.conf, or run postern check --no-dns on a machine "
	    "without public DNS", NULL, "cannot tell whether %s exists: "
	    "%s", d->name, dnsq_status_text(d->a));
	return -1;
}

/* check_dom_has_key - a DKIM key among the TXT records in a */
static bool
check_dom_has_key(const struct dnsq_answer *a)
{
	size_t	i;

	for (i = 0; a->status == DNSQ_OK && i < a->n; i++)
		if (strstr(a->rr[i], "p=") != NULL)
			return true;
	return false;
}

/* check_dom_dkim_preset - look for the provider's selectors */
static void
check_dom_dkim_preset(struct check_dom *d, const struct preset *ps,
    struct check_dom_relay *rr)
{
	char	 sels[128], *sel, *save = NULL, name[DNSQ_NAME_MAX + 80];
	char	 found[CHECK_TEXT_MAX] = "", missing[CHECK_TEXT_MAX] = "";
	char	 hint[CHECK_TEXT_MAX], *list;

	(void)str_copy(sels, ps->dkim_selectors, sizeof(sels));
	for (sel = strtok_r(sels, " ", &save); sel != NULL;
	    sel = strtok_r(NULL, " ", &save)) {
		(void)snprintf(name, sizeof(name), "%s._domainkey.%s", sel,
		    d->name);
		dnsq_txt(d->q, name, d->a);
		list = check_dom_has_key(d->a) ? found : missing;
		if (list[0] != '\0')
			(void)str_append(list, ", ", CHECK_TEXT_MAX);
		(void)str_append(list, name, CHECK_TEXT_MAX);
	}
	if (found[0] != '\0') {
		rr->dkim_ok = true;
		check_report(d->ck, CK_DKIM, CHECK_OK, -1, NULL, NULL,
		    "%s's DKIM key for %s: %s%s%s", ps->name, d->name, found,
		    missing[0] ? "; absent: " : "", missing);
		return;
	}
	(void)snprintf(hint, sizeof(hint), "turn on DKIM for %s in %s's "
	    "console and publish the record it gives (TXT or CNAME) at %s",
	    d->name, ps->name, missing);
	check_report(d->ck, CK_DKIM, CHECK_WARN, -1, hint, NULL,
	    "no DKIM key of %s for %s (%s): its signatures, if any, are for "
	    "its own domain and do not align with %s", ps->name, d->name,
	    missing, d->name);
}

/* check_dom_dkim - check 3, per relay in scope */
static void
check_dom_dkim(struct check_dom *d)
{
	const struct preset	*ps;
	size_t			 i;

	for (i = 0; i < d->ck->conf.nrelays; i++) {
		if (!check_dom_in_scope(d->ck, i))
			continue;
		d->ck->relay = i + 1;
		ps = check_dom_preset(d->ck, i);
		if (ps != NULL && ps->dkim_selectors != NULL) {
			check_dom_dkim_preset(d, ps, &d->rel[i]);
			continue;
		}
		d->rel[i].dkim_unknown = true;
		check_report(d->ck, CK_DKIM, CHECK_SKIP, -1, "send a test "
		    "(postern check --send-test ADDRESS) and look in the "
		    "received message for DKIM-Signature: d=DOMAIN and "
		    "Authentication-Results: dkim=pass header.d=DOMAIN", NULL,
		    "DKIM signing is the relay's business: %s does not say "
		    "which selectors %s uses for %s", ps != NULL ?
		    "its preset" : "postern", d->ck->conf.relays[i].name,
		    d->name);
	}
	d->ck->relay = 0;
}

/* check_dom_dmarc_tag - the value of tag in a DMARC record, or "" */
static void
check_dom_dmarc_tag(const char *rec, const char *tag, char *out,
    size_t size)
{
	const char	*p = rec, *v, *end;
	size_t		 tlen = strlen(tag), len;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, tag, tlen) == 0) {
			v = p + tlen;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				end = v + strcspn(v, "; \t");
				len = (size_t)(end - v);
				if (len >= size)
					len = size - 1;
				memcpy(out, v, len);
				out[len] = '\0';
				return;
			}
		}
		p = strchr(p, ';');
	}
}

/* check_dom_dmarc_find - the _dmarc record of name; 0, or -1 if none */
static int
check_dom_dmarc_find(struct check_dom *d, const char *name, bool sub,
    struct check_dmarc *out, size_t *count)
{
	char	 q[DNSQ_NAME_MAX + 8], sp[16];
	size_t	 i;
	int	 found = -1;

	(void)snprintf(q, sizeof(q), "_dmarc.%s", name);
	dnsq_txt(d->q, q, d->a);
	*count = 0;
	for (i = 0; d->a->status == DNSQ_OK && i < d->a->n; i++) {
		if (strncmp(d->a->rr[i], "v=DMARC1", 8) != 0)
			continue;
		(*count)++;
		check_dom_dmarc_tag(d->a->rr[i], "p", out->p, sizeof(out->p));
		check_dom_dmarc_tag(d->a->rr[i], "sp", sp, sizeof(sp));
		/* a subdomain takes sp= when the organisation sets it */
		if (sub && sp[0] != '\0')
			(void)str_copy(out->p, sp, sizeof(out->p));
		(void)str_copy(out->where, q, sizeof(out->where));
		found = 0;
	}
	return *count == 1 ? found : -1;
}

/* check_dom_dmarc_relay - an enforcing policy against one relay */
static void
check_dom_dmarc_relay(struct check_dom *d, const struct check_dmarc *m,
    const char *from, const struct check_dom_relay *rr)
{
	bool	 reject = strcasecmp(m->p, "reject") == 0;

	if (rr->spf_ok || rr->dkim_ok) {
		check_report(d->ck, CK_DMARC, CHECK_OK, -1, NULL, NULL,
		    "p=%s at %s, and %s aligns for mail sent through this "
		    "relay", m->p, from, rr->spf_ok ? "SPF" : "DKIM");
		return;
	}
	if (rr->dkim_unknown || rr->spf_unknown) {
		check_report(d->ck, CK_DMARC, CHECK_WARN, -1, "make the "
		    "relay sign with DKIM for the domain, or authorise it in "
		    "SPF; the Authentication-Results of a test message tell",
		    NULL, "p=%s at %s and %s: recipients will %s unless the "
		    "relay signs with DKIM for %s", m->p, from,
		    rr->spf_unknown ? "SPF cannot be judged from here" :
		    "SPF does not authorise the relay", reject ?
		    "refuse the mail" : "put the mail in spam", d->name);
		return;
	}
	check_report(d->ck, CK_DMARC, reject ? CHECK_FAIL : CHECK_WARN, -1,
	    "authorise the relay in SPF or publish the provider's DKIM key "
	    "(see the SPF and DKIM lines)", NULL, "p=%s at %s and neither "
	    "SPF nor DKIM is aligned for mail sent through this relay: "
	    "recipients will %s", m->p, from, reject ? "refuse it" :
	    "put it in spam");
}

/*
 * check_dom_dmarc_verdict - the policy; when it enforces, the verdict
 * for each relay in scope from what SPF and DKIM found for it
 */
static void
check_dom_dmarc_verdict(struct check_dom *d, const struct check_dmarc *m)
{
	char	 from[DNSQ_NAME_MAX + 64];
	size_t	 i;

	(void)snprintf(from, sizeof(from), "%s%s", m->where, m->inherited ?
	    " (inherited from the organisational domain)" : "");
	if (strcasecmp(m->p, "none") == 0) {
		check_report(d->ck, CK_DMARC, CHECK_OK, -1, NULL, NULL,
		    "p=none at %s: receivers only report; align SPF or DKIM "
		    "before moving to p=quarantine or p=reject", from);
		return;
	}
	if (strcasecmp(m->p, "quarantine") != 0 &&
	    strcasecmp(m->p, "reject") != 0) {
		check_report(d->ck, CK_DMARC, CHECK_WARN, -1, "set p=none, "
		    "p=quarantine or p=reject (RFC 7489 6.3)", NULL,
		    "the DMARC record at %s has no valid policy (p=%s): "
		    "receivers ignore it", from, m->p[0] ? m->p : "missing");
		return;
	}
	for (i = 0; i < d->ck->conf.nrelays; i++) {
		if (!check_dom_in_scope(d->ck, i))
			continue;
		d->ck->relay = i + 1;
		check_dom_dmarc_relay(d, m, from, &d->rel[i]);
	}
	d->ck->relay = 0;
}

/* check_dom_dmarc - check 4: the record, the policy, the verdict */
static void
check_dom_dmarc(struct check_dom *d, psl_ctx_t *psl)
{
	struct check_dmarc	 m;
	const char		*org = psl != NULL ?
				    psl_registrable_domain(psl, d->name) : NULL;
	char			 hint[CHECK_TEXT_MAX];
	size_t			 count;

	memset(&m, 0, sizeof(m));
	if (check_dom_dmarc_find(d, d->name, false, &m, &count) == 0) {
		check_dom_dmarc_verdict(d, &m);
		return;
	}
	if (count > 1) {
		check_report(d->ck, CK_DMARC, CHECK_WARN, -1, "keep one "
		    "v=DMARC1 record", NULL, "_dmarc.%s has %zu DMARC "
		    "records: receivers apply none (RFC 7489 6.6.3)",
		    d->name, count);
		return;
	}
	if (org != NULL && strcasecmp(org, d->name) != 0 &&
	    check_dom_dmarc_find(d, org, true, &m, &count) == 0) {
		m.inherited = true;
		check_dom_dmarc_verdict(d, &m);
		return;
	}
	(void)snprintf(hint, sizeof(hint), "publish a TXT record at _dmarc.%s:"
	    " \"v=DMARC1; p=none; rua=mailto:postmaster@%s\" (Gmail and "
	    "Yahoo require one of bulk senders)", org != NULL ? org : d->name,
	    org != NULL ? org : d->name);
	check_report(d->ck, CK_DMARC, CHECK_WARN, -1, hint, NULL,
	    "no DMARC record for %s%s%s", d->name, org != NULL &&
	    strcasecmp(org, d->name) != 0 ? " nor for " : "",
	    org != NULL && strcasecmp(org, d->name) != 0 ? org : "");
}

/* check_dom_run - every check of one domain */
static void
check_dom_run(struct check_dom *d, psl_ctx_t *psl)
{
	d->ck->domain = d->name;
	if (!d->ck->json)
		printf("sender domain %s (from %s)\n", d->name, d->origin);
	memset(d->rel, 0, sizeof(d->rel));
	if (check_dom_exists(d, psl) == -1)
		check_dom_skip(d->ck, "sender domain failed");
	else {
		check_spf(d);
		check_dom_dkim(d);
		check_dom_dmarc(d, psl);
	}
	d->ck->domain = NULL;
}

/* one sender domain to check, with where it came from and its fix */
struct check_dom_item {
	char	 name[DNSQ_NAME_MAX];
	char	 origin[96];
	char	 fix[CHECK_TEXT_MAX];
};

/* check_dom_add - add the domain of s (an address or a domain) */
static void
check_dom_add(struct check_dom_item *items, size_t *n, const char *s,
    const char *origin, const char *fix)
{
	const char	*at = strrchr(s, '@');
	const char	*dom = at != NULL ? at + 1 : s;
	size_t		 i, len;

	if (*dom == '\0' || *n == CHECK_DOM_MAX)
		return;
	len = strlen(dom);
	if (dom[len - 1] == '.')
		len--;		/* the root's dot: same domain */
	if (len == 0 || len >= sizeof(items[*n].name))
		return;
	for (i = 0; i < *n; i++)
		if (strncasecmp(items[i].name, dom, len) == 0 &&
		    items[i].name[len] == '\0')
			return;
	memcpy(items[*n].name, dom, len);
	items[*n].name[len] = '\0';
	for (i = 0; items[*n].name[i] != '\0'; i++)
		items[*n].name[i] = (char)tolower(
		    (unsigned char)items[*n].name[i]);
	(void)str_copy(items[*n].origin, origin, sizeof(items[*n].origin));
	(void)str_copy(items[*n].fix, fix, sizeof(items[*n].fix));
	(*n)++;
}

/* check_dom_collect - the domains this host sends from */
static size_t
check_dom_collect(const struct check *ck, struct check_dom_item *items)
{
	const struct conf	*c = &ck->conf;
	char			 origin[96];
	size_t			 n = 0, i;

	check_dom_add(items, &n, c->domain, "domain", "set domain = a "
	    "domain you own that exists in public DNS, in [postern]");
	if (c->masquerade_domain != NULL)
		check_dom_add(items, &n, c->masquerade_domain,
		    "masquerade_domain", "set masquerade_domain = a public "
		    "domain you own, in [postern]");
	for (i = 0; i < c->nrelays; i++) {
		if (!check_dom_in_scope(ck, i) || !c->relays[i].force_sender ||
		    c->relays[i].user == NULL ||
		    strchr(c->relays[i].user, '@') == NULL)
			continue;
		(void)snprintf(origin, sizeof(origin), "user of relay %zu, "
		    "force_sender", i + 1);
		check_dom_add(items, &n, c->relays[i].user, origin, "the "
		    "relay's user must be an address on a public domain");
	}
	if (c->admin != NULL && c->admin[0] != '\0')
		check_dom_add(items, &n, c->admin, "admin", "set admin = an "
		    "address on a public domain, in [postern]");
	for (i = 0; i < ck->nsenders; i++)
		check_dom_add(items, &n, ck->senders[i], "--sender",
		    "send from an address on a public domain");
	return n;
}

/*
 * check_dom_silent - a domain not asked about: the name servers timed out
 * for an earlier one (silent)
 */
static void
check_dom_silent(struct check *ck, struct check_dom *d, const char *silent)
{
	ck->domain = d->name;
	if (!ck->json)
		printf("sender domain %s (from %s)\n", d->name, d->origin);
	check_report(ck, CK_SENDER_DOMAIN, CHECK_SKIP, -1, NULL, NULL,
	    "not asked: the name servers did not answer for %s", silent);
	check_dom_skip(ck, "sender domain not asked");
	ck->domain = NULL;
}

/* check_domains - the section (check_int.h) */
void
check_domains(struct check *ck)
{
	struct check_dom_item	*items;
	struct check_dom	 d;
	psl_ctx_t		*psl;
	const char		*silent = NULL;
	char			 why[CHECK_TEXT_MAX], opt[64];
	unsigned		 wait;
	size_t			 n, i;

	if (ck->no_dns)
		return;
	items = xcalloc(CHECK_DOM_MAX, sizeof(*items));
	memset(&d, 0, sizeof(d));
	d.ck = ck;
	wait = (unsigned)check_cap(ck, CHECK_DOM_DNS_WAIT);
	/* libspf2's own resolver state reads its bounds from here */
	(void)snprintf(opt, sizeof(opt), "timeout:%u attempts:%d", wait,
	    CHECK_DOM_DNS_TRIES);
	if (setenv("RES_OPTIONS", opt, 1) == -1 ||
	    (d.q = dnsq_new(wait, CHECK_DOM_DNS_TRIES, why,
	    sizeof(why))) == NULL) {
		check_report(ck, CK_SENDER_DOMAIN, CHECK_WARN, -1, "or run "
		    "postern check --no-dns", NULL, "%s", why);
		free(items);
		return;
	}
	d.spf = check_spf_server_new();
	d.a = xmalloc(sizeof(*d.a));
	psl = psl_latest(NULL);
	n = check_dom_collect(ck, items);
	for (i = 0; i < n; i++) {
		d.name = items[i].name;
		d.origin = items[i].origin;
		d.fix = items[i].fix;
		if (silent != NULL) {
			check_dom_silent(ck, &d, silent);
			continue;
		}
		if (d.spf == NULL) {
			check_report(ck, CK_SPF, CHECK_WARN, -1, NULL, NULL,
			    "libspf2 cannot start: SPF not checked");
			continue;
		}
		check_dom_run(&d, psl);
		/* name servers that never answer will not for the next
		 * domain either: one timeout is enough to wait for */
		if (d.a->status == DNSQ_TIMEOUT)
			silent = items[i].name;
	}
	psl_free(psl);
	free(d.a);
	check_spf_server_free(d.spf);
	dnsq_free(d.q);
	free(items);
}

/* check_domain_ar_lines - what to look for in Authentication-Results */
const char *
check_domain_ar_lines(const struct check *ck, char *out, size_t size)
{
	const char	*dom = ck->conf.masquerade_domain != NULL ?
			    ck->conf.masquerade_domain : ck->conf.domain;

	(void)snprintf(out, size, "in the received message's "
	    "Authentication-Results header look for:\n"
	    "  spf=pass smtp.mailfrom=...@%s (the relay is in your SPF)\n"
	    "  dkim=pass header.d=%s (a signature for your domain; d= of "
	    "DKIM-Signature)\n"
	    "  dmarc=pass header.from=%s (one of the two aligns)\n"
	    "a fail or none there names what to fix (postern check without "
	    "--no-dns shows the records)", dom, dom, dom);
	return out;
}
