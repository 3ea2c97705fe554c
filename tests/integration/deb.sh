#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deb.sh - the Debian package end to end, on this machine: build it with
# contrib/build-deb, install it with apt-get (it replaces the system MTA,
# Postfix here), check the installed owners and modes, submit a message
# as an unprivileged user through /usr/sbin/sendmail, deliver it with
# `posternd --once` run as root (it drops to the postern user) to the test
# smarthost over STARTTLS + AUTH with the test CA, then purge the package
# and check that nothing of it is left but the postern user and group
# (kept on purge, like Debian's Postfix and Exim).  Finally it puts Postfix
# back with the preseed of contrib/install-deps, also when a step failed.
#
# It changes the system's package state, so it is NOT part of `make
# check`: tests/run-all runs it last (POSTERN_SKIP_DEB=1 skips it), or run
# it alone as root:  top_srcdir=$PWD sh tests/integration/deb.sh
# Skips cleanly when not root or without apt-get, dpkg-buildpackage, dh.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/smarthost.sh"

need_root
need_cmd apt-get dpkg-buildpackage dh certtool setpriv
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed for /usr/bin/python3"
if [ "${POSTERN_SKIP_DEB:-0}" = 1 ]; then
	skip_all "POSTERN_SKIP_DEB=1"
fi

export DEBIAN_FRONTEND=noninteractive
APT="apt-get -y -qq --no-install-recommends -o Dpkg::Use-Pty=0"

# deb_installed PKG - is PKG installed (not merely configured files)?
deb_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q 'install ok installed'
}

# restore_mta - put Postfix back if it was installed before this test
had_postfix=no
deb_installed postfix && had_postfix=yes
restore_mta() {
	if deb_installed postern; then
		$APT purge postern </dev/null >/dev/null 2>&1
	fi
	if [ "$had_postfix" = yes ] && ! deb_installed postfix; then
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections
		$APT install postfix </dev/null
	fi
}

tmpdir_make
cleanup_push restore_mta

# A leftover from an interrupted run would hide what this run installs.
if deb_installed postern; then
	diag "purging a postern package left by an earlier run"
	$APT purge postern </dev/null >/dev/null 2>&1 ||
		bail_out "cannot purge the installed postern package"
fi

# ---------------------------------------------------------------- build
# The unit tests already ran in the build tree: skip them in the package.
deb=$(DEB_BUILD_OPTIONS=nocheck sh "$top_srcdir/contrib/build-deb" \
    "$T/deb" 2>"$T/build.err" | tail -n 1)
if ! ok "contrib/build-deb builds a .deb" test -f "$deb"; then
	diag "$(tail -n 40 "$T/build.err")"
	bail_out "no package to test"
fi
for f in Provides Conflicts Replaces; do
	is "$(dpkg-deb -f "$deb" $f)" mail-transport-agent \
	    "$f: mail-transport-agent"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/sendmail ./usr/lib/sendmail ./usr/bin/mailq \
    ./usr/bin/newaliases; do
	like "$contents" " $f -> " "the package owns $f (a link)"
done
unlike "$contents" ' \./var/spool' "the spool is made by postinst, not shipped"

# ---------------------------------------------------------------- install
if ! ok "apt-get installs the package (replacing the system MTA)" \
    $APT install "$deb"; then
	bail_out "install failed"
fi
ok "postern is installed" deb_installed postern
if [ "$had_postfix" = yes ]; then
	not_ok "postfix was removed (both are mail-transport-agent)" \
	    deb_installed postfix
fi
is "$(readlink -f /usr/sbin/sendmail)" /usr/sbin/postern \
    "/usr/sbin/sendmail is postern"
is "$(readlink -f /usr/lib/sendmail)" /usr/sbin/postern \
    "/usr/lib/sendmail is postern"
ok "user and group postern exist" sh -c \
    'getent passwd postern >/dev/null && getent group postern >/dev/null'
is "$(stat -c '%a %U %G' /usr/sbin/postern-drop)" "2755 root postern" \
    "postern-drop is set-group-id postern"
is "$(dpkg-statoverride --list /usr/sbin/postern-drop)" \
    "root postern 2755 /usr/sbin/postern-drop" "recorded by dpkg-statoverride"
S=/var/spool/postern
is "$(stat -c '%a %U:%G' $S $S/tmp $S/new $S/cur $S/failed $S/state | tr '\n' ' ')" \
    "755 postern:postern 1730 postern:postern 1770 postern:postern 700 postern:postern 700 postern:postern 700 postern:postern " \
    "spool owners and modes as make install sets them"
is "$(stat -c '%F %a' $S/trigger)" "fifo 622" "the trigger FIFO"
is "$(stat -c '%a %U %s' /etc/postern/secrets)" "600 postern 0" \
    "empty secrets file, mode 600, owned by postern"
ok "the shipped configuration is valid" /usr/sbin/postern config --check
ok "postern.conf is a conffile" sh -c \
    'dpkg-query -W -f="\${Conffiles}" postern | grep -q /etc/postern/postern.conf'
ok "man postern-sendmail is installed" test -f \
    /usr/share/man/man8/postern-sendmail.8.gz

# ---------------------------------------------------------------- deliver
C=$T/certs
sh "$TESTLIB/certs.sh" "$C" >/dev/null 2>&1 || bail_out "certs.sh failed"
install -m 0644 "$C/ca.pem" "$T/ca.pem"
smarthost_start "$T/sh" --starttls --require-starttls \
    --tls-cert "$C/server.pem" --tls-key "$C/server-key.pem" \
    --auth PLAIN,LOGIN --user alice@example.org --password 'deb-s3cret' \
    --auth-require-tls yes || bail_out "smarthost did not start"

cat >/etc/postern/postern.conf <<CONF
[postern]
domain = example.org
hostname = deb-test.example.org
log = stderr

[queue]
retry_min = 5s

[relay]
host = 127.0.0.1
port = $SMARTHOST_PORT
tls = starttls
tls_ca_file = $T/ca.pem
user = alice@example.org
CONF
# keep the owner and mode postinst gave the secrets file
printf '127.0.0.1:%s deb-s3cret\n' "$SMARTHOST_PORT" >/etc/postern/secrets

make_test_users 1 || bail_out "cannot create test users"
U=${TEST_USER_PREFIX}1
printf 'To: carol@example.net\nSubject: from the package\n\nhello from %s\n' \
    "$U" >"$T/msg"
chmod 0644 "$T/msg"
ok "an unprivileged user submits through /usr/sbin/sendmail" \
    run_as "$U" sh -c '/usr/sbin/sendmail -t -i <"$1"' sh "$T/msg"
like "$(/usr/sbin/postern queue)" 'carol@example\.net' \
    "root sees it in the queue"
not_ok "the user cannot list the queue" run_as "$U" /usr/sbin/postern queue

/usr/sbin/posternd --once >"$T/agent.log" 2>&1
is "$?" 0 "posternd --once (as root, drops to postern) exits 0"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "the smarthost got the message"
is "$(smarthost_json "$SMARTHOST_DIR" 1 mail_from)" "$U@example.org" \
    "envelope sender is the submitting user"
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" "carol@example.net" \
    "envelope recipient"
is "$(smarthost_json "$SMARTHOST_DIR" 1 auth_user)" "alice@example.org" \
    "authenticated as the configured user"
like "$(cat "$T/agent.log")" \
    ': to=<carol@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+, .*tls=TLS.*auth=alice@example\.org, dsn=2\.0\.0, status=sent' \
    "one status=sent log line"
is "$(ls $S/new $S/cur | grep -c '^[0-9A-F]\{20\}$')" 0 "the queue is empty"
unlike "$(cat "$T/agent.log")" 'deb-s3cret' "the password is not logged"

# ---------------------------------------------------------------- purge
smarthost_stop
ok "apt-get purge removes the package" $APT purge postern
not_ok "postern is no longer installed" deb_installed postern
for p in /usr/sbin/postern /usr/sbin/postern-drop /usr/sbin/posternd \
    /usr/lib/sendmail /usr/bin/mailq /etc/postern /var/spool/postern \
    /lib/systemd/system/postern.service /usr/share/doc/postern; do
	not_ok "purge left no $p" test -e "$p"
done
if [ "$had_postfix" = no ]; then
	not_ok "purge left no /usr/sbin/sendmail" test -e /usr/sbin/sendmail
fi
is "$(dpkg-statoverride --list /usr/sbin/postern-drop)" "" \
    "the statoverride is gone"
unlike "$(dpkg-query -W -f='${Status}' postern 2>&1)" \
    'config-files| installed$' "dpkg keeps no config-files state"

# ---------------------------------------------------------------- restore
if [ "$had_postfix" = yes ]; then
	restore_mta >"$T/restore.log" 2>&1
	ok "postfix is installed again" deb_installed postfix ||
	    diag "$(tail -n 20 "$T/restore.log")"
	is "$(dpkg-query -S /usr/sbin/sendmail 2>/dev/null)" \
	    "postfix: /usr/sbin/sendmail" "/usr/sbin/sendmail is Postfix's again"
fi
done_testing
