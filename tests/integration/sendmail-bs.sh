#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-bs.sh - `sendmail -bs` driven by real SMTP clients over a pipe:
# swaks --pipe (as Symfony Mailer and Laravel use it), and a scripted
# dialogue checking each reply code, pipelining and several messages per
# session.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
need_cmd swaks
tmpdir_make
postern_setup

out=$(swaks --pipe "$SENDMAIL -C $CONF -bs" --from app@example.org \
	--to user@example.net --header 'Subject: via swaks' \
	--body 'line one
.leading dot
end' 2>&1)
is "$?" 0 "swaks --pipe: exit 0"
like "$out" '250 2\.0\.0 Ok: queued as [0-9A-F]{20}' "swaks: queued reply"
f=$(queue_files)
like "$(queue_envelope "$f")" 'S app@example\.org' "swaks: envelope sender"
like "$(queue_envelope "$f")" 'R user@example\.net' "swaks: recipient"
is "$(queue_header "$f" Subject)" "Subject: via swaks" "swaks: header"
like "$(queue_message "$f")" '^\.leading dot$' "swaks: dot-unstuffed once"

queue_clear
# a scripted, pipelined dialogue: replies must match RFC 5321
$PYTHON - "$SENDMAIL" "$CONF" >"$T/dialogue.out" 2>&1 <<'PY'
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "-C", sys.argv[2], "-bs"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
script = (b"EHLO client.example\r\n"
          b"VRFY root\r\n"
          b"RCPT TO:<a@example.net>\r\n"
          b"MAIL FROM:<s@example.org> SIZE=100 BODY=8BITMIME\r\n"
          b"RCPT TO:<a@example.net>\r\n"
          b"RCPT TO:<root>\r\n"
          b"RCPT TO:<bad address@@>\r\n"
          b"DATA\r\n"
          b"Subject: one\r\n\r\nfirst\r\n..dot\r\n.\r\n"
          b"MAIL FROM:<> \r\n"
          b"RCPT TO:<b@example.net> NOTIFY=FAILURE\r\n"
          b"DATA\r\n"
          b"Subject: two\r\n\r\nsecond\r\n.\r\n"
          b"RSET\r\n"
          b"MAIL FROM:<c@example.org> SIZE=999999999999\r\n"
          b"BOGUS\r\n"
          b"NOOP\r\n"
          b"DATA\r\n"
          b"QUIT\r\n")
out, _ = p.communicate(script, timeout=30)
sys.stdout.write(out.decode("latin-1"))
sys.exit(p.returncode)
PY
is "$?" 0 "dialogue: exit 0"
d=$(tr -d '\r' <"$T/dialogue.out")
like "$d" '^220 host\.example\.org ESMTP' "greeting"
like "$d" '250-PIPELINING' "EHLO offers PIPELINING"
like "$d" '250-8BITMIME' "EHLO offers 8BITMIME"
like "$d" '252 2\.5\.2' "VRFY refused politely"
like "$d" '503 5\.5\.1 Error: need MAIL' "RCPT before MAIL: 503"
like "$d" '501 5\.5\.4|550 5\.1\.1' "bad address refused"
is "$(echo "$d" | grep -c '^250 2\.0\.0 Ok: queued as')" 2 "two messages in one session"
like "$d" '552 5\.3\.4' "SIZE over the limit: 552"
like "$d" '500 5\.5\.2' "unknown command: 500"
like "$d" '221 2\.0\.0' "QUIT: 221"
is "$(queue_count)" 2 "two queue files"
for f in $(queue_files); do
	if grep -q '^Subject: one' "$f"; then
		like "$(queue_envelope "$f")" 'R admin@example\.org' "RCPT root resolved to admin"
		like "$(queue_message "$f")" '^\.dot$' "DATA dot-unstuffed"
		like "$(queue_envelope "$f")" 'B 8BITMIME' "BODY=8BITMIME recorded"
	else
		like "$(queue_envelope "$f")" '^S ?$' "MAIL FROM:<> is the null sender"
		like "$(queue_envelope "$f")" 'R b@example\.net	NOTIFY=FAILURE' "NOTIFY recorded"
	fi
done

# a client that disconnects inside DATA queues nothing
queue_clear
printf 'HELO x\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: cut\r\n\r\npartial' |
	"$SENDMAIL" -C "$CONF" -bs >"$T/cut.out" 2>&1
is "$(queue_count)" 0 "disconnect inside DATA: nothing queued"
unlike "$(cat "$T/cut.out")" 'queued as' "disconnect inside DATA: no 250"

done_testing
