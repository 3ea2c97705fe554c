/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.c - unit tests for durations, sizes, numbers and strings */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static void
dur(const char *s, long long want)
{
	uint64_t	v = 0;
	int		rc = parse_duration(s, &v);

	if (want < 0)
		ok(rc == -1, "duration '%s' rejected (errno %d)", s, errno);
	else
		ok(rc == 0 && v == (uint64_t)want, "duration '%s' = %lld",
		    s, want);
}

static void
size(const char *s, long long want)
{
	uint64_t	v = 0;
	int		rc = parse_size(s, &v);

	if (want < 0)
		ok(rc == -1, "size '%s' rejected", s);
	else
		ok(rc == 0 && v == (uint64_t)want, "size '%s' = %lld", s, want);
}

int
main(void)
{
	char		 out[32], small[4], tmpl[] = "/tmp/utilt.XXXXXX";
	uint64_t	 v;
	char		 s[] = "  \t padded \r\n";

	dur("30s", 30); dur("5m", 300); dur("2h", 7200); dur("5d", 432000);
	dur("1w", 604800); dur("45", 45); dur("0s", 0); dur("5M", 300);
	dur("", -1); dur("s", -1); dur("5x", -1); dur("5mm", -1);
	dur("-5m", -1); dur(" 5m", -1); dur("5 m", -1);
	errno = 0;
	ok(parse_duration("99999999999999999999d", &v) == -1 &&
	    errno == ERANGE, "duration digit overflow gives ERANGE");
	errno = 0;
	ok(parse_duration("300000000000000d", &v) == -1 && errno == ERANGE,
	    "duration unit overflow gives ERANGE");

	size("512", 512); size("512K", 524288); size("10M", 10485760);
	size("1G", 1073741824); size("10mb", 10485760); size("7b", 7);
	size("10Q", -1); size("M", -1); size("10MX", -1); size("", -1);
	errno = 0;
	ok(parse_size("17179869184G", &v) == -1 && errno == ERANGE,
	    "size overflow gives ERANGE");

	ok(parse_uint("42", 1, 100, &v) == 0 && v == 42, "uint in range");
	ok(parse_uint("0", 1, 100, &v) == -1 && errno == ERANGE,
	    "uint below range");
	ok(parse_uint("101", 1, 100, &v) == -1 && errno == ERANGE,
	    "uint above range");
	ok(parse_uint("4x", 0, 100, &v) == -1 && errno == EINVAL,
	    "uint with junk");

	is_str(format_duration(432000, out, sizeof(out)), "5d", "fmt 5d");
	is_str(format_duration(90, out, sizeof(out)), "90s", "fmt 90s");
	is_str(format_duration(3600, out, sizeof(out)), "1h", "fmt 1h");
	is_str(format_size(10485760, out, sizeof(out)), "10M", "fmt 10M");
	is_str(format_size(1000, out, sizeof(out)), "1000", "fmt 1000");

	ok(str_copy(small, "abc", sizeof(small)) == 0, "copy fits");
	ok(str_copy(small, "abcd", sizeof(small)) == -1 &&
	    strcmp(small, "abc") == 0, "copy truncates and reports");
	strcpy(out, "ab");
	ok(str_append(out, "cd", sizeof(out)) == 0 && !strcmp(out, "abcd"),
	    "append fits");
	ok(str_append(small, "x", sizeof(small)) == -1, "append overflow");
	is_str(str_trim(s), "padded", "trim");
	ok(str_has_prefix_ci("STARTtls", "starttls"), "prefix ci");
	ok(!str_has_prefix_ci("start", "starttls"), "prefix longer than s");

	is_int((long long)edit_distance("retry_min", "retry_mni"), 2,
	    "edit distance transposition");
	is_int((long long)edit_distance("hots", "host"), 2, "edit distance");
	is_int((long long)edit_distance("", "abc"), 3, "edit distance empty");

	ok(mkdtemp(tmpl) != NULL, "temp dir");
	ok(fsync_dir(tmpl) == 0, "fsync_dir on a directory");
	rmdir(tmpl);
	ok(fsync_dir(tmpl) == -1 && errno == ENOENT, "fsync_dir on nothing");
	{
		int64_t a = now_ms(), b = now_ms();

		ok(b >= a, "monotonic clock does not go back");
	}
	return done_testing();
}
