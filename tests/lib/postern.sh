# SPDX-License-Identifier: GPL-2.0-or-later
# postern.sh - helpers for tests that run postern's real binaries from the
# build tree with a private configuration and spool; source it after
# common.sh and call postern_setup once (after tmpdir_make).
#
# postern_setup [EXTRA_CONFIG_LINES]
#   writes $T/postern.conf (spool $T/spool, aliases $T/aliases, domain
#   example.org, admin admin@example.org, drop helper and agent: the
#   copies of the built programs in $BUILT), creates the spool tree, and links $T/bin/sendmail,
#   $T/bin/mailq and $T/bin/newaliases to the built front end.
#   Exports CONF SPOOL SENDMAIL MAILQ NEWALIASES POSTERN.
#   Under POSTERN_VALGRIND=1 (tests/lib/valgrind.sh) every one of those,
#   drop_program and agent_program are valgrind wrappers; the real front
#   end is still $POSTERN_BIN.
# queue_files          - the queue files in new/, one path per line
# queue_count          - how many messages are in new/ and cur/
# queue_envelope FILE  - the envelope records of a queue file
# queue_message FILE   - the message part (after the first blank line)
# queue_header FILE N  - every "N: value" header line of the message

. "$top_srcdir/tests/lib/valgrind.sh"

postern_setup() {
	# the copies in $BUILT (common.sh): test users run them
	_ps_drop=$BUILT/postern-drop
	_ps_agent=$BUILT/posternd
	POSTERN_BIN=$BUILT/postern
	if vg_enabled; then
		vg_setup
		_ps_drop=$(vg_wrap postern-drop "$_ps_drop")
		_ps_agent=$(vg_wrap posternd "$_ps_agent")
	fi
	SPOOL=$T/spool
	CONF=$T/postern.conf
	mkdir -p "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/cur" "$SPOOL/failed" \
	    "$SPOOL/state" "$T/bin"
	: >"$T/aliases"
	cat >"$CONF" <<CONFEOF
[postern]
spool_dir = $SPOOL
aliases = $T/aliases
secrets_file = $T/secrets
drop_program = $_ps_drop
agent_program = $_ps_agent
domain = example.org
hostname = host.example.org
admin = admin@example.org
log = stderr
${1:-}
CONFEOF
	for _ps_n in sendmail mailq newaliases; do
		if vg_enabled; then
			ln -sf "$(vg_wrap "$_ps_n" "$POSTERN_BIN")" "$T/bin/$_ps_n"
		else
			ln -sf "$POSTERN_BIN" "$T/bin/$_ps_n"
		fi
	done
	SENDMAIL=$T/bin/sendmail
	MAILQ=$T/bin/mailq
	NEWALIASES=$T/bin/newaliases
	POSTERN=$POSTERN_BIN
	vg_enabled && POSTERN=$(vg_wrap postern "$POSTERN_BIN")
	export SPOOL CONF SENDMAIL MAILQ NEWALIASES POSTERN POSTERN_BIN
}

queue_files() {
	ls "$SPOOL/new" 2>/dev/null | sed "s#^#$SPOOL/new/#"
}

queue_count() {
	( ls "$SPOOL/new"; ls "$SPOOL/cur" ) 2>/dev/null | wc -l | tr -d ' '
}

queue_clear() {
	rm -f "$SPOOL"/new/* "$SPOOL"/cur/* "$SPOOL"/tmp/* "$SPOOL"/state/*
}

queue_envelope() {
	sed '/^$/q' "$1" | sed '$d'
}

queue_message() {
	sed '1,/^$/d' "$1"
}

queue_header() {
	queue_message "$1" | sed '/^$/q' | grep -i "^$2:"
}
