# SPDX-License-Identifier: GPL-2.0-or-later
# valgrind.sh - POSTERN_VALGRIND=1: the integration tests run postern's
# own binaries (the front end under each of its names, postern-drop,
# posternd) under valgrind memcheck; source it after common.sh, after
# tmpdir_make.  tests/lib/postern.sh and tests/integration/agent-common.sh
# use it; the CI stage is in tests/run-all.
#
# vg_enabled       - true when POSTERN_VALGRIND=1
# vg_setup         - (enabled only) skip_all unless valgrind is installed;
#                    create $T/vg/log (mode 1777: test users write there)
#                    and export VG_LOGDIR, which done_testing (common.sh)
#                    sees and then calls vg_report
# vg_wrap NAME PROG - print the path of a wrapper script $T/vg/bin/NAME
#                    that execs valgrind on PROG with the wrapper's argv;
#                    the client's argv[0] ends in NAME (through the link
#                    $T/vg/real/NAME), so the multi-call front end
#                    dispatches as usual.  Absolute paths only: the front
#                    end runs postern-drop with an empty environment.
#                    Call vg_setup first, in the test's shell (not in the
#                    $(...) that usually calls vg_wrap).
# vg_report        - one TAP test point: at least one run, and every
#                    valgrind log is empty (no error, no definite or
#                    indirect leak); on failure the
#                    logs are shown: each names the program and the stack
#
# Each run exits 99 on any error or leak (--error-exitcode), so the test
# that made the run usually fails too, at the place that made it.
# Never: wrap a set-group-id program (valgrind would run it without its
# privilege): the tests of the installed helper run it natively.

VALGRIND=${VALGRIND:-/usr/bin/valgrind}
VG_OPTS="--error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --track-fds=no -q \
--num-callers=30 --vgdb=no"

# vg_enabled - true when the switch is on
vg_enabled() {
	[ "${POSTERN_VALGRIND:-0}" = 1 ]
}

# vg_setup - see above
vg_setup() {
	vg_enabled || return 0
	[ -n "${VG_LOGDIR:-}" ] && return 0
	[ -x "$VALGRIND" ] ||
		skip_all "POSTERN_VALGRIND=1 but $VALGRIND is not installed (apt-get install valgrind)"
	mkdir -p "$T/vg/log" "$T/vg/bin" "$T/vg/real" ||
		bail_out "mkdir $T/vg"
	chmod 0755 "$T/vg" "$T/vg/bin" "$T/vg/real"
	chmod 1777 "$T/vg/log"
	VG_LOGDIR=$T/vg/log
	export VG_LOGDIR
}

# vg_wrap NAME PROG - see above
vg_wrap() {
	_vw_name=$1
	_vw_prog=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	[ -n "${VG_LOGDIR:-}" ] || bail_out "vg_wrap before vg_setup"
	ln -sf "$_vw_prog" "$T/vg/real/$_vw_name"
	cat >"$T/vg/bin/$_vw_name" <<VGEOF
#!/bin/sh
# valgrind wrapper for $_vw_prog (tests/lib/valgrind.sh)
# valgrind cannot start without a writable TMPDIR (a test may set a
# hostile one): then the client sees /tmp instead
[ -z "\${TMPDIR:-}" ] || [ -w "\$TMPDIR" ] || TMPDIR=/tmp
exec $VALGRIND $VG_OPTS --log-file=$VG_LOGDIR/$_vw_name.%p.log \\
    $T/vg/real/$_vw_name "\$@"
VGEOF
	chmod 0755 "$T/vg/bin/$_vw_name"
	echo "$T/vg/bin/$_vw_name"
}

# vg_report - see above
vg_report() {
	_vr_runs=$(ls "$VG_LOGDIR" | wc -l | tr -d ' ')
	_vr_bad=
	for _vr in "$VG_LOGDIR"/*.log; do
		[ -s "$_vr" ] && _vr_bad="$_vr_bad $_vr"
	done
	if [ "$_vr_runs" -eq 0 ]; then
		_tap_result 1 "valgrind: no run recorded"
		diag "no program ran through the valgrind wrappers: the test checked nothing"
		return 1
	fi
	if [ -z "$_vr_bad" ]; then
		_tap_result 0 "valgrind: $_vr_runs runs, no error and no leak"
		return 0
	fi
	_tap_result 1 "valgrind: $_vr_runs runs, no error and no leak"
	for _vr in $_vr_bad; do
		diag "---- $(basename "$_vr")"
		diag "$(head -n 60 "$_vr")"
	done
	return 1
}
