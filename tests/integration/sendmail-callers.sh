#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-callers.sh - the real front end and drop helper, invoked exactly
# as the programs that use sendmail invoke it (Debian cron, PHP mail(),
# mailx, git send-email, unattended-upgrades, BSD mail), with the queued
# envelope and headers asserted.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
tmpdir_make
postern_setup
cat >"$T/aliases" <<'ALIASES'
# test aliases
postmaster: root
webmaster: alice, bob@example.net
ALIASES

# only_file - the single queued file (fails the test when not exactly one)
only_file() {
	n=$(queue_count)
	if [ "$n" != 1 ]; then
		diag "expected one queued message, found $n"
		return 1
	fi
	queue_files
}

# --- Debian cron: -FCronDaemon -i -B8BITMIME -oem root
queue_clear
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@h> run-parts\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nX-Cron-Env: <SHELL=/bin/sh>\n\nout\303\251put\n.\nmore\n' |
	"$SENDMAIL" -C "$CONF" -FCronDaemon -i -B8BITMIME -oem root
is "$?" 0 "cron: exit 0"
f=$(only_file)
env=$(queue_envelope "$f")
like "$env" '^S root@example.org$' "cron: sender is the submitting user at the domain"
like "$env" '^R admin@example.org$' "cron: root goes to the admin address"
like "$env" '^B 8BITMIME$' "cron: -B8BITMIME recorded"
is "$(queue_header "$f" From)" "From: root@example.org (Cron Daemon)" \
	"cron: bare From qualified, comment kept"
is "$(queue_header "$f" To)" "To: root@example.org" "cron: bare To qualified"
is "$(queue_header "$f" X-Cron-Env)" "X-Cron-Env: <SHELL=/bin/sh>" \
	"cron: other headers byte for byte"
is "$(queue_header "$f" Date | wc -l | tr -d ' ')" 1 "cron: Date added once"
like "$(queue_header "$f" Message-ID)" '^Message-ID: <[^@ ]+@host\.example\.org>$' \
	"cron: Message-ID added with the hostname"
is "$(queue_message "$f" | sed '1,/^$/d')" "$(printf 'out\303\251put\n.\nmore')" \
	"cron: -i keeps a lone dot and the 8-bit body intact"

# --- PHP mail() through a real php-cli with sendmail_path
queue_clear
if command -v php >/dev/null 2>&1; then
	php -n -d "sendmail_path=$SENDMAIL -C $CONF -t -i" -r '
	    $ok = mail("alice@example.net", "PHP test", "Hello from PHP\r\n.\r\nend",
	        "From: web@example.org\r\nBcc: hidden@example.net\r\nCc: webmaster");
	    exit($ok ? 0 : 1);'
	is "$?" 0 "php: mail() returned true"
	f=$(only_file)
	env=$(queue_envelope "$f")
	like "$env" '^R alice@example\.net$' "php: To recipient"
	like "$env" '^R hidden@example\.net$' "php: Bcc recipient kept in the envelope"
	like "$env" '^R bob@example\.net$' "php: Cc alias expanded (webmaster -> alice, bob)"
	like "$env" '^R alice@example\.org$' "php: alias target alice qualified"
	is "$(queue_header "$f" Bcc)" "" "php: Bcc header removed"
	is "$(queue_header "$f" Subject)" "Subject: PHP test" "php: Subject kept"
	is "$(queue_header "$f" From)" "From: web@example.org" "php: From kept"
	like "$(queue_message "$f")" '^\.$' "php: -i keeps the dot line"
else
	skip "php-cli not installed" 9
fi

# --- mailx / unattended-upgrades: -oi -t
queue_clear
printf 'To: "Ops Team" <ops@example.net>, dev@example.net\nSubject: upgrades\n\nbody\n' |
	"$SENDMAIL" -C "$CONF" -oi -t
is "$?" 0 "mailx: -oi -t exit 0"
f=$(only_file)
env=$(queue_envelope "$f")
like "$env" 'R ops@example\.net' "mailx: name-addr recipient"
like "$env" 'R dev@example\.net' "mailx: second recipient"
like "$(queue_header "$f" From)" '^From: .*<?root@example\.org>?$' \
	"mailx: From added from the submitting user"

# --- git send-email: -i rcpt... with a full header section
queue_clear
printf 'From: Dev <dev@example.org>\nTo: list@example.net\nSubject: [PATCH] x\nMessage-ID: <patch.1@example.org>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\n---\n.\n' |
	"$SENDMAIL" -C "$CONF" -i list@example.net reviewer@example.net
is "$?" 0 "git send-email: exit 0"
f=$(only_file)
is "$(queue_header "$f" Message-ID)" "Message-ID: <patch.1@example.org>" \
	"git send-email: Message-ID never duplicated"
is "$(queue_header "$f" Date)" "Date: Mon, 23 Nov 2026 10:00:00 +0000" \
	"git send-email: Date never duplicated"
is "$(queue_envelope "$f" | grep -c '^R ')" 2 "git send-email: two recipients"

# --- BSD mail: Bcc header with recipients as arguments (no -t)
queue_clear
printf 'To: a@example.net\nBcc: secret@example.net\nSubject: s\n\nb\n' |
	"$SENDMAIL" -C "$CONF" a@example.net secret@example.net
f=$(only_file)
is "$(queue_header "$f" Bcc)" "" "Bcc removed without -t"

# --- classic dot rule and line endings
queue_clear
printf 'Subject: dots\r\n\r\nline1\r\n.\r\nafter\r\n' | "$SENDMAIL" -C "$CONF" x@example.net
f=$(only_file)
is "$(queue_message "$f" | sed '1,/^$/d')" "line1" "a lone dot ends input without -i"
unlike "$(cat "$f")" "$(printf '\r')" "CRLF stored as LF"

queue_clear
printf 'Subject: noeol\n\nno final newline' | "$SENDMAIL" -C "$CONF" -i x@example.net
f=$(only_file)
is "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" '\n' "final newline added"

queue_clear
printf '' | "$SENDMAIL" -C "$CONF" -i x@example.net
is "$?" 0 "empty message accepted"
f=$(only_file)
like "$(queue_message "$f")" '^From: ' "empty message gets From/Date/Message-ID"

queue_clear
printf 'Subject: nul\n\na\000b\n' | "$SENDMAIL" -C "$CONF" -i x@example.net
f=$(only_file)
is "$(queue_message "$f" | sed '1,/^$/d')" "ab" "NUL bytes removed"

queue_clear
printf 'no header here\nsecond\n' | "$SENDMAIL" -C "$CONF" -i x@example.net
f=$(only_file)
is "$(queue_message "$f" | sed '1,/^$/d')" "$(printf 'no header here\nsecond')" \
	"a message without headers keeps its first line in the body"

# --- header injection through -F and -f
queue_clear
printf 'Subject: inj\n\nb\n' | "$SENDMAIL" -C "$CONF" -i \
	-F "$(printf 'Evil\nBcc: victim@example.net')" x@example.net
f=$(only_file)
is "$(queue_header "$f" Bcc)" "" "-F with a newline cannot add a header"
is "$(queue_envelope "$f" | grep -c '^R ')" 1 "-F cannot add a recipient"
queue_clear
printf 'Subject: inj\n\nb\n' | "$SENDMAIL" -C "$CONF" -i \
	-f "$(printf 'a@b\nR evil@example.net')" x@example.net 2>/dev/null
is "$?" 64 "-f with a newline is refused (64: not one address)"
is "$(queue_count)" 0 "nothing queued for a forged sender"

# --- null sender and -f forms
queue_clear
printf 'Subject: n\n\nb\n' | "$SENDMAIL" -C "$CONF" -i -f '<>' x@example.net
f=$(only_file)
like "$(queue_envelope "$f")" '^S ?$' "-f '<>' gives the null sender"

# --- errors and exit codes
queue_clear
out=$(printf 'Subject: x\n\nb\n' | "$SENDMAIL" -C "$CONF" -i 2>&1)
is "$?" 64 "no recipients: exit 64"
like "$out" '^sendmail: fatal: no recipients' "no recipients: message"

printf 'loop1: loop2\nloop2: loop1\nonlypipe: "|/bin/true"\n' >>"$T/aliases"
out=$(printf 'Subject: x\n\nb\n' | "$SENDMAIL" -C "$CONF" -i loop1 2>&1)
is "$?" 67 "alias loop: exit 67"
out=$(printf 'Subject: x\n\nb\n' | "$SENDMAIL" -C "$CONF" -i onlypipe 2>&1)
is "$?" 67 "alias with only a pipe target: exit 67"
is "$(queue_count)" 0 "nothing queued for unresolvable recipients"

big=$T/postern-small.conf
sed "s/^log = stderr\$/log = stderr\nmax_message_size = 1K\nmax_header_size = 1K/" "$CONF" >"$big"
out=$(head -c 5000 /dev/zero | tr '\0' 'x' | "$SENDMAIL" -C "$big" -i x@example.net 2>&1)
is "$?" 65 "too large: exit 65"
like "$out" 'max_message_size \(1K\)' "too large: the message names the limit"
is "$(ls "$SPOOL/tmp" | wc -l | tr -d ' ')" 0 "too large: nothing left in tmp/"
out=$( (printf 'Subject: big\n\n'; head -c 3000 /dev/zero | tr '\0' 'y') |
	"$SENDMAIL" -C "$big" -i x@example.net 2>&1)
is "$?" 65 "too large with headers: exit 65"
is "$(queue_count)" 0 "too large: nothing queued"

sed "s#^spool_dir = .*#spool_dir = $T/nonexistent#" "$CONF" >"$T/nospool.conf"
out=$(printf 'Subject: x\n\nb\n' | "$SENDMAIL" -C "$T/nospool.conf" -i x@example.net 2>&1)
rc=$?
ok "missing spool: exit 73 or 75 (got $rc)" [ "$rc" = 73 -o "$rc" = 75 ]
like "$out" 'sendmail: fatal: .*' "missing spool: fatal message"

printf '[postern]\nbogus_key = 1\n' >"$T/bad.conf"
out=$(printf 'x\n' | "$SENDMAIL" -C "$T/bad.conf" -i x@example.net 2>&1)
is "$?" 78 "bad configuration: exit 78"
like "$out" "bogus_key" "bad configuration: names the key"

out=$("$SENDMAIL" -C "$CONF" -bd 2>&1)
is "$?" 64 "-bd refused"
like "$out" 'null client' "-bd: says why"

queue_clear
out=$(printf 'Subject: x\n\nb\n' | "$SENDMAIL" -C "$CONF" -i -Y x@example.net 2>&1)
is "$?" 0 "unknown option is not fatal"
like "$out" 'warning: -Y: unknown option ignored' "unknown option warned"

# --- -bv, -bi/newaliases, mailq
out=$("$SENDMAIL" -C "$CONF" -bv root webmaster someone@example.net 2>&1)
is "$?" 0 "-bv exit 0"
like "$out" 'root: deliverable: <admin@example\.org>' "-bv: root to admin"
like "$out" 'webmaster: deliverable: <bob@example\.net>' "-bv: alias expanded"
is "$(queue_count)" 1 "-bv queues nothing"

out=$("$NEWALIASES" -C "$CONF" 2>&1)
rc=$?
like "$out" "$T/aliases" "newaliases reports on the file"
ok "newaliases reports the loop as an error (exit $rc)" [ "$rc" -ne 0 ]

out=$("$MAILQ" -C "$CONF" 2>&1)
is "$?" 0 "mailq exit 0"
like "$out" '[0-9A-F]{20} +[0-9]+ .*root@example\.org' "mailq lists id, size, sender"
like "$out" '<x@example\.net>' "mailq lists the recipient"
# The two listings are taken a moment apart (seconds apart under valgrind),
# so the age column may differ; everything else must be identical.
strip_age() { sed -E 's/\(age [0-9a-z ]+,/(age _,/'; }
is "$("$SENDMAIL" -C "$CONF" -bp 2>&1 | strip_age)" "$(printf '%s\n' "$out" | strip_age)" \
	"sendmail -bp is mailq"

out=$("$SENDMAIL" -C "$CONF" -q 2>&1)
is "$?" 69 "-q without a running agent: exit 69"
like "$out" 'not running' "-q: says the agent is not running"

done_testing
