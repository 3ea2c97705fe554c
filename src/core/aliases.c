/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aliases.c - the aliases(5) table: parse, look up, expand, check.
 *
 * Owns: the sendmail/Postfix aliases syntax ("name: target, target",
 * continuation lines starting with white space, '#' comment lines, quoted
 * names, case-insensitive names) and recursive expansion with loop and
 * depth detection.  Targets are parsed with addr.c, so they may be
 * addresses, local names or "Name <addr>".
 *
 * Never: runs a command, opens a file named in the table, or follows
 * :include: (postern relays only; such targets are refused, logged with
 * file, line and alias, and counted, never dropped without a word); reads
 * more than ALIASES_FILE_MAX; recurses deeper than ALIASES_DEPTH_MAX.
 * The only I/O is reading the aliases file in aliases_load.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "io.h"
#include "log.h"
#include "util.h"

struct alias {
	char	 *name;		/* lower-cased */
	char	**targets;	/* owned addr-specs, file order */
	size_t	  ntargets;
	size_t	  nrefused;	/* |cmd, /file, :include: targets dropped */
	size_t	  line;		/* where the entry starts */
};

struct aliases {
	struct alias	*v;	/* sorted by name once loaded */
	size_t		 n;
	size_t		 cap;
	char		*file;
	bool		 missing;
	size_t		 errors;
	size_t		 refused;
};

/* aliases_vis - printable, bounded copy for messages (static storage) */
static const char *
aliases_vis(const char *s)
{
	static char	out[2][128];
	static int	k;
	char		*o = out[k ^= 1];
	size_t		n = 0;

	for (; *s != '\0' && n < sizeof(out[0]) - 4; s++)
		o[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (*s != '\0') {
		memcpy(o + n, "...", 3);
		n += 3;
	}
	o[n] = '\0';
	return o;
}

/* aliases_error - count a syntax error and keep its text */
__attribute__((format(printf, 4, 5)))
static void
aliases_error(struct aliases *al, struct buf *err, size_t line,
    const char *fmt, ...)
{
	va_list	ap;

	if (al->errors++ >= ALIASES_ERRORS_KEPT || err == NULL)
		return;
	buf_note(err, "%s:%zu: ", al->file, line);
	va_start(ap, fmt);
	buf_vnote(err, fmt, ap);
	va_end(ap);
	buf_note(err, "\n");
}

/* aliases_new - empty table */
static struct aliases *
aliases_new(const char *name)
{
	struct aliases	*al = xcalloc(1, sizeof(*al));

	al->file = xstrdup(name);
	return al;
}

/* aliases_free_entry - one entry's storage */
static void
aliases_free_entry(struct alias *a)
{
	size_t	i;

	for (i = 0; i < a->ntargets; i++)
		free(a->targets[i]);
	free(a->targets);
	free(a->name);
}

/* aliases_free - the whole table */
void
aliases_free(struct aliases *al)
{
	size_t	i;

	if (al == NULL)
		return;
	for (i = 0; i < al->n; i++)
		aliases_free_entry(&al->v[i]);
	free(al->v);
	free(al->file);
	free(al);
}

/* aliases_refusal - the kind of a refused target, or NULL if acceptable */
static const char *
aliases_refusal(const char *t)
{
	if (*t == '"')
		t++;
	if (*t == '|')
		return "command";
	if (*t == '/')
		return "file";
	if (strncasecmp(t, ":include:", 9) == 0)
		return "include";
	return NULL;
}

/* aliases_add_target - parse one target and add it to the entry */
static void
aliases_add_target(struct aliases *al, struct alias *a, char *t,
    struct buf *err)
{
	struct addr_list	 l;
	struct buf		 why;
	const char		*kind;
	char			*e;

	while (*t == ' ' || *t == '\t')
		t++;
	e = t + strlen(t);
	while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (*t == '\0')
		return;		/* "a: b,,c" and a trailing comma */
	if ((kind = aliases_refusal(t)) != NULL) {
		log_warnx("%s:%zu: alias %s: %s target %s refused: postern "
		    "only forwards mail to addresses; replace it with an "
		    "address", al->file, a->line, aliases_vis(a->name), kind,
		    aliases_vis(t));
		a->nrefused++;
		al->refused++;
		return;
	}
	if (a->ntargets >= ALIASES_TARGETS_MAX) {
		aliases_error(al, err, a->line, "alias %s: more than %d "
		    "targets; split it into several aliases",
		    aliases_vis(a->name), ALIASES_TARGETS_MAX);
		return;
	}
	addr_list_init(&l);
	buf_init(&why, 256);
	if (addr_parse_header(t, &l, &why) == -1)
		aliases_error(al, err, a->line, "alias %s: bad target %s: %s",
		    aliases_vis(a->name), aliases_vis(t), buf_cstr(&why));
	else if (l.n != 1)
		aliases_error(al, err, a->line, "alias %s: target %s is not "
		    "one address", aliases_vis(a->name), aliases_vis(t));
	else if (!addr_valid_envelope(l.v[0]))
		aliases_error(al, err, a->line, "alias %s: target %s is not "
		    "usable in SMTP (too long or control characters)",
		    aliases_vis(a->name), aliases_vis(t));
	else {
		a->targets = xrealloc(a->targets,
		    (a->ntargets + 1) * sizeof(*a->targets));
		a->targets[a->ntargets++] = xstrdup(l.v[0]);
	}
	buf_free(&why);
	addr_list_free(&l);
}

/* aliases_parse_name - the alias name at s; returns the text after ':' */
static char *
aliases_parse_name(struct aliases *al, char *s, size_t line, char **name,
    struct buf *err)
{
	char	*p, *o;

	*name = NULL;
	if (*s == '"') {
		/* quoted name: unescape in place */
		for (p = s + 1, o = s; *p != '"'; p++) {
			if (*p == '\0') {
				aliases_error(al, err, line, "unbalanced '\"' "
				    "in alias name");
				return NULL;
			}
			if (*p == '\\' && p[1] != '\0')
				p++;
			*o++ = *p;
		}
		*o = '\0';
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':') {
			aliases_error(al, err, line, "missing ':' after the "
			    "quoted alias name");
			return NULL;
		}
	} else {
		if ((p = strchr(s, ':')) == NULL) {
			aliases_error(al, err, line, "missing ':' (expected "
			    "\"name: target, ...\")");
			return NULL;
		}
		for (o = p; o > s && (o[-1] == ' ' || o[-1] == '\t'); o--)
			;
		*o = '\0';
		if (strpbrk(s, " \t") != NULL) {
			aliases_error(al, err, line, "space in alias name %s "
			    "(quote the name)", aliases_vis(s));
			return NULL;
		}
	}
	if (*s == '\0') {
		aliases_error(al, err, line, "empty alias name");
		return NULL;
	}
	for (o = s; *o != '\0'; o++) {
		if ((unsigned char)*o < 0x20 || *o == 0x7f) {
			aliases_error(al, err, line, "control character in "
			    "alias name");
			return NULL;
		}
		*o = (char)tolower((unsigned char)*o);
	}
	*name = s;
	return p + 1;
}

/* aliases_parse_entry - one logical line "name: targets" */
static void
aliases_parse_entry(struct aliases *al, char *s, size_t line, struct buf *err)
{
	struct alias	 a;
	char		*name, *rest, *p, *start;
	size_t		 depth = 0;
	bool		 in_q = false;

	if ((rest = aliases_parse_name(al, s, line, &name, err)) == NULL)
		return;
	if (al->n >= ALIASES_MAX) {
		aliases_error(al, err, line, "more than %d aliases; entry %s "
		    "ignored", ALIASES_MAX, aliases_vis(name));
		return;
	}
	memset(&a, 0, sizeof(a));
	a.name = xstrdup(name);
	a.line = line;
	/* split on commas outside quotes and comments */
	for (p = start = rest;; p++) {
		if (in_q) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_q = false;
			else if (*p == '\0')
				break;	/* addr_parse_header reports it */
			continue;
		}
		if (*p == '"')
			in_q = true;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '\\' && depth > 0 && p[1] != '\0')
			p++;
		else if ((*p == ',' && depth == 0) || *p == '\0') {
			bool	last = *p == '\0';

			*p = '\0';
			aliases_add_target(al, &a, start, err);
			if (last)
				break;
			start = p + 1;
		}
	}
	if (in_q)
		aliases_add_target(al, &a, start, err);
	if (a.ntargets == 0 && a.nrefused == 0) {
		aliases_error(al, err, line, "alias %s has no usable target",
		    aliases_vis(a.name));
		aliases_free_entry(&a);
		return;
	}
	if (al->n == al->cap) {
		al->cap = al->cap ? al->cap * 2 : 32;
		al->v = xrealloc(al->v, al->cap * sizeof(*al->v));
	}
	al->v[al->n++] = a;
}

/* aliases_cmp - order by name, then by line (first definition first) */
static int
aliases_cmp(const void *x, const void *y)
{
	const struct alias	*a = x, *b = y;
	int			 c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* aliases_finish - sort, and drop later duplicates with an error */
static void
aliases_finish(struct aliases *al, struct buf *err)
{
	size_t	i, o;

	if (al->n == 0)
		return;
	qsort(al->v, al->n, sizeof(*al->v), aliases_cmp);
	for (i = 1, o = 1; i < al->n; i++) {
		if (strcmp(al->v[i].name, al->v[o - 1].name) == 0) {
			aliases_error(al, err, al->v[i].line, "duplicate alias "
			    "%s (first defined at line %zu); this one is "
			    "ignored", aliases_vis(al->v[i].name),
			    al->v[o - 1].line);
			al->refused -= al->v[i].nrefused;
			aliases_free_entry(&al->v[i]);
		} else
			al->v[o++] = al->v[i];
	}
	al->n = o;
}

/* aliases_load_mem - parse a table held in memory */
struct aliases *
aliases_load_mem(const char *data, size_t len, const char *name,
    struct buf *err)
{
	struct aliases	*al = aliases_new(name);
	struct buf	 logical;
	const char	*line, *nl;
	size_t		 pos = 0, lineno = 0, start_line = 0, n, i;
	bool		 have = false, toolong = false;

	buf_init(&logical, ALIASES_LINE_MAX);
	while (pos < len) {
		line = data + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\0', n) != NULL) {
			aliases_error(al, err, lineno, "NUL byte in line");
			continue;
		}
		for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (i == n || line[i] == '#')
			continue;	/* blank or comment */
		if (i > 0) {
			if (!have) {
				aliases_error(al, err, lineno, "continuation "
				    "line without an alias before it");
				continue;
			}
			if (buf_putc(&logical, ' ') == -1 ||
			    buf_append(&logical, line + i, n - i) == -1)
				toolong = true;
			continue;
		}
		if (have) {
			if (toolong)
				aliases_error(al, err, start_line, "entry "
				    "longer than %d bytes", ALIASES_LINE_MAX);
			else
				aliases_parse_entry(al, logical.data,
				    start_line, err);
		}
		buf_reset(&logical);
		toolong = buf_append(&logical, line, n) == -1;
		have = true;
		start_line = lineno;
	}
	if (have) {
		if (toolong)
			aliases_error(al, err, start_line, "entry longer than "
			    "%d bytes", ALIASES_LINE_MAX);
		else
			aliases_parse_entry(al, logical.data, start_line, err);
	}
	buf_free(&logical);
	aliases_finish(al, err);
	return al;
}

/* aliases_load - read the file, then parse it */
struct aliases *
aliases_load(const char *path, struct buf *err)
{
	struct aliases	*al = NULL;
	struct stat	 st;
	char		*data = NULL;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT) {
			al = aliases_new(path);
			al->missing = true;
			return al;
		}
		if (err != NULL)
			buf_note(err, "open %s: %s\n", path,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		if (err != NULL)
			buf_note(err, "stat %s: %s\n", path,
			    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err != NULL)
			buf_note(err, "%s: not a regular file\n",
			    path);
		goto out;
	}
	data = xmalloc(ALIASES_FILE_MAX + 1);
	if ((n = io_read_full(fd, data, ALIASES_FILE_MAX + 1)) == -1) {
		if (err != NULL)
			buf_note(err, "read %s: %s\n", path,
			    strerror(errno));
		goto out;
	}
	if (n > ALIASES_FILE_MAX) {
		if (err != NULL)
			buf_note(err, "%s: larger than %d bytes "
			    "(ALIASES_FILE_MAX); remove unused entries\n",
			    path, ALIASES_FILE_MAX);
		goto out;
	}
	al = aliases_load_mem(data, (size_t)n, path, err);
out:
	free(data);
	close(fd);
	return al;
}

/* aliases_missing - the file did not exist */
bool
aliases_missing(const struct aliases *al)
{
	return al->missing;
}

/* aliases_count - entries */
size_t
aliases_count(const struct aliases *al)
{
	return al->n;
}

/* aliases_errors - syntax errors */
size_t
aliases_errors(const struct aliases *al)
{
	return al->errors;
}

/* aliases_refused - refused targets */
size_t
aliases_refused(const struct aliases *al)
{
	return al->refused;
}

/* aliases_lookup - the entry for a name (case-insensitive), or NULL */
static const struct alias *
aliases_lookup(const struct aliases *al, const char *name)
{
	size_t	lo = 0, hi = al->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcasecmp(name, al->v[mid].name);
		if (c == 0)
			return &al->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct aliases_walk {
	const struct aliases	*al;
	struct addr_list	*out;
	struct buf		*err;
	bool			*done;	/* per entry: fully expanded */
	const struct alias	*chain[ALIASES_DEPTH_MAX + 1];
	size_t			 depth;
	size_t			 added;
};

/* aliases_chain - "a -> b -> c" (then " -> last" when given) into err */
static void
aliases_chain(struct aliases_walk *w, const char *last)
{
	size_t	i;

	for (i = 0; i < w->depth; i++)
		buf_note(w->err, "%s%s", i ? " -> " : "",
		    aliases_vis(w->chain[i]->name));
	if (last != NULL)
		buf_note(w->err, " -> %s", aliases_vis(last));
}

/* aliases_put - append one final recipient unless already there */
static int
aliases_put(struct aliases_walk *w, const char *t)
{
	if (addr_list_has(w->out, t))
		return 0;
	if (w->added >= ALIASES_EXPAND_MAX || addr_list_add(w->out, t) == -1) {
		if (w->err != NULL)
			buf_note(w->err, "alias %s expands to more "
			    "than %d addresses", aliases_vis(w->chain[0]->name),
			    ALIASES_EXPAND_MAX);
		return -1;
	}
	w->added++;
	return 0;
}

/* aliases_walk - expand one entry (not on the chain) */
static int
aliases_walk(struct aliases_walk *w, const struct alias *a)
{
	const struct alias	*b;
	size_t			 i, j;

	if (a->ntargets == 0) {
		if (w->err != NULL)
			buf_note(w->err, "alias %s (%s:%zu) has only "
			    "command, file or include targets, which postern "
			    "does not deliver; give it an address",
			    aliases_vis(a->name), w->al->file, a->line);
		return -1;
	}
	w->chain[w->depth++] = a;
	for (i = 0; i < a->ntargets; i++) {
		const char	*t = a->targets[i];

		if (addr_is_qualified(t) || strcasecmp(t, a->name) == 0 ||
		    (b = aliases_lookup(w->al, t)) == NULL) {
			/* an address, the alias itself, or a plain user */
			if (aliases_put(w, t) == -1)
				return -1;
			continue;
		}
		if (w->done[b - w->al->v])
			continue;
		for (j = 0; j < w->depth; j++) {
			if (w->chain[j] == b) {
				if (w->err != NULL) {
					buf_note(w->err, "alias loop: ");
					aliases_chain(w, b->name);
					buf_note(w->err, "; remove one "
					    "of these targets");
				}
				return -1;
			}
		}
		if (w->depth >= ALIASES_DEPTH_MAX) {
			if (w->err != NULL) {
				buf_note(w->err, "aliases nested "
				    "deeper than %d: ", ALIASES_DEPTH_MAX);
				aliases_chain(w, b->name);
			}
			return -1;
		}
		if (aliases_walk(w, b) == -1)
			return -1;
	}
	w->depth--;
	w->done[a - w->al->v] = true;
	return 0;
}

/* aliases_expand - recursive expansion of one local name */
int
aliases_expand(const struct aliases *al, const char *local_name,
    struct addr_list *out, struct buf *err)
{
	struct aliases_walk	 w;
	const struct alias	*a;
	int			 rc;

	if ((a = aliases_lookup(al, local_name)) == NULL)
		return 0;
	memset(&w, 0, sizeof(w));
	w.al = al;
	w.out = out;
	w.err = err;
	w.done = xcalloc(al->n, sizeof(*w.done));
	if (err != NULL)
		buf_reset(err);
	rc = aliases_walk(&w, a) == -1 ? -1 : 1;
	free(w.done);
	return rc;
}

/* aliases_check - newaliases: validate and summarise */
int
aliases_check(const char *path, struct buf *report)
{
	struct aliases		*al;
	struct addr_list	 l;
	struct buf		 why;
	size_t			 i, longest = 0, errors;

	if ((al = aliases_load(path, report)) == NULL)
		return -1;
	if (al->missing) {
		buf_note(report, "%s: no such file (no aliases "
		    "defined)\n", path);
		aliases_free(al);
		return 0;
	}
	errors = al->errors;
	buf_init(&why, 1024);
	for (i = 0; i < al->n; i++) {
		if (al->v[i].ntargets > longest)
			longest = al->v[i].ntargets;
		addr_list_init(&l);
		if (aliases_expand(al, al->v[i].name, &l, &why) == -1) {
			errors++;
			buf_note(report, "%s:%zu: %s\n", path,
			    al->v[i].line, buf_cstr(&why));
		}
		addr_list_free(&l);
	}
	buf_free(&why);
	buf_note(report, "%s: %zu aliases, longest %zu targets, "
	    "%zu errors", path, al->n, longest, errors);
	if (al->refused > 0)
		buf_note(report, ", %zu refused targets", al->refused);
	buf_note(report, "\n");
	aliases_free(al);
	return errors > 0x7fffffff ? 0x7fffffff : (int)errors;
}
