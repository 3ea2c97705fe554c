/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.c - unit tests of the queue tools' formatting: JSON escaping
 * of hostile strings (quotes, backslashes, controls, invalid UTF-8),
 * terminal-safe text, ages and id arguments; the
 * hand-made number and time formats against printf and strftime, the
 * latter across time zone changes and a leap second.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "queuefmt.h"
#include "tap.h"

/* json - the literal for s, in a static buffer */
static const char *
json(const char *s)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (json_str(&b, s) == -1)
		return "(error)";
	return buf_cstr(&b);
}

/* text - the terminal-safe form of s */
static const char *
text(const char *s, bool keep_tab)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (queuefmt_text(&b, s, strlen(s), keep_tab) == -1)
		return "(error)";
	return buf_cstr(&b);
}

static void
test_json(void)
{
	struct buf	b;

	is_str(json("a@b.example"), "\"a@b.example\"", "json: plain");
	is_str(json(""), "\"\"", "json: empty");
	is_str(json(NULL), "null", "json: NULL is null");
	is_str(json("\"x\"\\y"), "\"\\\"x\\\"\\\\y\"",
	    "json: quotes and backslashes escaped");
	is_str(json("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"",
	    "json: short escapes");
	is_str(json("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
	    "json: other controls as \\u00XX");
	is_str(json("j\xc3\xb6rg@\xe4\xbe\x8b.example"),
	    "\"j\xc3\xb6rg@\xe4\xbe\x8b.example\"", "json: UTF-8 kept");
	is_str(json("\xf0\x9f\x93\xa7"), "\"\xf0\x9f\x93\xa7\"",
	    "json: 4-byte UTF-8 kept");
	is_str(json("a\xffz"), "\"a\xef\xbf\xbdz\"",
	    "json: invalid byte becomes U+FFFD");
	is_str(json("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: overlong form refused bytewise");
	is_str(json("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: surrogate refused");
	is_str(json("\xe4\xbe"), "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: cut sequence refused");
	is_str(json("\xe2\x80\xa8"), "\"\\u2028\"", "json: U+2028 escaped");
	is_str(json("\xc2\x9b"), "\"\xc2\x9b\"", "json: C1 is valid JSON");
	buf_init(&b, 4);
	FIXTURE(buf_puts(&b, "ab"));
	ok(json_str(&b, "cdef") == -1 && b.len == 2,
	    "json: a full buffer fails and leaves the contents");
	buf_free(&b);
}

static void
test_text(void)
{
	is_str(text("plain text", false), "plain text", "text: plain");
	is_str(text("a\x1b[31mred", false), "a?[31mred", "text: ESC replaced");
	is_str(text("a\tb", false), "a?b", "text: TAB replaced");
	is_str(text("a\tb", true), "a\tb", "text: TAB kept when asked");
	is_str(text("a\nb\x7f", true), "a?b?", "text: LF and DEL replaced");
	is_str(text("\xc2\x9b" "2J", false), "?2J",
	    "text: C1 CSI (U+009B) replaced");
	is_str(text("\x9b" "2J", false), "?2J", "text: raw 0x9b replaced");
	is_str(text("caf\xc3\xa9", false), "caf\xc3\xa9", "text: UTF-8 kept");
	is_str(text("a\xff\xfe", false), "a??", "text: invalid bytes");
}

static void
test_age(void)
{
	char	b[QUEUEFMT_AGE_MAX];

	is_str(queuefmt_age(0, b, sizeof(b)), "0s", "age 0");
	is_str(queuefmt_age(59, b, sizeof(b)), "59s", "age 59s");
	is_str(queuefmt_age(60, b, sizeof(b)), "1m", "age 1m");
	is_str(queuefmt_age(3599, b, sizeof(b)), "59m", "age 59m");
	is_str(queuefmt_age(7500, b, sizeof(b)), "2h05m", "age 2h05m");
	is_str(queuefmt_age(3 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "3d04h",
	    "age 3d04h");
	is_str(queuefmt_age(UINT64_MAX, b, sizeof(b)),
	    "213503982334601d07h", "age: huge fits");
}

/* u64 - queuefmt_u64 of v in width, in a static buffer */
static const char *
u64(uint64_t v, unsigned width)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (queuefmt_u64(&b, v, width) == -1)
		return "(error)";
	return buf_cstr(&b);
}

static void
test_u64(void)
{
	static const uint64_t	vals[] = { 0, 7, 10, 99999999, 100000000,
				    1234567890123ULL, UINT64_MAX };
	char			want[64];
	size_t			i, bad = 0;
	unsigned		w;
	struct buf		b;

	is_str(u64(0, 0), "0", "u64: zero");
	is_str(u64(42, 8), "      42", "u64: right-aligned");
	is_str(u64(123456789, 8), "123456789", "u64: wider than width");
	is_str(u64(UINT64_MAX, 0), "18446744073709551615", "u64: maximum");
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (w = 0; w < 25; w++) {
			snprintf(want, sizeof(want), "%*llu", (int)w,
			    (unsigned long long)vals[i]);
			bad += strcmp(u64(vals[i], w), want) != 0;
		}
	is_int((long long)bad, 0, "u64: as printf %%*llu, widths 0-24");
	buf_init(&b, 6);
	ok(buf_puts(&b, "ab") == 0 && queuefmt_u64(&b, 5, 5) == -1 &&
	    strcmp(buf_cstr(&b), "ab") == 0, "u64: a full buffer is left as "
	    "it was");
	buf_free(&b);
}

/*
 * time_zone - compare queuefmt_time, with and without the minute cache,
 * to strftime over [from, to) by step in time zone tz; returns the
 * number of differences (and prints the first).
 */
static size_t
time_zone(const char *tz, int64_t from, int64_t to, int64_t step)
{
	struct queuefmt_clock	clock = QUEUEFMT_CLOCK_INIT;
	struct tm		tm;
	char			a[QUEUEFMT_TIME_MAX], b[QUEUEFMT_TIME_MAX];
	char			want[64];
	size_t			bad = 0;
	int64_t			t;
	time_t			tt;

	setenv("TZ", tz, 1);
	tzset();
	for (t = from; t < to; t += step) {
		tt = (time_t)t;
		if (localtime_r(&tt, &tm) == NULL ||
		    strftime(want, sizeof(want), "%a %b %e %H:%M:%S", &tm) == 0)
			snprintf(want, sizeof(want), "?");
		queuefmt_time((uint64_t)t, &clock, a, sizeof(a));
		queuefmt_time((uint64_t)t, NULL, b, sizeof(b));
		if (strcmp(a, want) != 0 || strcmp(b, want) != 0) {
			if (bad++ == 0)
				diag("%s %lld: want '%s', cached '%s', plain "
				    "'%s'", tz, (long long)t, want, a, b);
		}
	}
	return bad;
}

static void
test_time(void)
{
	struct queuefmt_clock	clock = QUEUEFMT_CLOCK_INIT;
	char			out[QUEUEFMT_TIME_MAX], small[8];

	setenv("TZ", "UTC", 1);
	tzset();
	is_str(queuefmt_time(0, NULL, out, sizeof(out)), "Thu Jan  1 00:00:00",
	    "time: the epoch");
	is_str(queuefmt_time(1700727339, &clock, out, sizeof(out)),
	    "Thu Nov 23 08:15:39", "time: a day of the month with two digits");
	ok(clock.slot[clock.last].valid, "time: the minute is cached");
	is_str(queuefmt_time(1700727300, &clock, out, sizeof(out)),
	    "Thu Nov 23 08:15:00", "time: the same minute from the cache");
	is_str(queuefmt_time(1800000000, &clock, out, sizeof(out)),
	    "Fri Jan 15 08:00:00", "time: a second minute");
	is_str(queuefmt_time(1700727301, &clock, out, sizeof(out)),
	    "Thu Nov 23 08:15:01", "time: the first minute is still kept");
	ok(clock.slot[0].valid && clock.slot[1].valid && clock.slot[0].start !=
	    clock.slot[1].start, "time: two minutes kept");
	is_str(queuefmt_time(1900000000, &clock, out, sizeof(out)),
	    "Sun Mar 17 17:46:40", "time: a third minute replaces the older");
	is_str(queuefmt_time(1700727302, &clock, out, sizeof(out)),
	    "Thu Nov 23 08:15:02", "time: the most recent two are kept");
	is_str(queuefmt_time(1700727339, &clock, small, sizeof(small)),
	    "Thu Nov", "time: cut to the output size");
	/* steps that are prime to 60 visit every second of the minute */
	is_int((long long)time_zone("UTC", 1700000000, 1700200000, 7), 0,
	    "time: UTC, 2 days");
	is_int((long long)time_zone("Europe/Paris", 1711841000, 1711853000, 7),
	    0, "time: Europe/Paris, summer time starts");
	is_int((long long)time_zone("Europe/Paris", 1729983000, 1729998000, 7),
	    0, "time: Europe/Paris, summer time ends (an hour twice)");
	is_int((long long)time_zone("America/St_Johns", 1710040000,
	    1710060000, 7), 0, "time: America/St_Johns, -03:30 zone changes");
	is_int((long long)time_zone("Australia/Lord_Howe", 1712408000,
	    1712424000, 7), 0, "time: Australia/Lord_Howe, 30-minute change");
	is_int((long long)time_zone("Asia/Kathmandu", 504900000, 504930000,
	    7), 0, "time: Asia/Kathmandu, +05:30 to +05:45 (1986)");
	is_int((long long)time_zone("Africa/Monrovia", 63590000, 63596000, 7),
	    0, "time: Africa/Monrovia, -00:44:30 to UTC (1972)");
	is_int((long long)time_zone("right/UTC", 1483228700, 1483229000, 1), 0,
	    "time: right/UTC, the leap second of 2016");
	is_int((long long)time_zone("UTC", -1000, 1000, 1), 0,
	    "time: before the epoch");
	is_int((long long)time_zone("UTC", INT64_MAX - 1000, INT64_MAX - 10,
	    7), 0, "time: beyond any year");
	is_int((long long)time_zone("Europe/Paris", INT64_MIN, INT64_MIN + 10,
	    1), 0, "time: a uint64 above INT64_MAX, as strftime saw it");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* str_cmp - strcmp for qsort */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * sorted_like_strcmp - sort n random ids with queuefmt_sort and their
 * text with qsort+strcmp: same order, and equal ids in their first order
 */
static bool
sorted_like_strcmp(size_t n, unsigned seed, size_t distinct)
{
	struct queuefmt_entry	*a;
	struct qid		 q;
	char			(*ids)[QID_LEN + 1];
	size_t			 i;
	bool			 same = true;

	srand(seed);
	a = calloc(n + 1, sizeof(*a));
	ids = calloc(n + 1, sizeof(*ids));
	if (a == NULL || ids == NULL)
		same = false;
	for (i = 0; i < n && same; i++) {
		/* ids of one hour, as a queue holds, or a few repeated */
		snprintf(ids[i], sizeof(ids[i]), "%08X%05X%07X", 0x655F0000u +
		    (unsigned)(rand() % 3600), (unsigned)(rand() % 1000000),
		    (unsigned)(distinct > 0 ? (size_t)rand() % distinct :
		    (size_t)rand() % 0x10000000));
		if (distinct > 0)
			memcpy(ids[i], "655F0A2B0C1D2", 13);
		/* the tag grows with i: a stable sort keeps it growing */
		if (queuefmt_entry_set(&a[i], ids[i], (unsigned char)(i * 250 /
		    n)) == -1)
			same = false;
	}
	if (same) {
		queuefmt_sort(a, n);
		qsort(ids, n, sizeof(*ids), str_cmp);
	}
	for (i = 0; i < n && same; i++) {
		queuefmt_entry_qid(&a[i], &q);
		if (strcmp(q.s, ids[i]) != 0 || (i > 0 && a[i].hi ==
		    a[i - 1].hi && a[i].lo == a[i - 1].lo && a[i].where <
		    a[i - 1].where))
			same = false;
	}
	free(a);
	free(ids);
	return same;
}

static void
test_entry(void)
{
	struct queuefmt_entry	e, v[4], before[4];
	struct qid		q;

	ok(queuefmt_entry_set(&e, "655F0A2B0C1D20A3B4C5", 2) == 0 &&
	    e.hi == 0x655F0A2B0C1D20A3ULL && e.lo == 0xB4C5 && e.where == 2,
	    "entry: id as numbers");
	queuefmt_entry_qid(&e, &q);
	is_str(q.s, "655F0A2B0C1D20A3B4C5", "entry: and back");
	ok(queuefmt_entry_set(&e, "FFFFFFFFFFFFFFFFFFFF", 0) == 0 &&
	    e.hi == UINT64_MAX && e.lo == 0xFFFF, "entry: the largest id");
	queuefmt_entry_qid(&e, &q);
	is_str(q.s, "FFFFFFFFFFFFFFFFFFFF", "entry: the largest id back");
	ok(queuefmt_entry_set(&e, "00000000000000000000", 0) == 0 &&
	    e.hi == 0 && e.lo == 0, "entry: the smallest id");
	queuefmt_entry_qid(&e, &q);
	is_str(q.s, "00000000000000000000", "entry: the smallest id back");
	ok(sizeof(e) <= 16, "entry: 16 bytes (%zu)", sizeof(e));
	ok(queuefmt_entry_set(&e, "655f0a2b0c1d20a3b4c5", 0) == -1 &&
	    errno == EINVAL, "entry: lower case refused (as qid_valid)");
	ok(queuefmt_entry_set(&e, "655F0A2B0C1D20A3B4C", 0) == -1,
	    "entry: 19 digits refused");
	ok(queuefmt_entry_set(&e, "655F0A2B0C1D20A3B4C50", 0) == -1,
	    "entry: 21 digits refused");
	ok(queuefmt_entry_set(&e, "655F0A2B0C1D20A3B4CG", 0) == -1,
	    "entry: non-hex refused");
	ok(queuefmt_entry_set(&e, "655F0A2B0C1D20A3B4C5.tmp", 0) == -1,
	    "entry: a longer name refused");
	(void)queuefmt_entry_set(&v[0], "BBBB0000000000000001", 0);
	(void)queuefmt_entry_set(&v[1], "AAAA0000000000000002", 1);
	(void)queuefmt_entry_set(&v[2], "AAAA0000000000000001", 2);
	(void)queuefmt_entry_set(&v[3], "AAAA0000000000000002", 3);
	queuefmt_sort(v, 4);
	queuefmt_entry_qid(&v[0], &q);
	ok(strcmp(q.s, "AAAA0000000000000001") == 0 && v[1].where == 1 &&
	    v[2].where == 3 && v[3].where == 0, "sort: by id, stable");
	memcpy(before, v, sizeof(before));
	queuefmt_sort(v, 0);
	queuefmt_sort(v, 1);
	queuefmt_sort(NULL, 0);
	ok(memcmp(before, v, sizeof(before)) == 0,
	    "sort: zero or one entry leaves the array as it was");
	ok(sorted_like_strcmp(1, 1, 0), "sort: one id");
	ok(sorted_like_strcmp(2, 2, 0), "sort: two ids");
	ok(sorted_like_strcmp(1000, 3, 0), "sort: 1000 ids as strcmp");
	ok(sorted_like_strcmp(20000, 4, 0), "sort: 20000 ids as strcmp");
	ok(sorted_like_strcmp(5000, 5, 7), "sort: 5000 ids, 7 distinct, "
	    "stable");
}

static void
test_id(void)
{
	char	out[QID_LEN + 1];

	is_int(queuefmt_id_arg("655F0A2B0C1D20A3B4C5", out), 1, "id: full");
	is_str(out, "655F0A2B0C1D20A3B4C5", "id: full copied");
	is_int(queuefmt_id_arg("655f0a2b0c1d20a3b4c5", out), 1,
	    "id: lower case accepted");
	is_str(out, "655F0A2B0C1D20A3B4C5", "id: upper-cased");
	is_int(queuefmt_id_arg("655f", out), 0, "id: 4-digit prefix");
	is_str(out, "655F", "id: prefix upper-cased");
	is_int(queuefmt_id_arg("655", out), -1, "id: 3 digits refused");
	is_int(queuefmt_id_arg("655F0A2B0C1D20A3B4C5A", out), -1,
	    "id: 21 digits refused");
	is_int(queuefmt_id_arg("655G", out), -1, "id: non-hex refused");
	is_int(queuefmt_id_arg("../x", out), -1, "id: path refused");
	is_int(queuefmt_id_arg("", out), -1, "id: empty refused");
}

int
main(void)
{
	test_json();
	test_text();
	test_age();
	test_u64();
	test_time();
	test_entry();
	test_id();
	return done_testing();
}
