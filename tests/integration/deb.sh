#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deb.sh - the Debian package end to end, on this machine: build it with
# contrib/build-deb, install it with apt-get (it replaces the system MTA,
# Postfix here), check the installed owners and modes (postern-drop
# set-group-id postern-drop, the agent's group postern), submit a message
# as an unprivileged user through /usr/sbin/sendmail, list it as a member
# of the group postern, deliver it with `posternd --once` run as root (it
# drops to the postern user) to the test smarthost over STARTTLS + AUTH
# with the test CA, check that a reinstall converges a spool of the older
# one-group layout, then purge the package and check that nothing of it is
# left but the postern user and the groups postern and postern-drop (kept
# on purge, like Debian's Postfix and Exim).  Finally it puts Postfix back
# with the preseed of contrib/install-deps, also when a step failed.
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
	not_ok "postfix was removed (both are mail-transport-agent)" 1 \
	    deb_installed postfix
fi
is "$(readlink -f /usr/sbin/sendmail)" /usr/sbin/postern \
    "/usr/sbin/sendmail is postern"
is "$(readlink -f /usr/lib/sendmail)" /usr/sbin/postern \
    "/usr/lib/sendmail is postern"
ok "user postern and groups postern, postern-drop exist" sh -c \
    'getent passwd postern >/dev/null && getent group postern >/dev/null &&
     getent group postern-drop >/dev/null'
is "$(id -gn postern)" postern "the agent's primary group is postern"
not_ok "the agent is not in postern-drop" 1 sh -c \
    'id -nG postern | tr " " "\n" | grep -qx postern-drop'
is "$(stat -c '%a %U %G' /usr/sbin/postern-drop)" "2755 root postern-drop" \
    "postern-drop is set-group-id postern-drop"
is "$(dpkg-statoverride --list /usr/sbin/postern-drop)" \
    "root postern-drop 2755 /usr/sbin/postern-drop" "recorded by dpkg-statoverride"
S=/var/spool/postern
LAYOUT="755 postern:postern 1730 postern:postern-drop 1770 postern:postern-drop 2770 postern:postern 2770 postern:postern 2770 postern:postern "
is "$(stat -c '%a %U:%G' $S $S/tmp $S/new $S/cur $S/failed $S/state | tr '\n' ' ')" \
    "$LAYOUT" "spool owners and modes as make install sets them"
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

make_test_users 2 || bail_out "cannot create test users"
U=${TEST_USER_PREFIX}1
# an administrator: a member of the agent's group (taken out again at the
# end: the group outlives the package)
ADM=${TEST_USER_PREFIX}2
usermod -a -G postern "$ADM" || bail_out "cannot add $ADM to the group postern"
cleanup_push "gpasswd -d $ADM postern >/dev/null 2>&1"
printf 'To: carol@example.net\nSubject: from the package\n\nhello from %s\n' \
    "$U" >"$T/msg"
chmod 0644 "$T/msg"
ok "an unprivileged user submits through /usr/sbin/sendmail" \
    run_as "$U" sh -c '/usr/sbin/sendmail -t -i <"$1"' sh "$T/msg"
like "$(/usr/sbin/postern queue)" 'carol@example\.net' \
    "root sees it in the queue"
# no agent runs here (no systemd): a user's own listing needs it
not_ok "the user cannot list the queue" 69 run_as "$U" /usr/sbin/postern queue
like "$(run_as "$U" /usr/sbin/postern queue 2>&1)" \
    "no delivery agent is running.*members of the mail system's group postern.*adduser $U postern" \
    "the refusal says no agent runs, names the group postern and how to join it"
# new/ is the drop group's: the group postern sees mail once the agent
# picked it up; root sees it at once
unlike "$(run_as "$ADM" /usr/sbin/postern queue 2>&1)" 'carol@example\.net' \
    "a member of postern does not see into new/"

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
like "$(run_as "$ADM" /usr/sbin/postern queue 2>&1)" '^Mail queue is empty$' \
    "a member of postern lists the queue without sudo"

# ---------------------------------------------------------------- upgrade
# the older layout: postern-drop and the agent shared the group postern
smarthost_stop
printf 'To: dave@example.net\nSubject: kept\n\nkept over the upgrade\n' >"$T/msg2"
chmod 0644 "$T/msg2"
run_as "$U" sh -c '/usr/sbin/sendmail -t -i <"$1"' sh "$T/msg2"
/usr/sbin/posternd --once >"$T/agent2.log" 2>&1	# relay gone: deferred
dpkg-statoverride --remove /usr/sbin/postern-drop
dpkg-statoverride --update --add root postern 2755 /usr/sbin/postern-drop
chgrp postern $S/tmp $S/new $S/cur/*
chmod 0640 $S/cur/*
chmod 0700 $S/cur $S/failed $S/state
chmod 0600 $S/state/* 2>/dev/null
ok "a reinstall over the older layout" $APT install --reinstall "$deb"
is "$(dpkg-statoverride --list /usr/sbin/postern-drop)" \
    "root postern-drop 2755 /usr/sbin/postern-drop" \
    "reinstall: the statoverride moved to postern-drop"
is "$(stat -c '%a %U:%G' $S $S/tmp $S/new $S/cur $S/failed $S/state | tr '\n' ' ')" \
    "$LAYOUT" "reinstall: the spool converged to the layout"
like "$(run_as "$ADM" /usr/sbin/postern queue 2>&1)" 'dave@example\.net' \
    "reinstall: the queued message is kept, a member of postern sees it"
/usr/sbin/posternd --once >"$T/agent3.log" 2>&1
is "$(stat -c '%a' $S/state/relays 2>/dev/null)" 640 \
    "reinstall: the agent made its older state files group-readable"
unlike "$(cat "$T/agent3.log")" 'set aside' \
    "reinstall: the agent still takes a queue file of the older layout"
for id in $(run_as "$ADM" /usr/sbin/postern queue 2>/dev/null |
    sed -n 's/^\([0-9A-F]\{20\}\) .*/\1/p'); do
	run_as "$ADM" /usr/sbin/postern delete "$id" >/dev/null
done
is "$(ls $S/new $S/cur $S/failed | grep -c '^[0-9A-F]\{20\}$')" 0 \
    "a member of postern deletes what is left: the queue is empty"

# ---------------------------------------------------------------- purge
ok "apt-get purge removes the package" $APT purge postern
not_ok "postern is no longer installed" 1 deb_installed postern
for p in /usr/sbin/postern /usr/sbin/postern-drop /usr/sbin/posternd \
    /usr/lib/sendmail /usr/bin/mailq /etc/postern /var/spool/postern \
    /lib/systemd/system/postern.service /usr/share/doc/postern; do
	not_ok "purge left no $p" 1 test -e "$p"
done
if [ "$had_postfix" = no ]; then
	not_ok "purge left no /usr/sbin/sendmail" 1 test -e /usr/sbin/sendmail
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
