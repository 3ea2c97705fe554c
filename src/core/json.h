/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.h - JSON output: the one string escaper (RFC 8259) and the UTF-8
 * validator (RFC 3629) behind it, for every program that prints JSON or
 * must keep hostile text valid UTF-8 (the queue tools, `postern status`,
 * `postern check`).  Pure: no I/O, no logging, no exit.
 */
#ifndef POSTERN_JSON_H
#define POSTERN_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * json_utf8 - length (1-4) of the valid UTF-8 sequence at p[0..n) (n >=
 * 1), with its code point in *cp, or 0 when the bytes there are not valid
 * (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut
 * short by n).
 */
size_t	json_utf8(const unsigned char *p, size_t n, uint32_t *cp);

/*
 * json_str - append s as a JSON string literal (with the quotes) to out.
 * Escapes '"', '\\', every control character (0x00-0x1f as \n \t \r \b
 * \f or \u00XX, 0x7f as \u007f), and U+2028/U+2029 (so the output is
 * also a safe JavaScript literal).  Valid UTF-8 passes through; every
 * byte of an invalid, overlong or surrogate sequence becomes U+FFFD (its
 * three UTF-8 bytes), so the output is always valid UTF-8 JSON whatever s
 * holds.  s NULL appends the literal null.  Returns 0, or -1 (out full,
 * contents truncated to their state before the call).
 */
int	json_str(struct buf *out, const char *s);

#endif
