#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# presets.sh - every preset that `postern config --presets` lists (the
# loop reads that output, not a hand list) resolves to a complete, valid
# relay in `postern config`: host, port and tls come from the preset
# with the values the listing shows, force_sender where the listing says
# the provider wants the account as sender, and the configuration is
# OK.  A region preset (host with REGION) gets ses_region = eu-west-1.
# Then: a bad ses_region is refused with the fix; a written host keeps
# the preset's port list (the listing is unchanged by it).
. "$top_srcdir/tests/lib/common.sh"

POSTERN=$top_builddir/src/postern
[ -x "$POSTERN" ] || skip_all "postern not built"
tmpdir_make
CONF=$T/postern.conf

# conf LINES... - a configuration with one [relay] made of LINES
conf() {
	{
		printf '[postern]\nspool_dir = %s\nhostname = h.example\n' "$T"
		printf 'domain = example.org\n[relay]\n'
		for _c_l in "$@"; do
			printf '%s\n' "$_c_l"
		done
	} >"$CONF"
}

"$POSTERN" config --presets >"$T/list" 2>"$T/err"
is "$?" 0 "config --presets: exit 0 without any configuration"
names=$(sed -n 's/^\([a-z0-9-]*\): .*/\1/p' "$T/list")
n=$(printf '%s\n' "$names" | grep -c .)
ok "config --presets lists presets" test "$n" -ge 14

for p in $names; do
	block=$(sed -n "/^$p: /,/^\$/p" "$T/list")
	host=$(printf '%s\n' "$block" | sed -n 's/^    host = //p')
	port=$(printf '%s\n' "$block" | sed -n 's/^    port = \([0-9]*\), .*/\1/p')
	tls=$(printf '%s\n' "$block" | sed -n 's/^    port = [0-9]*, tls = //p')
	extra=
	case $host in
	*REGION*)
		extra='ses_region = eu-west-1'
		host=$(printf '%s' "$host" | sed 's/REGION/eu-west-1/')
		;;
	esac
	conf "preset = $p" ${extra:+"$extra"}
	"$POSTERN" config -C "$CONF" >"$T/out" 2>&1
	rc=$?
	out=$(cat "$T/out")
	if [ $rc -ne 0 ] || [ -z "$host" ] || [ -z "$port" ] || [ -z "$tls" ]
	then
		_tap_result 1 "$p: loads ($rc), listed with host, port, tls"
		diag "$out"
		continue
	fi
	_tap_result 0 "$p: loads, listed with host, port, tls"
	like "$out" "
host = $host  # preset $p
port = $port  # preset $p
tls = $tls  # preset $p
" "$p: the relay is $host:$port, tls = $tls, all from the preset"
	like "$out" "configuration OK" "$p: configuration OK"
	if printf '%s\n' "$block" | grep -q '^    sender: only the account'; then
		like "$out" "
force_sender = yes  # preset $p
" "$p: force_sender = yes from the preset"
	else
		like "$out" "
force_sender = no  # default
" "$p: force_sender left alone"
	fi
	like "$(printf '%s\n' "$block" | sed -n 's/^    ports offered: //p')" \
	    "^$port $tls(,|\$)" "$p: its own port first among the ports offered"
done

# the old spelling still works
conf 'preset = ses-us-east-1'
like "$("$POSTERN" config -C "$CONF" 2>&1)" \
    'host = email-smtp\.us-east-1\.amazonaws\.com  # preset ses-us-east-1' \
    "ses-us-east-1: still the us-east-1 endpoint"

# ses_region: missing, bad, misplaced
conf 'preset = ses'
out=$("$POSTERN" config -C "$CONF" 2>&1)
is "$?" 78 "ses without ses_region: exit 78"
like "$out" 'ses_region: missing: preset = ses needs ses_region = REGION, the AWS region of your SES account \(for example eu-west-1\)' \
    "ses without ses_region: the fix named"
conf 'preset = ses' 'ses_region = eu_west_1'
out=$("$POSTERN" config -C "$CONF" 2>&1)
is "$?" 78 "bad ses_region: exit 78"
like "$out" ":7: \\[relay\\] ses_region: bad value 'eu_west_1': expected an AWS region like eu-west-1 or us-east-1" \
    "bad ses_region: file:line, the value and the form"
conf 'preset = gmail' 'ses_region = eu-west-1'
like "$("$POSTERN" config -C "$CONF" 2>&1)" \
    'ses_region: set without preset = ses: add preset = ses or remove ses_region' \
    "ses_region with another preset: refused"
conf 'preset = ses' 'host = 127.0.0.1'
out=$("$POSTERN" config -C "$CONF" 2>&1)
like "$out" "
host = 127\\.0\\.0\\.1  # $CONF:7
port = 587  # preset ses
" "a written host wins; port and tls still the preset's (no region needed)"

done_testing
