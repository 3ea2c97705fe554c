/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submission.c - unit tests for submission_run at the sizes that once
 * broke it (issue 9): header sections on every internal chunk and buffer
 * size of the front end +-1, max_header_size -1, exactly and +1, with and
 * without a blank line, each followed by 20,000-byte body lines; and a
 * header of exactly max_header_size (and one byte more) followed without
 * a blank line by a first body line of 1, 4095, 4096, 8191, 8192, 8193
 * and 70,000 bytes (once a line of 4096 to 8192 bytes there was counted
 * into the header section and the message refused).  Drives
 * the real src/postern-drop (unprivileged, with -C) and reads the queue
 * file back: every input byte must be there, in order (doc/input.md), or
 * the submission refused with EX_DATAERR naming the key and nothing queued.
 * Leading Received: fields, trace the front end adds, are not compared.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "input.h"
#include "rcpt.h"
#include "spool.h"
#include "submission.h"
#include "tap.h"
#include "util.h"

#define BODY_LINE	20000
#define MAX_HEADER	(256 * 1024)	/* max_header_size's default */

static char	dir[] = "/tmp/postern-submission-XXXXXX";
static char	drop[1024], conf_path[512], spool[512];

static const char fixed[] =
    "From: sender@example.org\n"
    "To: rcpt@example.net\n"
    "Date: Mon, 7 Dec 2026 11:00:00 +0000\n"
    "Message-ID: <unit@example.org>\n";

/* rm_entry - nftw callback for the cleanup */
static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* entries - names in spool/sub (without . and ..); the first in *first */
static int
entries(const char *sub, char *first, size_t firstsize)
{
	char		 path[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", spool, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n++ == 0 && first != NULL &&
		    (size_t)snprintf(first, firstsize, "%s/%s", path,
		    de->d_name) >= firstsize)
			FIXTURE(-1);
	}
	closedir(d);
	return n;
}

/*
 * make_input - a header section of exactly hsize bytes (filler fields of
 * at most 900 bytes), a blank line when blank, then two blen-byte lines
 * and "end"; *want gets what doc/input.md says is queued
 */
static void
make_input(struct buf *in, struct buf *want, size_t hsize, bool blank,
    size_t blen)
{
	size_t	left, take, k, n = 0;
	char	name[32];

	buf_reset(in);
	FIXTURE(buf_puts(in, fixed));
	left = hsize - (sizeof(fixed) - 1);
	while (left > 0) {
		take = left > 900 + 32 ? 900 : left;
		k = (size_t)snprintf(name, sizeof(name), "X-Fill-%06zu: ", n++);
		FIXTURE(buf_puts(in, name));
		for (; k < take - 1; k++)
			FIXTURE(buf_putc(in, 'f'));
		FIXTURE(buf_putc(in, '\n'));
		left -= take;
	}
	if (in->len != hsize)
		FIXTURE(-1);
	buf_reset(want);
	FIXTURE(buf_append(want, in->data, in->len));
	FIXTURE(buf_putc(want, '\n'));
	if (blank)
		FIXTURE(buf_putc(in, '\n'));
	for (k = 0; k < blen; k++)
		FIXTURE(buf_putc(in, 'b'));
	FIXTURE(buf_putc(in, '\n'));
	for (k = 0; k < blen; k++)
		FIXTURE(buf_putc(in, 'c'));
	FIXTURE(buf_puts(in, "\nend\n"));
	FIXTURE(buf_append(want, in->data + hsize + (blank ? 1 : 0),
	    in->len - hsize - (blank ? 1 : 0)));
}

/* submit_one - run submission_run on in; the code, the reason in err */
static int
submit_one(const struct conf *c, const struct rcpt_resolver *res,
    const struct submitter *who, const struct buf *in, struct buf *err)
{
	struct submission	 s;
	struct input		*inp;
	struct qid		 qid;
	FILE			*fp;
	int			 fd, rc;

	if ((fp = tmpfile()) == NULL || fwrite(in->data, 1, in->len, fp) !=
	    in->len || fflush(fp) == EOF || (fd = dup(fileno(fp))) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1)
		FIXTURE(-1);
	fclose(fp);
	submission_init(&s, c, res, who);
	s.config_path = conf_path;
	buf_reset(err);
	rc = submission_add_rcpt_arg(&s, "rcpt@example.net", err);
	if (rc == EX_OK) {
		inp = xmalloc(sizeof(*inp));
		input_init(inp, fd, INPUT_DOTS_NONE);
		rc = submission_run(&s, inp, &qid, err);
		free(inp);
	}
	close(fd);
	submission_free(&s);
	return rc;
}

/* queued_is - the one queue file's message part is want; removes it */
static bool
queued_is(const struct buf *want, const char *what)
{
	char	 path[1200];
	FILE	*fp;
	char	*data;
	long	 size;
	char	*sep;
	size_t	 got, i;
	bool	 same;

	if (entries("new", path, sizeof(path)) != 1) {
		diag("%s: expected one file in new/", what);
		return false;
	}
	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) == -1 ||
	    (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) == -1)
		FIXTURE(-1);
	data = xmalloc((size_t)size + 1);
	if (fread(data, 1, (size_t)size, fp) != (size_t)size)
		FIXTURE(-1);
	fclose(fp);
	unlink(path);
	data[size] = '\0';
	if ((sep = memmem(data, (size_t)size, "\n\n", 2)) == NULL) {
		free(data);
		return false;
	}
	sep += 2;
	/* a Received: trace field the front end adds is not input */
	while (strncasecmp(sep, "Received:", 9) == 0) {
		char	*nl = strchr(sep, '\n');

		while (nl != NULL && (nl[1] == ' ' || nl[1] == '\t'))
			nl = strchr(nl + 1, '\n');
		if (nl == NULL)
			break;
		sep = nl + 1;
	}
	got = (size_t)(data + size - sep);
	same = got == want->len && memcmp(sep, want->data, got) == 0;
	if (!same) {
		for (i = 0; i < got && i < want->len && sep[i] ==
		    want->data[i]; i++)
			;
		diag("%s: %zu bytes queued, %zu wanted, first difference at "
		    "%zu", what, got, want->len, i);
	}
	free(data);
	return same;
}

int
main(void)
{
	static const char *subs[] = { "tmp", "new", "cur", "failed", "state" };
	const char		*top = getenv("top_builddir");
	struct conf		 c;
	struct rcpt_resolver	 res;
	struct submitter	 who;
	struct buf		 in, want, err;
	char			 path[1200], what[128];
	FILE			*fp;
	/* every chunk and buffer size of the front end, +-1 */
	const size_t		 sizes[] = {
		INPUT_PIECE_MAX - 1, INPUT_PIECE_MAX, INPUT_PIECE_MAX + 1,
		INPUT_READ_SIZE - 1, INPUT_READ_SIZE, INPUT_READ_SIZE + 1,
		SPOOL_PIPE_CHUNK_MAX + INPUT_PIECE_MAX - 1,
		SPOOL_PIPE_CHUNK_MAX + INPUT_PIECE_MAX,
		/* the old write buffer: a 64 KiB chunk + a piece + 2 */
		SPOOL_PIPE_CHUNK_MAX + INPUT_PIECE_MAX + 1,
		SPOOL_PIPE_CHUNK_MAX + INPUT_PIECE_MAX + 2,
		SPOOL_PIPE_CHUNK_MAX + INPUT_PIECE_MAX + 3,
		2 * SPOOL_PIPE_CHUNK_MAX - 1, 2 * SPOOL_PIPE_CHUNK_MAX,
		2 * SPOOL_PIPE_CHUNK_MAX + 1,
		MAX_HEADER - 1, MAX_HEADER,
	};
	/* first body lines after a header without a blank line */
	const size_t		 blens[] = {
		1, 4095, 4096, INPUT_PIECE_MAX - 1, INPUT_PIECE_MAX,
		INPUT_PIECE_MAX + 1, 70000,
	};
	size_t			 i;
	int			 blank, rc;

	snprintf(drop, sizeof(drop), "%s/src/postern-drop", top ? top : ".");
	if (access(drop, X_OK) == -1) {
		printf("1..0 # SKIP %s not built\n", drop);
		return 0;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/postern.conf", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	mkdir(spool, 0755);
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		snprintf(path, sizeof(path), "%s/%s", spool, subs[i]);
		mkdir(path, 0700);
	}
	if ((fp = fopen(conf_path, "w")) == NULL || fprintf(fp, "[postern]\n"
	    "spool_dir = %s\ndrop_program = %s\naliases =\n"
	    "domain = example.org\nhostname = host.example.org\n"
	    "log = stderr\n", spool, drop) < 0 || fclose(fp) == EOF) {
		perror(conf_path);
		return 99;
	}
	buf_init(&err, 4096);
	if (conf_load(&c, conf_path, false, &err) == -1 ||
	    rcpt_resolver_init(&res, &c, NULL, &err) == -1) {
		printf("Bail out! %s\n", buf_cstr(&err));
		return 99;
	}
	is_int((long long)c.max_header_size, MAX_HEADER,
	    "max_header_size is the default these sizes were computed for");
	submitter_init(&who);
	buf_init(&in, 2 * MAX_HEADER + 4 * BODY_LINE);
	buf_init(&want, 2 * MAX_HEADER + 4 * BODY_LINE);

	for (blank = 0; blank <= 1; blank++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			snprintf(what, sizeof(what), "header %zu bytes, %s",
			    sizes[i], blank ? "blank line" : "no blank line");
			make_input(&in, &want, sizes[i], blank, BODY_LINE);
			rc = submit_one(&c, &res, &who, &in, &err);
			if (!is_int(rc, EX_OK, what))
				diag("%s", buf_cstr(&err));
			ok(rc == EX_OK && queued_is(&want, what),
			    "%s: every byte queued, in order", what);
		}
		snprintf(what, sizeof(what), "header max_header_size + 1, %s",
		    blank ? "blank line" : "no blank line");
		make_input(&in, &want, MAX_HEADER + 1, blank, BODY_LINE);
		rc = submit_one(&c, &res, &who, &in, &err);
		is_int(rc, EX_DATAERR, what);
		ok(strstr(buf_cstr(&err), "raise max_header_size in ") != NULL
		    && strstr(buf_cstr(&err), conf_path) != NULL,
		    "%s: the reason names the key and the file (%s)", what,
		    buf_cstr(&err));
		ok(entries("new", NULL, 0) == 0 && entries("tmp", NULL, 0) == 0,
		    "%s: nothing queued, no tmp file left", what);
	}

	/*
	 * only header lines count: after a header of exactly the limit, a
	 * first body line that fits one input piece (4096 to 8192 bytes:
	 * over the room left for added fields) is no refusal
	 */
	for (i = 0; i < ARRAY_SIZE(blens); i++) {
		snprintf(what, sizeof(what), "header max_header_size, no blank "
		    "line, first body line %zu bytes", blens[i]);
		make_input(&in, &want, MAX_HEADER, false, blens[i]);
		rc = submit_one(&c, &res, &who, &in, &err);
		if (!is_int(rc, EX_OK, what))
			diag("%s", buf_cstr(&err));
		ok(rc == EX_OK && queued_is(&want, what),
		    "%s: every byte queued, in order", what);
		snprintf(what, sizeof(what), "header max_header_size + 1, no "
		    "blank line, first body line %zu bytes", blens[i]);
		make_input(&in, &want, MAX_HEADER + 1, false, blens[i]);
		rc = submit_one(&c, &res, &who, &in, &err);
		is_int(rc, EX_DATAERR, what);
		ok(strstr(buf_cstr(&err), "larger than max_header_size") !=
		    NULL, "%s: the reason is the header size (%s)", what,
		    buf_cstr(&err));
		ok(entries("new", NULL, 0) == 0 && entries("tmp", NULL, 0) == 0,
		    "%s: nothing queued, no tmp file left", what);
	}

	buf_free(&in);
	buf_free(&want);
	buf_free(&err);
	submitter_free(&who);
	rcpt_resolver_free(&res);
	conf_free(&c);
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		diag("cleanup of %s failed", dir);
	return done_testing();
}
