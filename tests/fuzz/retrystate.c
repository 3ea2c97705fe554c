/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * retrystate.c - libFuzzer target for the retry state (src/core/
 * retrystate.c): spool_state_parse of versions 1 and 2 (with its
 * envelope copy).  Whatever parses must format and parse again to the
 * same bytes.  Seeds: tests/fuzz/corpus/retrystate/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "retrystate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * fuzz_state - parse; when it parses, format, parse the result and format
 * again: both must succeed and give the same bytes
 */
static void
fuzz_state(const char *data, size_t len)
{
	struct spool_state	st, again;
	struct buf		out, out2, err;

	buf_init(&out, SPOOL_STATE_MAX);
	buf_init(&out2, SPOOL_STATE_MAX);
	buf_init(&err, 4096);
	if (spool_state_parse(data, len, &st, &err) == 0) {
		if (spool_state_format(&st, &out) != 0 ||
		    spool_state_parse(out.data, out.len, &again, &err) != 0 ||
		    spool_state_format(&again, &out2) != 0 ||
		    out.len != out2.len ||
		    memcmp(out.data, out2.data, out.len) != 0)
			abort();
		spool_state_free(&again);
	}
	spool_state_free(&st);
	buf_free(&out);
	buf_free(&out2);
	buf_free(&err);
}

/* LLVMFuzzerTestOneInput - one input through the state parser */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_state((const char *)data, size);
	return 0;
}
