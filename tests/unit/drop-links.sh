#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# drop-links.sh - postern-drop, the set-group-id helper, links only what
# it runs (issue 13): nm on the built binary must show none of the
# modules it never calls (the configuration dump and secrets file, the
# retry and relay state, the queue-file reader, the header parser,
# addresses, aliases, JSON, the agent, TLS, SASL), and must show the
# ones it does call, so a stripped binary cannot pass by showing nothing.
# TAP.
set -u
. "$top_srcdir/tests/lib/common.sh"
DROP=$top_builddir/src/postern-drop
[ -x "$DROP" ] || skip_all "$DROP not built"
command -v nm >/dev/null 2>&1 || skip_all "nm not found (binutils)"
syms=$(nm --defined-only "$DROP" 2>/dev/null | awk 'NF == 3 { print $3 }')
[ -n "$syms" ] || skip_all "$DROP has no symbol table (stripped)"

# has SYMBOL - postern-drop defines SYMBOL
has() {
	echo "$syms" | grep -qx "$1"
}
# none PREFIX - postern-drop defines no symbol starting with PREFIX
none() {
	! echo "$syms" | grep -q "^$1"
}

# what it runs: the request parser, the queue-file writer, the loader
for s in main envelope_parse_request envelope_write conf_load_flags \
    header_date qid_generate; do
	ok "links $s (it calls it)" has "$s"
done

# what it must never link: symbol prefix, and the module it belongs to
while read -r prefix what; do
	[ -n "$prefix" ] || continue
	found=$(echo "$syms" | grep "^$prefix" | head -3 | tr '\n' ' ')
	ok "does not link $what ($prefix*)${found:+: $found}" none "$prefix"
done <<'LIST'
conf_dump		the configuration dump (confdump.c)
conf_load_secrets	the secrets file (confsecrets.c)
conf_secret		the secrets file (confsecrets.c)
spool_state_		the retry state (retrystate.c)
spool_read_envelope_fd	the queue-file reader (spool.c)
spool_replace_file	the agent's file replacement (spool.c)
spool_path		the spool paths (spool.c)
relaystate_		the relay state (relaystate.c)
header_block_		the header parser (header.c)
addr_			addresses (addr.c)
aliases_		aliases (aliases.c)
json_			JSON output (json.c)
hfold			header folding (hfold.c)
queue_			the agent's queue (src/agent)
deliver_		delivery (src/agent)
smtp_			the SMTP client (src/agent)
tls_			TLS (src/agent)
gnutls_			GnuTLS
sasl_			Cyrus SASL
LIST

done_testing
