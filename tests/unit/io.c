/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.c - unit tests for write-all, read-full, deadline waits, and the
 * EINTR-retrying single calls (pread, pwrite, send, recv, waitpid)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "tap.h"
#include "util.h"

static volatile sig_atomic_t	signals;

/* on_alarm - count the signal; installed without SA_RESTART */
static void
on_alarm(int sig)
{
	(void)sig;
	signals++;
}

/*
 * test_interrupted - a child signals us (no SA_RESTART) while we block in
 * io_recv and then in io_waitpid: each call must ride over EINTR and give
 * the real result; then pread/pwrite at offsets
 */
static void
test_interrupted(void)
{
	int	 sv[2], status = 0, fd;
	char	 got[8], path[] = "/tmp/iot.XXXXXX";
	pid_t	 pid;

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	signals = 0;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		usleep(50000);
		kill(getppid(), SIGUSR1);
		usleep(50000);
		if (write(sv[1], "late", 4) != 4)
			_exit(1);
		usleep(50000);
		kill(getppid(), SIGUSR1);
		usleep(50000);
		_exit(7);
	}
	close(sv[1]);
	ok(io_recv(sv[0], got, sizeof(got), 0) == 4 &&
	    memcmp(got, "late", 4) == 0,
	    "io_recv rides over a signal and returns the data");
	ok(io_waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 7,
	    "io_waitpid rides over a signal and returns the status");
	ok(signals == 2, "both signals were delivered (got %d)",
	    (int)signals);
	ok(io_send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE,
	    "io_send reports a closed peer");
	close(sv[0]);

	fd = mkstemp(path);
	ok(fd != -1, "temporary file");
	ok(io_pwrite(fd, "0123456789", 10, 0) == 10 &&
	    io_pwrite(fd, "AB", 2, 4) == 2, "io_pwrite at offsets");
	ok(io_pread(fd, got, 4, 3) == 4 && memcmp(got, "3AB6", 4) == 0,
	    "io_pread at an offset");
	ok(io_pread(fd, got, 4, 8) == 2 && io_pread(fd, got, 4, 10) == 0,
	    "io_pread short at the end, 0 past it");
	close(fd);
	unlink(path);
}

int
main(void)
{
	int		 p[2];
	char		*big, *back;
	size_t		 n = 1 << 20;
	pid_t		 pid;
	int64_t		 t0;
	int		 status;
	struct sigaction sa;

	/* a 1 MB write through a 64 KB pipe: short writes must be resumed */
	ok(pipe(p) == 0, "pipe");
	big = malloc(n);
	back = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i * 7);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		io_set_nonblock(p[1], 1);	/* forces EAGAIN paths */
		_exit(io_write_all(p[1], big, n) == 0 ? 0 : 1);
	}
	close(p[1]);
	ok(io_read_full(p[0], back, n) == (ssize_t)n, "read_full got 1 MB");
	ok(memcmp(big, back, n) == 0, "bytes intact");
	ok(io_read_full(p[0], back, 10) == 0, "read_full at EOF returns 0");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "non-blocking write_all finished");
	close(p[0]);

	/* deadline: nothing to read, 150 ms deadline, EINTR in between */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGUSR1, &sa, NULL);
	ok(pipe(p) == 0, "pipe 2");
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = now_ms();
	errno = 0;
	ok(io_wait(p[0], POLLIN, t0 + 150) == 0 && errno == ETIMEDOUT,
	    "wait times out with ETIMEDOUT despite a signal");
	ok(now_ms() - t0 >= 140, "the deadline was honoured after EINTR");
	waitpid(pid, &status, 0);
	ok(write(p[1], "x", 1) == 1, "write a byte");
	ok(io_wait(p[0], POLLIN, now_ms() + 1000) == 1, "readable now");
	ok(io_wait(p[0], POLLIN, now_ms() - 1) == 0, "past deadline is 0");
	close(p[0]);
	close(p[1]);
	ok(io_wait(p[0], POLLIN, now_ms() + 100) == -1 && errno == EBADF,
	    "closed fd gives EBADF");
	ok(io_write_all(p[1], "x", 1) == -1 && errno == EBADF,
	    "write_all reports errors");
	free(big);
	free(back);
	test_interrupted();
	return done_testing();
}
