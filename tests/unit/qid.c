/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qid.c - unit tests for queue ids */
#include "config.h"

#include <string.h>
#include <time.h>

#include "qid.h"
#include "tap.h"

int
main(void)
{
	struct qid	a, b, c;
	time_t		now = time(NULL);
	int		distinct = 1;

	qid_generate(&a);
	ok(qid_valid(a.s), "generated id is valid: %s", a.s);
	ok(strlen(a.s) == QID_LEN, "length %d", QID_LEN);
	ok(qid_time(&a) >= now - 1 && qid_time(&a) <= now + 1,
	    "id encodes the arrival time");
	for (int i = 0; i < 10000; i++) {
		qid_generate(&b);
		if (strcmp(a.s, b.s) == 0)
			distinct = 0;
		a = b;
	}
	ok(distinct, "10000 consecutive ids are distinct");
	ok(!qid_valid("0123456789abcdef0123"), "lower case refused");
	ok(!qid_valid("0123456789ABCDEF012"), "short refused");
	ok(!qid_valid("0123456789ABCDEF01234"), "long refused");
	ok(!qid_valid("../../etc/passwd0000"), "path refused");
	ok(!qid_valid(""), "empty refused");
	ok(qid_parse(&c, "0123456789ABCDEF0123") == 0 &&
	    strcmp(c.s, "0123456789ABCDEF0123") == 0, "parse copies");
	ok(qid_parse(&c, "x") == -1, "parse refuses junk");
	return done_testing();
}
