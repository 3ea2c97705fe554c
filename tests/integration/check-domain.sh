#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-domain.sh - the sender-domain section of `postern check` (issue
# 15) against an authoritative test DNS server: dnsmasq on 127.0.0.1:53
# serving a test zone, in a private network and mount namespace whose
# /etc/resolv.conf names it (bind mounts; the host's files are never
# touched).  Cases: a domain with no records, one with an address only;
# SPF missing, duplicated, malformed, at and over the 10-lookup limit,
# passing and failing for the relay (preset include, and evaluated
# against a relay's address with libspf2), a character-string split;
# DKIM selectors present and absent; DMARC none, quarantine, reject,
# inherited from the organisational domain (sp=); an internal name and
# a bare host name; --strict; --no-dns.  Each case checks the cause
# and the fix in the text output and in the JSON.
if [ -z "${CKD_IN_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null; then
		echo "1..0 # SKIP needs root and unshare -n -m"
		exit 0
	fi
	if ! command -v dnsmasq >/dev/null 2>&1 &&
	    [ ! -x /usr/sbin/dnsmasq ]; then
		echo "1..0 # SKIP dnsmasq (dnsmasq-base) is not installed"
		exit 0
	fi
	CKD_IN_NS=1 exec unshare -n -m sh "$0" "$@"
fi
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
PATH=$PATH:/usr/sbin
mount --make-rprivate / || bail_out "mount --make-rprivate / failed"
ip link set lo up || bail_out "ip link set lo up failed"
[ -e /etc/resolv.conf ] || bail_out "no /etc/resolv.conf to cover"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' \
    >"$T/resolv.conf"
printf 'hosts: files dns\n' >"$T/nsswitch.conf"
chmod 644 "$T/resolv.conf" "$T/nsswitch.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf ||
	bail_out "cannot bind-mount a resolv.conf"
[ ! -e /etc/nsswitch.conf ] ||
	mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf ||
	bail_out "cannot bind-mount an nsswitch.conf"

# ---------------------------------------------------------------- the zone
# Everything under .net and .com is answered here and nowhere else
# (local=): a name not listed is NXDOMAIN.
cat >"$T/dnsmasq.conf" <<'EOF'
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/net/
local=/com/
host-record=relay.pt-relay.net,192.0.2.25
host-record=aonly.net,192.0.2.7
mx-host=nospf.net,mx.nospf.net,10
mx-host=dupspf.net,mx.dupspf.net,10
txt-record=dupspf.net,"v=spf1 ip4:192.0.2.25 -all"
txt-record=dupspf.net,"v=spf1 a -all"
mx-host=badspf.net,mx.badspf.net,10
txt-record=badspf.net,"v=spf1 include -all"
mx-host=manyspf.net,mx.manyspf.net,10
txt-record=manyspf.net,"v=spf1 a mx include:l1.manyspf.net include:l2.manyspf.net include:l3.manyspf.net -all"
mx-host=tenspf.net,mx.tenspf.net,10
txt-record=tenspf.net,"v=spf1 mx include:l1.manyspf.net include:l2.manyspf.net include:l3.manyspf.net -all"
txt-record=l1.manyspf.net,"v=spf1 a mx -all"
txt-record=l2.manyspf.net,"v=spf1 a mx -all"
txt-record=l3.manyspf.net,"v=spf1 a mx -all"
mx-host=ippass.net,mx.ippass.net,10
txt-record=ippass.net,"v=spf1 ip4:192.0.2.25"," -all"
mx-host=ipfail.net,mx.ipfail.net,10
txt-record=ipfail.net,"v=spf1 ip4:198.51.100.1 -all"
txt-record=_dmarc.ipfail.net,"v=DMARC1; p=reject"
mx-host=good.net,mx.good.net,10
txt-record=good.net,"v=spf1 include:_spf.google.com ~all"
txt-record=google._domainkey.good.net,"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0B"
txt-record=_dmarc.good.net,"v=DMARC1; p=reject; rua=mailto:d@good.net"
txt-record=_spf.google.com,"v=spf1 ip4:192.0.2.0/24 ~all"
mx-host=nogoog.net,mx.nogoog.net,10
txt-record=nogoog.net,"v=spf1 include:spf.other.net ~all"
txt-record=spf.other.net,"v=spf1 ip4:203.0.113.0/24 ~all"
txt-record=_dmarc.nogoog.net,"v=DMARC1; p=reject"
mx-host=ms.net,mx.ms.net,10
txt-record=ms.net,"v=spf1 include:spf.protection.outlook.com -all"
txt-record=spf.protection.outlook.com,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=selector1._domainkey.ms.net,"v=DKIM1; k=rsa; p=MIIBIjANBgkq"
mx-host=dm-none.net,mx.dm-none.net,10
txt-record=dm-none.net,"v=spf1 ip4:192.0.2.25 -all"
txt-record=_dmarc.dm-none.net,"v=DMARC1; p=none"
mx-host=dm-quar.net,mx.dm-quar.net,10
txt-record=dm-quar.net,"v=spf1 include:spf.other.net ~all"
txt-record=_dmarc.dm-quar.net,"v=DMARC1; p=quarantine"
mx-host=sub.dm-org.net,mx.dm-org.net,10
txt-record=sub.dm-org.net,"v=spf1 include:spf.other.net ~all"
txt-record=_dmarc.dm-org.net,"v=DMARC1; p=reject; sp=quarantine"
EOF
dnsmasq --conf-file="$T/dnsmasq.conf" --keep-in-foreground --pid-file= \
    --log-facility="$T/dnsmasq.log" </dev/null >/dev/null 2>&1 &
DNS_PID=$!
cleanup_push "kill $DNS_PID"
wait_until 10 getent hosts relay.pt-relay.net >/dev/null ||
	bail_out "the test DNS server did not answer: $(cat "$T/dnsmasq.log")"

agent_spool
DEAD=$(free_port)

# cd_conf DOMAIN [relay lines...] - one relay (default: the non-preset
# relay.pt-relay.net, unreachable here), domain = DOMAIN, admin on it
cd_conf() {
	_cd_dom=$1
	shift
	{
		printf '[postern]\nspool_dir = %s\nsecrets_file = %s\n' \
		    "$SPOOL" "$SECRETS"
		printf 'agent_program = %s\ndrop_program = %s\n' \
		    "$POSTERND" "$DROP"
		printf 'hostname = agent.good.net\ndomain = %s\n' "$_cd_dom"
		printf 'admin = admin@%s\nlog = stderr\n' "$_cd_dom"
		printf '[timeouts]\nconnect = 1s\n[relay]\n'
		if [ $# -eq 0 ]; then
			printf 'host = relay.pt-relay.net\nport = 25\n'
			printf 'tls = none\n'
		fi
		for _cd_l in "$@"; do
			printf '%s\n' "$_cd_l"
		done
	} >"$CONF"
	: >"$SECRETS"
	chmod 600 "$SECRETS"
	chmod 644 "$CONF"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SECRETS"
}
# a preset relay, its host pointed at a closed local port
GMAIL="preset = gmail
host = 127.0.0.1
port = $DEAD
tls = none"
MS365="preset = office365
host = 127.0.0.1
port = $DEAD
tls = none"

# ckd [ARGS] - postern check, text into $T/out, JSON into $T/json; $rc and
# $jrc the exit statuses
ckd() {
	$AS timeout 120 "$POSTERN" check -C "$CONF" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	$AS timeout 120 "$POSTERN" check -C "$CONF" --json "$@" \
	    >"$T/json" 2>"$T/jerr"
	jrc=$?
}

# tline STATUS STEP [N] - the N-th (default 1) text line of STEP
tline() {
	grep -F "$1] $2: " "$T/out" | sed -n "${3:-1}p"
}

# jstep DOMAIN STEP [N] - "status | message | hint" of the N-th JSON step
# of DOMAIN (default 1)
jstep() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["steps"] if x.get("domain") == sys.argv[2]
     and x["step"] == sys.argv[3]]
n = int(sys.argv[4]) - 1
print("%s | %s | %s" % (s[n]["status"], s[n]["message"], s[n]["hint"])
      if len(s) > n else "missing")' "$T/json" "$1" "$2" "${3:-1}"
}

# ---------------------------------------------------------------- exists
cd_conf nothing.net
ckd
like "$(tline FAIL 'sender domain')" 'nothing\.net \(domain\) does not exist in DNS \(NXDOMAIN\): providers refuse mail from it \(553 5\.1\.8, 550 5\.7\.1 sender domain does not exist\): set domain = a domain you own' \
    "no records: NXDOMAIN, the refusal and the fix (text)"
like "$(jstep nothing.net sender-domain)" '^fail \| .*does not exist in DNS \(NXDOMAIN\).* \| set domain = ' \
    "no records: the same in the JSON"
like "$(tline skip SPF)" 'not run \(sender domain failed\)' \
    "no records: SPF, DKIM, DMARC skipped"
is "$rc" 1 "no records: check fails"
is "$jrc" 1 "no records: check --json fails"

cd_conf aonly.net
ckd
like "$(tline ' ok ' 'sender domain')" 'aonly\.net \(domain\) exists: no MX, address 192\.0\.2\.7' \
    "A record only: exists (text)"
like "$(jstep aonly.net sender-domain)" '^ok \| .*no MX, address 192\.0\.2\.7' \
    "A record only: exists (JSON)"

cd_conf host.localdomain
ckd --sender root@myhost
like "$(tline FAIL 'sender domain')" 'host\.localdomain \(domain\) is an internal name: providers refuse mail from it .*: set domain = a domain you own' \
    "internal name: flagged with the domain = fix (text)"
like "$(jstep host.localdomain sender-domain)" '^fail \| .*is an internal name.* \| set domain = ' \
    "internal name: the same in the JSON"
like "$(tline FAIL 'sender domain' 2)" 'myhost \(--sender\) is a bare host name, not a domain' \
    "--sender root@myhost: a bare host name (text)"
like "$(jstep myhost sender-domain)" '^fail \| .*a bare host name' \
    "--sender root@myhost: a bare host name (JSON)"
unlike "$(cat "$T/dnsmasq.log")" 'localdomain' \
    "internal names are judged without asking DNS"

cd_conf good.net
sed -i '/^\[postern\]$/a masquerade_domain = box.lan' "$CONF"
ckd
like "$(tline FAIL 'sender domain')" 'box\.lan \(masquerade_domain\) is an internal name.*: set masquerade_domain = ' \
    "masquerade_domain = box.lan: flagged with its own fix"
like "$(jstep box.lan sender-domain)" '^fail \| .* \| set masquerade_domain = ' \
    "masquerade_domain = box.lan: the fix in the JSON"

# ---------------------------------------------------------------- SPF
cd_conf nospf.net
ckd
like "$(tline warn SPF)" 'nospf\.net has no SPF record: receivers cannot tell which servers may send its mail: publish one TXT record at nospf\.net: "v=spf1 ip4:RELAY-OUTGOING-ADDRESS ~all"' \
    "SPF missing: cause and the record to publish (text)"
like "$(jstep nospf.net spf)" '^warn \| nospf\.net has no SPF record.* \| publish one TXT record at nospf\.net' \
    "SPF missing: the same in the JSON"
like "$(tline warn DMARC)" 'no DMARC record for nospf\.net: publish a TXT record at _dmarc\.nospf\.net: "v=DMARC1; p=none; ' \
    "DMARC missing: the record to publish"

cd_conf dupspf.net
ckd
like "$(tline warn SPF)" 'dupspf\.net has 2 SPF records: receivers treat that as an error \(permerror, RFC 7208 4\.5\): merge them into one record' \
    "SPF duplicated: cause and fix (text)"
like "$(jstep dupspf.net spf)" '^warn \| dupspf\.net has 2 SPF records.* \| merge them' \
    "SPF duplicated: the same in the JSON"

cd_conf badspf.net
ckd
like "$(tline warn SPF)" 'the SPF record of badspf\.net does not parse: "v=spf1 include -all": .*: correct the record' \
    "SPF malformed: libspf2's reason and the fix (text)"
like "$(jstep badspf.net spf)" '^warn \| the SPF record of badspf\.net does not parse.* \| correct the record' \
    "SPF malformed: the same in the JSON"

cd_conf manyspf.net
ckd
like "$(tline warn SPF)" 'the SPF record of manyspf\.net needs 11 DNS lookups, over the limit of 10 \(RFC 7208 4\.6\.4\): receivers return permerror: remove includes' \
    "SPF over 10 lookups: counted over the includes (text)"
like "$(jstep manyspf.net spf)" '^warn \| .*needs 11 DNS lookups.* \| remove includes' \
    "SPF over 10 lookups: the same in the JSON"
cd_conf tenspf.net
ckd
like "$(tline ' ok ' SPF)" 'tenspf\.net: ".*" \(10 DNS lookups of 10\)' \
    "SPF at exactly 10 lookups: accepted"

cd_conf ippass.net
ckd
like "$(tline ' ok ' SPF)" 'ippass\.net: "v=spf1 ip4:192\.0\.2\.25 -all"' \
    "SPF split in two character-strings: joined"
like "$(tline ' ok ' SPF 2)" 'the SPF record of ippass\.net passes 192\.0\.2\.25 \(relay\.pt-relay\.net.s address\): the relay.s outgoing servers may differ from its submission address' \
    "SPF pass for a relay's address, with the honest caveat (text)"
like "$(jstep ippass.net spf 2)" '^ok \| .*passes 192\.0\.2\.25.* \| the relay.s outgoing servers may differ' \
    "SPF pass for a relay's address (JSON)"
is "$(/usr/bin/python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["steps"]
     if x["step"] == "spf"]
print(s[1]["relay"], s[1]["relay_name"])' "$T/json")" "1 relay.pt-relay.net:25" \
    "SPF per relay: the JSON names the relay"

cd_conf ipfail.net
ckd
like "$(tline warn SPF)" 'the SPF record of ipfail\.net does not authorise relay\.pt-relay\.net.s address \(fail 192\.0\.2\.25\): the relay.s outgoing servers may differ from its submission address: ask its operator' \
    "SPF fail for the relay's address: libspf2's verdict and the fix"
like "$(jstep ipfail.net spf 2)" '^warn \| .*does not authorise.*fail 192\.0\.2\.25.* \| the relay.s outgoing' \
    "SPF fail for the relay's address (JSON)"
like "$(tline warn DMARC)" 'p=reject at _dmarc\.ipfail\.net and SPF does not authorise the relay: recipients will refuse the mail unless the relay signs with DKIM for ipfail\.net' \
    "DMARC reject, SPF fails, DKIM unknown (not a preset): a warning"
like "$(tline skip DKIM)" 'DKIM signing is the relay.s business: .*: send a test \(postern check --send-test ADDRESS\) and look in the received message for DKIM-Signature: d=DOMAIN and Authentication-Results' \
    "DKIM for a relay without a preset: how to verify it"

# ---------------------------------------------------------------- presets
cd_conf good.net "$GMAIL"
ckd
like "$(tline ' ok ' SPF 2)" 'good\.net includes _spf\.google\.com: gmail.s servers may send for it' \
    "preset: the provider's include found"
like "$(tline ' ok ' DKIM)" "gmail's DKIM key for good\\.net: google\\._domainkey\\.good\\.net" \
    "preset: the DKIM selector present"
like "$(tline ' ok ' DMARC)" 'p=reject at _dmarc\.good\.net, and SPF aligns' \
    "DMARC reject with SPF aligned: ok"
like "$(jstep good.net dmarc)" '^ok \| p=reject' "DMARC reject aligned (JSON)"

cd_conf nogoog.net "$GMAIL"
ckd
like "$(tline warn SPF)" 'the SPF record of nogoog\.net does not include _spf\.google\.com: mail sent through gmail fails SPF: add include:_spf\.google\.com to the SPF record of nogoog\.net' \
    "preset: the include missing, with the fix (text)"
like "$(jstep nogoog.net spf 2)" '^warn \| .*does not include _spf\.google\.com.* \| add include:_spf\.google\.com' \
    "preset: the include missing (JSON)"
like "$(tline warn DKIM)" 'no DKIM key of gmail for nogoog\.net \(google\._domainkey\.nogoog\.net\).*: turn on DKIM for nogoog\.net in gmail.s console' \
    "preset: the DKIM selector absent, with the fix"
like "$(tline FAIL DMARC)" 'p=reject at _dmarc\.nogoog\.net and neither SPF nor DKIM is aligned for mail sent through this relay: recipients will refuse it' \
    "DMARC reject, nothing aligned: FAIL with the verdict (text)"
like "$(jstep nogoog.net dmarc)" '^fail \| p=reject .*neither SPF nor DKIM is aligned.* \| authorise the relay in SPF or publish' \
    "DMARC reject, nothing aligned (JSON)"

# two relays: the verdict is per relay
cd_conf nogoog.net "$GMAIL" '[relay]' 'host = relay.pt-relay.net' \
    'port = 25' 'tls = none'
ckd
like "$(tline FAIL DMARC)" 'p=reject at _dmarc\.nogoog\.net and neither SPF nor DKIM is aligned' \
    "two relays: the preset relay's verdict fails"
like "$(tline warn DMARC)" 'p=reject at _dmarc\.nogoog\.net and SPF does not authorise the relay: recipients will refuse the mail unless' \
    "two relays: the other relay's verdict warns"
is "$(/usr/bin/python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["steps"]
     if x["step"] == "dmarc"]
print(" ".join("%s:%s" % (x["relay"], x["status"]) for x in s))' "$T/json")" \
    "1:fail 2:warn" "two relays: one DMARC verdict each in the JSON"

cd_conf ms.net "$MS365"
ckd
like "$(tline ' ok ' DKIM)" "office365's DKIM key for ms\\.net: selector1\\._domainkey\\.ms\\.net; absent: selector2\\._domainkey\\.ms\\.net" \
    "preset with two selectors: which exist and which not"
like "$(jstep ms.net dkim)" '^ok \| .*selector1.*absent: selector2' \
    "two selectors (JSON)"

# ---------------------------------------------------------------- DMARC
cd_conf dm-none.net
ckd
like "$(tline ' ok ' DMARC)" 'p=none at _dmarc\.dm-none\.net: receivers only report' \
    "DMARC none: reported as monitoring only"
like "$(jstep dm-none.net dmarc)" '^ok \| p=none' "DMARC none (JSON)"

cd_conf dm-quar.net "$GMAIL"
ckd
like "$(tline warn DMARC)" 'p=quarantine at _dmarc\.dm-quar\.net and neither SPF nor DKIM is aligned for mail sent through this relay: recipients will put it in spam' \
    "DMARC quarantine, nothing aligned: spam (text)"
like "$(jstep dm-quar.net dmarc)" '^warn \| p=quarantine' "DMARC quarantine (JSON)"

cd_conf sub.dm-org.net "$GMAIL"
ckd
like "$(tline warn DMARC)" 'p=quarantine at _dmarc\.dm-org\.net \(inherited from the organisational domain\)' \
    "DMARC inherited from the organisational domain, its sp= applies"
like "$(jstep sub.dm-org.net dmarc)" '^warn \| p=quarantine at _dmarc\.dm-org\.net \(inherited' \
    "DMARC inherited (JSON)"

# ---------------------------------------------------------------- no answer
cd_conf good.net
ckd --sender root@GOOD.NET.
is "$(grep -c '^sender domain ' "$T/out")" 1 \
    "--sender root@GOOD.NET.: the same domain as domain = good.net, once"
printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' \
    >"$T/resolv.conf"
ckd
like "$(tline warn 'sender domain')" 'cannot tell whether good\.net exists: no answer: nothing listens at the name servers in /etc/resolv\.conf \(connection refused\): check /etc/resolv\.conf, or run postern check --no-dns' \
    "name server refusing: a warning naming the cause and --no-dns (text)"
like "$(jstep good.net sender-domain)" '^warn \| .*connection refused.* \| .*--no-dns' \
    "name server refusing (JSON)"
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$T/silent.ready" &
SILENT_PID=$!
cleanup_push "kill $SILENT_PID"
wait_for_file "$T/silent.ready" || bail_out "the silent server did not start"
# resolv.conf's own bounds would wait 150 s: the check sets its own
printf 'nameserver 127.0.0.2\noptions timeout:30 attempts:5\n' \
    >"$T/resolv.conf"
cd_conf good.net 'host = 192.0.2.25' 'port = 25' 'tls = none'
t0=$(date +%s)
ckd --timeout 1
t1=$(date +%s)
like "$(tline warn 'sender domain')" 'cannot tell whether good\.net exists: no answer from the name servers in /etc/resolv\.conf \(timeout\)' \
    "silent name server: a timeout, told as such"
ok "silent name server: bounded by --timeout (text and JSON runs in $((t1 - t0)) s)" \
    [ $((t1 - t0)) -le 20 ]
# three sender domains: one timeout is waited for, the others not asked
t0=$(date +%s)
ckd --timeout 1 --sender root@other.net --sender root@third.net
t1=$(date +%s)
is "$(grep -c 'cannot tell whether' "$T/out")" 1 \
    "silent name server, three domains: one timeout waited for"
is "$(grep -cF '[skip] sender domain: not asked: the name servers did not answer for good.net' "$T/out")" 2 \
    "silent name server: the other two domains say why they were not asked"
like "$(jstep third.net sender-domain)" '^skip \| not asked: the name servers did not answer for good\.net' \
    "silent name server: the skip in the JSON"
ok "silent name server, three domains: still bounded ($((t1 - t0)) s)" \
    [ $((t1 - t0)) -le 20 ]
kill "$SILENT_PID"
# a server that answers SERVFAIL, one that answers REFUSED
for rcode in SERVFAIL REFUSED; do
	/usr/bin/python3 "$TESTLIB/dns-rcode.py" 127.0.0.3 "$T/$rcode.ready" \
	    "$rcode" 2>"$T/$rcode.err" &
	RC_PID=$!
	cleanup_push "kill $RC_PID"
	wait_for_file "$T/$rcode.ready" ||
		bail_out "dns-rcode.py $rcode did not start: $(cat "$T/$rcode.err")"
	printf 'nameserver 127.0.0.3\noptions timeout:1 attempts:1\n' \
	    >"$T/resolv.conf"
	ckd --timeout 1
	case $rcode in
	SERVFAIL) want='the name server failed to answer \(SERVFAIL\)' ;;
	REFUSED) want='the name server refused the question \(REFUSED\): is it a resolver\?' ;;
	esac
	like "$(tline warn 'sender domain')" "cannot tell whether good\\.net exists: $want: check /etc/resolv\\.conf" \
	    "a name server answering $rcode: told as such (text)"
	like "$(jstep good.net sender-domain)" "^warn \\| .*$want" \
	    "a name server answering $rcode: told as such (JSON)"
	kill "$RC_PID"
	wait "$RC_PID" 2>/dev/null
done
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' \
    >"$T/resolv.conf"
ckd --sender "x@$(printf '%070d' 0 | tr 0 a).net"
like "$(tline FAIL 'sender domain')" 'aaaa\.net \(--sender\) is not a valid domain name \(a label longer than 63 bytes, or an empty one\)' \
    "a label over 63 bytes: not a valid domain name, judged before DNS"

# ---------------------------------------------------------------- --strict
# a relay that works (the test smarthost): only the domain section warns
sh_dir=$T/sh
smarthost_start "$sh_dir" --starttls $TLSOPTS ||
	bail_out "smarthost did not start"
cd_conf dm-none.net "host = 127.0.0.1" "port = $SMARTHOST_PORT" \
    "tls = starttls" "tls_ca_file = $C/ca.pem"
ckd
like "$(tline skip SPF)" '127\.0\.0\.1 is on this machine \(127\.0\.0\.1\): SPF is judged on the server that finally sends' \
    "a relay on loopback: SPF not judged (libspf2 would pass it)"
is "$rc" 0 "all good but skips: exit 0"
ckd --strict
is "$rc" 0 "all good but skips: exit 0 with --strict too"
cd_conf nospf.net "host = 127.0.0.1" "port = $SMARTHOST_PORT" \
    "tls = starttls" "tls_ca_file = $C/ca.pem"
ckd
is "$rc" 0 "domain warnings only: exit 0"
ckd --strict
is "$rc" 1 "domain warnings only: --strict fails"
is "$jrc" 1 "domain warnings only: --strict --json fails"
like "$(tail -n 1 "$T/out")" '^check FAILED: .*[1-9][0-9]* warnings?' \
    "--strict: the summary says FAILED"
ckd --no-dns
unlike "$(cat "$T/out")" 'sender domain|SPF|DMARC' "--no-dns: no section"
is "$rc" 0 "--no-dns: exit 0"
smarthost_stop

done_testing
