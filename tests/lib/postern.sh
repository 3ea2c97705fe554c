# SPDX-License-Identifier: GPL-2.0-or-later
# postern.sh - helpers for tests that run postern's real binaries from the
# build tree with a private configuration and spool; source it after
# common.sh and call postern_setup once (after tmpdir_make).
#
# postern_setup [EXTRA_CONFIG_LINES]
#   writes $T/postern.conf (spool $T/spool, aliases $T/aliases, domain
#   example.org, admin admin@example.org, drop helper and agent from the
#   build tree), creates the spool tree, and links $T/bin/sendmail,
#   $T/bin/mailq and $T/bin/newaliases to the built front end.
#   Exports CONF SPOOL SENDMAIL MAILQ NEWALIASES POSTERN.
# queue_files          - the queue files in new/, one path per line
# queue_count          - how many messages are in new/ and cur/
# queue_envelope FILE  - the envelope records of a queue file
# queue_message FILE   - the message part (after the first blank line)
# queue_header FILE N  - every "N: value" header line of the message

postern_setup() {
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
drop_program = $top_builddir/src/postern-drop
agent_program = $top_builddir/src/posternd
domain = example.org
hostname = host.example.org
admin = admin@example.org
log = stderr
${1:-}
CONFEOF
	ln -sf "$top_builddir/src/postern" "$T/bin/sendmail"
	ln -sf "$top_builddir/src/postern" "$T/bin/mailq"
	ln -sf "$top_builddir/src/postern" "$T/bin/newaliases"
	SENDMAIL=$T/bin/sendmail
	MAILQ=$T/bin/mailq
	NEWALIASES=$T/bin/newaliases
	POSTERN=$top_builddir/src/postern
	export SPOOL CONF SENDMAIL MAILQ NEWALIASES POSTERN
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
