/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue_path.h - private to queue*.c: the spool paths they build.
 * Nothing outside the queue module includes it.
 */
#ifndef POSTERN_QUEUE_PATH_H
#define POSTERN_QUEUE_PATH_H

#include <stddef.h>

#include "queue.h"

#define QUEUE_PATH_MAX		4096
#define QUEUE_ERR_MAX		1024

/*
 * queue_path - spool/sub/name (name NULL: spool/sub) into out.
 * Returns 0, or -1 with errno ENAMETOOLONG (logged) when it does not fit.
 */
int	queue_path(const struct queue *q, const char *sub, const char *name,
	    char *out, size_t outsize);

#endif /* POSTERN_QUEUE_PATH_H */
