/* SPDX-License-Identifier: GPL-2.0-or-later */
/* aliases.c - unit tests for aliases(5) loading, expansion and checking */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "log.h"
#include "util.h"
#include "tap.h"

/* load - table from a string; errors into *err (caller frees) */
static struct aliases *
load(const char *text, struct buf *err)
{
	buf_init(err, 64 * 1024);
	return aliases_load_mem(text, strlen(text), "aliases", err);
}

/* expand - "a|b|c", "none", or "ERR: reason" */
static char *
expand(const struct aliases *al, const char *name)
{
	struct addr_list	l;
	struct buf		out, err;
	size_t			i;
	int			rc;
	char			*s;

	addr_list_init(&l);
	buf_init(&out, 1 << 20);
	buf_init(&err, 4096);
	rc = aliases_expand(al, name, &l, &err);
	if (rc == -1)
		FIXTURE(buf_printf(&out, "ERR: %s", buf_cstr(&err)));
	else if (rc == 0)
		FIXTURE(buf_puts(&out, l.n == 0 ? "none" : "none-but-touched"));
	else
		for (i = 0; i < l.n; i++)
			FIXTURE(buf_printf(&out, "%s%s", i ? "|" : "", l.v[i]));
	s = buf_steal(&out);
	addr_list_free(&l);
	buf_free(&err);
	return s;
}

/* check_expand - expansion result equals want (prefix match for ERR) */
static void
check_expand(const struct aliases *al, const char *name, const char *want)
{
	char	*got = expand(al, name);
	char	 what[128];

	snprintf(what, sizeof(what), "expand %s", name);
	if (strncmp(want, "ERR", 3) == 0) {
		if (!ok(strncmp(got, want, strlen(want)) == 0, "%s", what))
			diag("got: %s; want prefix %s", got, want);
	} else
		is_str(got, want, what);
	free(got);
}

static void
test_basic(void)
{
	struct aliases	*al;
	struct buf	 err;

	al = load("# comment\n"
	    "\n"
	    "postmaster: root\n"
	    "root: admin@example.org, ops\n"
	    "ops: alice@example.org,\n"
	    "  bob@example.org\n"
	    "\t, carol\n"
	    "  # a comment inside a continuation\n"
	    "   \n"
	    "  , dave@example.org\n"
	    "MixedCase: x@y\n"
	    "\"quoted name\": q@y\n"
	    "dup: a@b, a@b, A@B, root\n"
	    "named: \"Alice A.\" <alice@example.org> (comment, with comma)\n"
	    "crlf: c@d\r\n"
	    "self: self, other@x\n"
	    "selfcase: SelfCase, z@x\n", &err);
	is_str(buf_cstr(&err), "", "no errors");
	is_int((long long)aliases_errors(al), 0, "error count 0");
	is_int((long long)aliases_count(al), 10, "ten aliases");
	ok(!aliases_missing(al), "not missing");
	check_expand(al, "postmaster", "admin@example.org|alice@example.org|"
	    "bob@example.org|carol|dave@example.org");
	check_expand(al, "ROOT", "admin@example.org|alice@example.org|"
	    "bob@example.org|carol|dave@example.org");
	check_expand(al, "nobody", "none");
	check_expand(al, "mixedcase", "x@y");
	check_expand(al, "MIXEDCASE", "x@y");
	check_expand(al, "quoted name", "q@y");
	check_expand(al, "dup", "a@b|admin@example.org|alice@example.org|"
	    "bob@example.org|carol|dave@example.org");
	check_expand(al, "named", "alice@example.org");
	check_expand(al, "crlf", "c@d");
	check_expand(al, "self", "self|other@x");
	check_expand(al, "selfcase", "SelfCase|z@x");
	aliases_free(al);
	buf_free(&err);
}

static void
test_loops(void)
{
	struct aliases	*al;
	struct buf	 err;
	struct buf	 text;
	int		 i;

	al = load("a: b\nb: c, x@y\nc: a\n"
	    "d: d2\nd2: e@x, d3\nd3: e@x\n"
	    "diamond: l, r\nl: m\nr: m\nm: bottom@x\n", &err);
	check_expand(al, "a", "ERR: alias loop: a -> b -> c -> a");
	check_expand(al, "b", "ERR: alias loop: b -> c -> a -> b");
	check_expand(al, "d", "e@x");
	check_expand(al, "diamond", "bottom@x");
	aliases_free(al);
	buf_free(&err);

	/* a chain 21 deep is refused, 20 deep is fine */
	buf_init(&text, 1 << 16);
	for (i = 0; i < 21; i++)
		FIXTURE(buf_printf(&text, "n%d: n%d\n", i, i + 1));
	FIXTURE(buf_puts(&text, "n21: end@x\n"));
	al = load(buf_cstr(&text), &err);
	check_expand(al, "n2", "end@x");
	check_expand(al, "n1", "ERR: aliases nested deeper than 20: n1 -> ");
	aliases_free(al);
	buf_free(&err);
	buf_free(&text);

	/* exponential fan-out stays linear (each alias expands once) */
	buf_init(&text, 1 << 16);
	for (i = 0; i < 19; i++)
		FIXTURE(buf_printf(&text, "f%d: f%d, f%d, f%d\n", i, i + 1,
		    i + 1, i + 1));
	FIXTURE(buf_puts(&text, "f19: leaf@x\n"));
	al = load(buf_cstr(&text), &err);
	check_expand(al, "f0", "leaf@x");
	aliases_free(al);
	buf_free(&err);
	buf_free(&text);

	/* an expansion past ALIASES_EXPAND_MAX */
	buf_init(&text, 1 << 20);
	FIXTURE(buf_puts(&text, "big: "));
	for (i = 0; i < ALIASES_TARGETS_MAX; i++)
		FIXTURE(buf_printf(&text, "u%d@x,", i));
	FIXTURE(buf_puts(&text, "\nbigger: big, extra@x\n"));
	al = load(buf_cstr(&text), &err);
	is_int((long long)aliases_errors(al), 0, "1000 targets accepted");
	check_expand(al, "bigger", "ERR: alias bigger expands to more than");
	aliases_free(al);
	buf_free(&err);
	buf_free(&text);
}

static void
test_refused(void)
{
	struct aliases	*al;
	struct buf	 err;

	log_init("aliases.t", LOG_TO_STDERR);
	al = load("pipe: |/usr/bin/procmail\n"
	    "file: /var/mail/archive\n"
	    "inc: :include:/etc/mail/list\n"
	    "qpipe: \"|/bin/cat\"\n"
	    "mixed: |/bin/true, real@example.org\n"
	    "nested: pipe\n"
	    "nested2: real@x, pipe\n", &err);
	is_str(buf_cstr(&err), "", "refused targets are not syntax errors");
	is_int((long long)aliases_refused(al), 5, "five refused targets");
	check_expand(al, "pipe", "ERR: alias pipe (aliases:1) has only "
	    "command, file or include targets");
	check_expand(al, "file", "ERR: alias file (aliases:2) has only");
	check_expand(al, "inc", "ERR: alias inc (aliases:3) has only");
	check_expand(al, "qpipe", "ERR: alias qpipe (aliases:4) has only");
	check_expand(al, "mixed", "real@example.org");
	check_expand(al, "nested", "ERR: alias pipe (aliases:1) has only");
	check_expand(al, "nested2", "ERR: alias pipe");
	aliases_free(al);
	buf_free(&err);
}

static void
test_errors(void)
{
	struct aliases	*al;
	struct buf	 err;
	char		 nul[] = "a: b@c\nbad\0line: x\nz: y@w\n";

	al = load("  leading: continuation\n"
	    "nocolon\n"
	    ": empty@name\n"
	    "two words: x@y\n"
	    "\"unbalanced: x@y\n"
	    "notarget:\n"
	    "onlycommas: , ,\n"
	    "badtarget: a b@c, good@x\n"
	    "twotarget: g:;\n"
	    "first: one@x\n"
	    "FIRST: two@x\n"
	    "ok: fine@x\n", &err);
	is_int((long long)aliases_errors(al), 11, "eleven errors");
	ok(strstr(buf_cstr(&err), "aliases:1: continuation line") != NULL,
	    "leading continuation reported");
	ok(strstr(buf_cstr(&err), "aliases:2: missing ':'") != NULL,
	    "missing colon reported with line");
	ok(strstr(buf_cstr(&err), "aliases:3: empty alias name") != NULL,
	    "empty name reported");
	ok(strstr(buf_cstr(&err), "aliases:4: space in alias name") != NULL,
	    "space in name reported");
	ok(strstr(buf_cstr(&err), "aliases:5: unbalanced") != NULL,
	    "unbalanced quote reported");
	ok(strstr(buf_cstr(&err), "aliases:6: alias notarget has no usable")
	    != NULL, "no target reported");
	ok(strstr(buf_cstr(&err), "aliases:7: alias onlycommas has no")
	    != NULL, "only commas reported");
	ok(strstr(buf_cstr(&err), "aliases:8: alias badtarget: bad target")
	    != NULL, "bad target reported");
	ok(strstr(buf_cstr(&err), "aliases:9: alias twotarget: target g:; "
	    "is not one address") != NULL, "empty group target reported");
	ok(strstr(buf_cstr(&err), "aliases:11: duplicate alias first "
	    "(first defined at line 10)") != NULL, "duplicate reported");
	check_expand(al, "first", "one@x");
	check_expand(al, "badtarget", "good@x");
	check_expand(al, "ok", "fine@x");
	is_int((long long)aliases_count(al), 3, "three good aliases");
	aliases_free(al);
	buf_free(&err);

	buf_init(&err, 4096);
	al = aliases_load_mem(nul, sizeof(nul) - 1, "aliases", &err);
	is_int((long long)aliases_errors(al), 1, "NUL line is an error");
	check_expand(al, "a", "b@c");
	check_expand(al, "z", "y@w");
	aliases_free(al);
	buf_free(&err);

	/* CR/LF injection through a target never yields a bad address */
	al = load("evil: \"x\r\nRCPT TO:<y@z>\"@a\n"
	    "evil2: \"x\rRCPT TO:<y@z>\"@a\n", &err);
	check_expand(al, "evil", "none");
	check_expand(al, "evil2", "none");
	check_expand(al, "RCPT TO", "none");
	is_int((long long)aliases_errors(al), 5, "split line: 3 errors, bare "
	    "CR: target and entry refused");
	aliases_free(al);
	buf_free(&err);
}

/* write_file - a temporary file with text; returns its path (static) */
static const char *
write_file(const char *text)
{
	static char	path[64];
	int		fd;

	snprintf(path, sizeof(path), "/tmp/aliases-t.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

static void
test_files(void)
{
	struct aliases	*al;
	struct buf	 err, report;
	const char	*path;
	char		*big;
	int		 fd;

	buf_init(&err, 4096);
	al = aliases_load("/nonexistent/aliases", &err);
	ok(al != NULL && aliases_missing(al) && aliases_count(al) == 0,
	    "missing file is an empty table");
	check_expand(al, "root", "none");
	aliases_free(al);

	buf_init(&report, 4096);
	is_int(aliases_check("/nonexistent/aliases", &report), 0,
	    "check missing: 0 errors");
	is_str(buf_cstr(&report), "/nonexistent/aliases: no such file (no "
	    "aliases defined)\n", "check missing: report");
	buf_free(&report);

	al = aliases_load("/", &err);
	ok(al == NULL && strstr(buf_cstr(&err), "not a regular file"),
	    "directory refused: %s", buf_cstr(&err));
	buf_reset(&err);

	path = write_file("root: admin@example.org, ops\nops: a@x, b@x, c@x\n"
	    "loop1: loop2\nloop2: loop1\npipe: |/bin/sh\n");
	ok(path != NULL, "temp file");
	al = aliases_load(path, &err);
	ok(al != NULL && aliases_count(al) == 5, "file loaded");
	check_expand(al, "root", "admin@example.org|a@x|b@x|c@x");
	aliases_free(al);
	buf_init(&report, 4096);
	is_int(aliases_check(path, &report), 3, "check: 3 errors (2 loop, "
	    "1 refused-only)");
	ok(strstr(buf_cstr(&report), ": 5 aliases, longest 3 targets, "
	    "3 errors, 1 refused targets\n") != NULL, "check summary: %s",
	    buf_cstr(&report));
	ok(strstr(buf_cstr(&report), "alias loop: loop1 -> loop2 -> loop1")
	    != NULL, "check names the loop");
	buf_free(&report);
	unlink(path);

	path = write_file("a: b@c\n");
	buf_init(&report, 4096);
	is_int(aliases_check(path, &report), 0, "clean file: 0 errors");
	ok(strstr(buf_cstr(&report), ": 1 aliases, longest 1 targets, "
	    "0 errors\n") != NULL, "clean summary");
	buf_free(&report);
	unlink(path);

	/* a file past ALIASES_FILE_MAX is refused without being parsed */
	path = write_file("");
	if ((fd = open(path, O_WRONLY)) != -1) {
		big = xmalloc(ALIASES_FILE_MAX + 1);
		memset(big, '#', ALIASES_FILE_MAX);
		big[ALIASES_FILE_MAX] = '\n';
		ok(write(fd, big, ALIASES_FILE_MAX + 1) ==
		    ALIASES_FILE_MAX + 1, "write big file");
		close(fd);
		free(big);
	}
	al = aliases_load(path, &err);
	ok(al == NULL && strstr(buf_cstr(&err), "ALIASES_FILE_MAX"),
	    "oversized file refused");
	unlink(path);
	buf_free(&err);
}

static void
test_hostile(void)
{
	struct aliases	*al;
	struct buf	 err, text;
	size_t		 i;

	/* an entry past ALIASES_LINE_MAX through continuation lines */
	buf_init(&text, 1 << 20);
	FIXTURE(buf_puts(&text, "long: a@b\n"));
	for (i = 0; i < 1000; i++)
		FIXTURE(buf_puts(&text, "  , xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxx@example.org\n"));
	FIXTURE(buf_puts(&text, "after: ok@x\n"));
	al = load(buf_cstr(&text), &err);
	ok(strstr(buf_cstr(&err), "aliases:1: entry longer than") != NULL,
	    "overlong entry reported");
	check_expand(al, "long", "none");
	check_expand(al, "after", "ok@x");
	aliases_free(al);
	buf_free(&err);
	buf_free(&text);

	/* many errors: the count goes on, the text stops */
	buf_init(&text, 1 << 20);
	for (i = 0; i < 200; i++)
		FIXTURE(buf_puts(&text, "bad\n"));
	al = load(buf_cstr(&text), &err);
	is_int((long long)aliases_errors(al), 200, "200 errors counted");
	ok(strstr(buf_cstr(&err), "aliases:50:") != NULL &&
	    strstr(buf_cstr(&err), "aliases:51:") == NULL,
	    "only ALIASES_ERRORS_KEPT kept");
	aliases_free(al);
	buf_free(&err);
	buf_free(&text);

	/* unbalanced comment in a target */
	al = load("c: a@b (((\nd: (\n", &err);
	is_int((long long)aliases_errors(al), 4, "unbalanced comments: bad "
	    "target and no usable target, twice");
	aliases_free(al);
	buf_free(&err);

	/* empty input */
	al = load("", &err);
	ok(aliases_count(al) == 0 && aliases_errors(al) == 0, "empty file");
	aliases_free(al);
	buf_free(&err);
}

int
main(void)
{
	test_basic();
	test_loops();
	test_refused();
	test_errors();
	test_files();
	test_hostile();
	return done_testing();
}
