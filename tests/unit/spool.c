/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spool.c - unit tests for the envelope and retry-state formats */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

#define QID1	"0123456789ABCDEF0123"

static const char golden[] =
	"V 1\n"
	"I " QID1 "\n"
	"T 1700000000\n"
	"U 1000\n"
	"L alice\n"
	"S alice@example.org\n"
	"R bob@example.com\n"
	"R carol@example.net\tNOTIFY=SUCCESS,FAILURE\tORCPT=rfc822;carol+2B1@example.net\n"
	"R dave@example.net\tNOTIFY=NEVER\n"
	"B 8BITMIME\n"
	"E env+3Did1\n"
	"N HDRS\n"
	"F SMTPUTF8\n"
	"Z 00000000000000000123\n"
	"\n";

/* build - the golden envelope through the API */
static void
build(struct envelope *e)
{
	envelope_init(e);
	qid_parse(&e->qid, QID1);
	e->arrival = 1700000000;
	e->uid = 1000;
	e->login = xstrdup("alice");
	envelope_set_sender(e, "alice@example.org");
	envelope_add_rcpt(e, "bob@example.com", 0, NULL);
	envelope_add_rcpt(e, "carol@example.net", ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_SUCCESS, "rfc822;carol+2B1@example.net");
	envelope_add_rcpt(e, "dave@example.net", ENVELOPE_NOTIFY_NEVER, NULL);
	e->body = ENVELOPE_BODY_8BITMIME;
	e->envid = xstrdup("env+3Did1");
	e->ret = ENVELOPE_RET_HDRS;
	e->flags = ENVELOPE_F_SMTPUTF8;
	e->size = 123;
}

/* refused - parse must fail and the reason must mention want */
static void
refused(const char *data, size_t len, bool request, const char *want,
    const char *what)
{
	struct envelope	e;
	struct buf	err;
	size_t		used = 0;
	int		rc;

	buf_init(&err, 4096);
	rc = request ? envelope_parse_request(data, len, &e, &used, &err) :
	    envelope_parse(data, len, &e, &used, &err);
	if (!ok(rc == -1 && strstr(buf_cstr(&err), want) != NULL &&
	    e.nrcpts == 0 && e.sender == NULL, "refused: %s", what))
		diag("rc %d err '%s' want '%s'", rc, buf_cstr(&err), want);
	envelope_free(&e);
	buf_free(&err);
}

/* refused_s - refused() for a C string in file form */
static void
refused_s(const char *data, const char *want, const char *what)
{
	refused(data, strlen(data), false, want, what);
}

#define HEAD	"V 1\nI " QID1 "\nT 1700000000\nU 1000\n"

static void
test_envelope(void)
{
	struct envelope	e, p;
	struct buf	out, again, err;
	size_t		used;
	char		withbody[sizeof(golden) + 16];

	build(&e);
	buf_init(&out, SPOOL_ENVELOPE_MAX);
	buf_init(&again, SPOOL_ENVELOPE_MAX);
	buf_init(&err, 4096);
	ok(envelope_write(&e, &out) == 0, "write");
	is_str(buf_cstr(&out), golden, "written form is exact");
	snprintf(withbody, sizeof(withbody), "%sBODY\n", golden);
	ok(envelope_parse(withbody, strlen(withbody), &p, &used, &err) == 0,
	    "parse golden: %s", buf_cstr(&err));
	is_int((long long)used, (long long)strlen(golden),
	    "consumed stops after the blank line");
	is_str(p.qid.s, QID1, "I");
	is_int((long long)p.arrival, 1700000000, "T");
	is_int(p.uid, 1000, "U");
	is_str(p.login, "alice", "L");
	is_str(p.sender, "alice@example.org", "S");
	is_int((long long)p.nrcpts, 3, "three R");
	is_int(p.rcpts[1].notify, ENVELOPE_NOTIFY_SUCCESS |
	    ENVELOPE_NOTIFY_FAILURE, "NOTIFY bits");
	is_str(p.rcpts[1].orcpt, "rfc822;carol+2B1@example.net", "ORCPT");
	ok(p.rcpts[0].orcpt == NULL && p.rcpts[0].notify == 0,
	    "no params on plain R");
	ok(p.body == ENVELOPE_BODY_8BITMIME && p.ret == ENVELOPE_RET_HDRS &&
	    p.flags == ENVELOPE_F_SMTPUTF8, "B N F");
	is_str(p.envid, "env+3Did1", "E");
	is_int((long long)p.size, 123, "Z");
	ok(envelope_write(&p, &again) == 0 && strcmp(buf_cstr(&again),
	    golden) == 0, "round trip is byte-exact");
	envelope_free(&p);

	/* the request form */
	buf_reset(&out);
	ok(envelope_write_request(&e, &out) == 0, "write request");
	ok(strstr(buf_cstr(&out), "\nI ") == NULL && strstr(buf_cstr(&out),
	    "\nU ") == NULL && strstr(buf_cstr(&out), "\nZ ") == NULL &&
	    strstr(buf_cstr(&out), "\nL ") == NULL && strstr(buf_cstr(&out),
	    "\nT ") == NULL, "request has no I T U L Z");
	ok(envelope_parse_request(out.data, out.len, &p, &used, &err) == 0 &&
	    p.nrcpts == 3 && used == out.len, "parse request");
	envelope_free(&p);
	refused(golden, strlen(golden), true, "set by postern-drop",
	    "request with I");
	refused("V 1\nS\nR a@b\nU 0\n\n", 19, true, "set by postern-drop",
	    "request with U (forged uid)");
	envelope_free(&e);

	/* null sender and minimal file */
	ok(envelope_parse(HEAD "S\nR a@b\nZ 1\n\n", strlen(HEAD) + 18, &p,
	    &used, &err) == 0 && strcmp(p.sender, "") == 0 && p.login == NULL,
	    "null sender, no L, unpadded Z: %s", buf_cstr(&err));
	buf_reset(&out);
	ok(envelope_write(&p, &out) == 0 && strstr(buf_cstr(&out), "\nS\n"),
	    "null sender written as a bare S");
	envelope_free(&p);

	/* writers refuse what the parser would refuse */
	envelope_init(&e);
	ok(envelope_write(&e, &out) == -1 && errno == EINVAL,
	    "write refuses an envelope without recipients");
	ok(envelope_add_rcpt(&e, "a b@c", 0, NULL) == -1, "add refuses space");
	ok(envelope_add_rcpt(&e, "a\r\n@c", 0, NULL) == -1, "add refuses CRLF");
	ok(envelope_add_rcpt(&e, "a@c", ENVELOPE_NOTIFY_NEVER |
	    ENVELOPE_NOTIFY_DELAY, NULL) == -1, "add refuses NEVER+DELAY");
	ok(envelope_add_rcpt(&e, "a@c", 0, "nosemicolon") == -1,
	    "add refuses bad ORCPT");
	ok(envelope_set_sender(&e, "x\ny") == -1, "sender with LF refused");
	envelope_add_rcpt(&e, "a@c", 0, NULL);
	ok(envelope_write(&e, &out) == -1, "write refuses missing qid");
	envelope_free(&e);

	/* every refusal */
	refused_s("X 1\n\n", "first record", "first line not V");
	refused_s("V 2\n\n", "unsupported envelope version", "version 2");
	refused_s("V 01\n\n", "unsupported envelope version", "version 01");
	refused_s(HEAD "S\nR a@b\nQ 1\nZ 1\n\n", "unknown record 'Q'",
	    "unknown key");
	refused_s(HEAD "R a@b\nS\nZ 1\n\n", "out of order", "R before S");
	refused_s(HEAD "S\nS\nR a@b\nZ 1\n\n", "repeated", "duplicate S");
	refused_s("V 1\nV 1\n\n", "repeated", "duplicate V");
	refused_s(HEAD "S\nR a@b\nZ 1\nZ 1\n\n", "repeated", "duplicate Z");
	refused_s(HEAD "S\nR a@b\n\n", "'Z' missing", "missing Z");
	refused_s(HEAD "S\nZ 1\n\n", "'R' missing", "missing R");
	refused_s("V 1\nT 1\nU 1\nS\nR a@b\nZ 1\n\n", "'I' missing",
	    "missing I");
	refused_s("V 1\nI " QID1 "\nU 1\nS\nR a@b\nZ 1\n\n", "'T' missing",
	    "missing T");
	refused_s("V 1\nI " QID1 "\nT 1\nS\nR a@b\nZ 1\n\n", "'U' missing",
	    "missing U");
	refused_s(HEAD "R a@b\nZ 1\n\n", "'S' missing", "missing S");
	refused_s(HEAD "S a\001b\nR a@b\nZ 1\n\n", "control character",
	    "control char in sender");
	refused_s(HEAD "S\nR a\r@b\nZ 1\n\n", "control character",
	    "CR in recipient");
	refused(HEAD "S\nR a\0@b\nZ 1\n\n", strlen(HEAD) + 17, false,
	    "control character", "NUL in recipient");
	refused_s(HEAD "S\tx\nR a@b\nZ 1\n\n", "control character",
	    "tab in S");
	refused_s(HEAD "S\nR a b@c\nZ 1\n\n", "recipient address",
	    "space in recipient");
	refused_s(HEAD "S a b@c\nR a@b\nZ 1\n\n", "sender address",
	    "space in sender");
	refused_s(HEAD "S\nR a@b\tFOO=1\nZ 1\n\n", "unknown, repeated",
	    "unknown recipient parameter");
	refused_s(HEAD "S\nR a@b\tORCPT=rfc822;a@b\tNOTIFY=NEVER\nZ 1\n\n",
	    "unknown, repeated", "ORCPT before NOTIFY");
	refused_s(HEAD "S\nR a@b\tNOTIFY=NEVER,DELAY\nZ 1\n\n", "NEVER",
	    "NOTIFY=NEVER,DELAY");
	refused_s(HEAD "S\nR a@b\tNOTIFY=DELAY,DELAY\nZ 1\n\n", "repeated "
	    "NOTIFY", "NOTIFY duplicate");
	refused_s(HEAD "S\nR a@b\tNOTIFY=\nZ 1\n\n", "NOTIFY", "NOTIFY empty");
	refused_s(HEAD "S\nR a@b\tORCPT=rfc822\nZ 1\n\n", "ORCPT",
	    "ORCPT without type");
	refused_s(HEAD "S\nR a@b\tORCPT=rfc822;a=b\nZ 1\n\n", "ORCPT",
	    "ORCPT not xtext");
	refused_s(HEAD "S\nR\nZ 1\n\n", "needs one space", "R without value");
	refused_s(HEAD "Sx@y\nR a@b\nZ 1\n\n", "needs one space",
	    "no space after key");
	refused_s(HEAD "S\nR a@b\nB 8BIT\nZ 1\n\n", "7BIT or 8BITMIME",
	    "bad body type");
	refused_s(HEAD "S\nR a@b\nN ALL\nZ 1\n\n", "FULL or HDRS", "bad RET");
	refused_s(HEAD "S\nR a@b\nF BINARY\nZ 1\n\n", "unknown flag",
	    "unknown flag");
	refused_s(HEAD "S\nR a@b\nE a=b\nZ 1\n\n", "ENVID", "ENVID not xtext");
	refused_s(HEAD "S\nR a@b\nE a+2\nZ 1\n\n", "ENVID",
	    "ENVID short hex");
	refused_s(HEAD "S\nR a@b\nZ 0\n\n", "out of range", "Z 0");
	refused_s(HEAD "S\nR a@b\nZ 99999999999999999999\n\n", "out of range",
	    "Z huge");
	refused_s(HEAD "S\nR a@b\nZ -1\n\n", "out of range", "Z negative");
	refused_s("V 1\nI " QID1 "\nT 999999999999999\nU 1\nS\nR a@b\nZ 1\n\n",
	    "out of range", "T far future");
	refused_s("V 1\nI " QID1 "\nT 1\nU 4294967295\nS\nR a@b\nZ 1\n\n",
	    "out of range", "U -1");
	refused_s("V 1\nI " QID1 "\nT 01\nU 1\nS\nR a@b\nZ 1\n\n",
	    "out of range", "T leading zero");
	refused_s("V 1\nI 0123\nT 1\nU 1\nS\nR a@b\nZ 1\n\n", "queue id",
	    "bad qid");
	refused_s(HEAD "L a b\nS\nR a@b\nZ 1\n\n", "login", "login with space");
	refused_s(HEAD "S\nR a@b\nZ 1\n", "missing the blank line",
	    "truncated: no blank line");
	refused_s(HEAD "S\nR a@b\nZ 1", "missing the blank line",
	    "truncated mid-record");
	{
		char	big[2200], addr[300];

		memset(addr, 'a', 257);
		addr[257] = '\0';
		snprintf(big, sizeof(big), HEAD "S\nR %s@b\nZ 1\n\n", addr);
		refused_s(big, "recipient address", "address over 256 bytes");
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, HEAD "S\nR ", strlen(HEAD) + 4);
		refused_s(big, "longer than 1024", "record over 1024 bytes");
	}
	{
		struct buf	many;
		int		i;

		buf_init(&many, SPOOL_ENVELOPE_MAX);
		FIXTURE(buf_puts(&many, HEAD "S\n"));
		for (i = 0; i <= SPOOL_RCPT_MAX; i++)
			FIXTURE(buf_printf(&many, "R u%d@example.org\n", i));
		FIXTURE(buf_puts(&many, "Z 1\n\n"));
		refused(many.data, many.len, false, "more than 10000",
		    "10001 recipients");
		buf_free(&many);
	}
	buf_free(&out);
	buf_free(&again);
	buf_free(&err);
}

static void
test_fd(const char *dir)
{
	struct envelope	e, p;
	struct buf	out, err;
	char		path[512];
	off_t		off = 0;
	int		fd;

	snprintf(path, sizeof(path), "%s/qf", dir);
	build(&e);
	e.size = 0;
	buf_init(&out, SPOOL_ENVELOPE_MAX);
	buf_init(&err, 4096);
	envelope_write(&e, &out);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, out.data, out.len) == (ssize_t)out.len &&
	    write(fd, "hello\n", 6) == 6, "write queue file");
	ok(spool_patch_size(fd, out.len, 6) == 0, "patch Z in place");
	ok(spool_read_envelope_fd(fd, &p, &off, &err) == 0 && p.size == 6 &&
	    off == (off_t)out.len, "read envelope from fd: %s",
	    buf_cstr(&err));
	envelope_free(&p);
	off = 0;
	ok(spool_read_envelope_quick(fd, &p, &off, &err) == 0 &&
	    p.size == 6 && off == (off_t)out.len,
	    "quick read of the same: %s", buf_cstr(&err));
	envelope_free(&p);
	ok(ftruncate(fd, (off_t)out.len + 3) == 0, "truncate body");
	buf_reset(&err);
	ok(spool_read_envelope_fd(fd, &p, &off, &err) == -1 &&
	    strstr(buf_cstr(&err), "truncated") != NULL,
	    "truncated body detected: %s", buf_cstr(&err));
	buf_reset(&err);
	ok(spool_read_envelope_quick(fd, &p, &off, &err) == -1 &&
	    strstr(buf_cstr(&err), "truncated") != NULL,
	    "quick read: a short file detected: %s", buf_cstr(&err));
	ok(spool_patch_size(fd, out.len, SPOOL_SIZE_MAX + 1) == -1 &&
	    errno == ERANGE, "patch refuses oversize");
	close(fd);
	envelope_free(&e);
	buf_free(&out);
	buf_free(&err);
}

static void
state_refused(const char *data, const char *want, const char *what)
{
	struct spool_state	st;
	struct buf		err;
	int			rc;

	buf_init(&err, 4096);
	rc = spool_state_parse(data, strlen(data), &st, &err);
	if (!ok(rc == -1 && strstr(buf_cstr(&err), want) != NULL &&
	    st.nrcpts == 0, "state refused: %s", what))
		diag("err '%s'", buf_cstr(&err));
	spool_state_free(&st);
	buf_free(&err);
}

static void
test_state(const char *dir)
{
	static const char sgolden[] =
	    "V 1\nA 2\nX 1700003600\nW 1700000000\n"
	    "r 0 sent 250 2.0.0 ok: queued as 1234\n"
	    "r 2 deferred 451 4.7.1 try?later\n"
	    "r 3 failed 0 -\n"
	    "e relay.example.com[192.0.2.1]:587: timeout\n";
	struct spool_state	st, rd;
	struct buf		out, err;
	struct qid		q;
	struct stat		sb;
	char			path[512];

	buf_init(&out, SPOOL_STATE_MAX);
	buf_init(&err, 4096);
	spool_state_init(&st);
	st.attempts = 2;
	st.next_attempt = 1700003600;
	st.first_attempt = 1700000000;
	ok(spool_state_set_rcpt(&st, 2, SPOOL_RCPT_DEFERRED, 451, "4.7.1",
	    "try\tlater") == 0, "set rcpt 2 (tab sanitised)");
	ok(spool_state_set_rcpt(&st, 0, SPOOL_RCPT_DEFERRED, 421, NULL,
	    NULL) == 0, "set rcpt 0");
	ok(spool_state_set_rcpt(&st, 0, SPOOL_RCPT_SENT, 250, "2.0.0",
	    "ok: queued as 1234") == 0, "replace rcpt 0");
	ok(spool_state_set_rcpt(&st, 3, SPOOL_RCPT_FAILED, 0, "", "") == 0,
	    "set rcpt 3");
	ok(spool_state_set_rcpt(&st, 4, SPOOL_RCPT_SENT, 250, "9.9.9",
	    NULL) == -1, "bad enhanced code refused");
	ok(spool_state_set_rcpt(&st, SPOOL_RCPT_MAX, SPOOL_RCPT_SENT, 250,
	    NULL, NULL) == -1, "index out of range refused");
	spool_state_set_error(&st, "relay.example.com[192.0.2.1]:587: timeout");
	ok(spool_state_format(&st, &out) == 0, "format");
	is_str(buf_cstr(&out), sgolden, "state form is exact");
	ok(spool_state_rcpt(&st, 1) == NULL && spool_state_rcpt(&st, 0) !=
	    NULL && spool_state_rcpt(&st, 0)->state == SPOOL_RCPT_SENT,
	    "lookup: 1 pending, 0 sent");
	ok(spool_state_parse(out.data, out.len, &rd, &err) == 0 &&
	    rd.nrcpts == 3 && rd.attempts == 2 && rd.rcpts[1].code == 451 &&
	    strcmp(rd.rcpts[2].enh, "") == 0 && strcmp(rd.last_error,
	    st.last_error) == 0, "parse back: %s", buf_cstr(&err));
	spool_state_free(&rd);

	state_refused("V 1\nA 1\nX 1\n", "'W' missing", "missing W");
	state_refused("V 2\nA 1\nX 1\nW 1\n", "version 2 state must end",
	    "version 2 without its envelope copy");
	state_refused("V 3\nA 1\nX 1\nW 1\n", "unsupported state version",
	    "version 3");
	state_refused("A 1\nV 1\nX 1\nW 1\n", "first record", "A first");
	state_refused("V 1\nX 1\nA 1\nW 1\n", "out of order", "X before A");
	state_refused("V 1\nA 1\nA 1\nX 1\nW 1\n", "repeated", "duplicate A");
	state_refused("V 1\nA 1\nX 1\nW 1\nq 1\n", "unknown record", "unknown");
	state_refused("V 1\nA 1\nX 1\nW 1\nr 0 gone 250 -\n", "unknown "
	    "recipient state", "bad state");
	state_refused("V 1\nA 1\nX 1\nW 1\nr 1 sent 250 -\nr 0 sent 250 -\n",
	    "ascending", "indices not ascending");
	state_refused("V 1\nA 1\nX 1\nW 1\nr 0 sent 150 -\n", "reply code",
	    "code 150");
	state_refused("V 1\nA 1\nX 1\nW 1\nr 0 sent 250 6.0.0\n", "enhanced",
	    "enh 6.0.0");
	state_refused("V 1\nA 1\nX 1\nW 1\nr 0 sent\n", "needs", "short r");
	state_refused("V 1\nA 1\nX 1\nW 1\ne bad\001\n", "control",
	    "control char");
	state_refused("V 1\nA 1\nX 1\nW 1\n\n", "unknown record",
	    "blank line");
	state_refused("V 1\nA 1\nX 1\nW 1", "missing the blank line",
	    "no final LF");

	/* on disk */
	qid_parse(&q, QID1);
	snprintf(path, sizeof(path), "%s/state", dir);
	ok(spool_state_write(dir, &q, &st, &err) == -1,
	    "write without state/ fails: %s", buf_cstr(&err));
	mkdir(path, 0700);
	buf_reset(&err);
	ok(spool_state_read(dir, &q, &rd, &err) == 0 && rd.attempts == 0 &&
	    rd.nrcpts == 0, "missing file is a fresh state");
	spool_state_free(&rd);
	ok(spool_state_write(dir, &q, &st, &err) == 0, "write: %s",
	    buf_cstr(&err));
	snprintf(path, sizeof(path), "%s/state/%s", dir, QID1);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640,
	    "state file mode 0640");
	snprintf(path, sizeof(path), "%s/state/.%s.tmp", dir, QID1);
	ok(access(path, F_OK) == -1, "no tmp file left");
	ok(spool_state_read(dir, &q, &rd, &err) == 0 && rd.nrcpts == 3,
	    "read back");
	spool_state_free(&rd);
	snprintf(path, sizeof(path), "%s/state/%s", dir, QID1);
	{
		struct stat	fsb;
		int		fd = open(path, O_RDONLY);

		ok(fd != -1 && spool_state_read_quick(fd, &rd, &err) == 0 &&
		    rd.nrcpts == 3, "quick read back");
		spool_state_free(&rd);
		ok(fd != -1 && spool_state_read_fd(fd, "state/x", &rd, &fsb,
		    &err) == 0 && rd.nrcpts == 3 && fsb.st_size > 0,
		    "read back from the descriptor, with its stat");
		spool_state_free(&rd);
		if (fd != -1)
			close(fd);
	}
	snprintf(path, sizeof(path), "%s/state/.%s.tmp", dir, QID1);
	/* a write that fails leaves the old state intact */
	ok(mkdir(path, 0700) == 0, "block the tmp path with a directory");
	st.attempts = 99;
	buf_reset(&err);
	ok(spool_state_write(dir, &q, &st, &err) == -1, "write fails: %s",
	    buf_cstr(&err));
	ok(spool_state_read(dir, &q, &rd, &err) == 0 && rd.attempts == 2,
	    "old state intact after a failed write");
	spool_state_free(&rd);
	rmdir(path);
	ok(spool_state_remove(dir, &q) == 0 && spool_state_remove(dir, &q) ==
	    0, "remove twice");
	snprintf(path, sizeof(path), "%s/state/%s", dir, QID1);
	ok(access(path, F_OK) == -1, "removed");
	snprintf(path, sizeof(path), "%s/state", dir);
	rmdir(path);
	spool_state_free(&st);
	buf_free(&out);
	buf_free(&err);
}

/*
 * test_bytes - every byte value at every position of a record, across
 * the 8-byte words the scanner tests at once and the tail it tests byte
 * by byte: controls (and TAB outside R) refused, everything else kept
 */
static void
test_bytes(void)
{
	struct spool_state	st;
	struct buf		in, err;
	size_t			pos, len, bad = 0;
	unsigned		c;
	bool			want, got;

	buf_init(&in, 4096);
	buf_init(&err, 4096);
	for (len = 1; len <= 40; len++)
		for (pos = 0; pos < len; pos++)
			for (c = 1; c < 256; c++) {
				if (c == '\n')
					continue;
				buf_reset(&in);
				FIXTURE(buf_puts(&in,
				    "V 1\nA 1\nX 1\nW 1\ne "));
				while (in.len < 19 + len)
					FIXTURE(buf_putc(&in, 'x'));
				in.data[19 + pos] = (char)c;
				FIXTURE(buf_putc(&in, '\n'));
				want = c >= 0x20 && c != 0x7f;
				buf_reset(&err);
				got = spool_state_parse(in.data, in.len, &st,
				    &err) == 0;
				if (got)
					spool_state_free(&st);
				else if (strstr(buf_cstr(&err), "control "
				    "character") == NULL)
					got = true;	/* refused otherwise */
				bad += want != got;
			}
	is_int((long long)bad, 0, "every byte at every position of records "
	    "of 1 to 40 bytes: controls refused, the rest kept");
#define PARSE(s)	spool_state_parse((s), strlen(s), &st, &err)
	ok(PARSE("V 1\nA 12345678901234567890\nX 1\nW 1\n") == -1,
	    "a 20-digit number beyond UINT32_MAX refused");
	ok(PARSE("V 1\nA 1\nX 99999999999999999999\nW 1\n") == -1,
	    "a 20-digit number beyond UINT64_MAX refused");
	ok(PARSE("V 1\nA 1\nX 018446744073709551615\nW 1\n") == -1,
	    "21 digits refused");
	ok(PARSE("V 1\nA 01\nX 1\nW 1\n") == -1, "a leading zero refused");
	ok(PARSE("V 1\nA +1\nX 1\nW 1\n") == -1, "a sign refused");
	ok(PARSE("V 1\nA 1x\nX 1\nW 1\n") == -1, "a trailing letter refused");
	ok(PARSE("V 1\nA 4294967295\nX 253402300799\nW 0\n") == 0 &&
	    st.attempts == 4294967295ULL && st.next_attempt ==
	    253402300799ULL && st.first_attempt == 0,
	    "the largest values and 0 kept");
	/* D: the delay warning, optional, after W */
	ok(PARSE("V 1\nA 1\nX 1\nW 1\n") == 0 && st.delay_warned == 0,
	    "no D record: no delay warning sent");
	ok(PARSE("V 1\nA 1\nX 1\nW 1\nD 1700000000\nr 0 deferred 451 "
	    "4.3.0 busy\n") == 0 && st.delay_warned == 1700000000ULL,
	    "D after W: the delay warning's time");
	spool_state_free(&st);
	ok(PARSE("V 1\nA 1\nX 1\nD 5\nW 1\n") == -1,
	    "D before W: out of order, refused");
	ok(PARSE("V 1\nA 1\nX 1\nW 1\nD 5\nD 6\n") == -1,
	    "D repeated: refused");
	ok(PARSE("V 1\nA 1\nX 1\nW 1\nD x\n") == -1,
	    "D not a number: refused");
	{
		struct buf	img;

		buf_init(&img, 4096);
		ok(PARSE("V 1\nA 1\nX 1\nW 1\nD 77\n") == 0 &&
		    spool_state_format(&st, &img) == 0 &&
		    strstr(buf_cstr(&img), "\nW 1\nD 77\n") != NULL,
		    "D written back after W");
		buf_reset(&img);
		st.delay_warned = 0;
		ok(spool_state_format(&st, &img) == 0 &&
		    strstr(buf_cstr(&img), "\nD ") == NULL,
		    "no delay warning: no D record (older readers' form)");
		buf_free(&img);
	}
#undef PARSE
	{
		/* 2^64 + 1 wraps to 1, which Z's range would accept */
		static const char wrap[] = "V 1\nI " QID1 "\nT 1\nU 1\nS\n"
		    "R a@b\nZ 18446744073709551617\n\n";
		struct envelope	e;
		size_t		used;

		ok(envelope_parse(wrap, strlen(wrap), &e, &used, &err) == -1,
		    "a 20-digit size that wraps to 1 refused");
		envelope_free(&e);
	}
	spool_state_free(&st);
	buf_free(&in);
	buf_free(&err);
}

/* test_state_envelope - version 2: the state carries the envelope copy */
static void
test_state_envelope(const char *dir)
{
	static const char	v2[] =
	    "V 2\nA 3\nX 1700003600\nW 1700000005\n"
	    "r 1 deferred 451 4.3.0 busy\n"
	    "e 451 4.3.0 busy\n"
	    "\n";
	struct spool_state	st, rd;
	struct envelope		e, bad;
	struct buf		out, err, img;
	struct qid		q;
	char			path[512];

	buf_init(&out, SPOOL_STATE_MAX);
	buf_init(&err, 4096);
	buf_init(&img, 8192);
	build(&e);
	spool_state_init(&st);
	st.attempts = 3;
	st.next_attempt = 1700003600;
	st.first_attempt = 1700000005;
	(void)spool_state_set_rcpt(&st, 1, SPOOL_RCPT_DEFERRED, 451, "4.3.0",
	    "busy");
	spool_state_set_error(&st, "451 4.3.0 busy");
	ok(spool_state_set_envelope(&st, &e) == 0 && st.env != NULL &&
	    st.version == SPOOL_STATE_VERSION, "set the envelope copy");
	ok(spool_state_set_envelope(&st, &e) == 0, "set it again (replaced)");
	ok(spool_state_format(&st, &out) == 0, "format version 2");
	FIXTURE(buf_puts(&img, v2));
	FIXTURE(buf_puts(&img, golden));
	is_str(buf_cstr(&out), buf_cstr(&img), "version 2 form: the records, "
	    "a blank line, the envelope as in the queue file");
	ok(spool_state_parse(out.data, out.len, &rd, &err) == 0 &&
	    rd.version == 2 && rd.attempts == 3 && rd.nrcpts == 1 &&
	    rd.env != NULL, "parse version 2: %s", buf_cstr(&err));
	ok(rd.env != NULL && strcmp(rd.env->qid.s, QID1) == 0 &&
	    rd.env->arrival == 1700000000 && rd.env->uid == 1000 &&
	    strcmp(rd.env->login, "alice") == 0 &&
	    strcmp(rd.env->sender, "alice@example.org") == 0 &&
	    rd.env->nrcpts == 3 && rd.env->rcpts[1].notify ==
	    (ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE) &&
	    strcmp(rd.env->rcpts[1].orcpt, "rfc822;carol+2B1@example.net") ==
	    0 && rd.env->size == 123 && rd.env->ret == ENVELOPE_RET_HDRS,
	    "the copy parsed back");
	buf_reset(&img);
	ok(spool_state_format(&rd, &img) == 0 && img.len == out.len &&
	    memcmp(img.data, out.data, out.len) == 0,
	    "a read-modify-write keeps the copy");
	spool_state_free(&rd);
	ok(rd.env == NULL && rd.version == 1, "free: no copy left");

	envelope_init(&bad);
	ok(spool_state_set_envelope(&st, &bad) == -1 && errno == EINVAL &&
	    st.env != NULL && strcmp(st.env->qid.s, QID1) == 0,
	    "an envelope that does not write back is refused, copy kept");
	envelope_free(&bad);

	/* refused forms */
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 1\nA 1\nX 1\nW 1\n\n%s", golden));
	state_refused(buf_cstr(&img), "unknown record", "version 1 with a copy");
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 2\nA 1\nX 1\nW 1\n\n%.*s", 20, golden));
	state_refused(buf_cstr(&img), "line 5: the envelope copy after it: "
	    "line 2", "a copy cut short");
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 2\nA 1\nX 1\nW 1\n\nV 1\nI %s\nT 1\n"
	    "U 1\nS\nZ 00000000000000000001\n\n", QID1));
	state_refused(buf_cstr(&img), "required record 'R' missing",
	    "a copy without a recipient");
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 2\nA 1\nX 1\nW 1\n\n%sx\n", golden));
	state_refused(buf_cstr(&img), "line 21: data after the envelope copy",
	    "data after the copy");
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 2\nA 1\nX 1\nW 1\n\n%s\n", golden));
	state_refused(buf_cstr(&img), "data after the envelope copy",
	    "a blank line after the copy");
	buf_reset(&img);
	FIXTURE(buf_printf(&img, "V 2\nA 1\n\n%s", golden));
	state_refused(buf_cstr(&img), "'X' missing",
	    "the copy before the required records");

	/* on disk, as the agent writes it */
	qid_parse(&q, QID1);
	snprintf(path, sizeof(path), "%s/state", dir);
	mkdir(path, 0700);
	buf_reset(&err);
	ok(spool_state_write(dir, &q, &st, &err) == 0 &&
	    spool_state_read(dir, &q, &rd, &err) == 0 && rd.env != NULL &&
	    rd.env->nrcpts == 3, "write and read version 2: %s",
	    buf_cstr(&err));
	spool_state_free(&rd);
	(void)spool_state_remove(dir, &q);
	rmdir(path);

	envelope_free(&e);
	spool_state_free(&st);
	buf_free(&out);
	buf_free(&err);
	buf_free(&img);
}

/* test_trigger - spool_trigger_open: no FIFO, no reader, a reader, a link */
static void
test_trigger(const char *dir)
{
	char	fifo[256], other[256];
	int	rfd, wfd;

	snprintf(fifo, sizeof(fifo), "%s/%s", dir, SPOOL_TRIGGER);
	snprintf(other, sizeof(other), "%s/fifo2", dir);
	ok(spool_trigger_open(dir) == -1 && errno == ENOENT,
	    "trigger: never made: ENOENT");
	ok(mkfifo(fifo, 0622) == 0, "trigger: FIFO made");
	ok(spool_trigger_open(dir) == -1 && errno == ENXIO,
	    "trigger: no agent reading: ENXIO");
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	wfd = spool_trigger_open(dir);
	ok(rfd != -1 && wfd != -1 && write(wfd, "f", 1) == 1,
	    "trigger: an agent reading: opened and written");
	if (wfd != -1)
		close(wfd);
	if (rfd != -1)
		close(rfd);
	unlink(fifo);
	ok(mkfifo(other, 0622) == 0 && symlink(other, fifo) == 0,
	    "trigger: replaced by a symbolic link");
	rfd = open(other, O_RDONLY | O_NONBLOCK);
	ok(spool_trigger_open(dir) == -1 && errno == ELOOP,
	    "trigger: a symbolic link is not followed");
	if (rfd != -1)
		close(rfd);
	unlink(fifo);
	unlink(other);
}

/*
 * test_poke - spool_poke_open: the group's FIFO when it opens, else the
 * world's (absent, or refused); ENXIO from the group's is no agent
 */
static void
test_poke(const char *dir)
{
	char	trig[256], flush[256], b;
	int	tr, fr, wfd;
	bool	priv = true;

	snprintf(trig, sizeof(trig), "%s/%s", dir, SPOOL_TRIGGER);
	snprintf(flush, sizeof(flush), "%s/%s", dir, SPOOL_FLUSH);
	ok(mkfifo(trig, 0622) == 0, "poke: trigger made");
	tr = open(trig, O_RDONLY | O_NONBLOCK);
	wfd = spool_poke_open(dir, &priv);
	ok(wfd != -1 && !priv && write(wfd, "f", 1) == 1 &&
	    read(tr, &b, 1) == 1, "poke: no flush FIFO: the trigger");
	if (wfd != -1)
		close(wfd);
	ok(mkfifo(flush, 0620) == 0, "poke: flush made");
	ok(spool_poke_open(dir, &priv) == -1 && errno == ENXIO,
	    "poke: nobody reads the flush FIFO: ENXIO (no agent)");
	fr = open(flush, O_RDONLY | O_NONBLOCK);
	wfd = spool_poke_open(dir, &priv);
	ok(wfd != -1 && priv && write(wfd, "f", 1) == 1 &&
	    read(fr, &b, 1) == 1 && read(tr, &b, 1) != 1,
	    "poke: the flush FIFO when it opens, nothing in the trigger");
	if (wfd != -1)
		close(wfd);
	if (getuid() != 0) {
		/* as anyone else: the kernel refuses, the trigger is used */
		ok(chmod(flush, 0) == 0 && (wfd = spool_poke_open(dir,
		    &priv)) != -1 && !priv, "poke: refused: the trigger");
		if (wfd != -1)
			close(wfd);
	}
	if (fr != -1)
		close(fr);
	if (tr != -1)
		close(tr);
	unlink(flush);
	unlink(trig);
}

int
main(void)
{
	char	dir[] = "/tmp/postern-spool-XXXXXX", path[256];
	struct qid q;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	ok(spool_addr_safe("a@b") && !spool_addr_safe("") &&
	    !spool_addr_safe("a b") && !spool_addr_safe("a\x7f") &&
	    spool_addr_safe("\xc3\xa9@b"), "spool_addr_safe");
	qid_parse(&q, QID1);
	ok(spool_path("/s", SPOOL_NEW, &q, path, sizeof(path)) == 0 &&
	    strcmp(path, "/s/new/" QID1) == 0, "spool_path with qid");
	ok(spool_path("/s", SPOOL_TMP, NULL, path, sizeof(path)) == 0 &&
	    strcmp(path, "/s/tmp") == 0, "spool_path without qid");
	ok(spool_path("/s", SPOOL_NEW, &q, path, 10) == -1 &&
	    errno == ENAMETOOLONG, "spool_path too long");
	test_envelope();
	test_fd(dir);
	test_state(dir);
	test_state_envelope(dir);
	test_bytes();
	test_trigger(dir);
	test_poke(dir);
	snprintf(path, sizeof(path), "%s/qf", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
