/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - unit tests for run_command(): output, trimming, exit status with
 * the first stderr line, signals, timeout (the whole process group dies),
 * output limit, empty output, stdin from /dev/null.
 */
#include "config.h"

#include "run.h"

#include <errno.h>
#include <string.h>

#include "tap.h"
#include "util.h"

int
main(void)
{
	struct buf	out;
	struct why	why;
	int64_t		t0, dt;
	int		rc;

	buf_init(&out, RUN_OUTPUT_MAX);

	rc = run_command("token_command", "printf '  tok-123 \\n'", 5000,
	    RUN_OUTPUT_MAX, &out, &why);
	ok(rc == 0, "success");
	is_str(buf_cstr(&out), "tok-123", "stdout trimmed");
	is_int((long long)out.len, 7, "length follows the trim");

	rc = run_command("token_command", "echo 'invalid_grant: revoked' >&2;"
	    " echo second >&2; exit 3", 5000, RUN_OUTPUT_MAX, &out, &why);
	ok(rc == -1, "non-zero exit fails");
	is_str(why.text, "token_command: exited with status 3: "
	    "invalid_grant: revoked", "status and first stderr line");
	is_int((long long)out.len, 0, "no output kept on failure");

	rc = run_command("token_command", "echo partial; exit 1", 5000,
	    RUN_OUTPUT_MAX, &out, &why);
	is_str(why.text, "token_command: exited with status 1",
	    "exit status without stderr");

	rc = run_command("token_command", "kill -TERM $$", 5000,
	    RUN_OUTPUT_MAX, &out, &why);
	is_str(why.text, "token_command: killed by signal 15", "signal");

	t0 = now_ms();
	rc = run_command("token_command", "sleep 10; echo late", 300,
	    RUN_OUTPUT_MAX, &out, &why);
	dt = now_ms() - t0;
	ok(rc == -1 && strstr(why.text, "timed out") != NULL,
	    "timeout: %s", why.text);
	ok(dt >= 290 && dt < 2000, "killed at the deadline (%lld ms)",
	    (long long)dt);

	/* a background child holding stdout open dies with the group */
	t0 = now_ms();
	rc = run_command("token_command", "sleep 10 & echo tok", 300,
	    RUN_OUTPUT_MAX, &out, &why);
	dt = now_ms() - t0;
	ok(dt < 2000, "a grandchild keeping the pipe open cannot hold us "
	    "(%lld ms, %s)", (long long)dt, rc == 0 ? "ok" : why.text);

	/* closes stdout early but keeps running */
	t0 = now_ms();
	rc = run_command("token_command", "echo tok; exec >&- 2>&-; sleep 10",
	    300, RUN_OUTPUT_MAX, &out, &why);
	dt = now_ms() - t0;
	ok(rc == -1 && dt < 2000, "closing the pipes early does not escape "
	    "the deadline (%lld ms, %s)", (long long)dt, why.text);

	rc = run_command("token_command", "head -c 20000 /dev/zero | tr "
	    "'\\0' a", 5000, 100, &out, &why);
	is_str(why.text, "token_command: output longer than 100 bytes",
	    "output bound");

	rc = run_command("token_command", "true", 5000, RUN_OUTPUT_MAX, &out,
	    &why);
	is_str(why.text, "token_command: printed nothing on standard output",
	    "empty output");

	rc = run_command("token_command", "cat; echo eof", 5000,
	    RUN_OUTPUT_MAX, &out, &why);
	ok(rc == 0 && strcmp(buf_cstr(&out), "eof") == 0,
	    "stdin is /dev/null");

	rc = run_command("password_command", "/nonexistent/cmd", 5000,
	    RUN_OUTPUT_MAX, &out, &why);
	ok(rc == -1 && strncmp(why.text, "password_command: exited with "
	    "status 127: ", 39) == 0, "missing program: %s", why.text);

	buf_free(&out);
	return done_testing();
}
