/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ehlo.c - parse an EHLO reply into capabilities (RFC 5321 4.1.1.1).
 *
 * Owns: the mapping from EHLO keywords to EHLO_* bits and values.  Never
 * fails and never trusts lengths: every value is bounded and anything odd
 * is ignored, because a strange capability line must not stop delivery.
 * Keywords are case-insensitive (RFC 5321 2.4).  Callers: smtp.c after
 * EHLO (and again after STARTTLS), and the reply fuzz target.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ehlo.h"
#include "util.h"

/* keyword table: name and bit */
static const struct {
	const char	*name;
	unsigned	 bit;
} ehlo_keywords[] = {
	{ "PIPELINING", EHLO_PIPELINING },
	{ "SIZE", EHLO_SIZE },
	{ "8BITMIME", EHLO_8BITMIME },
	{ "SMTPUTF8", EHLO_SMTPUTF8 },
	{ "DSN", EHLO_DSN },
	{ "ENHANCEDSTATUSCODES", EHLO_ENHANCEDSTATUSCODES },
	{ "STARTTLS", EHLO_STARTTLS },
	{ "AUTH", EHLO_AUTH },
	{ "CHUNKING", EHLO_CHUNKING },
};

/* ehlo_clear - no capabilities */
void
ehlo_clear(struct ehlo_caps *c)
{
	memset(c, 0, sizeof(*c));
}

/* ehlo_mech_ok - a SASL mechanism name (RFC 4422 3.1): A-Z 0-9 - _ */
static bool
ehlo_mech_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > EHLO_MECH_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* ehlo_has_mech - mechanism offered? */
bool
ehlo_has_mech(const struct ehlo_caps *c, const char *mech)
{
	const char	*s = c->auth;
	size_t		 n = strlen(mech);

	while (*s != '\0') {
		const char	*e = strchr(s, ' ');
		size_t		 len = e != NULL ? (size_t)(e - s) : strlen(s);

		if (len == n && strncasecmp(s, mech, n) == 0)
			return true;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return false;
}

/* ehlo_add_mechs - merge the words of s[0..n) into the mechanism list */
static void
ehlo_add_mechs(struct ehlo_caps *c, const char *s, size_t n)
{
	size_t	i = 0, start, len, have, k;
	char	name[EHLO_MECH_MAX + 1];

	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		len = i - start;
		if (!ehlo_mech_ok(s + start, len))
			continue;
		for (k = 0; k < len; k++) {
			char	ch = s[start + k];

			name[k] = ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
		}
		name[len] = '\0';
		if (ehlo_has_mech(c, name))
			continue;
		have = strlen(c->auth);
		if (have + (have > 0) + len + 1 > sizeof(c->auth))
			continue;
		if (have > 0)
			c->auth[have++] = ' ';
		memcpy(c->auth + have, name, len + 1);
	}
}

/* ehlo_parse_size - SIZE's optional value; bad values mean "no limit" */
static uint64_t
ehlo_parse_size(const char *s, size_t n)
{
	char		tmp[24];
	uint64_t	v;

	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (parse_uint(tmp, 0, UINT64_MAX, &v) == -1)
		return 0;
	return v;
}

/* ehlo_parse - fill caps from the reply lines */
void
ehlo_parse(struct ehlo_caps *c, const struct reply *r)
{
	const char	*s;
	size_t		 i, n, kw, k;

	ehlo_clear(c);
	for (i = 1; (s = reply_line(r, i, &n)) != NULL; i++) {
		for (kw = 0; kw < n && s[kw] != ' ' && s[kw] != '='; kw++)
			;
		for (k = 0; k < ARRAY_SIZE(ehlo_keywords); k++) {
			if (strlen(ehlo_keywords[k].name) != kw ||
			    strncasecmp(s, ehlo_keywords[k].name, kw) != 0)
				continue;
			c->ext |= ehlo_keywords[k].bit;
			if (ehlo_keywords[k].bit == EHLO_SIZE && kw < n)
				c->size = ehlo_parse_size(s + kw + 1,
				    n - kw - 1);
			else if (ehlo_keywords[k].bit == EHLO_AUTH && kw < n)
				ehlo_add_mechs(c, s + kw + 1, n - kw - 1);
			break;
		}
	}
}

/* ehlo_names - capabilities for debug logs */
char *
ehlo_names(const struct ehlo_caps *c, char *out, size_t outsize)
{
	size_t	k, len = 0;
	int	n;

	if (outsize == 0)
		return out;
	out[0] = '\0';
	for (k = 0; k < ARRAY_SIZE(ehlo_keywords); k++) {
		if ((c->ext & ehlo_keywords[k].bit) == 0)
			continue;
		if (ehlo_keywords[k].bit == EHLO_SIZE)
			n = snprintf(out + len, outsize - len, "%sSIZE=%llu",
			    len ? " " : "", (unsigned long long)c->size);
		else if (ehlo_keywords[k].bit == EHLO_AUTH)
			n = snprintf(out + len, outsize - len, "%sAUTH=%s",
			    len ? " " : "", c->auth);
		else
			n = snprintf(out + len, outsize - len, "%s%s",
			    len ? " " : "", ehlo_keywords[k].name);
		if (n < 0 || (size_t)n >= outsize - len)
			break;
		len += (size_t)n;
	}
	return out;
}
