#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# install.sh - `make install` and `make uninstall` of a private copy
# (configured out of tree from $top_srcdir):
#   1. packaging: --prefix=/usr into DESTDIR by an unprivileged user (a
#      test user when run as root, from a copy of the sources in $T that
#      it can read wherever the clone is): binaries, the sendmail, mailq,
#      newaliases and /usr/lib/sendmail links, the spool tree with its
#      modes, and the ownership steps it could not do printed;
#   2. uninstall removes binaries and links and keeps the spool;
#   3. as root, without DESTDIR, with the user and groups present: the
#      set-group-id bit and owners are set, and a second install over the
#      first (upgrade) keeps the queued mail and converges a spool of the
#      older layout (one shared group, 0700 directories); a spool
#      directory that is a symbolic link is refused, not followed.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/sgid.sh"
[ -x "$top_srcdir/configure" ] ||
	skip_all "$top_srcdir/configure missing (run autoreconf -fi)"
[ ! -f "$top_srcdir/config.status" ] ||
	skip_all "source tree configured in place: an out-of-tree copy cannot be configured"
need_cmd make
tmpdir_make

# $T/make.sh defines build and mk, for this shell and for the shells run
# as the test user (functions do not pass through setpriv)
cat >"$T/make.sh" <<'MAKESH'
# build DIR ARGS... - configure $SRC in DIR (as the current user) and
# make; with $BUILD_CC as the compiler when it is set
build() {
	_b_dir=$1
	shift
	(cd "$_b_dir" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		"$SRC/configure" -q ${BUILD_CC:+"CC=$BUILD_CC"} "$@" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -j2) >"$_b_dir.log" 2>&1
}
# mk DIR TARGET... - make in DIR, output in DIR.out
mk() {
	_m_dir=$1
	shift
	(cd "$_m_dir" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s "$@") >"$_m_dir.out" 2>&1
}
MAKESH
chmod 0644 "$T/make.sh"
. "$T/make.sh"
# SRC: the sources the builds are configured from.  As root, a copy in
# $T that the test user can read (the clone may be in /root, mode 0700):
# the build directories (_build*, distcheck's _inst) and .git left out,
# modification times kept (so make does not rerun autotools).
SRC=$top_srcdir
if [ "$(id -u)" -eq 0 ]; then
	SRC=$T/src
	mkdir -p "$SRC" &&
	    (cd "$top_srcdir" && tar -cf - --exclude='./_*' --exclude=./.git .) |
	    (cd "$SRC" && tar -xf -) &&
	    chmod -R a+rX "$SRC" ||
		bail_out "cannot copy the sources from $top_srcdir to $SRC"
fi
export SRC

# --- 1. packaging install, unprivileged, into DESTDIR
D=$T/pkg
mkdir -p "$D" "$T/dest"
asuser=
if [ "$(id -u)" -eq 0 ]; then
	make_test_users 1 || bail_out "cannot create test users"
	if run_as "${TEST_USER_PREFIX}1" test -r "$SRC/configure"; then
		asuser=${TEST_USER_PREFIX}1
		# the user's own TMPDIR: make writes temporary files there,
		# and ours (a private one under test) may not be writable
		mkdir -p "$T/usertmp"
		chown "$asuser" "$D" "$T/dest" "$T/usertmp"
		touch "$D.log" "$D.out"
		chown "$asuser" "$D.log" "$D.out"
	fi
fi
# run_maybe CMD... - as the unprivileged test user when we are root
run_maybe() {
	if [ -n "$asuser" ]; then
		TMPDIR=$T/usertmp run_as "$asuser" "$@"
	else
		"$@"
	fi
}
if [ -n "$asuser" ] || [ "$(id -u)" -ne 0 ]; then
	diag "packaging install as $(run_maybe id -un)"
	priv=no
else
	diag "packaging install as root (no test user can read the sources)"
	priv=yes
fi
DEST=$T/dest
export DEST
run_maybe sh -c '. "$T/make.sh"
	build "$1" --prefix=/usr --sysconfdir=/etc --with-spooldir=/var/spool/postern \
	    --with-confdir=/etc/postern &&
	mk "$1" install DESTDIR="$DEST"' sh "$D"
rc=$?
is "$rc" 0 "packaging: configure, make and make install DESTDIR succeed"
[ $rc -eq 0 ] || diag "$(tail -n 30 "$D.log" "$D.out" 2>/dev/null)"
out=$(cat "$D.out")
for f in sbin/postern sbin/postern-drop; do
	[ -x "$DEST/usr/$f" ] && [ -f "$DEST/usr/$f" ] && [ ! -h "$DEST/usr/$f" ]
	is $? 0 "packaging: /usr/$f installed"
done
is "$(stat -c %a "$DEST/usr/sbin/postern-drop")" 755 \
    "packaging: postern-drop not set-group-id without root"
links=
for l in sbin/sendmail bin/mailq bin/newaliases lib/sendmail; do
	links="$links $l=$(readlink "$DEST/usr/$l")"
done
is "$links" " sbin/sendmail=/usr/sbin/postern bin/mailq=/usr/sbin/postern bin/newaliases=/usr/sbin/postern lib/sendmail=/usr/sbin/postern" \
    "packaging: sendmail, mailq, newaliases and /usr/lib/sendmail link to /usr/sbin/postern"
S=$DEST/var/spool/postern
got=
for d in . tmp new cur failed state; do
	got="$got $d=$(stat -c %a "$S/$d" 2>/dev/null)"
done
is "$got" " .=755 tmp=1730 new=1770 cur=2770 failed=2770 state=2770" \
    "packaging: spool tree with the designed modes"
is "$(stat -c %F "$S/trigger" 2>/dev/null)" fifo "packaging: trigger FIFO"
like "$out" 'chgrp postern-drop /usr/sbin/postern-drop' \
    "packaging: prints the chgrp (to the drop group) it could not do"
like "$out" 'chmod 2755 /usr/sbin/postern-drop' \
    "packaging: prints the chmod 2755 it could not do"
like "$out" '/usr/sbin/posternd --layout /var/spool/postern' \
    "packaging: prints the posternd --layout it could not run"
unlike "$out" 'chown|chmod [0-9]+ /var/spool' \
    "packaging: no chown or chmod by path in the spool is suggested"
steps=$(printf '%s\n' "$out" | grep -E '^ +(ch(grp|own|mod) |/[^ ]*/posternd --layout )')
[ -n "$steps" ] && ! printf '%s\n' "$steps" | grep -q "$DEST"
is $? 0 "packaging: printed steps name the final paths, not DESTDIR"

# --- 2. uninstall: binaries and links go, the spool (mail) stays
printf 'queued\n' >"$T/mail"
cp "$T/mail" "$S/new/0123456789ABCDEF0123"
[ -z "$asuser" ] || chown "$asuser" "$S/new/0123456789ABCDEF0123"
run_maybe sh -c '. "$T/make.sh"
	mk "$1" uninstall DESTDIR="$DEST"' sh "$D"
is "$?" 0 "uninstall: make uninstall DESTDIR succeeds"
left=$(cd "$DEST" && find usr \( -type f -o -type l \) | sort)
is "$left" "" "uninstall: no binary or link left"
[ -f "$S/new/0123456789ABCDEF0123" ] && [ -p "$S/trigger" ] && [ -d "$S/tmp" ]
is $? 0 "uninstall: the spool and its mail are kept"
# a sendmail link replaced by someone else is not removed
run_maybe sh -c '. "$T/make.sh"
	mk "$1" install DESTDIR="$DEST" &&
	ln -sf /usr/sbin/other-mta "$DEST/usr/sbin/sendmail" &&
	mk "$1" uninstall DESTDIR="$DEST"' sh "$D"
is "$(readlink "$DEST/usr/sbin/sendmail")" /usr/sbin/other-mta \
    "uninstall: a sendmail link that no longer points at postern is kept"

# --- 3. as root: owners and the set-group-id bit, and an upgrade
if [ "$(id -u)" -eq 0 ]; then
	make_test_users 3 || bail_out "cannot create test users"
	AGENT=${TEST_USER_PREFIX}3
	G=postern-tg
	DG=postern-td
	sgid_group "$G" || bail_out "groupadd $G failed"
	sgid_group "$DG" || bail_out "groupadd $DG failed"
	R=$T/root
	P=$T/rprefix
	S=$P/spool
	mkdir -p "$R"
	# root reads the sources where they are, and compiles through the
	# run's cache, like the other private copies (tests/lib/sgid.sh)
	private_cc
	(
		SRC=$top_srcdir
		BUILD_CC=$PRIVATE_CC
		build "$R" --prefix="$P" --with-spooldir="$S" \
		    --with-confdir="$P/etc" --with-user="$AGENT" \
		    --with-group="$G" --with-drop-group="$DG"
	) && mk "$R" install
	is "$?" 0 "root: make install succeeds"
	is "$(stat -c '%a %G' "$P/sbin/postern-drop")" "2755 $DG" \
	    "root: postern-drop is set-group-id $DG"
	layout() {
		_l=
		for _d in . tmp new cur failed state trigger; do
			_l="$_l $_d=$(stat -c '%a:%U:%G' "$S/$_d")"
		done
		echo "$_l"
	}
	want=" .=755:$AGENT:$G tmp=1730:$AGENT:$DG new=1770:$AGENT:$DG cur=2770:$AGENT:$G failed=2770:$AGENT:$G state=2770:$AGENT:$G trigger=622:$AGENT:$G"
	is "$(layout)" "$want" \
	    "root: tmp/ new/ the drop group's, the rest $AGENT:$G, designed modes"
	unlike "$(cat "$R.out")" 'not setting owners' \
	    "root: no ownership steps left to print"
	# the older layout: one group for both, private 0700 directories
	cp "$T/mail" "$S/new/0123456789ABCDEF0123"
	chgrp "$G" "$S/tmp" "$S/new" "$P/sbin/postern-drop"
	chmod 2755 "$P/sbin/postern-drop"
	chmod 0700 "$S/cur" "$S/failed" "$S/state"
	mk "$R" install
	is "$?" 0 "root: a second install (upgrade) succeeds"
	is "$(cat "$S/new/0123456789ABCDEF0123")" queued \
	    "root: the upgrade keeps queued mail"
	is "$(layout)" "$want" "root: the upgrade converges an older layout"
	is "$(stat -c '%a %G' "$P/sbin/postern-drop")" "2755 $DG" \
	    "root: set-group-id $DG after the upgrade"
	mk "$R" install
	is "$(layout)" "$want" "root: a third install changes nothing"
	# a symbolic link where a spool directory belongs: never followed
	mkdir -p "$T/elsewhere"
	chmod 0711 "$T/elsewhere"
	mv "$S/cur" "$T/cur.saved"
	ln -s "$T/elsewhere" "$S/cur"
	mk "$R" install
	rc=$?
	[ $rc -ne 0 ]
	is $? 0 "root: install refuses a spool directory that is a symbolic link (exit $rc)"
	like "$(cat "$R.out")" "$S/cur is a symbolic link" "root: ... and says which"
	is "$(stat -c '%a:%U' "$T/elsewhere")" "711:root" \
	    "root: ... and changed nothing where it points"
	rm -f "$S/cur"
	mv "$T/cur.saved" "$S/cur"
else
	skip "owners and set-group-id need root" 11
fi
done_testing
