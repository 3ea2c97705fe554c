/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * base64.h - RFC 4648 base64 for SMTP AUTH challenges and responses
 * (RFC 4954 4).  Results go into a caller's struct buf, whose maximum
 * bounds them; callers holding credentials wipe the buffer afterwards.
 */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>

#include "buf.h"

/* base64_encoded_len - the encoded size of n bytes (no NUL) */
size_t	base64_encoded_len(size_t n);

/*
 * base64_encode - append the padded encoding of in[0..n) to out.
 * Returns 0, or -1 (errno EMSGSIZE/ENOMEM from buf) with out unchanged.
 */
int	base64_encode(const void *in, size_t n, struct buf *out);

/*
 * base64_decode - append the decoding of in[0..n) to out.  Strict: only
 * the standard alphabet, length a multiple of 4, '=' only as final
 * padding, no whitespace, and the unused bits of the last group must be
 * zero (so each text has one decoding).  "" decodes to nothing.
 * Returns 0, or -1 with errno EINVAL (bad input) or EMSGSIZE/ENOMEM; out
 * is then unchanged.
 */
int	base64_decode(const char *in, size_t n, struct buf *out);

#endif
