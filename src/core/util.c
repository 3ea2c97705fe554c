/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.c - allocation, bounded strings, number/duration/size parsing,
 * monotonic time and directory fsync.
 *
 * Owns nothing but these helpers.  Must never print except through log.c,
 * and the x* allocators are the only functions here that terminate.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* xmalloc - malloc or die */
void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* xcalloc - calloc or die */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* xrealloc - realloc or die */
void *
xrealloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* xstrndup - strndup or die */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* xasprintf - vasprintf or die */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal_exit(EX_TEMPFAIL, "out of memory");
	return p;
}

/* str_copy - bounded copy */
int
str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t	n = strlen(src);

	if (dstsize == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (n >= dstsize) {
		memcpy(dst, src, dstsize - 1);
		dst[dstsize - 1] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* str_append - bounded concatenation */
int
str_append(char *dst, const char *src, size_t dstsize)
{
	size_t	used = strnlen(dst, dstsize);

	if (used == dstsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return str_copy(dst + used, src, dstsize - used);
}

/* str_has_prefix_ci - case-insensitive prefix test */
bool
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* str_trim - trim ASCII whitespace in place */
char *
str_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* parse_digits - leading decimal digits into *out; returns chars used */
static size_t
parse_digits(const char *s, uint64_t *out, bool *overflow)
{
	uint64_t	v = 0;
	size_t		i;

	*overflow = false;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
	}
	*out = v;
	return i;
}

/* parse_uint - ranged decimal */
int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	v;
	bool		ovf;
	size_t		n;

	n = parse_digits(s, &v, &ovf);
	if (n == 0 || s[n] != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (ovf || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* parse_scaled - number with a one-letter unit from a table */
static int
parse_scaled(const char *s, const char *units, const uint64_t *mult,
    const char *suffix_ok, uint64_t *out)
{
	uint64_t	 v, m = 1;
	bool		 ovf;
	size_t		 n;
	const char	*u, *rest;

	n = parse_digits(s, &v, &ovf);
	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	rest = s + n;
	if (*rest != '\0') {
		u = strchr(units, tolower((unsigned char)*rest));
		if (u == NULL) {
			errno = EINVAL;
			return -1;
		}
		m = mult[u - units];
		rest++;
		if (*rest != '\0' && (suffix_ok == NULL ||
		    strcasecmp(rest, suffix_ok) != 0)) {
			errno = EINVAL;
			return -1;
		}
	}
	if (ovf || (m != 0 && v > UINT64_MAX / m)) {
		errno = ERANGE;
		return -1;
	}
	*out = v * m;
	return 0;
}

/* parse_duration - 30s 5m 2h 5d 1w */
int
parse_duration(const char *s, uint64_t *seconds)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 604800 };

	return parse_scaled(s, "smhdw", mult, NULL, seconds);
}

/* parse_size - 512 512K 10M 1G */
int
parse_size(const char *s, uint64_t *bytes)
{
	static const uint64_t mult[] = { 1, 1024, 1024 * 1024,
	    1024 * 1024 * 1024, 1024ULL * 1024 * 1024 * 1024 };

	return parse_scaled(s, "bkmgt", mult, "b", bytes);
}

/* format_duration - largest exact unit, or two units */
char *
format_duration(uint64_t s, char *out, size_t outsize)
{
	if (s != 0 && s % 86400 == 0)
		snprintf(out, outsize, "%llud",
		    (unsigned long long)(s / 86400));
	else if (s != 0 && s % 3600 == 0)
		snprintf(out, outsize, "%lluh", (unsigned long long)(s / 3600));
	else if (s != 0 && s % 60 == 0)
		snprintf(out, outsize, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(out, outsize, "%llus", (unsigned long long)s);
	return out;
}

/* format_size - largest exact binary multiple */
char *
format_size(uint64_t b, char *out, size_t outsize)
{
	if (b != 0 && b % (1024 * 1024 * 1024) == 0)
		snprintf(out, outsize, "%lluG", (unsigned long long)(b >> 30));
	else if (b != 0 && b % (1024 * 1024) == 0)
		snprintf(out, outsize, "%lluM", (unsigned long long)(b >> 20));
	else if (b != 0 && b % 1024 == 0)
		snprintf(out, outsize, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(out, outsize, "%llu", (unsigned long long)b);
	return out;
}

/* now_ms - monotonic milliseconds */
int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fsync_dir - make a rename or unlink in the directory durable */
int
fsync_dir(const char *path)
{
	int	fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* edit_distance - Levenshtein, for "did you mean" */
size_t
edit_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j;
	size_t	row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? 0 : 1;
			tmp = row[j];
			row[j] = prev + cost;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* wipe - clear secrets */
void
wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
#endif
}
