/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aliases.h - the aliases(5) table (/etc/aliases): load, expand, check.
 *
 * postern relays only: an alias may expand to addresses and local names,
 * never to a command, a file or an :include: list.  Such targets are
 * refused with a warning naming the file, line and alias, and an alias left
 * with nothing but refused targets makes aliases_expand fail, so the
 * recipient is bounced or reported, never silently lost.
 */
#ifndef POSTERN_ALIASES_H
#define POSTERN_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"

/* largest aliases file read */
#define ALIASES_FILE_MAX	(4 * 1024 * 1024)
/* longest logical line (an entry with its continuation lines) */
#define ALIASES_LINE_MAX	(64 * 1024)
/* most aliases in one table */
#define ALIASES_MAX		65536
/* most targets in one alias */
#define ALIASES_TARGETS_MAX	1000
/* deepest alias-in-alias nesting aliases_expand follows */
#define ALIASES_DEPTH_MAX	20
/* most addresses one expansion may yield */
#define ALIASES_EXPAND_MAX	1000
/* most error lines kept in err (the count goes on) */
#define ALIASES_ERRORS_KEPT	50

struct aliases;

/*
 * aliases_load - read and parse an aliases file.  A missing file gives an
 * empty table (not an error; aliases_missing() tells).  Syntax errors do
 * not stop the load: each is appended to err as "file:line: reason" (one
 * per line, at most ALIASES_ERRORS_KEPT) and counted (aliases_errors());
 * the bad entry is skipped.  Refused targets (|cmd, /file, :include:) are
 * logged with log_warnx and remembered per alias.  Returns the table
 * (free with aliases_free), or NULL with the reason in err when the file
 * exists but cannot be read, is not a regular file or is larger than
 * ALIASES_FILE_MAX.
 */
struct aliases *aliases_load(const char *path, struct buf *err);

/*
 * aliases_load_mem - as aliases_load on len bytes in memory; name is used
 * in messages.  NUL bytes are syntax errors.  Never NULL.
 */
struct aliases *aliases_load_mem(const char *data, size_t len,
	    const char *name, struct buf *err);

/* aliases_free - free a table; accepts NULL */
void	aliases_free(struct aliases *);

/* aliases_missing - true when the file did not exist */
bool	aliases_missing(const struct aliases *);

/* aliases_count - number of aliases loaded */
size_t	aliases_count(const struct aliases *);

/* aliases_errors - number of syntax errors found while loading */
size_t	aliases_errors(const struct aliases *);

/* aliases_refused - number of refused (pipe, file, include) targets */
size_t	aliases_refused(const struct aliases *);

/*
 * aliases_expand - expand local_name (case-insensitive) recursively and
 * append the final recipients to out, without duplicates (ASCII
 * case-insensitive, also against what out held before).  A target that is
 * a local name with its own alias is expanded in turn; a target naming its
 * own alias ("root: root, admin@x") is delivered to that name as is.
 * Targets with a domain are never looked up again.  Returns
 *   1  expanded (at least one address appended or already present);
 *   0  local_name is not an alias (out untouched);
 *  -1  with the reason in err: an alias loop or nesting deeper than
 *      ALIASES_DEPTH_MAX (naming the chain "a -> b -> a"), an alias whose
 *      targets were all refused (naming it, the file and line), or more
 *      than ALIASES_EXPAND_MAX addresses.  out may hold a partial result.
 */
int	aliases_expand(const struct aliases *, const char *local_name,
	    struct addr_list *out, struct buf *err);

/*
 * aliases_check - what newaliases and sendmail -bi run: load path, then
 * expand every alias to find loops and dead ends.  Appends the errors
 * (one per line) and a summary line to report:
 *   "/etc/aliases: 12 aliases, longest 3 targets, 0 errors"
 * (", N refused targets" is added when there are some), or
 *   "/etc/aliases: no such file (no aliases defined)".
 * Returns the number of errors (0 when the file is missing), or -1 when
 * the file cannot be read at all (reason in report).
 */
int	aliases_check(const char *path, struct buf *report);

#endif
