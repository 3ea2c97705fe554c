#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - the README's first command, contrib/demo, runs to the end on
# this build (DEMO_BUILD; the apt step skipped): the message cron hands
# to sendmail goes through the spool and the agent (running as the
# system user postern, the submitter being root, in the installed spool
# layout) to the STARTTLS+AUTH test smarthost, `postern check` passes,
# and the queue ends empty.  Needs root (the demo creates the system user
# and groups like make install, and runs the agent as postern).
. "$top_srcdir/tests/lib/common.sh"

[ "$(id -u)" -eq 0 ] || skip_all "the demo needs root"
need_cmd setpriv
tmpdir_make
DEMO_BUILD=$top_builddir DEMO_SKIP_DEPS=1 sh "$top_srcdir/contrib/demo" \
    </dev/null >"$T/demo.out" 2>&1
rc=$?
out=$(cat "$T/demo.out")
is "$rc" 0 "demo: exit 0"
like "$out" 'sendmail exit status: 0' "demo: sendmail -t accepted the message"
like "$out" 'status=sent' "demo: the agent logged the delivery"
like "$out" 'check passed: [0-9]+ ok, 0 warnings, 0 failed' \
    "demo: postern check passed"
like "$out" 'envelope: MAIL FROM:<root@example\.org> RCPT TO:\[.admin@example\.org.\] tls=True auth=demo@example\.org' \
    "demo: the server received it over TLS with AUTH, alias applied"
like "$out" 'backup finished: 42 files, 0 errors' "demo: the body arrived"
like "$out" 'Mail queue is empty' "demo: the queue ends empty"
[ "$rc" -eq 0 ] || diag "$(tail -40 "$T/demo.out")"
done_testing
