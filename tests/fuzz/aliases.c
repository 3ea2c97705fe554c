/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aliases.c - libFuzzer target: aliases_load_mem on arbitrary bytes, then
 * expand a few names (the first entry's name and common ones).  Checks
 * that every expansion result is a valid envelope address.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const names[] = { "root", "postmaster", "a", "b",
	    "loop", "x" };
	struct aliases		*al;
	struct addr_list	 l;
	struct buf		 err;
	size_t			 i, j;
	static bool		 quiet;

	if (!quiet) {
		log_init("fuzz-aliases", 0);	/* no output for refusals */
		quiet = true;
	}
	buf_init(&err, 64 * 1024);
	al = aliases_load_mem((const char *)data, len, "fuzz", &err);
	if (al == NULL)
		abort();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		addr_list_init(&l);
		if (aliases_expand(al, names[i], &l, &err) == 1)
			for (j = 0; j < l.n; j++)
				if (!addr_valid_envelope(l.v[j]))
					abort();
		addr_list_free(&l);
	}
	aliases_free(al);
	buf_free(&err);
	return 0;
}
