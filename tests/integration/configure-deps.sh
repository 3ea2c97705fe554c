#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# configure-deps.sh - ./configure on a machine without one of the
# pkg-config libraries (GnuTLS, inih, Cyrus SASL, libpsl, libcurl,
# json-c) stops with a message naming the Debian package to install.
# The missing library is simulated by a pkg-config wrapper that knows
# nothing of it (removing -dev packages from the CI machine is not ours
# to do).
. "$top_srcdir/tests/lib/common.sh"
need_cmd pkg-config
tmpdir_make
[ -x "$top_srcdir/configure" ] || skip_all "no configure script in $top_srcdir"

real_pc=$(command -v pkg-config)
for case in "gnutls libgnutls28-dev" "inih libinih-dev" "libsasl2 libsasl2-dev" \
    "libpsl libpsl-dev" "libcurl libcurl4-gnutls-dev" "json-c libjson-c-dev"; do
	set -- $case
	lib=$1
	pkg=$2
	mkdir -p "$T/$lib"
	cat >"$T/$lib/pkg-config" <<PC
#!/bin/sh
for a in "\$@"; do
	case "\$a" in $lib|$lib[\ \<\>=]*) echo "Package $lib was not found" >&2; exit 1;; esac
done
exec $real_pc "\$@"
PC
	chmod +x "$T/$lib/pkg-config"
	out=$(cd "$T/$lib" && PKG_CONFIG="$T/$lib/pkg-config" \
	    "$top_srcdir/configure" -q 2>&1)
	rc=$?
	ok "without $lib: configure fails (exit $rc)" [ "$rc" -ne 0 ]
	like "$out" "configure: error: .*apt-get install $pkg" \
	    "without $lib: the error names $pkg"
done
done_testing
