# SPDX-License-Identifier: GPL-2.0-or-later
# common.sh - shared helpers for postern's shell tests; source it with
#   . "$top_srcdir/tests/lib/common.sh"
#
# Owns: TAP output (plan/ok/is/like/skip/diag/done_testing), skipping the
# whole script (skip_all, need_root, need_cmd), one private temporary
# directory per test removed by an EXIT trap together with everything
# registered by cleanup_push (servers are stopped before the directory
# goes), copies of the built programs in it that other users can run
# ($BUILT, stage_program), free_port, wait_for_file, and unprivileged
# test users.
#
# Other users: the tests run postern's programs as test users and system
# users (setpriv, runuser, strace -u, the front end running the drop
# helper and the agent).  The clone may sit where only root can enter
# (/root is mode 0700), so nothing run or read as another user may be
# named by a path in the source or build tree: use $BUILT/postern,
# $BUILT/postern-drop, $BUILT/posternd, or stage_program for the others.
#
# Skipping: under Automake's TAP driver an exit status of 77 is reported
# as an ERROR, so skip_all/need_root print "1..0 # SKIP reason" and exit 0,
# which the driver counts as a skip.
#
# Never: start anything that outlives the test, touch the system
# /usr/sbin/sendmail, or read from stdin (CI runs with no stdin).
# Set KEEP_TMP=1 to keep the temporary directory for debugging.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PYTHON=/usr/bin/python3
TESTLIB=$top_srcdir/tests/lib
export PYTHON TESTLIB

_tap_n=0
_tap_failed=0
_tap_planned=
_cleanup_cmds=

# ---------------------------------------------------------------- TAP

# plan N - announce N tests up front (or call done_testing at the end)
plan() {
	_tap_planned=$1
	echo "1..$1"
}

# diag MSG... - a TAP comment line
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# _tap_result STATUS DESC - print one test point
_tap_result() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
}

# ok DESC CMD [ARGS...] - pass when CMD exits 0 (its output is shown as diag;
# CMD runs in a subshell, so it must not start servers: see ok_here)
ok() {
	_ok_desc=$1
	shift
	_ok_out=$("$@" 2>&1)
	_ok_rc=$?
	_tap_result $_ok_rc "$_ok_desc"
	if [ $_ok_rc -ne 0 ]; then
		diag "command failed (exit $_ok_rc): $*"
		[ -n "$_ok_out" ] && diag "$_ok_out"
	fi
	return $_ok_rc
}

# ok_here DESC CMD [ARGS...] - like ok, but CMD runs in this shell (so its
# variable exports stay) and its output is not captured
ok_here() {
	_ok_desc=$1
	shift
	"$@"
	_ok_rc=$?
	_tap_result $_ok_rc "$_ok_desc"
	[ $_ok_rc -eq 0 ] || diag "command failed (exit $_ok_rc): $*"
	return $_ok_rc
}

# not_ok DESC CODE CMD [ARGS...] - pass when CMD exits with status CODE
# (1-125, or 128+N for signal N), the refusal the test expects.  Any other
# status fails and prints expected and got: 0, another refusal, and always
# 126 and 127 (CMD could not run or was not found: it refused nothing).
# Like ok, CMD runs in a subshell and its output is shown on failure.
not_ok() {
	_ok_desc=$1
	_nk_want=${2:-}
	case $_nk_want in
	''|*[!0-9]*|0|126|127)
		bail_out "not_ok '$_ok_desc': expected exit code" \
		    "'$_nk_want' is not a refusal (1-125, 128+N)" ;;
	esac
	shift 2
	_ok_out=$("$@" 2>&1)
	_ok_rc=$?
	if [ "$_ok_rc" -eq "$_nk_want" ]; then
		_tap_result 0 "$_ok_desc"
		return 0
	fi
	_tap_result 1 "$_ok_desc"
	case $_ok_rc in
	0)	diag "command unexpectedly succeeded: $*" ;;
	126)	diag "command could not be run (exit 126): $*" ;;
	127)	diag "command not found (exit 127): $*" ;;
	*)	diag "command failed with another code: $*" ;;
	esac
	diag "expected exit $_nk_want, got $_ok_rc"
	[ -n "$_ok_out" ] && diag "$_ok_out"
	return 1
}

# is GOT EXPECTED DESC - string equality
is() {
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "     got: '$1'"
		diag "expected: '$2'"
		return 1
	fi
}

# like GOT ERE DESC - GOT matches the extended regular expression ERE
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "     got: '$(printf '%s' "$1" | head -c 2000)'"
		diag "expected to match: '$2'"
		return 1
	fi
}

# unlike GOT ERE DESC - GOT does not match ERE
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_tap_result 1 "$3"
		diag "     got: '$(printf '%s' "$1" | head -c 2000)'"
		diag "expected not to match: '$2'"
		return 1
	fi
	_tap_result 0 "$3"
}

# skip REASON [N] - record N (default 1) skipped test points
skip() {
	_skip_k=${2:-1}
	while [ "$_skip_k" -gt 0 ]; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP $1"
		_skip_k=$((_skip_k - 1))
	done
}

# done_testing - print the plan if none was given; exit 1 if anything failed
# (under POSTERN_VALGRIND=1, first one more test point: vg_report in
# tests/lib/valgrind.sh, every valgrind log empty)
done_testing() {
	[ -z "${VG_LOGDIR:-}" ] || vg_report
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ] || exit 1
	exit 0
}

# bail_out REASON - abort the whole test script (setup failure)
bail_out() {
	echo "Bail out! $*"
	exit 99
}

# skip_all REASON - skip the whole script
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# need_root - skip the whole script unless running as root
need_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (creates users, runs servers as other users)"
}

# need_cmd CMD... - skip the whole script unless every CMD is installed
# private_cc - set PRIVATE_CC, the compiler for a private copy of the
# sources that a test configures and builds itself (the set-group-id
# installs of sgid.sh, agent-ops.sh's copy for the test users): through
# ccache when it is installed, with one cache for the whole run.  A run
# builds such copies a dozen times and they differ only in the -D paths
# of a few files, so all but the first compile mostly come from the
# cache (the build directory is left out of the hash: each copy has its
# own).  Call it in the shell that builds (it exports ccache's settings).
private_cc() {
	PRIVATE_CC=${CC:-gcc}
	if command -v ccache >/dev/null 2>&1; then
		CCACHE_DIR=${POSTERN_CCACHE_DIR:-${TMPDIR:-/tmp}/postern-ccache}
		CCACHE_NOHASHDIR=1
		export CCACHE_DIR CCACHE_NOHASHDIR
		PRIVATE_CC="ccache $PRIVATE_CC"
	fi
}

need_cmd() {
	for _nc in "$@"; do
		command -v "$_nc" >/dev/null 2>&1 ||
			skip_all "$_nc is not installed"
	done
}

# ---------------------------------------------------------------- cleanup

# cleanup_push CMD - run the shell command CMD at exit (last pushed runs
# first); CMD is evaluated with eval
cleanup_push() {
	_cleanup_cmds="$1
$_cleanup_cmds"
}

# _common_cleanup - the EXIT trap
_common_cleanup() {
	_cc_rc=$?
	trap - EXIT HUP INT TERM
	_cc_list=$_cleanup_cmds
	_cleanup_cmds=
	printf '%s\n' "$_cc_list" | while IFS= read -r _cc; do
		[ -n "$_cc" ] && eval "$_cc" >/dev/null 2>&1
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ]; then
			echo "# kept $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit $_cc_rc
}

# tmpdir_make - create the test's private directory, export it as T and
# install the cleanup trap.  Call once, before starting any server.
tmpdir_make() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/postern-test.XXXXXXXX") ||
		bail_out "cannot create a temporary directory"
	chmod 0755 "$T"
	export T
	trap _common_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	BUILT=$T/built
	export BUILT
	mkdir -p "$BUILT" && chmod 0755 "$BUILT" ||
		bail_out "cannot create $BUILT"
	for _tm_p in postern postern-drop posternd; do
		[ ! -x "$top_builddir/src/$_tm_p" ] ||
			stage_program "$top_builddir/src/$_tm_p" >/dev/null
	done
}

# stage_program PATH - copy the program PATH (from the build tree) into
# $BUILT, mode 0755, and print the copy's path.  $T is mode 0755 under
# /tmp: any user can run the copy wherever the clone is (see the header).
# Call after tmpdir_make.
stage_program() {
	_sp_dst=$BUILT/$(basename "$1")
	cp "$1" "$_sp_dst" && chmod 0755 "$_sp_dst" ||
		bail_out "cannot copy $1 to $BUILT"
	echo "$_sp_dst"
}

# ---------------------------------------------------------------- misc

# free_port - print a TCP port on 127.0.0.1 that was free a moment ago
free_port() {
	$PYTHON -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_for_file FILE [TIMEOUT] - wait until FILE exists and is non-empty;
# TIMEOUT in seconds (default 10); returns 1 on timeout
wait_for_file() {
	_wf_n=$(( ${2:-10} * 20 ))
	while [ ! -s "$1" ]; do
		_wf_n=$((_wf_n - 1))
		[ $_wf_n -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# wait_until TIMEOUT CMD... - poll CMD every 50 ms until it succeeds
wait_until() {
	_wu_n=$(( $1 * 20 ))
	shift
	until "$@"; do
		_wu_n=$((_wu_n - 1))
		[ $_wu_n -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# ---------------------------------------------------------------- users

TEST_USER_PREFIX=postern-t

# make_test_users [N] - create postern-t1..postern-tN (default 3; at most
# 20) as system-less, home-less, nologin users with their own group.
# Idempotent and safe to run concurrently.  Needs root.
make_test_users() {
	_mu_n=${1:-3}
	[ "$_mu_n" -le 20 ] || _mu_n=20
	(
		flock 8
		_i=1
		while [ $_i -le "$_mu_n" ]; do
			_u=$TEST_USER_PREFIX$_i
			if ! id -u "$_u" >/dev/null 2>&1; then
				useradd -M -d /nonexistent -s /usr/sbin/nologin \
				    -U "$_u" || exit 1
			fi
			_i=$((_i + 1))
		done
	) 8>"${TMPDIR:-/tmp}/postern-test-users.lock"
}

# run_as USER CMD [ARGS...] - run CMD with USER's uid, gid and groups
# (no login environment; the caller's environment is kept)
run_as() {
	_ra_u=$1
	shift
	setpriv --reuid="$_ra_u" --regid="$(id -g "$_ra_u")" --init-groups \
	    -- "$@"
}
