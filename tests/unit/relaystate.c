/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relaystate.c - unit tests of the one parser and formatter of
 * spool/state/relays: lines, whole files (bad and cut lines counted),
 * the bounded reader (oversized file, symlink, FIFO, missing file) and
 * the saved flush request (taken once).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "relaystate.h"
#include "tap.h"

static void
test_line(void)
{
	struct relaystate	r;
	char			long_reason[1000];

	ok(relaystate_parse_line("smtp.example.com:587 up", &r) == 0 &&
	    strcmp(r.name, "smtp.example.com:587") == 0 && !r.down,
	    "relay: up");
	ok(relaystate_parse_line("mx:25 down 1700000000 1700000600 3 "
	    "connect: Connection refused", &r) == 0 && r.down &&
	    r.down_since == 1700000000 && r.next_try == 1700000600 &&
	    r.failures == 3, "relay: down with times and count");
	is_str(r.reason, "connect: Connection refused", "relay: reason");
	ok(relaystate_parse_line("mx:25 down 1 2 3 a\x01" "b", &r) == 0 &&
	    strcmp(r.reason, "a?b") == 0, "relay: control in reason made ?");
	ok(relaystate_parse_line("mx:25 down 1 2 3 ", &r) == 0 &&
	    r.reason[0] == '\0', "relay: empty reason");
	ok(relaystate_parse_line("mx:25 sideways", &r) == -1 &&
	    errno == EINVAL, "relay: unknown state refused");
	ok(relaystate_parse_line("mx:25 down x 2 3 r", &r) == -1,
	    "relay: non-numeric time refused");
	ok(relaystate_parse_line("mx:25 down 1 2", &r) == -1,
	    "relay: missing fields refused");
	ok(relaystate_parse_line(" up", &r) == -1, "relay: empty name refused");
	ok(relaystate_parse_line("up", &r) == -1, "relay: no state refused");
	ok(relaystate_parse_line("mx:25 down 1 2 123456789012345678901 r",
	    &r) == -1, "relay: over-long number refused");
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	memcpy(long_reason, "m:1 down 1 2 3 ", 15);
	ok(relaystate_parse_line(long_reason, &r) == 0 &&
	    strlen(r.reason) == RELAYSTATE_REASON_MAX,
	    "relay: long reason cut at the limit");
	/* the last message sent: optional, so older files read the same */
	ok(relaystate_parse_line("mx:25 up", &r) == 0 && r.last_sent == 0,
	    "sent: an older up line: none known");
	ok(relaystate_parse_line("mx:25 up sent=1700000000", &r) == 0 &&
	    !r.down && r.last_sent == 1700000000, "sent: up sent=T");
	ok(relaystate_parse_line("mx:25 down 1 2 3 sent=1699999999 421 busy",
	    &r) == 0 && r.down && r.failures == 3 &&
	    r.last_sent == 1699999999 && strcmp(r.reason, "421 busy") == 0,
	    "sent: down ... sent=T REASON");
	ok(relaystate_parse_line("mx:25 down 1 2 3 421 sent=5 busy", &r) ==
	    0 && r.last_sent == 0 && strcmp(r.reason, "421 sent=5 busy") == 0,
	    "sent: inside the reason it is the reason's");
	ok(relaystate_parse_line("mx:25 down 1 2 3 sent=5x why", &r) == 0 &&
	    r.last_sent == 0 && strcmp(r.reason, "sent=5x why") == 0,
	    "sent: not a number: part of the reason");
	ok(relaystate_parse_line("mx:25 down 1 2 3 sent=5", &r) == 0 &&
	    r.last_sent == 5 && r.reason[0] == '\0',
	    "sent: and an empty reason");
	ok(relaystate_parse_line("mx:25 up sent=", &r) == -1,
	    "sent: up sent= without a number refused");
	ok(relaystate_parse_line("mx:25 up sent=5 x", &r) == -1,
	    "sent: up with more after it refused");
	ok(relaystate_parse_line("mx:25 up sent=5 ", &r) == -1,
	    "sent: up with a trailing space refused");
	ok(relaystate_parse_line("mx:25 up x", &r) == -1,
	    "sent: up with anything else refused");
}

static void
test_format(void)
{
	struct relaystate	r, back;
	struct buf		b;

	buf_init(&b, 4096);
	memset(&r, 0, sizeof(r));
	strcpy(r.name, "smtp.example.com:465");
	r.down = true;
	r.down_since = 1700000000;
	r.next_try = 1700000900;
	r.failures = 4;
	strcpy(r.reason, "AUTH: 535 5.7.8 bad\x01password");
	ok(relaystate_format_line(&b, &r) == 0, "format: down line");
	is_str(buf_cstr(&b), "smtp.example.com:465 down 1700000000 1700000900 "
	    "4 AUTH: 535 5.7.8 bad?password\n", "format: the documented form");
	b.data[b.len - 1] = '\0';
	ok(relaystate_parse_line(b.data, &back) == 0 && back.down &&
	    back.down_since == r.down_since && back.next_try == r.next_try &&
	    back.failures == 4 && strcmp(back.name, r.name) == 0,
	    "format: parses back");
	buf_reset(&b);
	r.last_sent = 1699990000;
	ok(relaystate_format_line(&b, &r) == 0, "format: down line, sent");
	is_str(buf_cstr(&b), "smtp.example.com:465 down 1700000000 1700000900 "
	    "4 sent=1699990000 AUTH: 535 5.7.8 bad?password\n",
	    "format: sent=T before the reason");
	b.data[b.len - 1] = '\0';
	ok(relaystate_parse_line(b.data, &back) == 0 &&
	    back.last_sent == 1699990000 && strcmp(back.reason,
	    "AUTH: 535 5.7.8 bad?password") == 0, "format: parses back, sent");
	buf_reset(&b);
	r.down = false;
	ok(relaystate_format_line(&b, &r) == 0 && strcmp(buf_cstr(&b),
	    "smtp.example.com:465 up sent=1699990000\n") == 0,
	    "format: up sent=T");
	buf_reset(&b);
	r.last_sent = 0;
	ok(relaystate_format_line(&b, &r) == 0 && strcmp(buf_cstr(&b),
	    "smtp.example.com:465 up\n") == 0,
	    "format: up, none sent: the older form");
	buf_reset(&b);
	r.down = true;
	strcpy(r.name, "bad name");
	ok(relaystate_format_line(&b, &r) == -1 && b.len == 0,
	    "format: a name with a space is refused");
	buf_free(&b);
}

static void
test_parse(void)
{
	struct relaystate_file	f;
	char			data[] = "a:1 up\nb:2 down 5 6 7 why\nc:3 what\n"
				    "d:4 up";

	memset(&f, 0, sizeof(f));
	relaystate_parse(data, strlen(data), &f);
	ok(f.n == 2 && f.bad == 2, "file: 2 lines, 1 bad, 1 without LF");
	is_str(f.r[1].reason, "why", "file: reason of the second line");
}

static void
test_read(void)
{
	char			dir[] = "/tmp/relaystate.XXXXXX", path[256];
	struct relaystate_file	f;
	int			dfd, fd;
	size_t			i;
	char			line[] = "relay.example:25 up\n";

	FIXTURE(mkdtemp(dir) == NULL);
	FIXTURE((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1);
	ok(relaystate_read(dfd, &f) == -1 && errno == ENOENT,
	    "read: no file is ENOENT");
	snprintf(path, sizeof(path), "%s/relays", dir);
	FIXTURE(symlink("/etc/passwd", path) == -1);
	ok(relaystate_read(dfd, &f) == -1 && errno == ELOOP,
	    "read: a symlink is refused");
	unlink(path);
	FIXTURE(mkfifo(path, 0600) == -1);
	ok(relaystate_read(dfd, &f) == -1 && errno == EINVAL,
	    "read: a FIFO is refused, without blocking");
	unlink(path);
	FIXTURE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1);
	for (i = 0; i < RELAYSTATE_FILE_MAX / (sizeof(line) - 1) + 10; i++)
		FIXTURE(write(fd, line, sizeof(line) - 1) !=
		    (ssize_t)sizeof(line) - 1);
	close(fd);
	ok(relaystate_read(dfd, &f) == 0 && f.cut && f.bad > 0 &&
	    f.n == RELAYSTATE_LINES_MAX, "read: oversized file cut, "
	    "counted bad, at most RELAYSTATE_LINES_MAX lines kept");
	unlink(path);
	ok(relaystate_flush_take(dfd) == false, "flush: none saved");
	ok(relaystate_flush_save(dfd) == 0 && relaystate_flush_save(dfd) == 0,
	    "flush: saved (twice is once)");
	ok(relaystate_flush_take(dfd) && !relaystate_flush_take(dfd),
	    "flush: taken once");
	close(dfd);
	rmdir(dir);
}

int
main(void)
{
	test_line();
	test_format();
	test_parse();
	test_read();
	return done_testing();
}
