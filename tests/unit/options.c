/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options.c - unit tests for the sendmail command line parser */
#include "config.h"

#include <string.h>

#include "options.h"
#include "tap.h"

static struct sm_options o;
static struct buf warn, err;

/* parse - split a command line on spaces and parse it */
static int
parse(const char *line)
{
	static char	copy[1024];
	static char	*argv[64];
	int		argc = 0;
	char		*p, *save = NULL;

	sm_options_free(&o);
	buf_reset(&warn);
	buf_reset(&err);
	strncpy(copy, line, sizeof(copy) - 1);
	argv[argc++] = "sendmail";
	for (p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	return sm_options_parse(argc, argv, &o, &warn, &err);
}

int
main(void)
{
	buf_init(&warn, 4096);
	buf_init(&err, 4096);

	/* Debian cron */
	ok(parse("-FCronDaemon -i -B8BITMIME -oem root") == 0, "cron line");
	is_str(o.fullname, "CronDaemon", "cron -F attached");
	ok(!o.dot_ends_input, "cron -i");
	ok(o.body == SM_BODY_8BITMIME, "cron -B8BITMIME");
	ok(o.nrcpts == 1 && strcmp(o.rcpts[0], "root") == 0, "cron rcpt");
	is_str(buf_cstr(&warn), "", "cron line gives no warning");
	ok(o.mode == SM_MODE_DELIVER, "default mode is -bm");

	/* PHP mail() */
	ok(parse("-t -i") == 0 && o.extract_rcpts && !o.dot_ends_input &&
	    o.nrcpts == 0, "php -t -i");
	ok(parse("-ti") == 0 && o.extract_rcpts && !o.dot_ends_input,
	    "cluster -ti");
	ok(parse("-oi -t") == 0 && o.extract_rcpts && !o.dot_ends_input,
	    "mailx -oi -t");
	ok(parse("-t") == 0 && o.dot_ends_input, "lone dot ends without -i");
	ok(parse("-i alice bob@example.org") == 0 && o.nrcpts == 2,
	    "git send-email -i rcpt...");

	ok(parse("-f alice@example.org x") == 0 &&
	    strcmp(o.sender, "alice@example.org") == 0, "-f separate");
	ok(parse("-falice x") == 0 && strcmp(o.sender, "alice") == 0,
	    "-f attached");
	ok(parse("-r <> x") == 0 && strcmp(o.sender, "<>") == 0,
	    "-r null sender");
	ok(parse("-F Full Name x") == 0 && strcmp(o.fullname, "Full") == 0 &&
	    o.nrcpts == 2, "-F takes one word");

	ok(parse("-bp") == 0 && o.mode == SM_MODE_LIST, "-bp");
	ok(parse("-bs") == 0 && o.mode == SM_MODE_SMTP, "-bs");
	ok(parse("-bi") == 0 && o.mode == SM_MODE_NEWALIASES, "-bi");
	ok(parse("-I") == 0 && o.mode == SM_MODE_NEWALIASES, "-I");
	ok(parse("-bv root") == 0 && o.mode == SM_MODE_VERIFY, "-bv");
	ok(parse("-bd") == 0 && o.mode == SM_MODE_DAEMON, "-bd");
	ok(parse("-bm x") == 0 && o.mode == SM_MODE_DELIVER, "-bm");
	ok(parse("-b m x") == 0 && o.mode == SM_MODE_DELIVER, "-b m");
	ok(parse("-bz") == -1 && strstr(buf_cstr(&err), "-bz: unknown mode"),
	    "unknown -b mode is a usage error");
	ok(parse("-bh") == 0 && strstr(buf_cstr(&warn), "not supported"),
	    "-bh warns");

	ok(parse("-q") == 0 && o.mode == SM_MODE_QUEUE_RUN, "-q");
	ok(parse("-q1h") == 0 && o.mode == SM_MODE_QUEUE_RUN, "-q1h");
	ok(parse("-qRexample.org") == 0 && o.mode == SM_MODE_QUEUE_RUN &&
	    strcmp(o.queue_site, "example.org") == 0, "-qRsite");
	ok(parse("-qR example.org") == 0 &&
	    strcmp(o.queue_site, "example.org") == 0, "-qR site");

	ok(parse("-B 7BIT x") == 0 && o.body == SM_BODY_7BIT, "-B 7BIT");
	ok(parse("-B weird x") == 0 && o.body == SM_BODY_UNSET &&
	    strstr(buf_cstr(&warn), "-B weird"), "-B unknown warns");
	ok(parse("-N success,delay x") == 0 &&
	    o.notify == (SM_NOTIFY_SUCCESS | SM_NOTIFY_DELAY), "-N list");
	ok(parse("-N never x") == 0 && o.notify == SM_NOTIFY_NEVER,
	    "-N never");
	ok(parse("-N never,success x") == -1, "-N never combined refused");
	ok(parse("-N bogus x") == -1 &&
	    strstr(buf_cstr(&err), "unknown notification 'bogus'"),
	    "-N bogus refused");
	/* issue 11: an ENVID the queue refuses is refused here (was 75) */
	ok(parse("-V abc+2Bdef x") == 0 && strcmp(o.envid, "abc+2Bdef") == 0,
	    "-V xtext accepted");
	ok(parse("-V a=b x") == -1 && strstr(buf_cstr(&err), "-V a=b: not a "
	    "valid DSN envelope id") != NULL, "-V with '=' refused");
	ok(parse("-V a+zz x") == -1, "-V with a bad +XX refused");
	{
		char	line[200];

		memset(line, 0, sizeof(line));
		memcpy(line, "-V ", 3);
		memset(line + 3, 'e', 101);
		memcpy(line + 104, " x", 2);
		ok(parse(line) == -1, "-V of 101 characters refused");
	}
	ok(parse("-R hdrs x") == 0 && o.ret == SM_RET_HDRS, "-R hdrs");
	ok(parse("-Rfull x") == 0 && o.ret == SM_RET_FULL, "-Rfull");
	ok(parse("-R x y") == -1, "-R bad");
	ok(parse("-V envid123 x") == 0 && strcmp(o.envid, "envid123") == 0,
	    "-V envid");
	ok(parse("-v x") == 0 && o.verbose, "-v");
	ok(parse("-C /tmp/p.conf x") == 0 &&
	    strcmp(o.config, "/tmp/p.conf") == 0, "-C");
	ok(parse("-h 17 -L lbl -X /tmp/log -G -U x") == 0 && o.nrcpts == 1 &&
	    strcmp(o.label, "lbl") == 0 && buf_cstr(&warn)[0] == '\0',
	    "-h -L -X -G -U accepted silently");
	ok(parse("-oem -oep -oee -odb -odi -odq -om -oi x") == 0 &&
	    !o.dot_ends_input && buf_cstr(&warn)[0] == '\0',
	    "-o family accepted");
	ok(parse("-oA/etc/other x") == 0 &&
	    strcmp(o.aliases, "/etc/other") == 0, "-oA attached");
	ok(parse("-o i x") == 0 && !o.dot_ends_input && o.nrcpts == 1,
	    "-o i separate");
	ok(parse("-oZfoo x") == 0 && strstr(buf_cstr(&warn), "-oZfoo"),
	    "-o unknown warns");
	ok(parse("-Y x") == 0 && strstr(buf_cstr(&warn), "-Y: unknown") &&
	    o.nrcpts == 1, "unknown option warns, not fatal");
	ok(parse("-tYz x") == 0 && o.extract_rcpts && o.nrcpts == 1,
	    "unknown option in a cluster skips the rest of it");
	ok(parse("-f") == -1 && strstr(buf_cstr(&err), "requires an argument"),
	    "missing argument is a usage error");
	ok(parse("-- -notanoption") == 0 && o.nrcpts == 1 &&
	    strcmp(o.rcpts[0], "-notanoption") == 0, "-- ends options");
	ok(parse("a,b c") == 0 && o.nrcpts == 2, "words kept for later split");
	ok(parse("x -t") == 0 && o.extract_rcpts && o.nrcpts == 1,
	    "options after recipients still count");
	ok(parse("--version") == 0 && o.mode == SM_MODE_VERSION, "--version");

	sm_options_free(&o);
	buf_free(&warn);
	buf_free(&err);
	return done_testing();
}
