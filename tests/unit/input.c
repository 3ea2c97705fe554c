/* SPDX-License-Identifier: GPL-2.0-or-later */
/* input.c - unit tests for the normalising message reader */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"
#include "io.h"
#include "tap.h"

/* run - feed data (written in chunks of step bytes) and collect the output
 * with "\n" after complete lines */
static struct buf out;
static struct input in;
static int nonblock;	/* read end non-blocking, as Node.js leaves stdin */

static int
run(const char *data, size_t len, enum input_dots dots, size_t step)
{
	int		 p[2], rc;
	pid_t		 pid;
	const char	*piece;
	size_t		 n;
	bool		 complete;

	buf_reset(&out);
	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(p[0]);
		for (size_t i = 0; i < len; i += step) {
			size_t k = len - i < step ? len - i : step;

			if (write(p[1], data + i, k) != (ssize_t)k)
				_exit(1);
			if (step < len)
				usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	if (nonblock)
		io_set_nonblock(p[0], 1);
	input_init(&in, p[0], dots);
	while ((rc = input_next(&in, &piece, &n, &complete)) == 1) {
		FIXTURE(buf_append(&out, piece, n));
		if (complete)
			FIXTURE(buf_putc(&out, '\n'));
	}
	close(p[0]);
	waitpid(pid, NULL, 0);
	return rc;
}

#define RUN(s, dots, step) run((s), sizeof(s) - 1, (dots), (step))

int
main(void)
{
	char	 changes[256];
	char	*big;
	size_t	 steps[] = { 1, 2, 3, 7, 4096 };

	buf_init(&out, 1 << 24);
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		size_t st = steps[s];

		RUN("a\r\nb\r\n", INPUT_DOTS_NONE, st);
		is_str(buf_cstr(&out), "a\nb\n", "CRLF made LF");
		RUN("a\nb", INPUT_DOTS_NONE, st);
		ok(!strcmp(buf_cstr(&out), "a\nb\n") && in.added_final_lf,
		    "final LF added (step %zu)", st);
		RUN("a\rb\r", INPUT_DOTS_NONE, st);
		ok(!strcmp(buf_cstr(&out), "a\nb\n") && in.bare_cr == 2,
		    "bare CR made line ends (step %zu)", st);
		RUN("a\r\r\nb\n", INPUT_DOTS_NONE, st);
		is_str(buf_cstr(&out), "a\n\nb\n", "CR CR LF is two lines");
		run("a\0b\n", 4, INPUT_DOTS_NONE, st);
		ok(!strcmp(buf_cstr(&out), "ab\n") && in.nul == 1,
		    "NUL removed (step %zu)", st);
		RUN("a\n.\nb\n", INPUT_DOTS_END, st);
		ok(!strcmp(buf_cstr(&out), "a\n") && in.end == INPUT_END_DOT,
		    "lone dot ends input without -i (step %zu)", st);
		RUN("a\n.\r\nb\n", INPUT_DOTS_END, st);
		is_str(buf_cstr(&out), "a\n", "lone dot with CRLF ends input");
		RUN("a\n.\nb\n", INPUT_DOTS_NONE, st);
		is_str(buf_cstr(&out), "a\n.\nb\n", "-i: dots are data");
		RUN("..x\n.\n", INPUT_DOTS_END, st);
		is_str(buf_cstr(&out), "..x\n", "classic mode keeps dots");
		RUN("..x\r\n.y\r\n.\r\n", INPUT_DOTS_SMTP, st);
		is_str(buf_cstr(&out), ".x\ny\n", "SMTP mode unstuffs");
		RUN("", INPUT_DOTS_NONE, st);
		ok(buf_cstr(&out)[0] == '\0' && !in.added_final_lf,
		    "empty input is empty");
		RUN("\n", INPUT_DOTS_NONE, st);
		is_str(buf_cstr(&out), "\n", "one empty line");
	}
	nonblock = 1;
	RUN("line one\nline two\n", INPUT_DOTS_NONE, 3);
	ok(!strcmp(buf_cstr(&out), "line one\nline two\n"),
	    "non-blocking stdin: nothing lost when data arrives slowly");
	nonblock = 0;
	RUN("h\xc3\xa9\n", INPUT_DOTS_NONE, 4096);
	ok(in.saw_8bit, "8-bit noticed");
	RUN("plain\n", INPUT_DOTS_NONE, 4096);
	ok(!in.saw_8bit, "7-bit input");

	big = malloc(100000);
	memset(big, 'x', 99999);
	big[0] = '.';
	big[1] = '.';
	big[99999] = '\n';
	run(big, 100000, INPUT_DOTS_SMTP, 65536);
	ok(out.len == 99999 && in.long_lines == 1 && out.data[0] == '.' &&
	    out.data[1] == 'x', "long dot-stuffed line unstuffed once, in pieces");
	run(big, 100000, INPUT_DOTS_NONE, 65536);
	ok(out.len == 100000, "long line intact");
	is_int((long long)in.bytes, 100000, "byte count");
	input_changes(&in, changes, sizeof(changes));
	is_str(changes, "1 lines over 998 octets (split on the wire)",
	    "change summary");
	run("a\r\nb\0\rc", 7, INPUT_DOTS_NONE, 4096);
	input_changes(&in, changes, sizeof(changes));
	is_str(changes, "1 CRLF line ends made LF, 1 bare CR made line ends, "
	    "1 NUL bytes removed, final line end added", "change summary all");
	free(big);
	buf_free(&out);
	return done_testing();
}
