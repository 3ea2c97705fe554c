#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bounce-parse.sh - read DSNs made by bounce-gen back with Python's email
# package: multipart/report, report-type, a delivery-status part that
# parses into one per-message and one block per recipient, part types.
set -u
gen=${top_builddir:-.}/tests/unit/bounce-gen
py=/usr/bin/python3
if [ ! -x "$py" ]; then
	echo "1..0 # SKIP /usr/bin/python3 not found"
	exit 0
fi
n=0
fail=0
check() {
	mode=$1 rtype=$2 part3=$3
	n=$((n + 1))
	tmp=$(mktemp)
	if ! "$gen" "$mode" >"$tmp"; then
		echo "not ok $n - $mode: bounce-gen failed"
		fail=1
		rm -f "$tmp"
		return
	fi
	if out=$("$py" - "$tmp" "$rtype" "$part3" <<'PY' 2>&1
import sys, email, email.parser, email.policy
path, rtype, part3 = sys.argv[1:4]
raw = open(path, 'rb').read()
msg = email.message_from_bytes(raw, policy=email.policy.compat32)
assert msg.get_content_type() == 'multipart/report', msg.get_content_type()
assert msg.get_param('report-type') == rtype, msg.get_param('report-type')
assert msg['Auto-Submitted'] == 'auto-replied'
parts = msg.get_payload()
want = 2 if part3 == 'none' else 3
assert len(parts) == want, 'parts %d' % len(parts)
assert parts[0].get_content_type() == 'text/plain'
st = parts[1]
if st.get_content_type() == 'message/delivery-status':
    blocks = st.get_payload()
else:
    assert st.get_content_type() == 'message/global-delivery-status'
    # email reads message/* as an encapsulated message: take the raw part
    sect = raw.split(b'\n--' + msg.get_boundary().encode())[2]
    text = sect.split(b'\n\n', 1)[1].decode('utf-8')
    blocks = [email.parser.Parser().parsestr(b)
              for b in text.strip('\n').split('\n\n')]
assert len(blocks) == 4, 'blocks %d' % len(blocks)
assert blocks[0]['Reporting-MTA'] == 'dns; relay.example.org'
for b in blocks[1:]:
    assert b['Final-Recipient'] and b['Action'] and b['Status'], b.items()
if part3 != 'none':
    assert parts[2].get_content_type() == part3, parts[2].get_content_type()
for line in raw.split(b'\n'):
    assert b'\r' not in line
print('ok')
PY
	); then
		echo "ok $n - $mode: python email reads a $rtype report"
	else
		echo "not ok $n - $mode: $out" | tr '\n' ' '
		echo
		fail=1
	fi
	rm -f "$tmp"
}
check fail delivery-status message/rfc822
check headers delivery-status text/rfc822-headers
check delay delivery-status text/rfc822-headers
check utf8 global-delivery-status message/rfc822
check hostile delivery-status message/rfc822
check empty delivery-status none
echo "1..$n"
exit $fail
