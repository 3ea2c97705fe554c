/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addrq.c - what is done with an address once parsed: find its '@',
 * qualify a bare name with a domain (in one address or in every mailbox
 * of a header value, through addr.c's walk), masquerade a domain.  Calls
 * addr.c (the walk, the character classes); addr.c never calls it.
 *
 * Never parses an address list itself (addr.c does), never logs, never
 * writes past the caller's buffer: a header value that would not fit is
 * refused with EMSGSIZE.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "addr.h"
#include "addrwalk.h"
#include "util.h"

/*
 * addr_find_at - offset of the '@' that separates local part and domain
 * (the first unquoted one), or -1.
 */
static ssize_t
addr_find_at(const char *a)
{
	bool	in_q = false;
	size_t	i;

	for (i = 0; a[i] != '\0'; i++) {
		if (in_q && a[i] == '\\' && a[i + 1] != '\0')
			i++;
		else if (a[i] == '"')
			in_q = !in_q;
		else if (!in_q && a[i] == '@')
			return (ssize_t)i;
	}
	return -1;
}

/* addr_is_qualified - has an unquoted @ and a domain */
bool
addr_is_qualified(const char *a)
{
	ssize_t	at = addr_find_at(a);

	return at >= 0 && a[at + 1] != '\0';
}

/* addr_qualify - add @domain to a bare local part */
char *
addr_qualify(const char *a, const char *domain)
{
	ssize_t	at;

	if (addr_is_qualified(a))
		return xstrdup(a);
	at = addr_find_at(a);
	if (at >= 0)	/* "user@" */
		return xasprintf("%.*s@%s", (int)at, a, domain);
	return xasprintf("%s@%s", a, domain);
}

/* addr_domain_masquerade - replace the domain */
char *
addr_domain_masquerade(const char *a, const char *domain)
{
	ssize_t	at = addr_find_at(a);

	if (at < 0)
		return xasprintf("%s@%s", a, domain);
	return xasprintf("%.*s@%s", (int)at, a, domain);
}

/* addr_is_utf8 - any 8-bit byte */
bool
addr_is_utf8(const char *a)
{
	for (; *a != '\0'; a++)
		if ((unsigned char)*a >= 0x80)
			return true;
	return false;
}

struct addr_qualifier {
	const char	*s;
	size_t		 copied;	/* input bytes already in out */
	const char	*domain;
	struct buf	*out;
	bool		*changed;
	bool		 full;		/* out overflowed */
};

/* addr_qualify_one - found callback: insert "@domain" after a bare name */
static int
addr_qualify_one(void *arg, const char *spec, bool qualified,
    size_t local_end)
{
	struct addr_qualifier	*q = arg;

	if (qualified)
		return 0;
	if (buf_append(q->out, q->s + q->copied, local_end - q->copied) ==
	    -1 || buf_putc(q->out, '@') == -1 ||
	    buf_puts(q->out, q->domain) == -1) {
		q->full = true;
		errno = EMSGSIZE;
		return -1;
	}
	q->copied = local_end;
	*q->changed = true;
	return 0;
}

/* addr_qualify_header_mem - qualify bare names in a header value */
int
addr_qualify_header_mem(const char *value, size_t len, const char *domain,
    struct buf *out, bool *changed)
{
	struct addr_qualifier	q;

	*changed = false;
	q.s = value;
	q.copied = 0;
	q.domain = domain;
	q.out = out;
	q.changed = changed;
	q.full = false;
	if (addr_walk(value, len, addr_qualify_one, &q, NULL) == -1) {
		errno = q.full ? EMSGSIZE : EINVAL;
		*changed = false;
		return -1;
	}
	if (buf_append(out, value + q.copied, len - q.copied) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* addr_qualify_header - qualify bare names in a header value */
int
addr_qualify_header(const char *value, const char *domain, struct buf *out,
    bool *changed)
{
	return addr_qualify_header_mem(value, strlen(value), domain, out,
	    changed);
}
