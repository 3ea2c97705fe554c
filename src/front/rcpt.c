/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rcpt.c - turns recipients as callers write them into envelope addresses.
 *
 * Owns the rules listed in rcpt.h.  Never drops a recipient silently:
 * every recipient either yields at least one valid envelope address or an
 * error the caller reports (EX_NOUSER).  Runs unprivileged in the front
 * end; reads only the aliases file and the passwd database.
 */
#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rcpt.h"
#include "util.h"

/* rcpt_resolver_init - load aliases */
int
rcpt_resolver_init(struct rcpt_resolver *r, const struct conf *c,
    const char *aliases_path, struct buf *err)
{
	const char	*path = aliases_path ? aliases_path : c->aliases;

	r->conf = c;
	r->aliases = NULL;
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((r->aliases = aliases_load(path, err)) == NULL)
		return -1;
	return 0;
}

/* rcpt_resolver_free - release */
void
rcpt_resolver_free(struct rcpt_resolver *r)
{
	aliases_free(r->aliases);
	r->aliases = NULL;
}

/* rcpt_add_unique - append unless already present (case-insensitive) */
static int
rcpt_add_unique(struct addr_list *out, const char *a)
{
	size_t	i;

	for (i = 0; i < out->n; i++)
		if (strcasecmp(out->v[i], a) == 0)
			return 0;
	return addr_list_add(out, a);
}

/* rcpt_is_system_account - a local account below system_uid_max */
static bool
rcpt_is_system_account(const struct conf *c, const char *name)
{
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL)
		return false;
	return pw->pw_uid < (uid_t)c->system_uid_max;
}

/* rcpt_leaf - rules 3 and 4 for a name no alias expands further */
static int
rcpt_leaf(const struct rcpt_resolver *r, const char *name,
    struct addr_list *out, struct buf *err)
{
	const struct conf	*c = r->conf;
	char			*q;
	int			 rc;

	if (addr_is_qualified(name)) {
		if (!addr_valid_envelope(name)) {
			buf_note(err, "<%s>: not a valid address", name);
			return -1;
		}
		return rcpt_add_unique(out, name);
	}
	if (c->admin != NULL && c->admin[0] != '\0' &&
	    rcpt_is_system_account(c, name))
		return rcpt_add_unique(out, c->admin);
	q = addr_qualify(name, c->domain);
	if (!addr_valid_envelope(q)) {
		buf_note(err, "<%s>: not a valid address", name);
		free(q);
		return -1;
	}
	rc = rcpt_add_unique(out, q);
	free(q);
	return rc;
}

/* rcpt_resolve - one recipient */
int
rcpt_resolve(const struct rcpt_resolver *r, const char *addr,
    struct addr_list *out, struct buf *err)
{
	struct addr_list	 expanded;
	size_t			 i;
	int			 rc = -1, found;

	addr_list_init(&expanded);
	if (addr[0] == '\0') {
		buf_note(err, "<>: empty recipient address");
		goto out;
	}
	if (addr_is_qualified(addr) || r->aliases == NULL) {
		rc = rcpt_leaf(r, addr, out, err);
		goto out;
	}
	found = aliases_expand(r->aliases, addr, &expanded, err);
	if (found == -1)
		goto out;
	if (found == 0) {
		rc = rcpt_leaf(r, addr, out, err);
		goto out;
	}
	if (expanded.n == 0) {
		buf_note(err, "<%s>: the alias has no deliverable target "
		    "(check %s)", addr, r->conf->aliases);
		goto out;
	}
	for (i = 0; i < expanded.n; i++)
		if (rcpt_leaf(r, expanded.v[i], out, err) == -1)
			goto out;
	rc = 0;
out:
	addr_list_free(&expanded);
	return rc;
}
