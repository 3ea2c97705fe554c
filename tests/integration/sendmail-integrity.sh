#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-integrity.sh - issue 9: the real sendmail, postern-drop and
# spool, with header sections of exact sizes on every internal chunk and
# buffer size of the front end (+-1), up to max_header_size and one byte
# over, with and without a blank line after the header, each followed by
# body lines of 20,000 bytes.  What is queued is checked byte for byte
# against doc/input.md (tests/lib/integrity.py, written apart from the C
# code); a refusal must be exit 65 naming the key to raise, with nothing
# queued.  Once a fixed write buffer cut the body after a big header
# (exit 0, 11,808 of 20,000 bytes queued) and refused headers between
# 73.7 KB and max_header_size.  A header of exactly max_header_size
# followed without a blank line by a first body line of 1 to 70,000
# bytes is accepted (only header lines count: a line of 4096 to 8192
# bytes there was once counted into the header section and refused).
# Under valgrind a reduced list of sizes runs (below); the full one runs
# in tests/run-all's plain pass and in the sanitizer build.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
tmpdir_make
postern_setup

GEN="$PYTHON $TESTLIB/integrity.py"

# const FILE NAME - the value of "#define NAME value" in a source header,
# so the sizes below follow the code
const() {
	v=$(sed -n "s/^#define[ 	]*$2[ 	]*\([0-9]*\).*/\1/p" \
	    "$top_srcdir/$1")
	[ -n "$v" ] || bail_out "no #define $2 in $1"
	echo "$v"
}
READ=$(const src/front/input.h INPUT_READ_SIZE)		# 65536
PIECE=$(const src/front/input.h INPUT_PIECE_MAX)	# 8192
CHUNK=$(const src/core/spool.h SPOOL_PIPE_CHUNK_MAX)	# 65536
# the submission's old write buffer: one 64 KiB chunk + a piece + 2
OLDW=$((65536 + PIECE + 2))				# 73730
MAX=262144						# max_header_size default

tmp_empty() {
	[ -z "$(ls "$SPOOL/tmp")" ]
}

# accepted SIZE BLANK CONF [BODY_LINE] - the input is queued, byte for
# byte (body lines of BODY_LINE bytes, 20,000 by default)
accepted() {
	queue_clear
	$GEN make "$T/in" "$1" "$2" "${4:-20000}" ||
	    bail_out "generator failed"
	out=$("$SENDMAIL" -C "$3" -i rcpt@example.net <"$T/in" 2>&1)
	rc=$?
	what="header $1 bytes, blank line $2, body lines ${4:-20000}"
	is "$rc" 0 "$what: exit 0"
	[ "$rc" = 0 ] || diag "$out"
	f=$(queue_files)
	if [ "$(queue_count)" != 1 ] || [ -z "$f" ]; then
		ok "$what: one message queued (found $(queue_count))" false
		return
	fi
	ok "$what: every input byte queued, in order" \
	    $GEN check "$f" "$T/in.want"
}

# refused SIZE BLANK CONF LIMIT [BODY_LINE] - exit 65, the key named,
# nothing queued
refused() {
	queue_clear
	$GEN make "$T/in" "$1" "$2" "${5:-20000}" ||
	    bail_out "generator failed"
	out=$("$SENDMAIL" -C "$3" -i rcpt@example.net <"$T/in" 2>&1)
	rc=$?
	what="header $1 bytes, blank line $2, body lines ${5:-20000}"
	is "$rc" 65 "$what: over max_header_size ($4): exit 65"
	like "$out" "max_header_size.*raise max_header_size in $3" \
	    "$what: the message names the key to raise and the file"
	ok "$what: nothing queued" [ "$(queue_count)" = 0 ]
	ok "$what: no tmp file left" tmp_empty
}

# Every size +-1 runs in the plain and the sanitizer builds.  Under
# valgrind (make check-valgrind: each run some 30 times slower) one size
# of each boundary is enough to have every buffer edge's code path
# memory-checked, so the list there is the middle of each +-1 triple.
SIZES="$((PIECE - 1)) $PIECE $((PIECE + 1)) \
    $((READ - 1)) $READ $((READ + 1)) \
    $((CHUNK + PIECE - 1)) $((CHUNK + PIECE)) $((CHUNK + PIECE + 1)) \
    $((OLDW - 1)) $OLDW $((OLDW + 1)) \
    $((2 * CHUNK - 1)) $((2 * CHUNK)) $((2 * CHUNK + 1)) \
    $((MAX - 1)) $MAX"
FIRST_LINES="1 4095 4096 $((PIECE - 1)) $PIECE $((PIECE + 1)) 70000"
if vg_enabled; then
	SIZES="$PIECE $READ $((CHUNK + PIECE)) $OLDW $((2 * CHUNK)) $MAX"
	FIRST_LINES="4096 $PIECE 70000"
fi

for blank in 0 1; do
	# the issue's reproduction: ~67 KB, then a 20,000-byte body line
	accepted 67000 "$blank" "$CONF"
	for s in $SIZES; do
		accepted "$s" "$blank" "$CONF"
	done
	refused $((MAX + 1)) "$blank" "$CONF" 256K
done

# only header lines count: a header of exactly the limit, no blank line,
# then a first body line of any length (4096 to 8192 bytes once went
# into the header section's count: exit 65)
for l in $FIRST_LINES; do
	accepted $MAX 0 "$CONF" "$l"
done
for l in 1 $((PIECE - 1)) 70000; do
	refused $((MAX + 1)) 0 "$CONF" 256K "$l"
done

# a configured limit is the limit, to the byte
sed 's/^log = stderr$/log = stderr\nmax_header_size = 100000/' "$CONF" \
    >"$T/small.conf"
for blank in 0 1; do
	accepted 99999 "$blank" "$T/small.conf"
	accepted 100000 "$blank" "$T/small.conf"
	refused 100001 "$blank" "$T/small.conf" 100000
done

# the field count limit (HEADER_FIELDS_MAX): its own refusal, not a cut
FMAX=$(const src/core/header.h HEADER_FIELDS_MAX)
fields() {
	$PYTHON -c 'import sys
n = int(sys.argv[1])
sys.stdout.write("From: sender@example.org\nDate: Mon, 7 Dec 2026 11:00:00 '\
'+0000\nMessage-ID: <f@example.org>\n" + "".join("X-%d: y\n" % i '\
'for i in range(n - 3)) + "\nbody\n")' "$1" >"$T/in"
}
queue_clear
fields "$FMAX"
out=$("$SENDMAIL" -C "$CONF" -i rcpt@example.net <"$T/in" 2>&1)
is "$?" 0 "$FMAX header fields: exit 0"
ok "$FMAX header fields: queued" [ "$(queue_count)" = 1 ]
queue_clear
fields $((FMAX + 1))
out=$("$SENDMAIL" -C "$CONF" -i rcpt@example.net <"$T/in" 2>&1)
is "$?" 65 "$((FMAX + 1)) header fields: exit 65"
like "$out" "more than $FMAX fields" "$((FMAX + 1)) header fields: says why"
ok "$((FMAX + 1)) header fields: nothing queued" [ "$(queue_count)" = 0 ]

done_testing
