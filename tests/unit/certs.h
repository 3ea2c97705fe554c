/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/certs.h - for the unit tests that need TLS certificates
 * (tls.c, trust.c): a shell helper, and the test certificates of
 * tests/lib/tls-certs-unit.sh made fresh in a private directory.  Header
 * only, like tap.h; include it after tap.h, buf.h, run.h and util.h.
 */
#ifndef POSTERN_TEST_CERTS_H
#define POSTERN_TEST_CERTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* shell_out - stdout of a shell command (trimmed), or why, into out */
static int
shell_out(const char *cmd, char *out, size_t size)
{
	struct buf	b;
	struct why	why;
	int		rc;

	buf_init(&b, RUN_OUTPUT_MAX);
	rc = run_command("test", cmd, 60000, RUN_OUTPUT_MAX, &b, &why);
	str_copy(out, rc == 0 ? buf_cstr(&b) : why.text, size);
	buf_free(&b);
	return rc;
}

/* certs_remove - remove the certificate directory */
static void
certs_remove(const char *dir)
{
	char	cmd[1024], out[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && echo gone", dir);
	shell_out(cmd, out, sizeof(out));
}

/*
 * certs_make - mkdtemp(dir) (a template ending in XXXXXX) and make the
 * test certificates there.  Returns 0, or what main() should return: 77
 * (skip, the TAP plan printed: certtool missing) or 99 (hard error).
 */
static int
certs_make(char *dir)
{
	const char	*top = getenv("top_srcdir");
	char		 cmd[1024], out[1024];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(cmd, sizeof(cmd),
	    "sh '%s/tests/lib/tls-certs-unit.sh' '%s' && echo made",
	    top != NULL ? top : "..", dir);
	if (shell_out(cmd, out, sizeof(out)) == -1) {
		printf("1..0 # SKIP cannot make test certificates: %s\n", out);
		certs_remove(dir);
		return strstr(out, "status 77") != NULL ? 77 : 99;
	}
	return 0;
}

#endif
