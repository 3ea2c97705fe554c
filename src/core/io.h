/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.h - the one place that handles EINTR and short reads and writes, and
 * waits on a descriptor until an absolute monotonic deadline.
 */
#ifndef POSTERN_IO_H
#define POSTERN_IO_H

#include <stdint.h>
#include <sys/types.h>

/*
 * io_write_all - write all n bytes, retrying on EINTR and short writes
 * (and waiting with poll on EAGAIN).  Returns 0, or -1 with errno.
 */
int	io_write_all(int fd, const void *, size_t n);

/*
 * io_read_full - read until n bytes or end of file, retrying on EINTR.
 * Returns the count read (< n only at end of file), or -1 with errno.
 */
ssize_t	io_read_full(int fd, void *, size_t n);

/* io_read - one read(2) that retries on EINTR; as read(2) */
ssize_t	io_read(int fd, void *, size_t n);

/*
 * io_wait - poll fd for events (POLLIN/POLLOUT) until deadline_ms (a
 * now_ms() value; -1 waits forever).  Retries on EINTR with the time left.
 * Returns 1 ready, 0 deadline passed (errno ETIMEDOUT), -1 error (errno).
 */
int	io_wait(int fd, short events, int64_t deadline_ms);

/*
 * io_wait_either - io_wait on fd, and also for other_fd to be readable
 * (-1: none).  Returns 1 fd ready, 2 other_fd readable (checked first),
 * 0 deadline passed (errno ETIMEDOUT), -1 error (errno).
 */
int	io_wait_either(int fd, short events, int other_fd,
	    int64_t deadline_ms);

/* io_set_nonblock - set or clear O_NONBLOCK; 0 or -1 (errno) */
int	io_set_nonblock(int fd, int on);

#endif
