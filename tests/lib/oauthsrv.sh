# SPDX-License-Identifier: GPL-2.0-or-later
# oauthsrv.sh - start and stop tests/lib/oauthsrv.py (the test OAuth2
# authorization server) from shell tests.
#   oauthsrv_start DIR CERTDIR [oauthsrv.py flags...]
# exports OAUTHSRV_PORT, OAUTHSRV_PID, OAUTHSRV_DIR; stopped by
# oauthsrv_stop or, via cleanup_push, when the test exits.
# Never: uses a fixed port or leaves a server running.

# oauthsrv_start DIR CERTDIR [flags...] - start, wait until it listens
oauthsrv_start() {
	_os_dir=$1
	_os_certs=$2
	shift 2
	mkdir -p "$_os_dir" || return 1
	rm -f "$_os_dir/ready"
	/usr/bin/python3 "$top_srcdir/tests/lib/oauthsrv.py" --dir "$_os_dir" \
	    --cert "$_os_certs/server.pem" --key "$_os_certs/server-key.pem" \
	    --ready-file "$_os_dir/ready" "$@" \
	    </dev/null >"$_os_dir/server.out" 2>&1 &
	OAUTHSRV_PID=$!
	OAUTHSRV_DIR=$_os_dir
	export OAUTHSRV_PID OAUTHSRV_DIR
	cleanup_push "smarthost_kill $OAUTHSRV_PID"
	wait_until 10 test -s "$_os_dir/ready" || {
		sed 's/^/# oauthsrv: /' "$_os_dir/server.out"
		return 1
	}
	OAUTHSRV_PORT=$(cat "$_os_dir/ready")
	export OAUTHSRV_PORT
}

# oauthsrv_stop - stop the latest server
oauthsrv_stop() {
	smarthost_kill "$OAUTHSRV_PID"
}

# oauthsrv_requests [GRANT] - how many token requests it answered
oauthsrv_requests() {
	if [ ! -f "$OAUTHSRV_DIR/requests.jsonl" ]; then
		echo 0
	elif [ -n "${1:-}" ]; then
		grep -c "\"grant\": \"$1\"" "$OAUTHSRV_DIR/requests.jsonl"
	else
		wc -l <"$OAUTHSRV_DIR/requests.jsonl" | tr -d ' '
	fi
}
