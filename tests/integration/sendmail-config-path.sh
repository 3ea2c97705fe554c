#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-config-path.sh - `sendmail -C FILE` and `postern CMD -C FILE`
# from a caller other than root (issue 11, item 4): a configuration the
# caller wrote (PHP mail()'s fifth parameter "-C/uploads/x.ini") is
# refused with exit 64 and the reason, and the program it names
# (drop_program, agent_program) never runs; a configuration only root
# could have written is still accepted.  The listed-directory rule
# (alternate_config_directories) is covered by tests/unit/confpath.t.
. "$top_srcdir/tests/lib/common.sh"

POSTERN_BIN=$top_builddir/src/postern
[ -x "$POSTERN_BIN" ] || skip_all "postern not built"
need_root
tmpdir_make
POSTERN_BIN=$BUILT/postern
make_test_users 1 || bail_out "cannot create test users"
U=${TEST_USER_PREFIX}1
AS="run_as $U"
mkdir -p "$T/bin" "$T/u"
ln -s "$POSTERN_BIN" "$T/bin/sendmail"
chown "$U:" "$T/u"

# what the caller uploads: a script, and a configuration naming it
$AS sh -c "printf '#!/bin/sh\ntouch %s/pwned\n' '$T/u' >'$T/u/evil' &&
    chmod 755 '$T/u/evil' &&
    printf '[postern]\ndrop_program = %s\nagent_program = %s\nspool_dir = %s\n' \
    '$T/u/evil' '$T/u/evil' '$T/u' >'$T/u/x.ini'" ||
	bail_out "cannot write the caller's files"
printf 'Subject: x\n\nbody\n' >"$T/msg"

$AS "$T/bin/sendmail" -C "$T/u/x.ini" -i rcpt@example.org <"$T/msg" \
    >"$T/out" 2>"$T/err"
is "$?" 64 "sendmail -C (the caller's file): exit 64"
like "$(cat "$T/err")" "x\\.ini: refused: .*alternate_config_directories" \
    "sendmail -C: the reason names the rule"
ok "sendmail -C: the program the file names never ran" \
    test ! -e "$T/u/pwned"

$AS "$T/bin/sendmail" -C"$T/u/x.ini" -bs <"$T/msg" >"$T/out" 2>"$T/err"
is "$?" 64 "sendmail -bs -C (attached): exit 64"
ok "sendmail -bs -C: nothing ran" test ! -e "$T/u/pwned"

$AS "$POSTERN_BIN" check -C "$T/u/x.ini" >"$T/out" 2>"$T/err"
is "$?" 64 "postern check -C (agent_program): exit 64"
ok "postern check -C: the agent_program named never ran" \
    test ! -e "$T/u/pwned"

$AS "$POSTERN_BIN" queue -C "$T/u/x.ini" >"$T/out" 2>"$T/err"
is "$?" 64 "postern queue -C: exit 64"

# a link in the caller's directory changes nothing: the real path counts
ln -s "$T/u/x.ini" "$T/link.ini"
$AS "$T/bin/sendmail" -C "$T/link.ini" -i rcpt@example.org <"$T/msg" \
    >"$T/out" 2>"$T/err"
is "$?" 64 "-C through a link of root's to the caller's file: exit 64"
ok "nothing ran" test ! -e "$T/u/pwned"

# a configuration only root could have written is accepted
printf '[postern]\nspool_dir = %s/spool\ndomain = example.org\n' "$T" \
    >"$T/root.conf"
chmod 644 "$T/root.conf"
$AS "$POSTERN_BIN" config -C "$T/root.conf" >"$T/out" 2>"$T/err"
is "$?" 0 "postern config -C (a file of root's, root's directories): exit 0"
like "$(cat "$T/out")" "spool_dir = $T/spool" "and it was loaded"
# root may name any file (the program runs as root's own choice)
"$POSTERN_BIN" config -C "$T/u/x.ini" >"$T/out" 2>"$T/err"
is "$?" 0 "root: -C any file is accepted"
done_testing
