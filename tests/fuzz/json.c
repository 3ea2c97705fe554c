/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.c - libFuzzer target for the JSON string escaper (src/core/
 * json.c): whatever the bytes, json_str's output must be one valid JSON
 * string literal in valid UTF-8 that decodes to the input with each byte
 * of an ill-formed sequence as U+FFFD (the independent checker of
 * tests/unit/jsoncheck.h), and a buffer too small must fail and leave
 * the contents as they were.  Seeds: tests/fuzz/corpus/json/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jsoncheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* LLVMFuzzerTestOneInput - escape, check, and again into a short buffer */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 out, small;
	char		*s;
	size_t		 n;

	if ((s = strndup((const char *)data, size)) == NULL)
		abort();
	n = strlen(s);
	buf_init(&out, n * 6 + 3);	/* worst case: \u00XX per byte */
	if (json_str(&out, s) != 0 ||
	    jsoncheck(s, n, buf_cstr(&out), out.len) != NULL)
		abort();
	if (out.len > 2) {
		buf_init(&small, out.len - 1);
		if (buf_puts(&small, "x") != 0 || json_str(&small, s) != -1 ||
		    small.len != 1)
			abort();
		buf_free(&small);
	}
	buf_free(&out);
	free(s);
	return 0;
}
