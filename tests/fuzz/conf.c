/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.c - libFuzzer target for the configuration parsers: conf_load on
 * the input (up to the first NUL-NUL pair; the first byte's low bit picks
 * need_relay) and conf_load_secrets on what follows the pair.  Both take
 * files, so the harness rewrites two files in a private mkdtemp directory
 * (the secrets file 0600 and ours, so the permission checks pass).  A
 * [postern] section naming domain and hostname is appended to the
 * configuration so that conf_load does not resolve the host name every
 * run.  Checks: an error always has a message; a configuration that loads
 * dumps (conf_dump) to text that loads again and dumps to the same
 * values; every key has an origin; loaded secrets hold no line end and
 * no NUL, and an error message never quotes a password.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"

#define FUZZ_DUMP_MAX	(1024 * 1024)
#define FUZZ_ERR_MAX	(64 * 1024)
#define FUZZ_PW_SHOWN	12	/* passwords this long must not leak */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_tail[] =
    "\n[postern]\ndomain = fuzz.example\nhostname = fuzz.example\n";

static char	fuzz_dir[64];
static char	fuzz_conf[96], fuzz_conf2[96], fuzz_secrets[96];

/* fuzz_cleanup - remove the private directory at exit */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_conf);
	unlink(fuzz_conf2);
	unlink(fuzz_secrets);
	rmdir(fuzz_dir);
}

/* fuzz_setup - the private directory, once */
static void
fuzz_setup(void)
{
	if (fuzz_dir[0] != '\0')
		return;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/postern-fuzz-conf.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(fuzz_conf, sizeof(fuzz_conf), "%s/postern.conf", fuzz_dir);
	snprintf(fuzz_conf2, sizeof(fuzz_conf2), "%s/dump.conf", fuzz_dir);
	snprintf(fuzz_secrets, sizeof(fuzz_secrets), "%s/secrets", fuzz_dir);
	atexit(fuzz_cleanup);
	log_init("fuzz-conf", 0);
}

/* fuzz_write - replace path's contents with a then b */
static void
fuzz_write(const char *path, const void *a, size_t alen, const void *b,
    size_t blen)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, a, alen) != (ssize_t)alen ||
	    write(fd, b, blen) != (ssize_t)blen || close(fd) == -1)
		abort();
}

/* fuzz_values - the dump without comments: what must survive a reload */
static void
fuzz_values(const struct buf *dump, struct buf *out)
{
	const char	*p = dump->data, *end = dump->data + dump->len, *nl;
	const char	*c;
	size_t		 n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();	/* the dump ends every line */
		n = (size_t)(nl - p);
		if (n > 0 && p[0] == '#')
			continue;
		/* the origin comment: the last "  # " on the line */
		for (c = nl - 1; c > p + 2; c--)
			if (c[0] == '#' && c[-1] == ' ' && c[-2] == ' ') {
				n = (size_t)(c - 2 - p);
				break;
			}
		if (buf_append(out, p, n) == -1 || buf_putc(out, '\n') == -1)
			abort();
	}
}

/* fuzz_origins - every key of every section has an origin */
static void
fuzz_origins(const struct conf *c)
{
	const char	*key, *sect;
	char		 where[512];
	size_t		 i, r;

	for (i = 0; (key = conf_key_name(i, &sect)) != NULL; i++) {
		if (strcmp(sect, "relay") != 0) {
			if (conf_origin_of(c, sect, key, 0) == NULL)
				abort();
			continue;
		}
		for (r = 0; r < c->nrelays; r++)
			if (conf_origin_of(c, sect, key, r) == NULL)
				abort();
		if (c->nrelays > 0)
			conf_origin_format(conf_origin_of(c, sect, key, 0),
			    where, sizeof(where));
	}
}

/*
 * fuzz_secret_leak - does err quote the password of a line of sec?  Only
 * passwords of FUZZ_PW_SHOWN bytes or more count, and not those that
 * also appear in the configuration (hosts, users, paths) or in ref, the
 * messages for the same configuration and an empty secrets file (fixed
 * wording such as "password_command").
 */
static bool
fuzz_secret_leak(const struct buf *err, const char *sec, size_t slen,
    const char *conf, size_t clen, const struct buf *ref)
{
	const char	*p = sec, *end = sec + slen, *nl, *pw;
	size_t		 n, hl;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		/* the input is not NUL-terminated: scan within the line */
		for (hl = 0; hl < n && (p[hl] == ' ' || p[hl] == '\t'); hl++)
			;
		if (hl >= n || p[hl] == '#')
			continue;
		while (hl < n && p[hl] != ' ' && p[hl] != '\t')
			hl++;
		pw = p + hl;
		while (pw < p + n && (*pw == ' ' || *pw == '\t'))
			pw++;
		if ((size_t)(p + n - pw) < FUZZ_PW_SHOWN ||
		    memchr(pw, '\0', (size_t)(p + n - pw)) != NULL)
			continue;
		/* a host name or path can look like a password: skip those */
		if (memmem(conf, clen, pw, FUZZ_PW_SHOWN) != NULL ||
		    (ref->len > 0 && memmem(ref->data, ref->len, pw,
		    FUZZ_PW_SHOWN) != NULL))
			continue;
		if (memmem(err->data, err->len, pw, FUZZ_PW_SHOWN) != NULL)
			return true;
	}
	return false;
}

/* fuzz_secrets_run - conf_load_secrets on the second part */
static void
fuzz_secrets_run(struct conf *c, const uint8_t *sec, size_t slen,
    const uint8_t *conf, size_t clen)
{
	struct buf	err, ref;
	size_t		i;
	int		rc;

	free(c->secrets_file);
	c->secrets_file = strdup(fuzz_secrets);
	if (c->secrets_file == NULL)
		abort();
	buf_init(&ref, FUZZ_ERR_MAX);
	fuzz_write(fuzz_secrets, "", 0, "", 0);
	if (conf_load_secrets(c, &ref) == 0)
		for (i = 0; i < c->nrelays; i++)
			if (c->relays[i].password != NULL)
				abort();	/* from an empty file? */
	fuzz_write(fuzz_secrets, sec, slen, "", 0);
	buf_init(&err, FUZZ_ERR_MAX);
	rc = conf_load_secrets(c, &err);
	if (rc == -1) {
		if (err.len == 0)
			abort();
		for (i = 0; i < c->nrelays; i++)
			if (c->relays[i].password != NULL)
				abort();	/* "no password is filled in" */
		if (fuzz_secret_leak(&err, (const char *)sec, slen,
		    (const char *)conf, clen, &ref)) {
			fprintf(stderr, "secrets error quotes a password:\n%s",
			    buf_cstr(&err));
			abort();
		}
	} else {
		if (rc != 0 || err.len != 0)
			abort();
		for (i = 0; i < c->nrelays; i++) {
			const struct conf_relay *r = &c->relays[i];

			if (r->user != NULL && r->password_command == NULL &&
			    r->token_command == NULL && r->password == NULL)
				abort();
			if (r->password != NULL &&
			    strpbrk(r->password, "\r\n") != NULL)
				abort();
		}
	}
	buf_free(&err);
	buf_free(&ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c, c2;
	struct buf	 err, dump, dump2, v1, v2;
	const uint8_t	*sep, *sec = NULL;
	size_t		 clen = size, slen = 0;
	bool		 need_relay = size > 0 && (data[0] & 1);

	fuzz_setup();
	for (sep = data; sep + 1 < data + size; sep++)
		if (sep[0] == 0 && sep[1] == 0) {
			clen = (size_t)(sep - data);
			sec = sep + 2;
			slen = (size_t)(data + size - sec);
			break;
		}
	fuzz_write(fuzz_conf, data, clen, fuzz_tail, sizeof(fuzz_tail) - 1);

	buf_init(&err, FUZZ_ERR_MAX);
	buf_init(&dump, FUZZ_DUMP_MAX);
	buf_init(&dump2, FUZZ_DUMP_MAX);
	buf_init(&v1, FUZZ_DUMP_MAX);
	buf_init(&v2, FUZZ_DUMP_MAX);
	if (conf_load(&c, fuzz_conf, need_relay, &err) == -1) {
		if (err.len == 0)
			abort();
		goto out;
	}
	if (err.len != 0)
		abort();
	fuzz_origins(&c);
	if (conf_dump(&c, &dump) == -1)
		abort();
	fuzz_write(fuzz_conf2, dump.data, dump.len, "", 0);
	if (conf_load(&c2, fuzz_conf2, need_relay, &err) == -1) {
		fprintf(stderr, "dump does not load again:\n%s\n%s",
		    buf_cstr(&err), buf_cstr(&dump));
		abort();
	}
	if (conf_dump(&c2, &dump2) == -1)
		abort();
	fuzz_values(&dump, &v1);
	fuzz_values(&dump2, &v2);
	if (v1.len != v2.len || memcmp(v1.data, v2.data, v1.len) != 0) {
		fprintf(stderr, "dump changed on reload:\n%s\n----\n%s",
		    buf_cstr(&v1), buf_cstr(&v2));
		abort();
	}
	conf_free(&c2);
	if (sec != NULL)
		fuzz_secrets_run(&c, sec, slen, data, clen);
	conf_free(&c);
out:
	buf_free(&err);
	buf_free(&dump);
	buf_free(&dump2);
	buf_free(&v1);
	buf_free(&v2);
	return 0;
}
