#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-envid-sender.sh - issue 11, item 7: a DSN envelope id that is
# not RFC 3461 xtext is refused at once (-V: exit 64; -bs MAIL ENVID=:
# 501), never exit 75 (callers would retry forever); -f with group syntax
# or a trailing 'Header: value' is refused with exit 64 and a reason,
# never turned into another sender; nothing is queued for either.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
tmpdir_make
postern_setup
printf 'Subject: x\n\nbody\n' >"$T/msg"

"$SENDMAIL" -C "$CONF" -i -V 'bad=envid' rcpt@example.net <"$T/msg" \
    2>"$T/err"
is "$?" 64 "-V with '=' (not xtext): exit 64, not 75"
like "$(cat "$T/err")" 'not a valid DSN envelope id' "-V: the reason"
"$SENDMAIL" -C "$CONF" -i -V 'has space' rcpt@example.net <"$T/msg" \
    2>"$T/err"
is "$?" 64 "-V with a space: exit 64"
is "$(queue_count)" 0 "nothing queued for a bad -V"
"$SENDMAIL" -C "$CONF" -i -V 'good+2Benvid' rcpt@example.net <"$T/msg"
is "$?" 0 "-V in xtext: queued"
like "$(queue_envelope "$(queue_files)")" '^E good\+2Benvid$' \
    "-V: the envelope id recorded"
queue_clear

for f in 'x:y;' 'a@b.example X-Injected:1' 'a@b.example;'; do
	"$SENDMAIL" -C "$CONF" -i -f "$f" rcpt@example.net <"$T/msg" \
	    2>"$T/err"
	is "$?" 64 "-f '$f': exit 64"
	like "$(cat "$T/err")" "group syntax.*-f '.*' refused: give one address" \
	    "-f '$f': a clear reason"
done
is "$(queue_count)" 0 "nothing queued for a refused -f"

$PYTHON - "$SENDMAIL" "$CONF" >"$T/bs.out" 2>&1 <<'PY'
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "-C", sys.argv[2], "-bs"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"EHLO c.example\r\n"
                       b"MAIL FROM:<s@example.org> ENVID=a=b\r\n"
                       b"MAIL FROM:<s@example.org> ENVID=ok+2Bid\r\n"
                       b"RCPT TO:<r@example.net>\r\n"
                       b"DATA\r\nSubject: bs\r\n\r\nbody\r\n.\r\nQUIT\r\n")
sys.stdout.write(out.decode())
print("exit %d" % p.returncode)
PY
like "$(cat "$T/bs.out")" '501 5\.5\.4 Syntax error in ENVID' \
    "-bs MAIL ENVID=a=b: 501"
like "$(cat "$T/bs.out")" 'queued as' "-bs: a good ENVID after it is queued"
like "$(queue_envelope "$(queue_files)")" '^E ok\+2Bid$' \
    "-bs: only the good envelope id recorded"
like "$(cat "$T/bs.out")" 'exit 0' "-bs: exit 0"
done_testing
