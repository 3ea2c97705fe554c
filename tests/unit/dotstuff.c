/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dotstuff.c - unit tests for CRLF conversion, dot-stuffing, line cuts */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dotstuff.h"
#include "tap.h"

#define OUT_MAX	(1024 * 1024)

/* oneshot - convert in[0..n) in one call plus finish into out */
static void
oneshot(const char *in, size_t n, struct buf *out)
{
	struct dotstuff	ds;

	buf_reset(out);
	dotstuff_init(&ds);
	if (dotstuff_feed(&ds, in, n, out) == -1 ||
	    dotstuff_finish(&ds, out) == -1)
		abort();
}

/* conv - oneshot as a C string (static storage) */
static const char *
conv(const char *in)
{
	static struct buf	b;
	static int		init;

	if (!init) {
		buf_init(&b, OUT_MAX);
		init = 1;
	}
	oneshot(in, strlen(in), &b);
	return buf_cstr(&b);
}

/* every_split - output is the same for every 2- and 3-way split */
static int
every_split(const char *in, size_t n, int three)
{
	struct buf	ref, got;
	struct dotstuff	ds;
	size_t		i, j;
	int		good = 1;

	buf_init(&ref, OUT_MAX);
	buf_init(&got, OUT_MAX);
	oneshot(in, n, &ref);
	for (i = 0; i <= n && good; i++) {
		for (j = three ? i : n; j <= n && good; j++) {
			buf_reset(&got);
			dotstuff_init(&ds);
			if (dotstuff_feed(&ds, in, i, &got) == -1 ||
			    dotstuff_feed(&ds, in + i, j - i, &got) == -1 ||
			    dotstuff_feed(&ds, in + j, n - j, &got) == -1 ||
			    dotstuff_finish(&ds, &got) == -1)
				good = 0;
			else if (got.len != ref.len ||
			    memcmp(got.data, ref.data, ref.len) != 0)
				good = 0;
			if (!good)
				diag("split at %zu,%zu differs", i, j);
		}
	}
	buf_free(&ref);
	buf_free(&got);
	return good;
}

/*
 * wire_ok - no line over 1000 with CRLF (a stuffed dot not counted, RFC
 * 5321 4.5.3.1.6), no bare CR/LF, ends CRLF.CRLF
 */
static int
wire_ok(const struct buf *b)
{
	size_t	i, col = 0;

	if (b->len < 3 || memcmp(b->data + b->len - 3, ".\r\n", 3) != 0)
		return 0;
	if (b->len > 3 && (b->len < 5 ||
	    memcmp(b->data + b->len - 5, "\r\n.\r\n", 5) != 0))
		return 0;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r') {
			if (i + 1 >= b->len || b->data[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (b->data[i] == '\n')
			return 0;
		/* the first of a line's two leading dots is the stuffed one */
		if (col == 0 && b->data[i] == '.' && i + 1 < b->len &&
		    b->data[i + 1] == '.' && (i == 0 || b->data[i - 1] ==
		    '\n'))
			i++;
		if (++col > DOTSTUFF_LINE_MAX)
			return 0;
	}
	return 1;
}

/*
 * unfold_header - the header section of wire output b (up to the empty
 * line), CRLF turned to LF and RFC 5322 unfolded (CRLF before WSP
 * removed), as a C string (caller frees)
 */
static char *
unfold_header(const struct buf *b)
{
	char	*u = malloc(b->len + 1);
	size_t	 i, o = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 2 < b->len &&
		    (b->data[i + 2] == ' ' || b->data[i + 2] == '\t')) {
			i++;	/* a fold: drop CRLF */
			continue;
		}
		if (b->data[i] == '\r' && i + 3 < b->len &&
		    b->data[i + 2] == '\r') {
			u[o++] = '\n';	/* the empty line: stop */
			break;
		}
		if (b->data[i] == '\r')
			continue;
		u[o++] = b->data[i];
	}
	u[o] = '\0';
	return u;
}

/*
 * header_words - "X-W:" then words of wlen octets separated by one sep
 * octet, n octets before the LF, then an empty line and "body\n"
 * (caller frees)
 */
static char *
header_words(size_t n, size_t wlen, char sep)
{
	char	*s = malloc(n + 7);
	size_t	 i;

	for (i = 0; i < n; i++)
		s[i] = (i + 1) % (wlen + 1) == 0 ? sep : (char)('a' + i % 26);
	memcpy(s, "X-W:", n < 4 ? n : 4);
	memcpy(s + n, "\n\nb\n", 5);
	s[n + 5] = '\0';
	return s;
}

/* line_of - a string of n copies of c followed by LF (caller frees) */
static char *
line_of(char c, size_t n)
{
	char	*s = malloc(n + 2);

	memset(s, c, n);
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

int
main(void)
{
	struct buf	b;
	struct dotstuff	ds;
	char		*l, *body;
	const char	*mixed = "Subject: x\n.\n..\n.a\nfoo\n\n.\nbar.\n.";
	size_t		n;

	buf_init(&b, OUT_MAX);
	is_str(conv(""), ".\r\n", "empty body is just the terminator");
	is_str(conv("a\n"), "a\r\n.\r\n", "LF becomes CRLF");
	is_str(conv("a"), "a\r\n.\r\n", "missing final newline is added");
	is_str(conv("\n"), "\r\n.\r\n", "a lone empty line");
	is_str(conv(".\n"), "..\r\n.\r\n", "a lone dot is stuffed");
	is_str(conv("a\n.b\n..c\nd.\n"), "a\r\n..b\r\n...c\r\nd.\r\n.\r\n",
	    "leading dots doubled, inner dots kept");
	is_str(conv("."), "..\r\n.\r\n", "dot without newline at the end");
	is_str(conv("a\r\nb\n"), "a\r\nb\r\n.\r\n", "CRLF input tolerated");
	is_str(conv("a\rb\n"), "a\r\nb\r\n.\r\n", "lone CR becomes a line end");
	is_str(conv("a\r"), "a\r\n.\r\n", "trailing CR ends the line");

	/* 998, 999, 5000 octet lines, in the body */
	l = line_of('x', 998);
	body = malloc(2 + 998 + 2);
	memcpy(body, "\n", 1);
	memcpy(body + 1, l, 999);
	body[1000] = '\0';
	oneshot(body, strlen(body), &b);
	ok(b.len == 2 + 998 + 2 + 3 && wire_ok(&b), "998-octet line passes");
	free(body);
	free(l);

	l = line_of('y', 999);
	{
		char	*in = malloc(1 + 1000 + 1);

		in[0] = '\n';
		memcpy(in + 1, l, 1001);
		oneshot(in, strlen(in), &b);
		ok(wire_ok(&b) && b.len == 2 + 998 + 2 + 1 + 2 + 3 &&
		    memcmp(b.data + 2 + 998, "\r\ny\r\n", 5) == 0,
		    "999-octet body line is cut after 998, no space");
		free(in);
	}
	free(l);

	l = line_of('H', 999);
	memcpy(l, "X-Long: ", 8);
	oneshot(l, strlen(l), &b);
	ok(wire_ok(&b) && memcmp(b.data, "X-Long:\r\n HHH", 13) == 0 &&
	    b.len == 999 + 2 + 2 + 3, "999-octet header line is folded at "
	    "its white space, nothing inserted");
	free(l);

	l = line_of('z', 5000);
	memcpy(l, "X-Huge: ", 8);
	{
		char	*in = malloc(5001 + 7 + 1);

		memcpy(in, l, 5001);
		memcpy(in + 5001, "\n.body\n", 8);
		oneshot(in, strlen(in), &b);
		ok(wire_ok(&b), "5000-octet header line: wire rules hold");
		ok(strstr(b.data, "\r\n..body\r\n") != NULL,
		    "body after a long header is still dot-stuffed");
		ok(every_split(in, strlen(in), 0),
		    "5000-octet header: every 2-way split equals one shot");
		free(in);
	}
	free(l);

	/* a body line of 5000 dots: each cut-off piece starts with a dot */
	l = line_of('.', 5000);
	{
		char	*in = malloc(5001 + 2);

		in[0] = '\n';
		memcpy(in + 1, l, 5002);
		oneshot(in, strlen(in), &b);
		ok(wire_ok(&b), "5000 dots: wire rules hold");
		ok(strstr(b.data, "\r\n.\r\n") == b.data + b.len - 5,
		    "5000 dots: no early end-of-data marker");
		ok(every_split(in, strlen(in), 0),
		    "5000 dots: every 2-way split equals one shot");
		free(in);
	}
	free(l);

	/* exactly 998 then a dot at the cut: 997 x + "." + "." + LF */
	l = line_of('x', 1000);
	l[0] = '\n';
	l[998] = '.';
	l[999] = '.';
	oneshot(l, strlen(l), &b);
	ok(wire_ok(&b) && b.data[2 + 997] == '.' &&
	    memcmp(b.data + 2 + 998, "\r\n..\r\n.\r\n", 9) == 0,
	    "a dot landing at the start of a cut piece is stuffed");
	free(l);

	ok(every_split(mixed, strlen(mixed), 1),
	    "mixed dots/headers: every 3-way split equals one shot");

	/*
	 * issue 9 defect 4: a long header line is folded at white space so
	 * that unfolding gives back exactly what was submitted; lengths
	 * around the limit, several word lengths, SP and HTAB
	 */
	{
		static const size_t lens[] = { 997, 998, 999, 1000, 1001,
		    1996, 1997, 2500, 20000 };
		static const size_t wlens[] = { 1, 4, 80, 996, 997 };
		size_t	li, wi, si, bad = 0, cuts = 0;
		char	*in, *u;

		for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
		for (wi = 0; wi < sizeof(wlens) / sizeof(wlens[0]); wi++)
		for (si = 0; si < 2; si++) {
			in = header_words(lens[li], wlens[wi],
			    si ? '\t' : ' ');
			dotstuff_init(&ds);
			buf_reset(&b);
			if (dotstuff_feed(&ds, in, strlen(in), &b) == -1 ||
			    dotstuff_finish(&ds, &b) == -1)
				abort();
			u = unfold_header(&b);
			if (!wire_ok(&b) || strncmp(u, in, lens[li]) != 0 ||
			    u[lens[li]] != '\n' || ds.hdr_cut != 0) {
				diag("len %zu word %zu sep %d: unfolded "
				    "differs or cut", lens[li], wlens[wi],
				    (int)si);
				bad++;
			}
			if (lens[li] <= 998 && ds.hdr_folded != 0)
				bad++;	/* folded needlessly */
			if (lens[li] > 998 && ds.hdr_folded == 0)
				bad++;
			cuts += ds.hdr_cut;
			free(u);
			free(in);
		}
		is_int(bad, 0, "long header lines fold at white space and "
		    "unfold to the submitted line (997..20000 octets)");
		is_int(cuts, 0, "no space inserted where white space was");

		/* the case: the limit falls inside a word */
		in = header_words(1200, 4, ' ');
		oneshot(in, strlen(in), &b);
		u = unfold_header(&b);
		ok(strncmp(u, in, 1200) == 0 && b.data[994] == '\r' &&
		    b.data[996] == ' ', "limit inside a word: folded before "
		    "the word, not inside it");
		free(u);
		ok(every_split(in, strlen(in), 0),
		    "folding: every 2-way split equals one shot");
		free(in);
		in = header_words(2100, 997, ' ');
		ok(every_split(in, strlen(in), 0),
		    "folding with the only white space at 997: every split");
		free(in);

		/* no white space at all: cut with a space, counted once */
		in = header_words(2500, 3000, ' ');
		dotstuff_init(&ds);
		buf_reset(&b);
		ok(dotstuff_feed(&ds, in, strlen(in), &b) == 0 &&
		    dotstuff_finish(&ds, &b) == 0 && wire_ok(&b) &&
		    ds.hdr_cut == 1 && ds.hdr_folded == 0 &&
		    memcmp(b.data + 998, "\r\n ", 3) == 0,
		    "a header line without white space is cut with a space, "
		    "counted once");
		ok(every_split(in, strlen(in), 0),
		    "cut without white space: every 2-way split");
		free(in);

		/* a continuation line whose only white space leads it */
		in = malloc(1100);
		memcpy(in, "X-C: a\n\t", 8);
		memset(in + 8, 'q', 1000);
		memcpy(in + 1008, "\n\nb\n", 5);
		dotstuff_init(&ds);
		buf_reset(&b);
		ok(dotstuff_feed(&ds, in, strlen(in), &b) == 0 &&
		    dotstuff_finish(&ds, &b) == 0 && wire_ok(&b) &&
		    ds.hdr_cut == 1 && strstr(b.data, "\r\n\r\n") != NULL &&
		    strstr(b.data, "\r\n\r\n") == strstr(b.data, "\r\n\r\nb"),
		    "leading white space is no fold point (no empty line)");
		free(in);
	}
	/*
	 * a line that starts with a dot: the stuffed dot does not count on
	 * the line (RFC 5321 4.5.3.1.6), so 998 octets go whole (they were
	 * cut into 997 and 1, which changed the line)
	 */
	{
		struct dotstuff	 d2;
		char		*in = malloc(1100), *u;

		for (n = 997; n <= 1000; n++) {
			in[0] = '\n';
			in[1] = '.';
			memset(in + 2, 'x', n - 1);
			memcpy(in + 1 + n, "\n", 2);
			dotstuff_init(&d2);
			buf_reset(&b);
			if (dotstuff_feed(&d2, in, n + 2, &b) == -1 ||
			    dotstuff_finish(&d2, &b) == -1)
				abort();
			ok(wire_ok(&b) && memcmp(b.data, "\r\n..", 4) == 0 &&
			    (n <= 998 ? d2.lines_split == 0 &&
			    b.data[3 + n] == '\r' : d2.lines_split == 1 &&
			    b.data[3 + 998] == '\r'),
			    "a dot-led body line of %zu octets: %s", n,
			    n <= 998 ? "whole, on a wire line of one more" :
			    "cut at 998 octets after the stuffed dot");
		}
		for (n = 997; n <= 1000; n++) {
			size_t	k;

			memcpy(in, ".X-D:", 5);
			for (k = 5; k < n; k++)
				in[k] = k % 10 == 5 ? ' ' : 'a';
			memcpy(in + n, "\n\nb\n", 5);
			dotstuff_init(&d2);
			buf_reset(&b);
			if (dotstuff_feed(&d2, in, n + 4, &b) == -1 ||
			    dotstuff_finish(&d2, &b) == -1)
				abort();
			u = unfold_header(&b);
			ok(wire_ok(&b) && strncmp(u, ".", 1) == 0 &&
			    strncmp(u + 1, in, n) == 0 && u[n + 1] == '\n' &&
			    d2.hdr_folded == (n > 998) && d2.hdr_cut == 0,
			    "a dot-led header line of %zu octets: %s", n,
			    n <= 998 ? "not folded" : "folded at white space");
			free(u);
		}
		free(in);
	}
	ok(every_split("a\r\n.\r\r\n.", 9, 1),
	    "CR handling: every 3-way split equals one shot");

	/* has_8bit and state counters */
	ok(!dotstuff_has_8bit("plain ascii\n", 12), "ascii is not 8-bit");
	ok(dotstuff_has_8bit("caf\xc3\xa9\n", 6), "UTF-8 is 8-bit");
	dotstuff_init(&ds);
	buf_reset(&b);
	ok(dotstuff_feed(&ds, "a\n\xe9\n", 4, &b) == 0 && ds.has_8bit,
	    "the stream records 8-bit content");
	{
		/* the word-at-a-time scan: every length and position */
		char	scan[8200];
		size_t	len, pos;
		int	bad = 0;

		memset(scan, 'a', sizeof(scan));
		for (len = 0; len <= 40; len++) {
			if (dotstuff_has_8bit(scan, len))
				bad++;
			for (pos = 0; pos < len; pos++) {
				scan[pos] = (char)0x80;
				if (!dotstuff_has_8bit(scan, len) ||
				    dotstuff_has_8bit(scan, pos))
					bad++;
				scan[pos] = 'a';
			}
		}
		for (pos = 4080; pos < 4112; pos++) {
			scan[pos] = (char)0xff;
			if (!dotstuff_has_8bit(scan, sizeof(scan)))
				bad++;
			scan[pos] = 'a';
		}
		scan[sizeof(scan) - 1] = (char)0xc3;
		if (!dotstuff_has_8bit(scan, sizeof(scan)))
			bad++;
		is_int(bad, 0, "has_8bit finds a high byte at any position");
	}

	/* bounded output: the documented worst case holds */
	body = malloc(4000);
	for (n = 0; n < 4000; n++)
		body[n] = n % 2 ? '\n' : '.';
	dotstuff_init(&ds);
	buf_reset(&b);
	ok(dotstuff_feed(&ds, body, 4000, &b) == 0 &&
	    b.len <= DOTSTUFF_OUT_MAX(4000), "output within DOTSTUFF_OUT_MAX");
	free(body);

	{
		struct buf	small;

		buf_init(&small, 4);
		dotstuff_init(&ds);
		ok(dotstuff_feed(&ds, "abcdef\n", 7, &small) == -1,
		    "a full output buffer is reported");
		buf_free(&small);
	}
	buf_free(&b);
	return done_testing();
}
