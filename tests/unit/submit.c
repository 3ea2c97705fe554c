/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submit.c - unit tests for the front end's pipe client, driving the real
 * src/postern-drop (unprivileged, with -C) and a few fake helpers.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "spool.h"
#include "submit.h"
#include "tap.h"
#include "util.h"

#define TRACE_MAX	1024	/* the helper's Received: field fits */

static char	dir[] = "/tmp/postern-submit-XXXXXX";
static char	drop[1024], conf[512], spool[512];

/* put - write a file with mode */
static void
put(const char *path, const char *text, mode_t mode)
{
	FILE	*fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(path);
		exit(99);
	}
	chmod(path, mode);
}

/* writeconf - a config naming spool_dir and max_message_size */
static void
writeconf(const char *spooldir, const char *max)
{
	char	text[1024];

	snprintf(text, sizeof(text), "[postern]\nspool_dir = %s\n"
	    "max_message_size = %s\nmax_header_size = 1K\n", spooldir, max);
	put(conf, text, 0644);
}

/* count - entries in spool/sub, without . and .. */
static int
count(const char *sub)
{
	char		 path[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", spool, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* rm_entry - nftw callback for the cleanup */
static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
env_basic(struct envelope *e)
{
	envelope_init(e);
	envelope_set_sender(e, "alice@example.org");
	envelope_add_rcpt(e, "bob@example.com", 0, NULL);
	envelope_add_rcpt(e, "carol@example.net", ENVELOPE_NOTIFY_FAILURE,
	    "rfc822;carol@example.net");
	e->body = ENVELOPE_BODY_8BITMIME;
}

static void
test_commit(void)
{
	struct envelope	 e, got;
	struct submit	*s;
	struct buf	 err;
	struct qid	 q;
	struct sigaction sa;
	char		 path[1024], *body, *back;
	size_t		 len = 200000, i, trace = 0;
	off_t		 off;
	int		 fd, code, wrote = 0;

	buf_init(&err, 4096);
	env_basic(&e);
	body = xmalloc(len);
	for (i = 0; i < len; i++)
		body[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	body[len - 1] = '\n';
	s = submit_open(drop, conf, &e, &err);
	ok(s != NULL, "open: %s", buf_cstr(&err));
	/* odd write sizes straddle chunk boundaries */
	for (i = 0; s != NULL && i < len; i += 7777)
		wrote |= submit_write(s, body + i, len - i < 7777 ? len - i :
		    7777);
	ok(wrote == 0, "200000 bytes written in pieces");
	code = s != NULL ? submit_commit(s, &q, &err) : -1;
	is_int(code, EX_OK, "commit returns EX_OK");
	if (code != EX_OK)
		diag("err: %s", buf_cstr(&err));
	ok(qid_valid(q.s), "queue id returned: %s", q.s);
	snprintf(path, sizeof(path), "%s/new/%s", spool, q.s);
	fd = open(path, O_RDONLY);
	ok(fd != -1, "file in new/");
	buf_reset(&err);
	ok(fd != -1 && spool_read_envelope_fd(fd, &got, &off, &err) == 0,
	    "queue file parses strictly: %s", buf_cstr(&err));
	/* the helper's trace field comes first: "Received: ...\n\tid ...\n" */
	back = xmalloc(len + TRACE_MAX);
	memset(back, 0, len + TRACE_MAX);
	if (fd != -1 && pread(fd, back, len + TRACE_MAX, off) > 0) {
		char	*nl = memchr(back, '\n', TRACE_MAX);

		nl = nl != NULL ? memchr(nl + 1, '\n', TRACE_MAX) : NULL;
		trace = nl != NULL ? (size_t)(nl + 1 - back) : 0;
	}
	ok(trace > 0 && strncmp(back, "Received: by ", 13) == 0,
	    "the trace field opens the message (%zu bytes)", trace);
	ok(got.uid == getuid() && got.nrcpts == 2 && got.size == len + trace &&
	    strcmp(got.sender, "alice@example.org") == 0 &&
	    got.rcpts[1].notify == ENVELOPE_NOTIFY_FAILURE &&
	    got.body == ENVELOPE_BODY_8BITMIME, "envelope as sent, uid real");
	ok(trace > 0 && memcmp(back + trace, body, len) == 0,
	    "message bytes intact after it");
	if (fd != -1)
		close(fd);
	unlink(path);
	ok(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL,
	    "SIGPIPE disposition restored");
	envelope_free(&got);
	envelope_free(&e);
	free(body);
	free(back);
	buf_free(&err);
}

static void
test_refusals(void)
{
	struct envelope	 e;
	struct submit	*s;
	struct buf	 err;
	struct qid	 q;
	char		*big, path[1024], want[128];
	size_t		 len = 1 << 20, i;
	int		 code, wr = 0;

	buf_init(&err, 4096);
	env_basic(&e);
	big = xmalloc(len);
	memset(big, 'x', len);
	for (i = 99; i < len; i += 100)
		big[i] = '\n';

	/* the helper quits mid-stream: EPIPE, not death by SIGPIPE */
	writeconf(spool, "1K");
	s = submit_open(drop, conf, &e, &err);
	for (i = 0; s != NULL && i < 16 && wr == 0; i++)
		wr = submit_write(s, big, len);
	ok(wr == -1 && errno == EPIPE, "write fails with EPIPE once the "
	    "helper quit (and we are alive)");
	code = s != NULL ? submit_commit(s, &q, &err) : -1;
	is_int(code, EX_DATAERR, "size limit: EX_DATAERR from the helper");
	snprintf(want, sizeof(want), "postern-drop: fatal: uid=%lu: message "
	    "larger than max_message_size (1024 bytes)",
	    (unsigned long)getuid());
	ok(strstr(buf_cstr(&err), want) != NULL, "helper's message "
	    "returned, naming our uid: %s", buf_cstr(&err));
	ok(count("tmp") == 0 && count("new") == 0, "nothing left in the spool");
	writeconf(spool, "10M");

	/* abort */
	buf_reset(&err);
	s = submit_open(drop, conf, &e, &err);
	ok(s != NULL && submit_write(s, big, 5000) == 0, "open and write");
	submit_abort(s);
	ok(count("tmp") == 0 && count("new") == 0, "abort leaves nothing");
	submit_abort(NULL);

	/* missing spool */
	snprintf(path, sizeof(path), "%s/missing", dir);
	writeconf(path, "10M");
	buf_reset(&err);
	s = submit_open(drop, conf, &e, &err);
	if (s != NULL)
		submit_write(s, "hi\n", 3);
	code = s != NULL ? submit_commit(s, &q, &err) : -1;
	ok(code == EX_CANTCREAT && strstr(buf_cstr(&err), "chdir") != NULL,
	    "missing spool: EX_CANTCREAT: %s", buf_cstr(&err));
	writeconf(spool, "10M");

	/* no helper */
	buf_reset(&err);
	s = submit_open("/nonexistent/postern-drop", NULL, &e, &err);
	ok(s == NULL && strstr(buf_cstr(&err), "cannot run "
	    "/nonexistent/postern-drop: No such file") != NULL,
	    "missing helper: NULL with the reason: %s", buf_cstr(&err));

	/* message without a final LF is the front end's bug, refused */
	buf_reset(&err);
	s = submit_open(drop, conf, &e, &err);
	if (s != NULL)
		submit_write(s, "no newline", 10);
	code = s != NULL ? submit_commit(s, &q, &err) : -1;
	is_int(code, EX_DATAERR, "message without final LF refused");

	/* an unsafe envelope never reaches the helper */
	free(e.rcpts[0].addr);
	e.rcpts[0].addr = xstrdup("bob@example.com\r\nRCPT TO:<x@y>");
	buf_reset(&err);
	errno = 0;
	s = submit_open(drop, conf, &e, &err);
	ok(s == NULL && strstr(buf_cstr(&err), "control character") != NULL,
	    "unsafe address refused before exec: %s", buf_cstr(&err));
	envelope_free(&e);
	free(big);
	buf_free(&err);
}

/* fake - run a fake helper script; returns the commit code */
static int
fake(const char *script, const char *config, struct buf *err)
{
	struct envelope	 e;
	struct submit	*s;
	struct qid	 q;
	char		 path[1024];
	int		 code = -1;

	snprintf(path, sizeof(path), "%s/fake", dir);
	put(path, script, 0755);
	env_basic(&e);
	buf_reset(err);
	if ((s = submit_open(path, config, &e, err)) != NULL) {
		submit_write(s, "hi\n", 3);
		code = submit_commit(s, &q, err);
	}
	envelope_free(&e);
	return code;
}

static void
test_fakes(void)
{
	struct buf	err;
	char		script[2048], path[1024], text[4096];
	FILE		*fp;
	size_t		n;

	buf_init(&err, 4096);
	is_int(fake("#!/bin/sh\nexit 0\n", NULL, &err), EX_TEMPFAIL,
	    "helper exits 0 without a queue id: not EX_OK");
	is_int(fake("#!/bin/sh\ncat >/dev/null\necho 0123456789ABCDEF0123\n"
	    "exit 0\n", NULL, &err), EX_OK, "well-behaved fake helper: EX_OK");
	is_int(fake("#!/bin/sh\ncat >/dev/null\necho 0123456789ABCDEF0123\n"
	    "exit 75\n", NULL, &err), EX_TEMPFAIL,
	    "queue id but exit 75: not EX_OK");
	is_int(fake("#!/bin/sh\ncat >/dev/null\necho not-a-qid\n", NULL, &err),
	    EX_TEMPFAIL, "malformed queue id: not EX_OK");
	is_int(fake("#!/bin/sh\nkill -9 $$\n", NULL, &err), EX_TEMPFAIL,
	    "helper killed: EX_TEMPFAIL");
	ok(strstr(buf_cstr(&err), "signal 9") != NULL, "reason names the "
	    "signal: %s", buf_cstr(&err));
	is_int(fake("#!/bin/sh\nexit 3\n", NULL, &err), EX_TEMPFAIL,
	    "exit status outside sysexits: EX_TEMPFAIL");
	is_int(fake("#!/bin/sh\necho 'line one' >&2\necho 'line\ttwo' >&2\n"
	    "exit 77\n", NULL, &err), EX_NOPERM, "sysexits code passed through");
	is_str(buf_cstr(&err), "line one; line?two", "stderr joined, "
	    "control characters replaced");

	/* argv is fixed and the environment empty */
	snprintf(path, sizeof(path), "%s/seen", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "{ echo \"argc=$# 1=$1 2=$2\"; /usr/bin/env; } > %s\n"
	    "cat >/dev/null\necho 0123456789ABCDEF0123\n", path);
	setenv("POSTERN_TEST_MARKER", "leak", 1);
	is_int(fake(script, "/some/conf", &err), EX_OK, "fake with -C");
	text[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		text[n] = '\0';
		fclose(fp);
	}
	ok(strstr(text, "argc=2 1=-C 2=/some/conf") != NULL,
	    "argv: -C config only when given");
	ok(strstr(text, "POSTERN_TEST_MARKER") == NULL &&
	    strstr(text, "PATH=/usr") == NULL, "environment not passed");
	is_int(fake(script, NULL, &err), EX_OK, "fake without -C");
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		text[n] = '\0';
		fclose(fp);
	}
	ok(strstr(text, "argc=0") != NULL, "argv: no arguments by default");
	unlink(path);
	snprintf(path, sizeof(path), "%s/fake", dir);
	unlink(path);
	buf_free(&err);
}

int
main(void)
{
	const char	*top = getenv("top_builddir");
	char		 cmd[1200];
	static const char *subs[] = { "tmp", "new", "cur", "failed", "state" };
	size_t		 i;

	snprintf(drop, sizeof(drop), "%s/src/postern-drop", top ? top : ".");
	if (access(drop, X_OK) == -1) {
		printf("1..0 # SKIP %s not built\n", drop);
		return 0;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	mkdir(spool, 0755);
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", spool, subs[i]);
		mkdir(cmd, 0700);
	}
	writeconf(spool, "10M");
	test_commit();
	test_refusals();
	test_fakes();
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		diag("cleanup of %s failed", dir);
	return done_testing();
}
