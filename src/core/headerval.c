/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * headerval.c - the header field values postern writes itself: date-time
 * (RFC 5322 3.3) for Date: and the Received: trace field, msg-id (3.6.4),
 * and a display phrase with RFC 2047 encoded-words.  Split from header.c
 * so postern-drop, which needs only the date, never links the header
 * parser.  Never reads or writes a descriptor, never logs, and never lets
 * CR, LF or NUL into a value it builds.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "header.h"
#include "util.h"

/* longest run of base64 in one encoded-word: 75 - strlen("=?UTF-8?B??=") */
#define HEADER_EW_B64_MAX	63
#define HEADER_EW_RAW_MAX	(HEADER_EW_B64_MAX / 4 * 3)

/* header_date - RFC 5322 date-time in the local zone */
int
header_date(time_t t, char *out, size_t outsize)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	tm;
	long		off;
	char		sign = '+';
	int		n;

	if (localtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900 ||
	    tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		errno = EOVERFLOW;
		return -1;
	}
	/* tm_gmtoff is the exact offset, half-hour and odd zones included */
	off = tm.tm_gmtoff;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	off /= 60;
	n = snprintf(out, outsize, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec > 59 ? 59 : tm.tm_sec, sign,
	    (off / 60) % 100, off % 60);
	if (n < 0 || (size_t)n >= outsize) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* header_valid_domain - plain domain or literal for a msg-id */
static bool
header_valid_domain(const char *d)
{
	size_t	i, len = strlen(d);

	if (len == 0 || len > 255)
		return false;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']')
			return false;
		for (i = 1; i < len - 1; i++)
			if ((unsigned char)d[i] < 33 ||
			    (unsigned char)d[i] > 126 || d[i] == '[' ||
			    d[i] == ']' || d[i] == '\\')
				return false;
		return true;
	}
	if (d[0] == '.' || d[len - 1] == '.' || strstr(d, "..") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c < 33 || c > 126 || strchr("()<>[]:;@\\,\"", c) != NULL)
			return false;
	}
	return true;
}

/* header_random64 - 64 unpredictable bits (best effort without getrandom) */
static uint64_t
header_random64(void)
{
	static uint64_t	counter;
	uint64_t	r = 0;
	struct timespec	ts;

#ifdef HAVE_GETRANDOM
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
#endif
	/* fallback: uniqueness from time, pid and a counter, not secrecy */
	clock_gettime(CLOCK_REALTIME, &ts);
	r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec ^ ++counter;
	return r;
}

/* header_message_id - a new unique msg-id */
int
header_message_id(const char *domain, char *out, size_t outsize)
{
	struct tm	tm;
	time_t		t = time(NULL);
	int		n;

	if (!header_valid_domain(domain)) {
		errno = EINVAL;
		return -1;
	}
	if (gmtime_r(&t, &tm) == NULL) {
		errno = EOVERFLOW;
		return -1;
	}
	n = snprintf(out, outsize, "<%04d%02d%02d%02d%02d%02d.%016llX.%ld@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned long long)header_random64(),
	    (long)getpid(), domain);
	if (n < 0 || (size_t)n >= outsize) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* header_b64 - append base64 of n bytes */
static int
header_b64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char	tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			q[4];
	uint32_t		v;
	size_t			i;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

/* header_encode_words - RFC 2047 B encoded-words, never splitting UTF-8 */
static int
header_encode_words(struct buf *out, const unsigned char *s, size_t len)
{
	size_t	i = 0, n;

	while (i < len) {
		n = len - i;
		if (n > HEADER_EW_RAW_MAX) {
			n = HEADER_EW_RAW_MAX;
			/* back off to a character boundary */
			while (n > 1 && (s[i + n] & 0xc0) == 0x80)
				n--;
		}
		if ((i > 0 && buf_putc(out, ' ') == -1) ||
		    buf_puts(out, "=?UTF-8?B?") == -1 ||
		    header_b64(out, s + i, n) == -1 ||
		    buf_puts(out, "?=") == -1)
			return -1;
		i += n;
	}
	return 0;
}

/* header_encode_phrase - safe display name */
int
header_encode_phrase(const char *name, struct buf *out)
{
	unsigned char	clean[HEADER_PHRASE_MAX + 1];
	size_t		len, i, n = 0, start = out->len;
	bool		eight = false, special = false;
	int		rc = 0;

	if ((len = strlen(name)) > HEADER_PHRASE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* controls become spaces; runs of spaces collapse; trim both ends */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (n == 0 || clean[n - 1] == ' '))
			continue;
		clean[n++] = c;
	}
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (clean[i] >= 0x80)
			eight = true;
		else if (clean[i] != ' ' &&
		    strchr("()<>[]:;@\\,.\"", clean[i]) != NULL)
			special = true;
		else if (clean[i] == '=' && i + 1 < n && clean[i + 1] == '?')
			special = true;	/* would read as an encoded-word */
	}
	if (eight)
		rc = header_encode_words(out, clean, n);
	else if (!special)
		rc = buf_append(out, clean, n);
	else {
		rc = buf_putc(out, '"');
		for (i = 0; rc == 0 && i < n; i++) {
			if (clean[i] == '"' || clean[i] == '\\')
				rc = buf_putc(out, '\\');
			if (rc == 0)
				rc = buf_putc(out, clean[i]);
		}
		if (rc == 0)
			rc = buf_putc(out, '"');
	}
	if (rc == -1) {
		buf_truncate(out, start);
		errno = EMSGSIZE;
	}
	return rc;
}
