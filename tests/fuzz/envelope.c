/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * envelope.c - libFuzzer target for the queue-file envelope
 * (src/core/envelope.c): envelope_parse and envelope_parse_request.
 * Whatever parses must write back and parse again to the same bytes (the
 * writers never emit what the parsers refuse).  The retry state has its
 * own target (retrystate.c).  Seeds: tests/fuzz/corpus/envelope/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_envelope - parse, and when it parses, check the round trip */
static void
fuzz_envelope(const char *data, size_t len, bool request)
{
	struct envelope	e, again;
	struct buf	out, out2, err;
	size_t		used;
	int		rc;

	buf_init(&out, SPOOL_ENVELOPE_MAX);
	buf_init(&out2, SPOOL_ENVELOPE_MAX);
	buf_init(&err, 4096);
	rc = request ? envelope_parse_request(data, len, &e, &used, &err) :
	    envelope_parse(data, len, &e, &used, &err);
	if (rc == 0) {
		if (used > len)
			abort();
		rc = request ? envelope_write_request(&e, &out) :
		    envelope_write(&e, &out);
		if (rc != 0)
			abort();
		rc = request ? envelope_parse_request(out.data, out.len,
		    &again, &used, &err) : envelope_parse(out.data, out.len,
		    &again, &used, &err);
		if (rc != 0 || used != out.len)
			abort();
		if ((request ? envelope_write_request(&again, &out2) :
		    envelope_write(&again, &out2)) != 0 ||
		    out.len != out2.len || memcmp(out.data, out2.data,
		    out.len) != 0)
			abort();
		envelope_free(&again);
	}
	envelope_free(&e);
	buf_free(&out);
	buf_free(&out2);
	buf_free(&err);
}

/* LLVMFuzzerTestOneInput - both forms of one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	fuzz_envelope(p, size, false);
	fuzz_envelope(p, size, true);
	return 0;
}
