/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr.c - libFuzzer target: addr_parse_header_mem and
 * addr_qualify_header_mem on arbitrary bytes.  Checks the invariants the
 * front end relies on: every parsed address is within ADDR_MAX_LEN and
 * holds no CR, LF or NUL; qualifying only ever adds bytes, and leaves the
 * input unchanged when nothing was bare.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct addr_list	 l;
	struct buf		 err, out;
	size_t			 i;
	bool			 changed;
	int			 rc;

	addr_list_init(&l);
	buf_init(&err, 1024);
	rc = addr_parse_header_mem((const char *)data, len, &l, &err);
	if (rc == -1 && err.len == 0)
		abort();	/* every error has a reason */
	for (i = 0; i < l.n; i++) {
		if (strlen(l.v[i]) > ADDR_MAX_LEN ||
		    strpbrk(l.v[i], "\r\n") != NULL)
			abort();
		(void)addr_valid_envelope(l.v[i]);
		(void)addr_is_qualified(l.v[i]);
	}
	addr_list_free(&l);
	buf_free(&err);

	buf_init(&out, 2 * len + 64 * 1024);
	if (addr_qualify_header_mem((const char *)data, len, "example.org",
	    &out, &changed) == 0) {
		if (out.len < len || (!changed && (out.len != len ||
		    memcmp(out.data, data, len) != 0)))
			abort();
		if (rc == -1)
			abort();	/* qualify and parse must agree */
	}
	buf_free(&out);
	return 0;
}
