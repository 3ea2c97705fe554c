/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qid.h - the queue id: the one name of a message in the spool, in every
 * log line and in every admin command.
 *
 * Form: 20 upper-case hex digits: 8 of seconds since the epoch, 5 of
 * microseconds, 7 random.  Ids sort by arrival time, and the random part
 * makes two submissions in the same microsecond distinct.
 */
#ifndef POSTERN_QID_H
#define POSTERN_QID_H

#include <stdbool.h>
#include <time.h>

#define QID_LEN		20

struct qid {
	char	s[QID_LEN + 1];
};

/* qid_generate - a fresh id from the clock and the kernel's randomness */
void	qid_generate(struct qid *);

/* qid_valid - true when s is exactly a well-formed id */
bool	qid_valid(const char *s);

/* qid_parse - copy a well-formed id; 0, or -1 (errno EINVAL) */
int	qid_parse(struct qid *, const char *s);

/* qid_time - the arrival time encoded in the id */
time_t	qid_time(const struct qid *);

#endif
