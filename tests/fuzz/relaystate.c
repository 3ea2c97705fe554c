/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relaystate.c - libFuzzer target for the relay state, state/relays
 * (src/core/relaystate.c): relaystate_parse_line on the first line of the
 * input, and relaystate_parse on all of it.  A line that parses must
 * format, parse again and format to the same bytes; the file parser must
 * stay within its limits.  Seeds: tests/fuzz/corpus/relaystate/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "relaystate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_line - parse, format, parse the result, format: same bytes */
static void
fuzz_line(const char *line)
{
	struct relaystate	r, again;
	struct buf		out, out2;
	char			*copy;

	if (relaystate_parse_line(line, &r) == -1)
		return;
	buf_init(&out, 4096);
	buf_init(&out2, 4096);
	if (relaystate_format_line(&out, &r) == -1) {
		/* only a name that cannot be written is refused */
		if (r.name[0] != '\0' && strpbrk(r.name, " \t") == NULL)
			abort();
		goto out;
	}
	if (out.len == 0 || out.data[out.len - 1] != '\n')
		abort();
	copy = strndup(out.data, out.len - 1);
	if (copy == NULL)
		abort();
	if (relaystate_parse_line(copy, &again) == -1 ||
	    relaystate_format_line(&out2, &again) == -1 ||
	    out.len != out2.len || memcmp(out.data, out2.data, out.len) != 0)
		abort();
	free(copy);
out:
	buf_free(&out);
	buf_free(&out2);
}

/* LLVMFuzzerTestOneInput - the first line, then the whole file */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct relaystate_file	f;
	char				*s;
	size_t				 i, lines = 0;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	s[strcspn(s, "\n")] = '\0';
	fuzz_line(s);
	memcpy(s, data, size);
	for (i = 0; i < size; i++)
		lines += s[i] == '\n';
	memset(&f, 0, sizeof(f));
	relaystate_parse(s, size, &f);
	if (f.n > RELAYSTATE_LINES_MAX || f.n + f.bad > lines + 1)
		abort();
	for (i = 0; i < f.n; i++)
		if (strlen(f.r[i].reason) > RELAYSTATE_REASON_MAX ||
		    f.r[i].name[0] == '\0')
			abort();
	free(s);
	return 0;
}
