#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oracle.sh [N] - the whole-path oracle of issue 9: N generated messages
# (default ORACLE_N, else 500) go through the real sendmail ->
# postern-drop -> spool -> posternd --once -> the test smarthost, and what
# arrives (and what `postern show` prints, and the header a DSN returns)
# is checked against an independent model of doc/input.md
# (tests/lib/oracle_model.py; generator tests/lib/oracle_gen.py, driver
# tests/lib/oracle.py, whose docstring lists the ORACLE_* switches).
# The seed is printed first; ORACLE_SEED=S [ORACLE_CASE=K] reproduces a
# run (or one case), and a failure prints the shrunk input.  One test
# point per group of cases and kind of check; no timing is asserted (the
# figures are printed).  Under POSTERN_VALGRIND=1 the programs run under
# valgrind and N defaults to 12.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/valgrind.sh"

for _p in postern postern-drop posternd; do
	[ -x "$top_builddir/src/$_p" ] || skip_all "src/$_p not built"
done
$PYTHON -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed for $PYTHON"
tmpdir_make

N=${1:-${ORACLE_N:-500}}
# The programs run as a test user: the copies in $BUILT (tmpdir_make),
# which that user can reach wherever the clone is (/root is 0700).
ln -s postern "$BUILT/sendmail" || bail_out "cannot link $BUILT/sendmail"
ORACLE_SENDMAIL=$BUILT/sendmail
ORACLE_POSTERN=$BUILT/postern
ORACLE_DROP=$BUILT/postern-drop
ORACLE_POSTERND=$BUILT/posternd
if vg_enabled; then
	N=${1:-${ORACLE_N:-12}}
	vg_setup
	ORACLE_SENDMAIL=$(vg_wrap sendmail "$BUILT/postern")
	ORACLE_POSTERN=$(vg_wrap postern "$BUILT/postern")
	ORACLE_DROP=$(vg_wrap postern-drop "$BUILT/postern-drop")
	ORACLE_POSTERND=$(vg_wrap posternd "$BUILT/posternd")
fi
export ORACLE_SENDMAIL ORACLE_POSTERN ORACLE_DROP ORACLE_POSTERND
# As root (CI), sendmail and the agent run as a test user, as a user and
# the agent's own user would; the Received: uid is that user's.
ORACLE_RUN_AS=
if [ "$(id -u)" = 0 ]; then
	make_test_users 1 || bail_out "cannot create test users"
	ORACLE_RUN_AS=${TEST_USER_PREFIX}1
fi
export ORACLE_RUN_AS
# A sample goes to a private Postfix when one can run here (root).
ORACLE_POSTFIX=
. "$top_srcdir/tests/lib/postfix.sh"
if why=$(postfix_available); then
	if postfix_start "$T/pf" >"$T/pf.out" 2>&1; then
		ORACLE_POSTFIX=$POSTFIX_PLAIN_PORT:$POSTFIX_MAILDIR
	else
		diag "no Postfix sample: the private Postfix did not start:"
		diag "$(cat "$T/pf.out")"
	fi
else
	diag "no Postfix sample: $why"
fi
export ORACLE_POSTFIX

ORACLE_TAP_FIRST=1 ORACLE_TAP_STATE=$T/tap \
    $PYTHON "$TESTLIB/oracle.py" "$top_builddir" "$T" "$N"
rc=$?
[ -s "$T/tap" ] || bail_out "oracle.py ended without a result (exit $rc)"
read -r _tap_n _tap_failed <"$T/tap"
done_testing
