#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-style.sh - contrib/check-style against a small fake tree: a clean
# tree passes, one violation of each rule fails naming the file and line,
# and the `long:` exception passes.  TAP.
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_cmd python3 git
tmpdir_make
CS="python3 $top_srcdir/contrib/check-style"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

# ---------------------------------------------------------------- clean
clean=$T/clean
mkdir -p "$clean/src/core" "$clean/doc"
cp "$top_srcdir/.clang-format" "$clean/"
cat >"$clean/src/core/a.c" <<'EOF'
/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * a.c - a clean module for the checker's test.
 *
 * Owns: the sum of two numbers.  Never does anything else.
 */
#include "a.h"

/* a_add - the sum */
int
a_add(int x, int y)
{
	return x + y;
}

/*
 * a_one, a_two - numbers named in one group comment (sprintf() here is
 * only a word in a comment)
 */
int
a_one(void)
{
	return 1;
}

int
a_two(void)
{
	return "sprintf("[0] == 's' ? 2 : 0;
}

int
main(void)
{
	return a_add(a_one(), a_two()) == 3 ? 0 : 1;
}
EOF
cat >"$clean/src/core/a.h" <<'EOF'
/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * a.h - the clean module's functions.
 *
 * a_add returns the sum of its arguments.
 */
#ifndef A_H
#define A_H
int	a_add(int, int);
int	a_one(void);
int	a_two(void);
#endif
EOF
cat >"$clean/doc/HACKING.md" <<'EOF'
# Hacking
src/core/a.c holds the sum; src/core is the core.
EOF
(cd "$clean" && git init -q -b main . && git add -A &&
    git commit -q -m base) || bail_out "git init of the fake tree"
base=$(git -C "$clean" rev-parse HEAD)
export CHECK_STYLE_BASE=$base

# run_cs DIR [ARGS] - the checker in DIR; sets out and rc
run_cs() {
	_d=$1
	shift
	out=$(cd "$_d" && $CS "$@" 2>&1)
	rc=$?
}

# tree NAME - a fresh copy of the clean tree (git history included)
tree() {
	rm -rf "${T:?}/$1"
	cp -R "$clean" "$T/$1"
	echo "$T/$1"
}

# fails NAME ERE DESC - the checker fails in tree NAME and says ERE
fails() {
	run_cs "$T/$1" src
	is "$rc" 1 "$3: exit 1"
	like "$out" "$2" "$3: names the violation"
}

# passes NAME DESC - the checker passes in tree NAME
passes() {
	run_cs "$T/$1" src
	is "$rc" 0 "$2: exit 0"
	[ "$rc" -eq 0 ] || diag "$out"
}

passes clean "clean tree"
like "$out" 'check-style: ok' "clean tree: says ok"

# ---------------------------------------------------------------- columns
d=$(tree cols)
printf '/* %s */\n' "$(printf '%078d' 0)" >>"$d/src/core/a.h"
fails cols '^src/core/a\.h:13: line is 84 columns wide, over 80' \
    "81+ columns"
d=$(tree tabs)
printf '\t\t\t\t\t\t\t\t/* %072d */\n' 0 >>"$d/src/core/a.h"
fails tabs '^src/core/a\.h:13: line is 142 columns wide' "tabs count 8"

# ---------------------------------------------------------------- header
d=$(tree spdx)
sed -i 1d "$d/src/core/a.h"
fails spdx '^src/core/a\.h:1: first line is not the SPDX line' "no SPDX"
d=$(tree hname)
sed -i 's/^ \* a\.c - / * b.c - /' "$d/src/core/a.c"
fails hname '^src/core/a\.c:2: no header comment naming the file' \
    "header names another file"
d=$(tree hshort)
sed -i '4,5d' "$d/src/core/a.c"
fails hshort '^src/core/a\.c:3: header comment is one line' \
    "header says nothing more"

# ---------------------------------------------------------------- comment
d=$(tree nocomment)
cat >>"$d/src/core/a.c" <<'EOF'

static int
a_sub(int x, int y)
{
	return x - y;
}
EOF
fails nocomment '^src/core/a\.c:39: no "/\* a_sub - \.\.\. \*/" comment' \
    "function without a comment"
d=$(tree wrongname)
cat >>"$d/src/core/a.c" <<'EOF'

/* a_minus - the difference */
static int
a_sub(int x, int y)
{
	return x - y;
}
EOF
fails wrongname '^src/core/a\.c:38: comment before a_sub\(\) names a_minus' \
    "comment naming another function"

# ---------------------------------------------------------------- length
# long_fn FILE N [MARK] - append a function whose body is N lines
long_fn() {
	{
		echo
		echo "/* a_long - counts${3:+ ($3)} */"
		echo "int"
		echo "a_long(void)"
		echo "{"
		echo "	int	n = 0;"
		_i=2
		while [ "$_i" -lt "$2" ]; do
			echo "	n++;"
			_i=$((_i + 1))
		done
		echo "	return n;"
		echo "}"
	} >>"$1"
}
d=$(tree len120)
long_fn "$d/src/core/a.c" 120
passes len120 "a 120-line body"
d=$(tree len121)
long_fn "$d/src/core/a.c" 121
fails len121 '^src/core/a\.c:40: a_long\(\) is 121 lines long, over 120' \
    "a 121-line body"
d=$(tree lenmark)
long_fn "$d/src/core/a.c" 200 "long: one straight count, clearer whole"
passes lenmark "a long body with the long: marker"

# ---------------------------------------------------------------- banned
d=$(tree banned)
sed -i 's/^\treturn x + y;/\tchar b[8];\n\n\tsprintf(b, "%d", x);\n&/' \
    "$d/src/core/a.c"
fails banned '^src/core/a\.c:15: banned function sprintf\(\)' \
    "a banned function"
d=$(tree voidbuf)
sed -i 's/^\treturn x + y;/\t(void)buf_puts(0, "x");\n&/' "$d/src/core/a.c"
fails voidbuf '^src/core/a\.c:13: struct buf append result thrown away' \
    "(void)buf_puts"

# ---------------------------------------------------------------- include
d=$(tree incl)
sed 's/a\.h - the clean/b.h - the second/; s/A_H/B_H/' \
    "$d/src/core/a.h" >"$d/src/core/b.h"
sed -i 's/^#define B_H$/&\n#include "a.h"/' "$d/src/core/b.h"
sed -i 's/^#define A_H$/&\n#include "b.h"/' "$d/src/core/a.h"
fails incl \
    '^src/core/a\.h:9: headers include each other: a\.h -> b\.h -> a\.h' \
    "two headers that include each other"

# ---------------------------------------------------------------- hacking
d=$(tree unmapped)
sed 's/a_add/b_add/g; s/a\.c - a clean/b.c - a second/' \
    "$d/src/core/a.c" >"$d/src/core/b.c"
fails unmapped '^doc/HACKING\.md:1: src/core/b\.c is not in the map' \
    "a .c file HACKING.md does not name"
d=$(tree stale)
echo "src/core/gone.c was split." >>"$d/doc/HACKING.md"
fails stale '^doc/HACKING\.md:3: src/core/gone\.c does not exist' \
    "HACKING.md names a file that is gone"

# ---------------------------------------------------------------- format
if command -v clang-format >/dev/null 2>&1 &&
    git clang-format -h >/dev/null 2>&1; then
	d=$(tree fmt)
	cat >>"$d/src/core/a.c" <<'EOF'

/* a_neg - the negation */
static int a_neg(int x) {
	if(x) return -x;
	return 0;
}
EOF
	fails fmt '^src/core/a\.c:39: not laid out as \.clang-format says' \
	    "a function in another layout"
	d=$(tree fmtknf)
	cat >>"$d/src/core/a.c" <<'EOF'

/* a_neg - the negation, laid out in KNF */
static int
a_neg(int x)
{
	int	y;

	if (x != 0 && x != 1 && x != 2 && x != 3 && x != 4 && x != 5 &&
	    x != 6)
		y = -x;
	else
		y = 0;
	return y;
}
EOF
	passes fmtknf "KNF declarations and hand-filled lines"
	d=$(tree fmtelse)
	cat >>"$d/src/core/a.c" <<'EOF'

/* a_sign - the sign */
static int
a_sign(int x)
{
	if (x < 0) {
		return -1;
	}
	else if (x > 0)
		return 1;
	return 0;
}
EOF
	fails fmtelse '^src/core/a\.c:45: not laid out .*\} else if' \
	    "'}' and 'else' on two lines"
else
	skip "clang-format or git clang-format not installed" 6
fi

# ---------------------------------------------------------------- graph
CC=${CC:-cc}
if command -v "$CC" >/dev/null 2>&1 && command -v nm >/dev/null 2>&1; then
	g=$T/graph
	x=$g/src/x
	mkdir -p "$x"
	printf 'int q(void);\nint p(void) { return q(); }\n' >"$x/p.c"
	printf 'int p(void);\nint q(void) { return p(); }\n' >"$x/q.c"
	printf 'int p(void);\nint r(void) { return p(); }\n' >"$x/r.c"
	printf 'int s(void);\nint gone(void) { return s(); }\n' >"$g/gone.c"
	printf 'int gone(void);\nint s(void) { return gone(); }\n' >"$x/s.c"
	$CC -c -o "$x/libx_a-p.o" "$x/p.c" &&
	$CC -c -o "$x/q.o" "$x/q.c" &&
	$CC -c -o "$x/prog-r.o" "$x/r.c" &&
	$CC -c -o "$x/s.o" "$x/s.c" &&
	$CC -c -o "$x/gone.o" "$g/gone.c" || bail_out "cc failed"
	run_cs "$g" --graph "$g" "$g"
	is "$rc" 1 "graph: two files calling each other: exit 1"
	cyc='src/x/p\.c -> src/x/q\.c \(q\); src/x/q\.c -> src/x/p\.c \(p\)'
	like "$out" "$cyc" "graph: prints the cycle"
	unlike "$out" 'cycle.*(r|s)\.c' \
	    "graph: one-way calls are no cycle, a stale object is ignored"
	like "$out" 'src/x/gone\.o: no src/x/gone\.c: stale object ignored' \
	    "graph: says it ignored the stale object"
	rm "$x/q.o"
	printf 'int q(void) { return 1; }\n' >"$x/q.c"
	$CC -c -o "$x/q.o" "$x/q.c" || bail_out "cc failed"
	run_cs "$g" --graph "$g" "$g"
	is "$rc" 0 "graph: no cycle: exit 0"
else
	skip "no C compiler or nm" 5
fi

done_testing
