/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - small helpers every program needs: allocation that dies loudly,
 * bounded string copies, number parsing with ranges, durations and sizes,
 * monotonic time, directory fsync.
 */
#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* x* - allocation; on failure log and exit EX_TEMPFAIL (never NULL) */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* xasprintf - formatted allocation; caller frees with free() */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * str_copy - copy src into dst of size dstsize, always NUL-terminated.
 * Returns 0, or -1 (errno ENAMETOOLONG) when src did not fit; dst then holds
 * the truncated prefix.
 */
int	str_copy(char *dst, const char *src, size_t dstsize);

/* str_append - append src to the string in dst; as str_copy */
int	str_append(char *dst, const char *src, size_t dstsize);

/* str_has_prefix_ci - true when s starts with prefix, ASCII case-folded */
bool	str_has_prefix_ci(const char *s, const char *prefix);

/* str_trim - strip ASCII whitespace at both ends, in place; returns s+k */
char	*str_trim(char *s);

/*
 * parse_uint - decimal unsigned integer in [min, max], whole string.
 * Returns 0, or -1 with errno EINVAL (not a number) or ERANGE.
 */
int	parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * parse_duration - "30s", "5m", "2h", "5d", "1w" or plain seconds; the
 * result is seconds.  Returns 0, or -1 with errno EINVAL (bad form) or
 * ERANGE (overflow).
 */
int	parse_duration(const char *s, uint64_t *seconds);

/*
 * parse_size - "512", "512K", "10M", "1G" (binary multiples, optional
 * trailing "B"); the result is bytes.  Returns 0, or -1 with errno EINVAL
 * or ERANGE.
 */
int	parse_size(const char *s, uint64_t *bytes);

/* format_duration - "1d2h", "5m", "0s" into out; returns out */
char	*format_duration(uint64_t seconds, char *out, size_t outsize);

/* format_size - "10M", "512K", "123" into out (exact multiples only) */
char	*format_size(uint64_t bytes, char *out, size_t outsize);

/* now_ms - CLOCK_MONOTONIC in milliseconds */
int64_t	now_ms(void);

/* fsync_dir - open the directory read-only and fsync it; 0 or -1 (errno) */
int	fsync_dir(const char *path);

/*
 * edit_distance - Levenshtein distance between two short strings (used to
 * suggest the nearest known name); strings over 64 bytes count as far.
 */
size_t	edit_distance(const char *a, const char *b);

/* wipe - explicit_bzero wrapper that the compiler cannot drop */
void	wipe(void *, size_t);

#endif
