#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# manpages.sh - every manual page in man/ formats without a warning:
# `man --warnings -l PAGE >/dev/null` must print nothing (groff's
# warnings go to standard error), and the page must render to text that
# names the page.  Skips cleanly when man-db or groff is not installed.
. "$top_srcdir/tests/lib/common.sh"

need_cmd man groff
[ -n "${PACKAGE_VERSION:-}" ] || bail_out "PACKAGE_VERSION not set (run through make check)"
pages=$(ls "$top_srcdir"/man/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || bail_out "no manual pages in $top_srcdir/man"

tmpdir_make
for p in $pages; do
	name=$(basename "$p")
	# man may want a cache or pager: keep it quiet and local
	warn=$(MANPAGER=cat PAGER=cat MANWIDTH=80 HOME="$T" \
	    man --warnings -l "$p" 2>&1 >/dev/null)
	is "$warn" "" "$name: man --warnings prints nothing"
	text=$(MANPAGER=cat PAGER=cat MANWIDTH=80 HOME="$T" man -l "$p" \
	    2>/dev/null)
	title=$(echo "$name" | sed 's/\.[1-8]$//' | tr '[:lower:]' '[:upper:]')
	like "$text" "^$title\\(" "$name: renders with its title"
	# the footer names this release: bump man/ with AC_INIT
	like "$(grep '^\.TH' "$p")" "\"postern $PACKAGE_VERSION\"" \
	    "$name: names postern $PACKAGE_VERSION"
done
done_testing
