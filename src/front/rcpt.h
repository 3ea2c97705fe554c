/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rcpt.h - recipient resolution for the front end: a recipient as the
 * caller wrote it becomes one or more envelope addresses.
 *
 * Rules, in order (Postfix null client plus a person for root):
 *   1. a qualified address (user@domain) is kept as it is;
 *   2. a bare name that is an alias in the aliases file expands through
 *      it (nested, loops detected; :include:, |pipe and /file refused);
 *   3. a bare name that is a system account (uid < system_uid_max, root
 *      included) goes to the configured admin address when one is set;
 *   4. any other bare name is qualified with the configured domain.
 * A recipient that resolves to nothing, or only to refused targets, or is
 * not a valid envelope address, is an error (the caller exits EX_NOUSER).
 */
#ifndef POSTERN_RCPT_H
#define POSTERN_RCPT_H

#include <stddef.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "conf.h"

struct rcpt_resolver {
	const struct conf	*conf;
	struct aliases		*aliases;	/* owned; NULL when disabled */
};

/*
 * rcpt_resolver_init - load the aliases file (aliases_path overrides
 * conf->aliases, e.g. from -oA).  Returns 0, or -1 with the reason in err
 * (a syntax error in the aliases file).
 */
int	rcpt_resolver_init(struct rcpt_resolver *, const struct conf *,
	    const char *aliases_path, struct buf *err);

/* rcpt_resolver_free - release the aliases table */
void	rcpt_resolver_free(struct rcpt_resolver *);

/*
 * rcpt_resolve - resolve one address (an addr-spec without angle
 * brackets) and append the results, without duplicates, to out.  Returns
 * 0, or -1 with "<addr>: why" in err.
 */
int	rcpt_resolve(const struct rcpt_resolver *, const char *addr,
	    struct addr_list *out, struct buf *err);

#endif
