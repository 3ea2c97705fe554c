# SPDX-License-Identifier: GPL-2.0-or-later
# sgid.sh - a real, set-group-id installation of postern for the tests that
# need one (permissions, and bench/enqueue); source it after common.sh.
#
# The installed postern-drop ignores -C when it runs set-group-id and
# reads the configuration compiled in (CONFDIR/postern.conf), so a private
# copy is configured with its own paths and installed by the project's own
# `make install-exec` (the install hook sets the group, the set-group-id
# bit, the spool owners and modes, and the sendmail links):
#
# sgid_install AGENT GROUP DROP_GROUP [EXTRA_CONFIG_LINES]
#   needs root and tmpdir_make; creates GROUP (the agent's group) and
#   DROP_GROUP (postern-drop's) if missing, with no members of their own;
#   configures $top_srcdir out of tree in $T/build with
#   --prefix=$T/prefix --with-confdir=$T/etc --with-spooldir=$T/spool
#   --with-user=AGENT --with-group=GROUP --with-drop-group=DROP_GROUP,
#   runs `make install-exec`, writes $T/etc/postern.conf (0644),
#   $T/etc/aliases and $T/etc/secrets (AGENT:GROUP 0600, holding
#   $SG_PASSWORD).  Exports SG_PREFIX SG_SPOOL SG_CONF SG_SECRETS
#   SG_SENDMAIL (the installed sendmail link) SG_POSTERN SG_DROP
#   SG_POSTERND SG_GROUP SG_DROP_GROUP.  Calls skip_all when the copy
#   cannot be built (no root, source tree configured in place) and
#   bail_out when the build fails.
#
# sgid_admin USER GROUP
#   needs root: creates USER (home-less, nologin, a group of its own) if
#   missing and makes it a member of GROUP: an administrator of the test
#   installation.  Idempotent and safe to run concurrently.
#
# Never: install anything outside $T.  The groups and the admin user
# stay, like the test users of make_test_users: tests running in
# parallel share them.

SG_PASSWORD=sg-Secret-4e1b0c
export SG_PASSWORD

# sgid_group GROUP - create GROUP (idempotent, concurrency-safe, no members)
sgid_group() {
	(
		flock 8
		getent group "$1" >/dev/null || groupadd "$1"
	) 8>"${TMPDIR:-/tmp}/postern-test-users.lock"
}

# sgid_admin USER GROUP - see above
sgid_admin() {
	(
		flock 8
		id -u "$1" >/dev/null 2>&1 ||
			useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$1" ||
			exit 1
		getent group "$2" >/dev/null || groupadd "$2" || exit 1
		id -Gn "$1" | tr ' ' '\n' | grep -qx "$2" ||
			usermod -a -G "$2" "$1"
	) 8>"${TMPDIR:-/tmp}/postern-test-users.lock"
}

# sgid_install AGENT GROUP DROP_GROUP [EXTRA_CONFIG_LINES] - see above
sgid_install() {
	_sg_agent=$1
	_sg_group=$2
	_sg_dgroup=$3
	need_root
	[ -x "$top_srcdir/configure" ] ||
		skip_all "$top_srcdir/configure missing (run autoreconf -fi)"
	[ ! -f "$top_srcdir/config.status" ] ||
		skip_all "source tree configured in place: an out-of-tree copy cannot be configured"
	id -u "$_sg_agent" >/dev/null 2>&1 ||
		bail_out "no user $_sg_agent (call make_test_users first)"
	sgid_group "$_sg_group" || bail_out "groupadd $_sg_group failed"
	sgid_group "$_sg_dgroup" || bail_out "groupadd $_sg_dgroup failed"
	SG_GROUP=$_sg_group
	SG_DROP_GROUP=$_sg_dgroup
	SG_PREFIX=$T/prefix
	SG_SPOOL=$T/spool
	SG_CONF=$T/etc/postern.conf
	SG_SECRETS=$T/etc/secrets
	SG_SENDMAIL=$SG_PREFIX/sbin/sendmail
	SG_POSTERN=$SG_PREFIX/sbin/postern
	SG_DROP=$SG_PREFIX/sbin/postern-drop
	SG_POSTERND=$SG_PREFIX/sbin/posternd
	export SG_PREFIX SG_SPOOL SG_CONF SG_SECRETS SG_SENDMAIL SG_POSTERN \
	    SG_DROP SG_POSTERND SG_GROUP SG_DROP_GROUP
	mkdir -p "$T/build" "$T/etc" || bail_out "mkdir $T/build"
	# a clean make environment: not the jobserver of the calling `make check`
	private_cc
	if ! (cd "$T/build" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		"$top_srcdir/configure" -q CC="$PRIVATE_CC" --prefix="$SG_PREFIX" \
		--with-confdir="$T/etc" --with-spooldir="$SG_SPOOL" \
		--with-user="$_sg_agent" --with-group="$_sg_group" \
		--with-drop-group="$_sg_dgroup" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -j2 install-exec) >"$T/build.log" 2>&1; then
		tail -n 30 "$T/build.log" | sed 's/^/# /'
		bail_out "configure or make install-exec of the private copy failed"
	fi
	: >"$T/etc/aliases"
	cat >"$SG_CONF" <<SGEOF
[postern]
aliases = $T/etc/aliases
secrets_file = $SG_SECRETS
domain = example.org
hostname = host.example.org
admin = admin@example.org
log = stderr
${4:-}
SGEOF
	printf 'smtp.example.com %s\n' "$SG_PASSWORD" >"$SG_SECRETS"
	chown "$_sg_agent:$_sg_group" "$SG_SECRETS"
	chmod 0600 "$SG_SECRETS"
	chmod 0644 "$SG_CONF" "$T/etc/aliases"
	chmod 0755 "$T/etc"
}
