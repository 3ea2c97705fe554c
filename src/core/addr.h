/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr.h - RFC 5321/5322 addresses: parse address-list headers and
 * command-line recipients, qualify bare local names, check envelope safety.
 *
 * An "addr-spec" here is the normalised form "local@domain" or a bare
 * "local" (a local name still to be qualified or aliased).  Quoted local
 * parts are kept quoted only when they need it ("a b"@x, but "ab"@x becomes
 * ab@x); comments, display names and obsolete routes are dropped; folding
 * whitespace is removed; 8-bit (UTF-8) bytes are kept as they are
 * (RFC 6532).  Pure functions: no I/O, no logging.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* longest normalised addr-spec accepted from a header or argument */
#define ADDR_MAX_LEN		998
/* most addresses one header value or argument may yield */
#define ADDR_LIST_MAX		10000
/* longest address addr_valid_envelope accepts (RFC 5321 4.5.3.1.3 path) */
#define ADDR_ENVELOPE_MAX	256
/* longest header value the parser looks at (a bound on work, not memory) */
#define ADDR_INPUT_MAX		(4 * 1024 * 1024)

struct addr_list {
	char	**v;		/* owned array of owned addr-specs */
	size_t	  n;		/* addresses in v */
	size_t	  cap;		/* slots allocated */
};

/* addr_list_init - empty list (no allocation) */
void	addr_list_init(struct addr_list *);

/*
 * addr_list_add - append a copy of a.  Returns 0, or -1 with errno E2BIG
 * when the list already holds ADDR_LIST_MAX addresses.  Duplicates are
 * kept: callers that want a set use addr_list_has first.
 */
int	addr_list_add(struct addr_list *, const char *a);

/* addr_list_has - true when a is in the list (ASCII case-insensitive) */
bool	addr_list_has(const struct addr_list *, const char *a);

/* addr_list_free - free every address and the array; accepts an empty list */
void	addr_list_free(struct addr_list *);

/*
 * addr_parse_header - parse an address-list header value (To, Cc, Bcc,
 * From, Reply-To, Resent-*) and append each mailbox's addr-spec to out.
 * value may hold folded lines (CRLF or LF followed by WSP).  Accepted:
 * addr-spec, [display-name] <addr-spec>, <@route,@route:addr-spec> (route
 * dropped), groups "name: a, b;" (members appended, an empty group adds
 * nothing), nested comments with quoted-pairs, quoted local parts, domain
 * literals, UTF-8 bytes, empty elements (",,", trailing ",") and "<>"
 * (adds nothing).  Returns 0, or -1 with a one-line reason in err (err may
 * be NULL); on -1 the addresses appended before the error stay in out.
 * Never reads past the NUL, never recurses, bounded by ADDR_MAX_LEN,
 * ADDR_LIST_MAX and ADDR_INPUT_MAX.
 */
int	addr_parse_header(const char *value, struct addr_list *out,
	    struct buf *err);

/*
 * addr_parse_header_mem - as addr_parse_header on len bytes that may hold
 * NUL bytes (a NUL is an error: "NUL byte in address").
 */
int	addr_parse_header_mem(const char *value, size_t len,
	    struct addr_list *out, struct buf *err);

/*
 * addr_parse_arg - parse one command-line recipient argument: one or more
 * comma-separated elements, each a bare addr-spec or "Name <a@b>".
 * Returns 0 (at least one address appended) or -1 with the reason in err
 * (syntax error, or no address at all).
 */
int	addr_parse_arg(const char *arg, struct addr_list *out, struct buf *err);

/*
 * addr_parse_sender - parse the -f/-r value: "" or "<>" give "" (the null
 * sender), "<a@b>" and "a@b" give "a@b", "user" gives "user" (unqualified),
 * "Name <a@b>" gives "a@b".  *out is set to a string the caller frees with
 * free().  Returns 0, or -1 with the reason in err (*out is then NULL):
 * syntax error, group syntax or anything after the address (an unquoted
 * ':' or ';' outside <>), more than one address, or unsafe for SMTP (see
 * addr_valid_envelope).
 */
int	addr_parse_sender(const char *s, char **out, struct buf *err);

/*
 * addr_is_qualified - true when a has an unquoted '@' followed by a
 * non-empty domain.
 */
bool	addr_is_qualified(const char *a);

/*
 * addr_qualify - a qualified copy of a: a bare local part gets "@domain",
 * a qualified address is copied unchanged.  Caller frees with free().
 */
char	*addr_qualify(const char *a, const char *domain);

/*
 * addr_domain_masquerade - a copy of a with the domain (after the first
 * unquoted '@') replaced by domain, or "@domain" appended to a bare local
 * part.  Caller frees with free().
 */
char	*addr_domain_masquerade(const char *a, const char *domain);

/*
 * addr_valid_envelope - true when a is safe to put between <> in MAIL FROM
 * or RCPT TO and into the spool envelope: at most ADDR_ENVELOPE_MAX bytes,
 * no NUL/CR/LF or other control byte (< 0x20, 0x7f), no unquoted space or
 * "<>()[],;:\" outside a domain literal, balanced quotes, a non-empty local
 * part, and at most one unquoted '@' followed by a non-empty domain.  The
 * empty string (the null reverse-path) is accepted: callers that need a
 * recipient check for "" themselves.  This is the SMTP/header injection
 * guard for every envelope address.
 */
bool	addr_valid_envelope(const char *a);

/* addr_is_utf8 - true when a holds a byte >= 0x80 (needs SMTPUTF8) */
bool	addr_is_utf8(const char *a);

/*
 * addr_qualify_header - copy the address-list header value to out with
 * every bare local part qualified with "@domain", everything else (display
 * names, comments, folding, qualified addresses) byte-for-byte:
 *   root                     -> root@example.org
 *   "Cron Daemon" <root>     -> "Cron Daemon" <root@example.org>
 *   root (Cron Daemon)       -> root@example.org (Cron Daemon)
 * *changed tells whether anything was added.  Returns 0, or -1 when the
 * value does not parse (errno EINVAL; the caller should keep the field as
 * it is) or out is full (errno EMSGSIZE); out's contents are then
 * unspecified.
 */
int	addr_qualify_header(const char *value, const char *domain,
	    struct buf *out, bool *changed);

/* addr_qualify_header_mem - as addr_qualify_header on len bytes */
int	addr_qualify_header_mem(const char *value, size_t len,
	    const char *domain, struct buf *out, bool *changed);

#endif
