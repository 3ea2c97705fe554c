/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce-gen.c - test driver: write one DSN to stdout for bounce-parse.sh,
 * which reads it back with Python's email package.  Usage:
 * bounce-gen fail|headers|delay|utf8|hostile|empty
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "io.h"

/* gen_write - write_fn to stdout */
static int
gen_write(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	return io_write_all(STDOUT_FILENO, p, n);
}

int
main(int argc, char **argv)
{
	struct bounce_rcpt	 r[3] = {
		{ "bob@example.net", "rfc822;bob@example.net", "failed",
		    "5.1.1", "mx.example.net", "smtp; 550 5.1.1 no such user",
		    1700003500 },
		{ "carol@example.net", NULL, "failed", "5.2.2",
		    "mx.example.net", "smtp; 552 5.2.2 mailbox full", 0 },
		{ "dave@example.net", NULL, "failed", NULL, NULL, NULL, 0 },
	};
	struct bounce_info	 info;
	struct buf		 orig, err;
	const char		*mode = argc > 1 ? argv[1] : "fail";
	size_t			 nrcpt = 3, i;
	FILE			*f;
	int			 fd, rc;

	memset(&info, 0, sizeof(info));
	info.reporting_mta = "relay.example.org";
	info.domain = "example.org";
	info.orig_sender = "alice@example.org";
	info.queue_id = "65A1B2C30001234ABCDE";
	info.arrival = 1700000000;
	info.ret_full = 1;
	info.max_return_size = 1 << 20;
	buf_init(&orig, 8u << 20);
	buf_init(&err, 4096);
	if (buf_puts(&orig, "From: alice@example.org\nTo: bob@example.net\n"
	    "Subject: test\nMessage-ID: <m@example.org>\n\nhello\n") == -1)
		return 2;
	if (strcmp(mode, "headers") == 0)
		info.ret_full = 0;
	else if (strcmp(mode, "delay") == 0) {
		info.delayed = 1;
		info.ret_full = 0;
		for (i = 0; i < nrcpt; i++)
			r[i].action = "delayed", r[i].status = "4.4.1";
	} else if (strcmp(mode, "utf8") == 0) {
		r[0].addr = "b\xc3\xbc" "cher@example.net";
		r[0].orcpt = "utf-8;b\xc3\xbc" "cher@example.net";
	} else if (strcmp(mode, "empty") == 0)
		buf_reset(&orig);
	else if (strcmp(mode, "hostile") == 0) {
		buf_reset(&orig);
		if (buf_puts(&orig, "Subject: x\r\n") == -1)
			return 2;
		for (i = 0; i < 200000; i++)
			if (buf_putc(&orig, 'h') == -1)
				return 2;
		if (buf_puts(&orig, "\n\n--=_postern_\n--\n\r--x--\n") == -1)
			return 2;
		r[1].diagnostic = "smtp; 550 a\n--=_postern_ b\r\nc\001d";
		info.max_return_size = 100000;
	}
	if ((f = tmpfile()) == NULL || (fd = dup(fileno(f))) < 0)
		return 2;
	fclose(f);
	if (io_write_all(fd, orig.data, orig.len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == (off_t)-1)
		return 2;
	rc = bounce_generate(&info, r, nrcpt, fd, gen_write, NULL, &err);
	if (rc != 0)
		fprintf(stderr, "bounce-gen: %s\n", buf_cstr(&err));
	close(fd);
	buf_free(&orig);
	buf_free(&err);
	return rc == 0 ? 0 : 1;
}
