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
 * io_pread, io_pwrite, io_send, io_recv, io_waitpid - one call of the
 * system call of that name, retried on EINTR (and only then); results and
 * errno as the system call's, a short count included
 */
ssize_t	io_pread(int fd, void *, size_t n, off_t off);
ssize_t	io_pwrite(int fd, const void *, size_t n, off_t off);
ssize_t	io_send(int fd, const void *, size_t n, int flags);
ssize_t	io_recv(int fd, void *, size_t n, int flags);
pid_t	io_waitpid(pid_t pid, int *status, int flags);

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
