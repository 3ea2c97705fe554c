# SPDX-License-Identifier: GPL-2.0-or-later
# postfix.sh - a private Postfix instance as a real smarthost for tests.
#   . "$top_srcdir/tests/lib/common.sh"; . "$top_srcdir/tests/lib/postfix.sh"
#   postfix_start "$T/pf" || bail_out ...
#   ... submit to 127.0.0.1:$POSTFIX_PORT (STARTTLS) or $POSTFIX_TLS_PORT
#   (implicit TLS) as $POSTFIX_USER/$POSTFIX_PASSWORD, or in clear without
#   AUTH to $POSTFIX_PLAIN_PORT (relays for 127.0.0.0/8) ...
#   postfix_wait_delivered "$T/pf" 1 10; ls "$POSTFIX_MAILDIR/new"
#   postfix_stop "$T/pf"          (also registered with cleanup_push)
#
# Owns, all under DIR: etc/ (main.cf, master.cf), queue/, data/, maillog,
# etc/sasl/ (smtpd.conf, sasldb2 with one user; Debian reads the SASL
# config from $config_directory/sasl), certs/ (tests/lib/certs.sh,
# or $POSTFIX_CERTS), mail/inbox/ (a Maildir receiving every message through
# the virtual(8) transport, or nothing with "discard"), and one watchdog
# that stops the instance if the test shell dies without its trap.
# Outside DIR it touches only /etc/postfix/main.cf: created with
# compatibility_level if absent, and DIR/etc added to (postfix_stop removes
# it from) alternate_config_directories, which Postfix requires for a
# non-default config directory; edits are serialised with flock and stale
# entries of vanished directories are pruned.  A system Postfix keeps
# running untouched: only that one parameter changes.
# Listeners: 127.0.0.1 on free ports only; chroot off everywhere.  The
# plain listener offers neither STARTTLS nor AUTH and relays for
# mynetworks: it is what an internal relay without TLS looks like.
# SASL: Cyrus with sasldb2, mech_list PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1
# SCRAM-SHA-256, smtpd_tls_auth_only = yes, relaying only when authenticated.

POSTFIX_SYSTEM_MAINCF=/etc/postfix/main.cf
POSTFIX_LOCK=${TMPDIR:-/tmp}/postern-test-postfix.lock
POSTFIX_SASL_MECHS="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"
POSTFIX_SASL_PLUGINS=/usr/lib/x86_64-linux-gnu/sasl2

# postfix_available - true when a private instance can run here (root,
# postfix, saslpasswd2); otherwise prints why and returns 1
postfix_available() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "a private Postfix needs root"
		return 1
	fi
	for _pa in postfix postconf saslpasswd2 certtool; do
		if ! command -v "$_pa" >/dev/null 2>&1; then
			echo "$_pa is not installed"
			return 1
		fi
	done
	return 0
}

# postfix_sasl_missing - print the mechanisms of POSTFIX_SASL_MECHS whose
# Cyrus server plugin is not installed (nothing when all are there)
postfix_sasl_missing() {
	for _m in $POSTFIX_SASL_MECHS; do
		case $_m in
		PLAIN) _p=libplain ;;
		LOGIN) _p=liblogin ;;
		CRAM-MD5) _p=libcrammd5 ;;
		SCRAM-*) _p=libscram ;;
		*) _p=none ;;
		esac
		ls "$POSTFIX_SASL_PLUGINS/$_p".so* >/dev/null 2>&1 ||
			printf '%s ' "$_m"
	done
}

# _postfix_authorize CONFDIR add|remove - edit the system main.cf's
# alternate_config_directories under the lock
_postfix_authorize() {
	(
		flock 7
		if [ ! -e "$POSTFIX_SYSTEM_MAINCF" ]; then
			mkdir -p "$(dirname "$POSTFIX_SYSTEM_MAINCF")"
			printf '%s\n' \
			    "# created by postern's tests/lib/postfix.sh" \
			    "compatibility_level = 3.6" \
			    >"$POSTFIX_SYSTEM_MAINCF" || exit 1
		fi
		_cur=$(postconf -c "$(dirname "$POSTFIX_SYSTEM_MAINCF")" -h \
		    alternate_config_directories 2>/dev/null)
		_new=
		for _d in $(printf '%s' "$_cur" | tr ',' ' '); do
			[ "$_d" = "$1" ] && continue
			# prune what vanished test runs left behind
			case $_d in
			*/postern-test.*) [ -d "$_d" ] || continue ;;
			esac
			_new="$_new${_new:+ }$_d"
		done
		[ "$2" = add ] && _new="$_new${_new:+ }$1"
		[ "$_new" = "$_cur" ] && exit 0
		postconf -c "$(dirname "$POSTFIX_SYSTEM_MAINCF")" -e \
		    "alternate_config_directories = $_new"
		# Postfix would wait for a main.cf this fresh to settle.
		touch -d '-1 minute' "$POSTFIX_SYSTEM_MAINCF"
	) 7>"$POSTFIX_LOCK"
}

# _postfix_pids DIR - pids of every process of DIR's instance (they all
# carry MAIL_CONFIG=DIR/etc in their environment)
_postfix_pids() {
	for _e in /proc/[0-9]*/environ; do
		if { tr '\0' '\n' <"$_e"; } 2>/dev/null |
		    grep -qxF "MAIL_CONFIG=$1/etc"; then
			_pp=${_e#/proc/}
			echo "${_pp%/environ}"
		fi
	done
}

# _postfix_listening PORT - true when something listens on 127.0.0.1:PORT
_postfix_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# _postfix_master_cf PORT TLSPORT PLAINPORT - master.cf on stdout: the
# dist file without its smtp listener and pipe services, chroot off, plus
# ours
_postfix_master_cf() {
	awk '
	/^#/ || /^$/ { next }
	/^[ \t]/ { if (!skip) print; next }
	{
		skip = ($2 == "inet" || $8 == "pipe")
		if (skip) next
		$5 = "n"
		print
	}' /usr/share/postfix/master.cf.dist
	echo "127.0.0.1:$1 inet n - n - - smtpd"
	echo "127.0.0.1:$2 inet n - n - - smtpd"
	echo "  -o smtpd_tls_wrappermode=yes"
	echo "  -o smtpd_tls_security_level=encrypt"
	echo "127.0.0.1:$3 inet n - n - - smtpd"
	echo "  -o smtpd_tls_security_level=none"
	echo "  -o smtpd_sasl_auth_enable=no"
	echo "  -o smtpd_relay_restrictions=permit_mynetworks,reject"
}

# postfix_start DIR [discard] - configure and start a private instance in
# DIR; wait until all listeners accept (POSTFIX_EXTRA_MAINCF, when set, is
# appended to its main.cf, e.g. "smtpd_discard_ehlo_keywords = 8bitmime,
# smtputf8" for a server that does not announce 8BITMIME).  Exports
# POSTFIX_PORT (plain with STARTTLS), POSTFIX_TLS_PORT (implicit TLS),
# POSTFIX_PLAIN_PORT (no TLS, no AUTH, relays for 127.0.0.0/8),
# POSTFIX_USER, POSTFIX_PASSWORD, POSTFIX_MAILDIR (empty in discard
# mode), POSTFIX_CERTS.
# Returns 1 with the reason on stdout as "# " lines on failure.
postfix_start() {
	_pf=$1
	_pf_mode=${2:-maildir}
	mkdir -p "$_pf/etc" "$_pf/queue" "$_pf/data" "$_pf/etc/sasl" "$_pf/mail" ||
	    return 1
	chmod 0755 "$_pf"
	POSTFIX_CERTS=${POSTFIX_CERTS:-$_pf/certs}
	sh "$top_srcdir/tests/lib/certs.sh" "$POSTFIX_CERTS" || return 1
	POSTFIX_USER=postern-test
	POSTFIX_PASSWORD=pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	POSTFIX_PORT=$(free_port)
	POSTFIX_TLS_PORT=$(free_port)
	while [ "$POSTFIX_TLS_PORT" = "$POSTFIX_PORT" ]; do
		POSTFIX_TLS_PORT=$(free_port)
	done
	POSTFIX_PLAIN_PORT=$(free_port)
	while [ "$POSTFIX_PLAIN_PORT" = "$POSTFIX_PORT" ] ||
	    [ "$POSTFIX_PLAIN_PORT" = "$POSTFIX_TLS_PORT" ]; do
		POSTFIX_PLAIN_PORT=$(free_port)
	done
	if [ "$_pf_mode" = discard ]; then
		_pf_transport=discard:
		POSTFIX_MAILDIR=
	else
		_pf_transport=virtual
		POSTFIX_MAILDIR=$_pf/mail/inbox
	fi
	export POSTFIX_PORT POSTFIX_TLS_PORT POSTFIX_PLAIN_PORT POSTFIX_USER \
	    POSTFIX_PASSWORD POSTFIX_MAILDIR POSTFIX_CERTS

	# SASL: a private sasldb2 readable by the postfix group.
	cat >"$_pf/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: $POSTFIX_SASL_MECHS
sasldb_path: $_pf/etc/sasl/sasldb2
EOF
	rm -f "$_pf/etc/sasl/sasldb2"
	printf '%s' "$POSTFIX_PASSWORD" |
	    saslpasswd2 -f "$_pf/etc/sasl/sasldb2" -p -c -u localhost \
	    "$POSTFIX_USER" || return 1
	chgrp postfix "$_pf/etc/sasl/sasldb2" && chmod 0640 "$_pf/etc/sasl/sasldb2"
	chown postfix:postfix "$_pf/mail" "$_pf/data"

	_postfix_master_cf "$POSTFIX_PORT" "$POSTFIX_TLS_PORT" \
	    "$POSTFIX_PLAIN_PORT" >"$_pf/etc/master.cf"
	cat >"$_pf/etc/main.cf" <<EOF
# private test instance written by postern's tests/lib/postfix.sh
compatibility_level = 3.6
queue_directory = $_pf/queue
data_directory = $_pf/data
maillog_file = $_pf/maillog
maillog_file_prefixes = $_pf
mail_owner = postfix
setgid_group = postdrop
myhostname = localhost
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtpd_banner = \$myhostname ESMTP postern-test-postfix
smtpd_tls_cert_file = $POSTFIX_CERTS/server-chain.pem
smtpd_tls_key_file = $POSTFIX_CERTS/server-key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = localhost
cyrus_sasl_config_path = $_pf/etc/sasl
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions =
local_transport = error:5.1.1 local delivery is disabled
default_transport = $_pf_transport
relay_transport = $_pf_transport
virtual_mailbox_base = $_pf/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
virtual_minimum_uid = 1
${POSTFIX_EXTRA_MAINCF:-}
EOF
	# Postfix waits until a config file is older than a second (in case
	# an editor is still writing it): backdate ours to start at once.
	touch -d '-1 minute' "$_pf/etc/main.cf" "$_pf/etc/master.cf"
	_postfix_authorize "$_pf/etc" add || {
		echo "# cannot authorize $_pf/etc in $POSTFIX_SYSTEM_MAINCF"
		return 1
	}
	cleanup_push "postfix_stop '$_pf'"
	if ! postfix -c "$_pf/etc" start >"$_pf/start.out" 2>&1; then
		echo "# postfix -c $_pf/etc start failed:"
		sed 's/^/#   /' "$_pf/start.out"
		[ -f "$_pf/maillog" ] && tail -n 20 "$_pf/maillog" | sed 's/^/#   /'
		return 1
	fi
	# Stop the instance should the test die without running its trap.
	(
		trap '' HUP INT
		while kill -0 $$ 2>/dev/null && [ -d "$_pf/etc" ]; do
			sleep 1
		done
		postfix -c "$_pf/etc" stop
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$_pf/watchdog.pid"
	_pf_n=200
	until _postfix_listening "$POSTFIX_PORT" &&
	    _postfix_listening "$POSTFIX_TLS_PORT" &&
	    _postfix_listening "$POSTFIX_PLAIN_PORT"; do
		_pf_n=$((_pf_n - 1))
		if [ $_pf_n -le 0 ]; then
			echo "# postfix did not listen within 10 s"
			tail -n 20 "$_pf/maillog" 2>/dev/null | sed 's/^/#   /'
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# postfix_stop DIR - stop DIR's instance and wait until none of its
# processes is left (KILL after 10 s); drop it from the system main.cf
postfix_stop() {
	_ps=$1
	[ -f "$_ps/etc/main.cf" ] || return 0
	if [ -f "$_ps/watchdog.pid" ]; then
		kill "$(cat "$_ps/watchdog.pid")" 2>/dev/null
		rm -f "$_ps/watchdog.pid"
	fi
	postfix -c "$_ps/etc" stop >/dev/null 2>&1
	_ps_n=200
	while [ -n "$(_postfix_pids "$_ps")" ]; do
		_ps_n=$((_ps_n - 1))
		if [ $_ps_n -le 0 ]; then
			for _p in $(_postfix_pids "$_ps"); do
				kill -KILL "$_p" 2>/dev/null
			done
			break
		fi
		sleep 0.05
	done
	_postfix_authorize "$_ps/etc" remove
	return 0
}

# postfix_delivered DIR - print how many messages DIR's instance delivered
# (Maildir files, or "status=sent" log lines in discard mode)
postfix_delivered() {
	if grep -q '^default_transport = discard:' "$1/etc/main.cf"; then
		grep -c ' status=sent ' "$1/maillog" 2>/dev/null || true
	else
		find "$1/mail/inbox/new" "$1/mail/inbox/cur" -type f \
		    2>/dev/null | wc -l | tr -d ' '
	fi
}

# postfix_wait_delivered DIR N [TIMEOUT] - wait until at least N messages
# were delivered; TIMEOUT seconds (default 10); 1 on timeout
postfix_wait_delivered() {
	_pw_n=$(( ${3:-10} * 20 ))
	while [ "$(postfix_delivered "$1")" -lt "$2" ]; do
		_pw_n=$((_pw_n - 1))
		[ $_pw_n -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}
