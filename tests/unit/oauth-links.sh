#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oauth-links.sh - only posternd links libcurl and json-c (issue 14): the
# front end (postern) and the set-group-id postern-drop need neither
# (readelf: no NEEDED entry for them), and posternd does, so a build
# that dropped them cannot pass by showing nothing.  TAP.
set -u
. "$top_srcdir/tests/lib/common.sh"
command -v readelf >/dev/null 2>&1 || skip_all "readelf not found (binutils)"

# needs PROGRAM LIB - does PROGRAM have a NEEDED entry for libLIB?
needs() {
	readelf -d "$top_builddir/src/$1" 2>/dev/null |
	    grep -q "NEEDED.*\\[lib$2[.-]"
}

# needs_not PROGRAM LIB - no NEEDED entry for libLIB in PROGRAM
needs_not() {
	! needs "$1" "$2"
}

for p in postern postern-drop posternd; do
	[ -x "$top_builddir/src/$p" ] || skip_all "src/$p not built"
done
for lib in curl json-c; do
	for p in postern postern-drop; do
		ok "$p does not link lib$lib" needs_not "$p" "$lib"
	done
	ok "posternd links lib$lib" needs posternd "$lib"
done
done_testing
