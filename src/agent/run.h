/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - run an administrator's command (token_command, password_command)
 * with a deadline and bounded output, without system(3) or popen(3).
 */
#ifndef POSTERN_RUN_H
#define POSTERN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "result.h"

#define RUN_OUTPUT_MAX		8192	/* stdout bytes kept (a token) */
#define RUN_STDERR_MAX		512	/* stderr bytes kept for the reason */
#define RUN_TIMEOUT_MS		30000	/* default deadline for a command */

/*
 * run_command - run cmd with /bin/sh -c, stdin from /dev/null, in its own
 * process group, and collect its stdout into out (initialised by the
 * caller; at most max_out bytes) until it exits or timeout_ms passes.
 * what names the command in messages ("token_command").  The output is
 * trimmed of surrounding white space on success.
 * Returns 0 when the command exited 0 with output no larger than max_out;
 * otherwise -1 with why->text, one of: "what: timed out after Ns (killed)",
 * "what: exited with status N: <first stderr line>", "what: killed by
 * signal N", "what: output longer than N bytes", "what: printed nothing",
 * "what: cannot run: <errno>".  On -1 out is emptied (and wiped).
 */
int	run_command(const char *what, const char *cmd, int64_t timeout_ms,
	    size_t max_out, struct buf *out, struct why *why);

#define RUN_EMPTY_OK		0x01	/* printing nothing is success */

/*
 * run_command_flags - run_command with flags: RUN_EMPTY_OK (alert_command
 * has nothing to say: its silence is not a failure).  The command's
 * environment is this process's (the caller may add to it first).
 */
int	run_command_flags(const char *what, const char *cmd,
	    int64_t timeout_ms, size_t max_out, unsigned flags,
	    struct buf *out, struct why *why);

#endif
