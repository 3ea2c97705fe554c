/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.c - formatting for the queue tools: terminal-safe text, ages
 * and id arguments (JSON strings: json.c; the relay state lines:
 * relaystate.c).
 *
 * Everything printed by `postern queue`, `show` and `failed` that came
 * from outside (addresses, server replies, headers) passes through
 * json_str or queuefmt_text: a hostile address or reply can
 * neither break the JSON document nor send escape sequences to an
 * administrator's terminal.  Pure functions: no I/O, no logging, no exit.
 * RFCs: 8259 (JSON), 3629 (UTF-8: overlongs and surrogates are invalid).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "queuefmt.h"
#include "util.h"

#define QUEUEFMT_NUM_MAX	20	/* digits of a uint64_t */
#define QUEUEFMT_CACHE_TIME_MAX	((time_t)1 << 40)	/* beyond: no cache */

/* queuefmt_text - printable UTF-8 kept, everything else '?' */
int
queuefmt_text(struct buf *out, const char *s, size_t n, bool keep_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 start = out->len, len, run;
	uint32_t	 cp;
	int		 rc = -1;

	while (n > 0) {
		for (run = 0; run < n && p[run] >= 0x20 && p[run] < 0x7f;
		    run++)
			;
		if (run > 0) {
			if (buf_append(out, p, run) == -1)
				goto out;
			p += run;
			n -= run;
			continue;
		}
		len = json_utf8(p, n, &cp);
		if (len == 0 || (cp < 0x20 && !(cp == '\t' && keep_tab)) ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			if (buf_putc(out, '?') == -1)
				goto out;
			p += len > 0 ? len : 1;
			n -= len > 0 ? len : 1;
			continue;
		}
		if (buf_append(out, p, len) == -1)
			goto out;
		p += len;
		n -= len;
	}
	rc = 0;
out:
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

/*
 * queuefmt_digits - v in decimal at p, at least min digits (zero-padded),
 * no NUL; returns the length.  p has room for QUEUEFMT_NUM_MAX bytes.
 */
static size_t
queuefmt_digits(char *p, uint64_t v, size_t min)
{
	char	tmp[QUEUEFMT_NUM_MAX];
	size_t	n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n < min)
		tmp[n++] = '0';
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* queuefmt_u64 - printf "%*llu" without printf */
int
queuefmt_u64(struct buf *out, uint64_t v, unsigned width)
{
	char	tmp[QUEUEFMT_NUM_MAX];
	size_t	n = queuefmt_digits(tmp, v, 1), start = out->len;

	for (; width > n; width--)
		if (buf_putc(out, ' ') == -1)
			goto fail;
	if (buf_append(out, tmp, n) == 0)
		return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

/* queuefmt_age - two units at most: "%llus", "%llum", "%lluh%02llum"... */
char *
queuefmt_age(uint64_t s, char *out, size_t outsize)
{
	char	tmp[QUEUEFMT_AGE_MAX];
	size_t	n;

	if (s < 60) {
		n = queuefmt_digits(tmp, s, 1);
		tmp[n++] = 's';
	} else if (s < 3600) {
		n = queuefmt_digits(tmp, s / 60, 1);
		tmp[n++] = 'm';
	} else if (s < 86400) {
		n = queuefmt_digits(tmp, s / 3600, 1);
		tmp[n++] = 'h';
		n += queuefmt_digits(tmp + n, s % 3600 / 60, 2);
		tmp[n++] = 'm';
	} else {
		n = queuefmt_digits(tmp, s / 86400, 1);
		tmp[n++] = 'd';
		n += queuefmt_digits(tmp + n, s % 86400 / 3600, 2);
		tmp[n++] = 'h';
	}
	tmp[n] = '\0';
	(void)str_copy(out, tmp, outsize);
	return out;
}

/*
 * queuefmt_localtime - localtime_r through the minute cache.  Local time
 * moves with the clock through a minute when it reads :00 at its first
 * second and :59 in the same hour and day at its last: a zone change or
 * leap second inside would break that, and such a minute is not kept.
 * Returns 0, or -1 when t has no local time.
 */
static int
queuefmt_localtime(time_t t, struct queuefmt_clock *clock, struct tm *tm)
{
	struct queuefmt_minute *m;
	struct tm	last;
	time_t		start, end;
	unsigned	i;

	if (clock == NULL || t < 0 || t > QUEUEFMT_CACHE_TIME_MAX)
		return localtime_r(&t, tm) != NULL ? 0 : -1;
	start = t - t % 60;
	for (i = 0; i < QUEUEFMT_CLOCK_SLOTS; i++)
		if (clock->slot[i].valid && clock->slot[i].start == start)
			break;
	if (i == QUEUEFMT_CLOCK_SLOTS) {
		i = (clock->last + 1) % QUEUEFMT_CLOCK_SLOTS;
		m = &clock->slot[i];
		m->valid = false;
		end = start + 59;
		if (localtime_r(&start, &m->tm) == NULL ||
		    localtime_r(&end, &last) == NULL ||
		    m->tm.tm_sec != 0 || last.tm_sec != 59 ||
		    last.tm_min != m->tm.tm_min ||
		    last.tm_hour != m->tm.tm_hour ||
		    last.tm_mday != m->tm.tm_mday)
			return localtime_r(&t, tm) != NULL ? 0 : -1;
		m->start = start;
		m->valid = true;
	}
	clock->last = i;
	*tm = clock->slot[i].tm;
	tm->tm_sec = (int)(t - start);
	return 0;
}

/* queuefmt_time - strftime "%a %b %e %H:%M:%S", C locale, by hand */
char *
queuefmt_time(uint64_t t, struct queuefmt_clock *clock, char *out,
    size_t outsize)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm	tm;
	char		s[QUEUEFMT_TIME_MAX];

	/* (time_t)t wraps above INT64_MAX, as the strftime version did */
	if (queuefmt_localtime((time_t)t, clock, &tm) == -1 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60) {
		(void)str_copy(out, "?", outsize);
		return out;
	}
	memcpy(s, days + 3 * tm.tm_wday, 3);
	s[3] = ' ';
	memcpy(s + 4, months + 3 * tm.tm_mon, 3);
	s[7] = ' ';
	s[8] = tm.tm_mday < 10 ? ' ' : (char)('0' + tm.tm_mday / 10);
	s[9] = (char)('0' + tm.tm_mday % 10);
	s[10] = ' ';
	s[11] = (char)('0' + tm.tm_hour / 10);
	s[12] = (char)('0' + tm.tm_hour % 10);
	s[13] = ':';
	s[14] = (char)('0' + tm.tm_min / 10);
	s[15] = (char)('0' + tm.tm_min % 10);
	s[16] = ':';
	s[17] = (char)('0' + tm.tm_sec / 10);
	s[18] = (char)('0' + tm.tm_sec % 10);
	s[19] = '\0';
	(void)str_copy(out, s, outsize);
	return out;
}

/* queuefmt_hex - value of an upper-case hex digit, or -1 */
static int
queuefmt_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* queuefmt_entry_set - validate and convert in one pass */
int
queuefmt_entry_set(struct queuefmt_entry *e, const char *name,
    unsigned char where)
{
	uint64_t	hi = 0;
	unsigned	lo = 0;
	size_t		i;
	int		d;

	for (i = 0; i < QID_LEN; i++) {
		if ((d = queuefmt_hex(name[i])) == -1) {
			errno = EINVAL;
			return -1;
		}
		if (i < QID_LEN - 4)
			hi = hi << 4 | (uint64_t)d;
		else
			lo = lo << 4 | (unsigned)d;
	}
	if (name[QID_LEN] != '\0') {
		errno = EINVAL;
		return -1;
	}
	e->hi = hi;
	e->lo = (uint16_t)lo;
	e->where = where;
	return 0;
}

/* queuefmt_entry_qid - back to 20 upper-case hex digits */
void
queuefmt_entry_qid(const struct queuefmt_entry *e, struct qid *qid)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	i;

	for (i = 0; i < QID_LEN - 4; i++)
		qid->s[i] = hex[(e->hi >> (4 * (QID_LEN - 5 - i))) & 0xf];
	for (i = 0; i < 4; i++)
		qid->s[QID_LEN - 4 + i] = hex[(e->lo >> (4 * (3 - i))) & 0xf];
	qid->s[QID_LEN] = '\0';
}

/* queuefmt_byte - byte k (0: the lowest) of the 80-bit number of e */
static unsigned
queuefmt_byte(const struct queuefmt_entry *e, unsigned k)
{
	if (k < 2)
		return (unsigned)(e->lo >> (8 * k)) & 0xffu;
	return (unsigned)(e->hi >> (8 * (k - 2))) & 0xffu;
}

/* queuefmt_entry_cmp - by number */
static int
queuefmt_entry_cmp(const void *a, const void *b)
{
	const struct queuefmt_entry *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/*
 * queuefmt_sort - least significant byte first, ten stable counting
 * passes; a pass where every entry has the same byte (the high bytes of
 * ids made in the same hours) is skipped.  Without memory for the
 * scratch copy: qsort, which may not keep equal ids in order (only the
 * same message seen in two directories has an equal id).
 */
void
queuefmt_sort(struct queuefmt_entry *v, size_t n)
{
	struct queuefmt_entry *tmp, *from = v, *to, *swap;
	size_t		 count[256], i, sum, k;
	unsigned	 pass, c;

	if (n < 2)
		return;
	if ((tmp = calloc(n, sizeof(*tmp))) == NULL) {
		qsort(v, n, sizeof(*v), queuefmt_entry_cmp);
		return;
	}
	to = tmp;
	for (pass = 0; pass < 10; pass++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[queuefmt_byte(&from[i], pass)]++;
		if (count[queuefmt_byte(&from[0], pass)] == n)
			continue;
		for (sum = 0, c = 0; c < 256; c++) {
			k = count[c];
			count[c] = sum;
			sum += k;
		}
		for (i = 0; i < n; i++)
			to[count[queuefmt_byte(&from[i], pass)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
	free(tmp);
}

/* queuefmt_id_arg - full id or prefix, upper-cased */
int
queuefmt_id_arg(const char *arg, char *out)
{
	size_t	n = strlen(arg), i;

	if (n < QUEUEFMT_PREFIX_MIN || n > QID_LEN) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = arg[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
			errno = EINVAL;
			return -1;
		}
		out[i] = c;
	}
	out[n] = '\0';
	return n == QID_LEN ? 1 : 0;
}


