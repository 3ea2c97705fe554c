/* SPDX-License-Identifier: GPL-2.0-or-later */
/* base64.c - unit tests for the strict RFC 4648 codec */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "tap.h"

/* enc - encode a string, return the result (static storage) */
static const char *
enc(const char *s, size_t n)
{
	static char	out[256];
	struct buf	b;

	buf_init(&b, 200);
	if (base64_encode(s, n, &b) == -1) {
		buf_free(&b);
		return "(error)";
	}
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* dec_ok - decoding s gives want[0..wn) */
static int
dec_ok(const char *s, const char *want, size_t wn)
{
	struct buf	b;
	int		good;

	buf_init(&b, 200);
	good = base64_decode(s, strlen(s), &b) == 0 && b.len == wn &&
	    (wn == 0 || memcmp(b.data, want, wn) == 0);
	buf_free(&b);
	return good;
}

/* dec_bad - decoding s fails with EINVAL and leaves out untouched */
static int
dec_bad(const char *s)
{
	struct buf	b;
	int		bad;

	buf_init(&b, 200);
	FIXTURE(buf_puts(&b, "keep"));
	errno = 0;
	bad = base64_decode(s, strlen(s), &b) == -1 && errno == EINVAL &&
	    strcmp(buf_cstr(&b), "keep") == 0;
	buf_free(&b);
	return bad;
}

int
main(void)
{
	static const char *const vec[][2] = {	/* RFC 4648 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char plain[] = "\0user\0secret";
	struct buf	b;
	unsigned char	all[256];
	size_t		i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		is_str(enc(vec[i][0], strlen(vec[i][0])), vec[i][1],
		    "RFC 4648 encode vector");
		ok(dec_ok(vec[i][1], vec[i][0], strlen(vec[i][0])),
		    "RFC 4648 decode vector '%s'", vec[i][1]);
	}
	is_str(enc(plain, sizeof(plain) - 1), "AHVzZXIAc2VjcmV0",
	    "PLAIN token with NULs");
	ok(dec_ok("AHVzZXIAc2VjcmV0", plain, sizeof(plain) - 1),
	    "PLAIN token decodes with NULs");
	is_int((long long)base64_encoded_len(0), 0, "encoded_len 0");
	is_int((long long)base64_encoded_len(4), 8, "encoded_len 4");

	ok(dec_bad("Zg="), "length not a multiple of 4");
	ok(dec_bad("Zg=a"), "data after padding");
	ok(dec_bad("Z==="), "three padding characters");
	ok(dec_bad("Zh=="), "non-zero unused bits");
	ok(dec_bad("Zm9v Zm9v"), "whitespace refused");
	ok(dec_bad("Zm9\n"), "newline refused");
	ok(dec_bad("Zg==Zg=="), "padding in the middle");
	ok(dec_bad("Zm-v"), "URL alphabet refused");

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	buf_init(&b, 1000);
	ok(base64_encode(all, sizeof(all), &b) == 0, "encode 256 bytes");
	{
		struct buf	d;

		buf_init(&d, 1000);
		ok(base64_decode(b.data, b.len, &d) == 0 && d.len == 256 &&
		    memcmp(d.data, all, 256) == 0, "every byte round-trips");
		buf_free(&d);
	}
	buf_free(&b);

	buf_init(&b, 6);
	errno = 0;
	ok(base64_encode("abcdef", 6, &b) == -1 && errno == EMSGSIZE &&
	    b.len == 0, "encode past the buffer limit fails, out unchanged");
	buf_free(&b);
	return done_testing();
}
