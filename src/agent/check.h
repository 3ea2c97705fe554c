/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - the diagnosis behind `postern check` (run as `posternd
 * --check`): every configured relay step by step (DNS, TCP, greeting,
 * TLS and the certificate, EHLO, AUTH, a MAIL/RCPT/RSET relay test), each
 * step with its result, timing, and a plain-words cause and fix; and the
 * fate of a test message queued by the front end.  See doc/check.md.
 */
#ifndef POSTERN_CHECK_H
#define POSTERN_CHECK_H

#define CHECK_EXIT_FAILED	1	/* some step failed */

/*
 * check_main - posternd's --check mode; argv is posternd's whole command
 * line (--check and every check option; see doc/check.md):
 *   -C FILE  --json  --relay N  --rcpt ADDRESS  --timeout SECONDS
 *   --wait-for QID  --wait SECONDS  --send-test ADDRESS
 *   --submit-error TEXT  -v
 * Prints the report (human lines, or one JSON document with --json) on
 * stdout.  Never writes to the spool.  Run as root it reads the secrets
 * file owned by the agent's user, with the agent's rules, then becomes
 * that user (setgroups, setgid, setuid, checked) before any
 * password_command or token_command runs and before any DNS, TCP, TLS or
 * SASL step.  Returns the exit status: 0 when no step failed
 * (warnings allowed), CHECK_EXIT_FAILED when one did, EX_USAGE for a bad
 * command line, EX_CONFIG when the configuration cannot be loaded.
 */
int	check_main(int argc, char **argv);

/*
 * check_drop_root - when root: become the agent's user and group for
 * good (checked), as the agent would be; exits when that fails.  Also
 * used by `postern oauth login` (oauth_login.c).
 */
void	check_drop_root(void);

#endif
