#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oauth-links.sh - only posternd links libcurl and json-c (issue 14): the
# front end (postern) and the set-group-id postern-drop need neither
# (readelf: no NEEDED entry for them), and posternd does, so a build
# that dropped them cannot pass by showing nothing.  TAP.
set -u
: "${top_builddir:=$(pwd)}"
if ! command -v readelf >/dev/null 2>&1; then
	echo "1..0 # SKIP readelf not found (binutils)"
	exit 0
fi
n=0
failed=0

ok() {	# ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# needs PROGRAM LIB - does PROGRAM have a NEEDED entry for libLIB?
needs() {
	readelf -d "$top_builddir/src/$1" 2>/dev/null |
	    grep -q "NEEDED.*\\[lib$2[.-]"
}

for p in postern postern-drop posternd; do
	if [ ! -x "$top_builddir/src/$p" ]; then
		echo "1..0 # SKIP src/$p not built"
		exit 0
	fi
done
for lib in curl json-c; do
	for p in postern postern-drop; do
		needs "$p" "$lib"
		ok $((! $?)) "$p does not link lib$lib"
	done
	needs posternd "$lib"
	ok $? "posternd links lib$lib"
done
echo "1..$n"
[ "$failed" -eq 0 ]
