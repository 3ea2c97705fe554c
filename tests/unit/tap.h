/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a minimal TAP producer for the unit tests (automake tap-driver).
 *
 * ok(cond, fmt, ...) prints "ok N - ..." or "not ok N - ...";
 * done_testing() prints the plan and returns the exit status.  Header-only
 * so each test program is one file.
 */
#ifndef POSTERN_TAP_H
#define POSTERN_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* is_str - string equality with a diagnostic on mismatch */
__attribute__((unused))
static int
is_str(const char *got, const char *want, const char *what)
{
	int	c = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;

	if (!ok(c, "%s", what))
		printf("#   got:  '%s'\n#   want: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
	return c;
}

/* is_int - integer equality with a diagnostic */
__attribute__((unused))
static int
is_int(long long got, long long want, const char *what)
{
	int	c = got == want;

	if (!ok(c, "%s", what))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return c;
}

/* diag - a comment line */
__attribute__((format(printf, 1, 2), unused))
static void
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * tap_fixture - a test's own setup step that must work (building input
 * in a struct buf, ...): when it fails, the run stops ("Bail out!"), so a
 * cut fixture can never pass as a tested input.  Use FIXTURE(expr).
 */
__attribute__((unused))
static void
tap_fixture(int rc, const char *what, const char *file, int line)
{
	if (rc == 0)
		return;
	printf("Bail out! %s:%d: fixture failed: %s\n", file, line, what);
	fflush(stdout);
	exit(99);
}
#define FIXTURE(expr)	tap_fixture((expr), #expr, __FILE__, __LINE__)

__attribute__((unused))
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
