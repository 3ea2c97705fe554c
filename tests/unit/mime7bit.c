/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mime7bit.c - unit tests for the 8BITMIME downgrade (issue 9 defect 5):
 * quoted-printable at its limits (76-octet lines, '=', trailing blanks,
 * lines of 997..1000 and 20,000 octets), MIME structure kept (nested
 * multiparts, message/rfc822, delimiters inside chunks), the refusals,
 * and the same output for every chunking.  The quoted-printable decoder
 * here is the test's own (RFC 2045 6.7), not the module's inverse.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime7bit.h"
#include "tap.h"

#define OUT_MAX	(64 * 1024 * 1024)

/* conv - one-shot conversion into out; the reason or NULL */
static const char *
conv(const char *in, size_t n, struct buf *out)
{
	static char	 why[MIME7BIT_REASON_MAX];
	struct mime7bit	*m = mime7bit_new();
	const char	*r = NULL;

	buf_reset(out);
	if (mime7bit_feed(m, in, n, out) == -1 ||
	    mime7bit_finish(m, out) == -1) {
		r = mime7bit_reason(m);
		if (r == NULL)
			abort();	/* out full: a test bug */
		(void)snprintf(why, sizeof(why), "%s", r);
		r = why;
	}
	mime7bit_free(m);
	return r;
}

/* convs - conv of a C string; the output as a C string (static) */
static const char *
convs(const char *in)
{
	static struct buf	b;
	static int		init;

	if (!init) {
		buf_init(&b, OUT_MAX);
		init = 1;
	}
	if (conv(in, strlen(in), &b) != NULL)
		return "(refused)";
	return buf_cstr(&b);
}

/* refusal - the reason in converting in, or "" */
static const char *
refusal(const char *in)
{
	struct buf	 b;
	const char	*r;

	buf_init(&b, OUT_MAX);
	r = conv(in, strlen(in), &b);
	buf_free(&b);
	return r != NULL ? r : "";
}

/* seven_bit - no 8-bit octet, no line over 998, no NUL */
static int
seven_bit(const struct buf *b)
{
	size_t	i, col = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c >= 0x80 || c == 0)
			return 0;
		if (c == '\n')
			col = 0;
		else if (++col > 998)
			return 0;
	}
	return 1;
}

/*
 * qp_decode - RFC 2045 6.7 decoding of s[0..n) into out; -1 when it is
 * not well formed, or a line is over 76 octets or ends in a blank
 */
static int
qp_decode(const char *s, size_t n, struct buf *out)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i, col = 0;
	const char		*a, *b;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			if (col > 76 || (i > 0 && (s[i - 1] == ' ' ||
			    s[i - 1] == '\t')))
				return -1;
			col = 0;
			if (buf_putc(out, '\n') == -1)
				return -1;
			continue;
		}
		col++;
		if (s[i] != '=') {
			if (buf_putc(out, s[i]) == -1)
				return -1;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\n') {
			if (col > 76)
				return -1;
			col = 0;
			i++;		/* soft line break */
			continue;
		}
		if (i + 2 >= n || (a = strchr(hex, s[i + 1])) == NULL ||
		    (b = strchr(hex, s[i + 2])) == NULL || s[i + 1] == '\0' ||
		    s[i + 2] == '\0')
			return -1;
		if (buf_putc(out, (char)((a - hex) * 16 + (b - hex))) == -1)
			return -1;
		i += 2;
		col += 2;
	}
	return col > 76 ? -1 : 0;
}

/* every_split - the output is the same for every 2-way (or 3-way) split */
static int
every_split(const char *in, size_t n, int three)
{
	struct buf	 ref, got;
	struct mime7bit	*m;
	size_t		 i, j;
	int		 good = 1, rc;
	const char	*r0;

	buf_init(&ref, OUT_MAX);
	buf_init(&got, OUT_MAX);
	r0 = conv(in, n, &ref);
	for (i = 0; i <= n && good; i++) {
		for (j = three ? i : n; j <= n && good; j++) {
			buf_reset(&got);
			m = mime7bit_new();
			rc = 0;
			if (mime7bit_feed(m, in, i, &got) == -1 ||
			    mime7bit_feed(m, in + i, j - i, &got) == -1 ||
			    mime7bit_feed(m, in + j, n - j, &got) == -1 ||
			    mime7bit_finish(m, &got) == -1)
				rc = -1;
			if ((rc == -1) != (r0 != NULL))
				good = 0;
			else if (rc == 0 && (got.len != ref.len ||
			    memcmp(got.data, ref.data, ref.len) != 0))
				good = 0;
			if (!good)
				diag("split at %zu,%zu differs", i, j);
			mime7bit_free(m);
		}
	}
	buf_free(&ref);
	buf_free(&got);
	return good;
}

/* body_of - the part after the first empty line of s (borrowed) */
static const char *
body_of(const char *s)
{
	const char	*p = strstr(s, "\n\n");

	return p != NULL ? p + 2 : "";
}

/*
 * qp_roundtrip - a non-MIME message "Subject: t\n\n" + body: converted,
 * it is 7-bit and its body decodes to body exactly
 */
static int
qp_roundtrip(const char *body, size_t n)
{
	struct buf	in, out, dec;
	const char	*b;
	int		good;

	buf_init(&in, OUT_MAX);
	buf_init(&out, OUT_MAX);
	buf_init(&dec, OUT_MAX);
	if (buf_puts(&in, "Subject: t\n\n") == -1 ||
	    buf_append(&in, body, n) == -1)
		abort();
	good = conv(in.data, in.len, &out) == NULL && seven_bit(&out);
	if (good) {
		b = body_of(buf_cstr(&out));
		good = qp_decode(b, out.len - (size_t)(b - out.data),
		    &dec) == 0 && dec.len == n &&
		    memcmp(dec.data, body, n) == 0;
	}
	buf_free(&in);
	buf_free(&out);
	buf_free(&dec);
	return good;
}

static const char MULTI[] =
    "From: a@example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed;\n boundary=\"b1 x\"\n"
    "\n"
    "preamble\n"
    "--b1 x\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "h\xc3\xa9llo = x \n"
    "--b1 x\n"
    "Content-Type: multipart/alternative; boundary=b2\n"
    "\n"
    "--b2\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>\xc3\xa9</p>\n"
    "--b2--\n"
    "--b1 x\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Subject: inner\n"
    "\n"
    "\xc3\xafnner\n"
    "--b1 x\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAAA\n"
    "--b1 x-- \n"
    "epilogue\n";

static const char MULTI_OUT[] =
    "From: a@example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed;\n boundary=\"b1 x\"\n"
    "\n"
    "preamble\n"
    "--b1 x\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "h=C3=A9llo =3D x=20\n"
    "--b1 x\n"
    "Content-Type: multipart/alternative; boundary=b2\n"
    "\n"
    "--b2\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>=C3=A9</p>\n"
    "--b2--\n"
    "--b1 x\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "Subject: inner\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=unknown-8bit\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "=C3=AFnner\n"
    "--b1 x\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAAA\n"
    "--b1 x-- \n"
    "epilogue\n";

int
main(void)
{
	struct buf	 b;
	char		*s;
	size_t		 i, n, bad;
	static const size_t lens[] = { 0, 1, 73, 74, 75, 76, 77, 78, 151,
	    152, 153, 997, 998, 999, 1000, 20000 };

	buf_init(&b, OUT_MAX);

	/* a plain message without MIME gets the MIME fields */
	is_str(convs("Subject: x\n\ncaf\xc3\xa9\n"),
	    "Subject: x\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n",
	    "non-MIME message: MIME-Version, Content-Type, CTE added");
	is_str(convs("MIME-Version: 1.0\nContent-Type: text/plain; "
	    "charset=utf-8\nContent-Transfer-Encoding: 8bit\nX: y\n\n"
	    "\xc3\xa9\n"),
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	    "X: y\nContent-Transfer-Encoding: quoted-printable\n\n=C3=A9\n",
	    "MIME text/plain 8bit: only the CTE changes (it moves last)");
	is_str(convs("Subject: x\n\na=b\n"),
	    "Subject: x\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\na=3Db\n",
	    "'=' is encoded");
	is_str(body_of(convs("S: x\n\na \nb\t\nc  d \n \n")),
	    "a=20\nb=09\nc  d=20\n=20\n",
	    "trailing blanks encoded, inner ones kept");
	is_str(body_of(convs("S: x\n\n\x01\x7f\r\n")), "=01=7F=0D\n",
	    "controls and CR encoded");
	is_str(body_of(convs("S: x\n\nno final line end")),
	    "no final line end=\n", "no final LF: a soft break says so");

	/* 76 octets fit a line, 77 need a soft break */
	s = malloc(200);
	memset(s, 'a', 200);
	memcpy(s, "S: x\n\n", 6);
	s[6 + 76] = '\n';
	s[6 + 77] = '\0';
	ok(strcmp(body_of(convs(s)), s + 6) == 0,
	    "a 76-octet line is not broken");
	s[6 + 76] = 'a';
	s[6 + 77] = '\n';
	s[6 + 78] = '\0';
	n = strlen(body_of(convs(s)));
	ok(n == 75 + 2 + 3 && strncmp(body_of(convs(s)) + 75, "=\naa\n",
	    5) == 0, "a 77-octet line: 75 octets, soft break, the rest");
	/* an encoded triple never straddles the limit */
	memset(s + 6, 'a', 74);
	s[6 + 74] = '\xe9';
	s[6 + 75] = 'b';
	s[6 + 76] = '\n';
	s[6 + 77] = '\0';
	is_str(body_of(convs(s)) + 74, "=\n=E9b\n",
	    "a triple that would pass column 75 moves to the next line");
	s[6 + 75] = '\n';
	s[6 + 76] = '\0';
	is_str(body_of(convs(s)) + 74, "=\n=E9\n",
	    "a last triple that would pass column 76 moves too");
	memset(s + 6, 'a', 73);
	s[6 + 73] = '\xe9';
	s[6 + 74] = '\n';
	s[6 + 75] = '\0';
	is_str(body_of(convs(s)) + 73, "=E9\n",
	    "a last triple ending at column 76 stays");
	free(s);

	/* round trips at every length that matters, with 8-bit, '=', blanks */
	bad = 0;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t	k, pat;

		for (pat = 0; pat < 4; pat++) {
			s = malloc(lens[i] + 2);
			for (k = 0; k < lens[i]; k++)
				s[k] = pat == 0 ? 'x' : pat == 1 ?
				    (char)(0x80 + k % 128) : pat == 2 ?
				    " =\t\xc3"[k % 4] : (char)('!' + k % 90);
			s[lens[i]] = '\n';
			if (!qp_roundtrip(s, lens[i] + 1)) {
				diag("length %zu pattern %zu", lens[i], pat);
				bad++;
			}
			free(s);
		}
	}
	is_int(bad, 0, "QP round trip: lines of 0..20000 octets, 8-bit, '=', "
	    "blanks; all lines <= 76");
	ok(qp_roundtrip("a\n\n\n.\n..\nFrom x\n \t \n", 21),
	    "QP round trip: empty lines, dots, blank-only lines");

	/* MIME structure */
	is_str(convs(MULTI), MULTI_OUT, "multipart: text parts encoded, "
	    "nested multipart and message/rfc822 walked, base64 untouched");
	ok(every_split(MULTI, strlen(MULTI), 0),
	    "multipart: every 2-way split equals one shot");
	{
		/* delimiters and fields inside chunks, 3-way */
		static const char small[] = "Content-Type: multipart/mixed; "
		    "boundary=q\n\n--q\n\n\xe9 \n--q\nContent-Type: "
		    "message/rfc822\n\nS: \n\n\xe9\n--q--\n";

		ok(every_split(small, strlen(small), 1),
		    "small multipart: every 3-way split equals one shot");
	}
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "\n--qx\n\xe9\n--q\t \n\n.\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "--qx\n=E9\n--q\t \n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n.\n--q--\n",
	    "a longer line is no delimiter; blanks after one are");
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n--q--\n",
	    "a delimiter where a header line was ends the part's header");
	is_str(convs("Content-Type: multipart/digest; boundary=q\n\n--q\n\n"
	    "Subject: d\n\n\xe9\n--q--\n"),
	    "Content-Type: multipart/digest; boundary=q\n\n--q\n\n"
	    "Subject: d\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9\n--q--\n",
	    "multipart/digest: a part without Content-Type is a message");
	{
		/* nested 3 deep, the inner close delimiters missing */
		const char *in = "Content-Type: multipart/mixed; boundary=a\n\n"
		    "--a\nContent-Type: multipart/mixed; boundary=b\n\n"
		    "--b\nContent-Type: multipart/mixed; boundary=c\n\n"
		    "--c\n\n\xe9\n--a\n\nx\n--a--\n";
		const char *out = convs(in);

		ok(strstr(out, "=E9\n--a\n") != NULL &&
		    strstr(out, "\n--a\nContent-Type: text/plain; "
		    "charset=unknown-8bit\n") != NULL,
		    "an outer delimiter closes the inner multiparts");
	}

	/*
	 * an entity's header section ends at the first line that is not a
	 * header field (header.c's rule for the message): that line is its
	 * first body line and the separator line is written before it (it
	 * was refused as an 8-bit header field)
	 */
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\ncaf\xc3\xa9\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n"
	    "--q--\n", "a part's header followed at once by an 8-bit line: "
	    "the line is the body, encoded");
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "\xe9 x\n--q\n x\xe9\n--q\n\xc3\xa9: x\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9 x\n--q\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n x=E9\n--q\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=C3=A9: x\n"
	    "--q--\n", "parts without a header: an 8-bit first line, a "
	    "blank first, an 8-bit field name");
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: message/rfc822\n\nSubject: in\n\xc3\xa9t\xc3\xa9\n"
	    "--q\nContent-Type: message/rfc822\n\xe9\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: message/rfc822\n\nSubject: in\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=C3=A9t=C3=A9\n"
	    "--q\nContent-Type: message/rfc822\n\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9\n--q--\n",
	    "an enclosed message's header followed at once by its body; a "
	    "message/rfc822 part with neither");
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: application/octet-stream\nAAAA\n--q--\n"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: application/octet-stream\n\nAAAA\n--q--\n",
	    "a 7-bit non-text part without the separator: written");
	is_str(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n\xe9"),
	    "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9=\n",
	    "a last line without its LF after a part's header");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "X-A: 1\nX-B : caf\xc3\xa9\n\nx\n--q--\n"), "8-bit header field",
	    "\"Name :\" is a header field (8-bit: refused)");
	{
		/* a 20,000-octet first body line: no colon in 998 octets */
		struct buf	 in, dec;
		const char	*hd = "Content-Type: multipart/mixed; "
		    "boundary=q\n\n--q\nContent-Type: text/plain\n";
		const char	*want = "Content-Transfer-Encoding: "
		    "quoted-printable\n\n", *o, *e;

		buf_init(&in, OUT_MAX);
		buf_init(&dec, OUT_MAX);
		FIXTURE(buf_puts(&in, hd));
		for (i = 0; i < 20000; i++)
			FIXTURE(buf_putc(&in, i % 100 == 99 ? '\xe9' : 'b'));
		FIXTURE(buf_puts(&in, "\n--q--\n"));
		o = conv(in.data, in.len, &b) == NULL ? buf_cstr(&b) : "";
		o = strstr(o, want);
		e = o != NULL ? strstr(o, "\n--q--\n") : NULL;
		ok(o != NULL && e != NULL && seven_bit(&b) &&
		    qp_decode(o + strlen(want), (size_t)(e - o) + 1 -
		    strlen(want), &dec) == 0 && dec.len == 20001 &&
		    memcmp(dec.data, in.data + strlen(hd), 20001) == 0,
		    "a 20,000-octet 8-bit line after a part's header: its "
		    "body, decoding to it");
		ok(every_split("Content-Type: multipart/mixed; boundary=q\n\n"
		    "--q\nX: 1\nab\xe9\n--q\nContent-Type: message/rfc822\n"
		    "S: 1\n\xe9\n--q--\n", 83, 1),
		    "separator-less headers: every 3-way split equals one "
		    "shot");
		buf_free(&in);
		buf_free(&dec);
	}

	/* refusals */
	is_str(refusal("Subject: caf\xc3\xa9\n\nx\n"), "8-bit header field",
	    "8-bit in a header field: refused");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Disposition: attachment; filename=\"\xc3\xa9\"\n\nx\n"
	    "--q--\n"), "8-bit header field",
	    "8-bit in a part's header field: refused");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: binary\n\n\x80\x81\n--q--\n"),
	    "8-bit data in a non-text part (application/octet-stream)",
	    "8-bit application/octet-stream: refused");
	is_str(refusal("Content-Type: multipart/report; boundary=q\n\n--q\n"
	    "Content-Type: message/global\n\nSubject: \xc3\xa9\n\n--q--\n"),
	    "8-bit data in a non-text part (message/global)",
	    "message/global: refused");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n"
	    "pr\xc3\xa9\n--q\n\nx\n--q--\n"),
	    "8-bit data in a multipart preamble", "8-bit preamble: refused");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n"
	    "--q\n\nx\n--q--\n\xe9\n"),
	    "8-bit data in a multipart epilogue", "8-bit epilogue: refused");
	is_str(refusal("Content-Type: multipart/mixed\n\n\xe9\n"),
	    "8-bit data in a multipart without a boundary parameter",
	    "multipart without boundary and 8-bit: refused");
	is_str(refusal("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n\n\xe9\n"),
	    "8-bit data in an encoded text part",
	    "8-bit in a base64 text part: refused");
	ok(every_split("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: image/png\n\nab\xe9\n--q--\n", 62, 0),
	    "a refusal comes whatever the chunking");
	is_str(refusal("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: application/pdf\n"
	    "Content-Transfer-Encoding: 8bit\n\n%PDF 7-bit only\n--q--\n"),
	    "", "a 7-bit non-text part declared 8bit is fine");
	ok(strstr(convs("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: application/pdf\n"
	    "Content-Transfer-Encoding: 8bit\n\n%PDF 7-bit only\n--q--\n"),
	    "Content-Transfer-Encoding: 7bit\n") != NULL,
	    "... and is relabelled 7bit");

	/* the worst expansion: empty parts of a multipart/digest */
	{
		struct buf	 in;
		struct mime7bit	*m = mime7bit_new();

		buf_init(&in, OUT_MAX);
		if (buf_puts(&in, "Content-Type: multipart/digest; "
		    "boundary=b\n\n") == -1)
			abort();
		for (i = 0; i < 1000; i++)
			if (buf_puts(&in, "--b\n\n\n") == -1)
				abort();
		n = in.len;
		buf_reset(&b);
		bad = mime7bit_feed(m, in.data, n, &b) != 0 ||
		    mime7bit_finish(m, &b) != 0 || !seven_bit(&b);
		ok(!bad && b.len > 19 * n && b.len <= MIME7BIT_OUT_MAX(n),
		    "1000 empty digest parts: output %zu for %zu in, within "
		    "MIME7BIT_OUT_MAX", b.len, n);
		mime7bit_free(m);
		buf_free(&in);
		buf_reset(&b);
	}

	/*
	 * held output: a Content-Transfer-Encoding field of almost
	 * MIME7BIT_FIELD_MAX (replaced, as the part is text), then a line
	 * of 998 '=' and blanks up to the field limit, which the next octet
	 * shows is no header line: it goes out quoted-printable (3 octets
	 * for each '=', soft breaks) in one 2-octet feed
	 */
	{
		struct buf	 in;
		struct mime7bit	*m = mime7bit_new();
		size_t		 k;

		buf_init(&in, OUT_MAX);
		FIXTURE(buf_puts(&in, "Content-Type: multipart/mixed; "
		    "boundary=q\n\n--q\nContent-Transfer-Encoding: 8bit\n "));
		k = in.len;
		while (in.len - k < MIME7BIT_FIELD_MAX - 64)
			FIXTURE(buf_putc(&in, ' '));
		FIXTURE(buf_puts(&in, "\n"));
		for (k = 0; k < 998; k++)
			FIXTURE(buf_putc(&in, '='));
		while (in.len < 2 * (size_t)MIME7BIT_FIELD_MAX - 64)
			FIXTURE(buf_putc(&in, ' '));
		buf_reset(&b);
		bad = mime7bit_feed(m, in.data, in.len, &b) != 0;
		buf_reset(&b);
		bad |= mime7bit_feed(m, "x\n", 2, &b) != 0;
		ok(!bad && seven_bit(&b) && b.len > MIME7BIT_FIELD_MAX &&
		    b.len <= MIME7BIT_OUT_MAX(2),
		    "a held field and a held line that is no header line: "
		    "%zu octets out of a 2-octet feed, within MIME7BIT_OUT_MAX",
		    b.len);
		mime7bit_free(m);
		buf_free(&in);
		buf_reset(&b);
	}

	/* a long stream: bounded memory, 16 KiB chunks, 50 MiB */
	{
		struct mime7bit	*m = mime7bit_new();
		char		 chunk[16384];
		size_t		 total = 0, k;
		int		 good = 1;

		for (k = 0; k < sizeof(chunk); k++)
			chunk[k] = k % 61 == 60 ? '\n' : (char)(0xa0 + k % 50);
		memcpy(chunk, "Subject: big\n\n", 14);
		for (k = 0; k < 3200 && good; k++) {
			buf_reset(&b);
			if (mime7bit_feed(m, chunk, sizeof(chunk), &b) == -1 ||
			    b.len > MIME7BIT_OUT_MAX(sizeof(chunk)) ||
			    !seven_bit(&b))
				good = 0;
			total += b.len;
			memset(chunk, 'z', 14);
		}
		buf_reset(&b);
		if (mime7bit_finish(m, &b) == -1)
			good = 0;
		ok(good && total > 3 * 3200 * (size_t)16384 / 2,
		    "50 MiB in 16 KiB chunks: 7-bit, each chunk's output within "
		    "MIME7BIT_OUT_MAX");
		mime7bit_free(m);
	}
	buf_free(&b);
	return done_testing();
}
