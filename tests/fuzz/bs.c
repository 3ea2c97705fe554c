/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bs.c - libFuzzer target for the `sendmail -bs` dialogue
 * (src/front/smtpd_bs.c): the input is what the local client says.  It
 * goes through a memfd put on fd 0, the replies into a memfd on fd 1;
 * both are restored after each run.  The configuration's drop_program is
 * tests/fuzz/drop-refuse (next to this program), which reads the whole
 * submission and refuses it, so every DATA runs the real submission path
 * (header rules, recipients, pipe protocol) and nothing is ever queued.
 * Each DATA costs a fork and exec: keep -max_len modest (tests/fuzz/run
 * uses 4096).  Checks on the replies: the 220 greeting first; every
 * line is CRLF-terminated, "NNN" plus ' ' or '-', code 2xx-5xx, no NUL,
 * no bare CR or LF, at most 1024 bytes; the last reply is complete;
 * nothing is ever reported queued.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aliases.h"
#include "conf.h"
#include "front.h"
#include "log.h"
#include "rcpt.h"
#include "submission.h"
#include "util.h"

#define FUZZ_REPLY_MAX	1024	/* smtpd_bs_reply's line, CRLF included */
#define FUZZ_OUT_MAX	(16 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct conf		fuzz_conf;
static struct rcpt_resolver	fuzz_res;
static struct submitter		fuzz_who;
static int			fuzz_saved0 = -1, fuzz_saved1 = -1;
static char			*fuzz_out;

/* fuzz_setup - configuration, aliases, saved descriptors; once */
static void
fuzz_setup(void)
{
	static const char aliases[] =
	    "postmaster: root\nroot: admin@example.org\n"
	    "list: a@example.org, b@example.net, root\nloop: loop\n";
	char		 self[PATH_MAX], *slash;
	ssize_t		 n;
	struct buf	 err;

	log_init("fuzz-bs", 0);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		abort();
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		abort();
	*slash = '\0';
	conf_defaults(&fuzz_conf);
	free(fuzz_conf.drop_program);
	fuzz_conf.drop_program = xasprintf("%s/drop-refuse", self);
	if (access(fuzz_conf.drop_program, X_OK) == -1) {
		fprintf(stderr, "bs.fuzz: %s: not found: build it with "
		    "make (it is built with the fuzz targets)\n",
		    fuzz_conf.drop_program);
		exit(1);
	}
	free(fuzz_conf.domain);
	free(fuzz_conf.hostname);
	free(fuzz_conf.admin);
	free(fuzz_conf.aliases);
	fuzz_conf.domain = xstrdup("example.org");
	fuzz_conf.hostname = xstrdup("fuzz.example.org");
	fuzz_conf.admin = xstrdup("admin@example.org");
	fuzz_conf.aliases = xstrdup("");
	fuzz_conf.max_message_size = 64 * 1024;
	fuzz_conf.max_header_size = 16 * 1024;
	fuzz_res.conf = &fuzz_conf;
	buf_init(&err, 4096);
	fuzz_res.aliases = aliases_load_mem(aliases, sizeof(aliases) - 1,
	    "fuzz-aliases", &err);
	buf_free(&err);
	fuzz_who.uid = getuid();
	fuzz_who.login = xstrdup("fuzz");
	fuzz_who.fullname = xstrdup("Fuzz Tester");
	if ((fuzz_saved0 = fcntl(0, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (fuzz_saved1 = fcntl(1, F_DUPFD_CLOEXEC, 3)) == -1)
		abort();
	fuzz_out = xmalloc(FUZZ_OUT_MAX + 1);
}

/* fuzz_check - the replies' grammar */
static void
fuzz_check(const char *p, size_t len)
{
	const char	*end = p + len, *nl;
	size_t		 n;
	bool		 more = false, first = true;

	if (len < 6 || memcmp(p, "220 ", 4) != 0)
		abort();
	if (memchr(p, '\0', len) != NULL)
		abort();
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();	/* unterminated reply */
		n = (size_t)(nl - p) + 1;
		if (n < 6 || n > FUZZ_REPLY_MAX || nl[-1] != '\r' ||
		    memchr(p, '\r', n - 2) != NULL)
			abort();
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
		    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			abort();
		if (!first && !more && memcmp(p, "220", 3) == 0)
			abort();	/* one greeting */
		if (n >= 20 && memcmp(p, "250 2.0.0 Ok: queued", 20) == 0)
			abort();	/* drop-refuse never queues */
		more = p[3] == '-';
		first = false;
	}
	if (more)
		abort();		/* the last reply is complete */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	in, out;
	off_t	len;
	ssize_t	n;

	if (fuzz_out == NULL)
		fuzz_setup();
	if ((in = memfd_create("bs-in", MFD_CLOEXEC)) == -1 ||
	    (out = memfd_create("bs-out", MFD_CLOEXEC)) == -1)
		abort();
	if (write(in, data, size) != (ssize_t)size ||
	    lseek(in, 0, SEEK_SET) != 0)
		abort();
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
		abort();
	(void)smtpd_bs_main(&fuzz_conf, NULL, &fuzz_res, &fuzz_who);
	if (dup2(fuzz_saved0, 0) == -1 || dup2(fuzz_saved1, 1) == -1)
		abort();
	if ((len = lseek(out, 0, SEEK_END)) == -1 || len > FUZZ_OUT_MAX ||
	    lseek(out, 0, SEEK_SET) != 0)
		abort();
	if ((n = read(out, fuzz_out, (size_t)len)) != len)
		abort();
	fuzz_check(fuzz_out, (size_t)n);
	close(in);
	close(out);
	return 0;
}
