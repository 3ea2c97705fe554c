/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * base64.c - RFC 4648 section 4 base64, strict decoding.
 *
 * Owns: the encoding of SASL tokens on the SMTP wire (RFC 4954).  The
 * decoder refuses anything but canonical base64, since a server challenge
 * that decodes two ways is a protocol error, not something to guess at.
 * Never logs: the data are often credentials.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64_encoded_len - output size */
size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* base64_encode - padded encoding */
int
base64_encode(const void *in, size_t n, struct buf *out)
{
	const unsigned char	*s = in;
	size_t			 start = out->len, i;
	char			 q[4];

	if (n > ((size_t)-1) / 2) {
		errno = EMSGSIZE;
		return -1;
	}
	for (i = 0; i < n; i += 3) {
		uint32_t	v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = base64_alphabet[(v >> 18) & 63];
		q[1] = base64_alphabet[(v >> 12) & 63];
		q[2] = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? base64_alphabet[v & 63] : '=';
		if (buf_append(out, q, 4) == -1) {
			buf_truncate(out, start);
			return -1;
		}
	}
	return 0;
}

/* base64_value - 0..63, or -1 */
static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* base64_decode - strict decoding */
int
base64_decode(const char *in, size_t n, struct buf *out)
{
	size_t		start = out->len, i, k, pad;
	unsigned char	b[3];

	if (n % 4 != 0)
		goto bad;
	for (i = 0; i < n; i += 4) {
		uint32_t	v = 0;
		int		d;

		pad = 0;
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				pad++;
				d = 0;
			} else if (pad > 0 ||
			    (d = base64_value(in[i + k])) < 0)
				goto bad;
			v = v << 6 | (uint32_t)d;
		}
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		if ((pad == 2 && (v & 0xffff) != 0) ||
		    (pad == 1 && (v & 0xff) != 0))
			goto bad;
		if (buf_append(out, b, 3 - pad) == -1) {
			buf_truncate(out, start);
			return -1;
		}
	}
	return 0;
bad:
	buf_truncate(out, start);
	errno = EINVAL;
	return -1;
}
