/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.c - EINTR, short I/O and deadlines, handled once.
 *
 * Owns nothing; every other module calls these instead of looping on
 * read(2)/write(2)/poll(2) itself.  Never blocks past a deadline it is
 * given and never logs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

/* io_write_all - all or error */
int
io_write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (io_wait(fd, POLLOUT, -1) == -1)
					return -1;
				continue;
			}
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* io_read - read once, retrying EINTR */
ssize_t
io_read(int fd, void *p, size_t n)
{
	ssize_t	r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_pread - one pread(2) at off, retrying EINTR */
ssize_t
io_pread(int fd, void *p, size_t n, off_t off)
{
	ssize_t	r;

	do
		r = pread(fd, p, n, off);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_pwrite - one pwrite(2) at off, retrying EINTR */
ssize_t
io_pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t	r;

	do
		r = pwrite(fd, p, n, off);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_send - one send(2), retrying EINTR */
ssize_t
io_send(int fd, const void *p, size_t n, int flags)
{
	ssize_t	r;

	do
		r = send(fd, p, n, flags);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_recv - one recv(2), retrying EINTR */
ssize_t
io_recv(int fd, void *p, size_t n, int flags)
{
	ssize_t	r;

	do
		r = recv(fd, p, n, flags);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_waitpid - waitpid(2), retrying EINTR */
pid_t
io_waitpid(pid_t pid, int *status, int flags)
{
	pid_t	r;

	do
		r = waitpid(pid, status, flags);
	while (r == -1 && errno == EINTR);
	return r;
}

/* io_read_full - read to n or EOF */
ssize_t
io_read_full(int fd, void *p, size_t n)
{
	char	*c = p;
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = io_read(fd, c + got, n - got);
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (io_wait(fd, POLLIN, -1) == -1)
					return -1;
				continue;
			}
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* io_wait - poll until ready or deadline */
int
io_wait(int fd, short events, int64_t deadline_ms)
{
	return io_wait_either(fd, events, -1, deadline_ms);
}

/* io_wait_either - poll fd and other_fd until one is ready or deadline */
int
io_wait_either(int fd, short events, int other_fd, int64_t deadline_ms)
{
	struct pollfd	pfd[2];
	int64_t		left;
	int		rc, timeout;

	for (;;) {
		timeout = -1;
		if (deadline_ms >= 0) {
			left = deadline_ms - now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return 0;
			}
			timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = other_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		rc = poll(pfd, other_fd == -1 ? 1 : 2, timeout);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (rc == 0)
			continue;	/* re-check the deadline */
		if (other_fd != -1 && (pfd[1].revents & POLLIN))
			return 2;
		if (pfd[0].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		/* POLLERR/POLLHUP: let the caller's read/write see why */
		if (pfd[0].revents != 0)
			return 1;
	}
}

/* io_set_nonblock - toggle O_NONBLOCK */
int
io_set_nonblock(int fd, int on)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}
