# SPDX-License-Identifier: GPL-2.0-or-later
# smarthost.sh - start and stop tests/lib/smarthost.py from shell tests.
#   . "$top_srcdir/tests/lib/common.sh"; . "$top_srcdir/tests/lib/smarthost.sh"
#   smarthost_start "$T/sh" --starttls --tls-cert ... --auth PLAIN
#   ... use $SMARTHOST_PORT ...; smarthost_count "$T/sh"; smarthost_stop
# Owns: one background smarthost per smarthost_start (the latest one's
# port and pid are SMARTHOST_PORT/SMARTHOST_PID; SMARTHOST_DIR its outdir),
# stopped by smarthost_stop or, via cleanup_push, when the test exits.
# The server also exits by itself when the test shell goes away.
# Never: uses a fixed port or leaves a server running.

SMARTHOST_READY_TIMEOUT=${SMARTHOST_READY_TIMEOUT:-10}

# smarthost_start DIR [smarthost.py flags...] - start a server recording
# into DIR (created), wait until it listens, export SMARTHOST_PORT,
# SMARTHOST_PID, SMARTHOST_DIR.  Its stdout/stderr go to DIR/server.out.
# Returns 1 (and prints the server's output) when it does not come up.
smarthost_start() {
	_sh_dir=$1
	shift
	mkdir -p "$_sh_dir" || return 1
	rm -f "$_sh_dir/ready"
	/usr/bin/python3 "$top_srcdir/tests/lib/smarthost.py" --port 0 \
	    --outdir "$_sh_dir" --ready-file "$_sh_dir/ready" "$@" \
	    </dev/null >"$_sh_dir/server.out" 2>&1 &
	SMARTHOST_PID=$!
	SMARTHOST_DIR=$_sh_dir
	export SMARTHOST_PID SMARTHOST_DIR
	cleanup_push "smarthost_kill $SMARTHOST_PID"
	_sh_n=$((SMARTHOST_READY_TIMEOUT * 50))
	while [ ! -s "$_sh_dir/ready" ]; do
		if ! kill -0 "$SMARTHOST_PID" 2>/dev/null; then
			sed 's/^/# smarthost: /' "$_sh_dir/server.out"
			return 1
		fi
		_sh_n=$((_sh_n - 1))
		if [ $_sh_n -le 0 ]; then
			echo "# smarthost did not start in" \
			    "${SMARTHOST_READY_TIMEOUT}s"
			sed 's/^/# smarthost: /' "$_sh_dir/server.out"
			smarthost_kill "$SMARTHOST_PID"
			return 1
		fi
		sleep 0.02
	done
	SMARTHOST_PORT=$(cat "$_sh_dir/ready")
	export SMARTHOST_PORT
}

# smarthost_kill PID - TERM the server PID, KILL it after 5 s; reap it
smarthost_kill() {
	kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	kill -TERM "$1" 2>/dev/null
	_sk_n=250
	while kill -0 "$1" 2>/dev/null && [ $_sk_n -gt 0 ]; do
		sleep 0.02
		_sk_n=$((_sk_n - 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# smarthost_stop [PID] - stop the latest (or the given) server
smarthost_stop() {
	smarthost_kill "${1:-$SMARTHOST_PID}"
}

# smarthost_count DIR - print how many messages DIR's server accepted
smarthost_count() {
	find "$1" -maxdepth 1 -name '[0-9][0-9][0-9][0-9].json' | wc -l |
	    tr -d ' '
}

# smarthost_wait_count DIR N [TIMEOUT] - wait until DIR holds N messages
smarthost_wait_count() {
	_swc_n=$(( ${3:-10} * 20 ))
	while [ "$(smarthost_count "$1")" -lt "$2" ]; do
		_swc_n=$((_swc_n - 1))
		[ $_swc_n -gt 0 ] || return 1
		sleep 0.05
	done
}

# smarthost_json DIR N KEY - print field KEY of message N (1-based) as JSON
# text (strings without quotes, lists one item a line)
smarthost_json() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
d = json.load(open("%s/%04d.json" % (sys.argv[1], int(sys.argv[2]))))
v = d
for k in sys.argv[3].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
if isinstance(v, list):
    for x in v:
        print(x if isinstance(x, str) else json.dumps(x))
elif isinstance(v, str):
    sys.stdout.write(v if v.endswith("\n") else v + "\n")
else:
    print(json.dumps(v))
PY
}

# smtp_send ARGS... - run tests/lib/smtpclient.py (see its --help)
smtp_send() {
	/usr/bin/python3 "$top_srcdir/tests/lib/smtpclient.py" "$@" </dev/null
}
