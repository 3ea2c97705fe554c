/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qid.c - queue id generation and validation.
 *
 * Owns the id format.  Never trusts an id read from disk or from a command
 * line without qid_valid(): ids become file names.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "qid.h"

/* qid_random - 28 random bits; falls back to pid and time mixing */
static uint32_t
qid_random(void)
{
	uint32_t	r = 0;

#ifdef HAVE_GETRANDOM
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r & 0x0fffffff;
#endif
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)ts.tv_nsec;
	}
	return r & 0x0fffffff;
}

/* qid_generate - new id */
void
qid_generate(struct qid *q)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	snprintf(q->s, sizeof(q->s), "%08X%05X%07X",
	    (unsigned)((uint64_t)tv.tv_sec & 0xffffffffu),
	    (unsigned)tv.tv_usec, (unsigned)qid_random());
}

/* qid_valid - exact form check */
bool
qid_valid(const char *s)
{
	size_t	i;

	for (i = 0; i < QID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[QID_LEN] == '\0';
}

/* qid_parse - validated copy */
int
qid_parse(struct qid *q, const char *s)
{
	if (!qid_valid(s)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(q->s, s, QID_LEN + 1);
	return 0;
}

/* qid_time - seconds part */
time_t
qid_time(const struct qid *q)
{
	unsigned	sec = 0;
	int		i;

	for (i = 0; i < 8; i++) {
		char c = q->s[i];

		sec = sec * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	return (time_t)sec;
}
