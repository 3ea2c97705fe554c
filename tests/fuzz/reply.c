/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply.c - libFuzzer target for the SMTP reply parser and the EHLO
 * capability parser.  The first input byte picks a chunk size so chunk
 * boundaries are fuzzed too; every complete reply goes through
 * ehlo_parse and reply_text_oneline, and the invariants are checked.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ehlo.h"
#include "reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_parser	p;
	struct ehlo_caps	caps;
	char			line[300];
	size_t			chunk, off, n, k, len;
	const char		*l;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	reply_init(&p);
	for (off = 0; off < size;) {
		n = size - off < chunk ? size - off : chunk;
		k = reply_feed(&p, (const char *)data + off, n);
		if (k > n)
			abort();
		off += k;
		if (p.status == REPLY_ERROR)
			break;
		if (p.status == REPLY_COMPLETE) {
			if (p.reply.code < 200 || p.reply.code > 599 ||
			    p.reply.nlines == 0 ||
			    p.reply.nlines > REPLY_LINES_MAX ||
			    p.reply.text.len > REPLY_BYTES_MAX)
				abort();
			for (k = 0; (l = reply_line(&p.reply, k, &len)) !=
			    NULL; k++)
				if (len > REPLY_LINE_MAX ||
				    memchr(l, '\0', len) != NULL)
					abort();
			if (k != p.reply.nlines)
				abort();
			reply_text_oneline(&p.reply, line, sizeof(line));
			if (strlen(line) >= sizeof(line))
				abort();
			ehlo_parse(&caps, &p.reply);
			if (strlen(caps.auth) >= sizeof(caps.auth))
				abort();
			(void)ehlo_has_mech(&caps, "PLAIN");
			ehlo_names(&caps, line, sizeof(line));
		} else if (k < n)
			abort();	/* PARTIAL must consume everything */
	}
	reply_free(&p);
	return 0;
}
