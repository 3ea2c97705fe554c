/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * floor.c - the floor for bench/enqueue: the least any durable enqueue of a
 * 4 KB message costs on this machine, as one process: create DIR/tmp/NAME,
 * write 4096 bytes, fsync, rename to DIR/new/NAME, fsync DIR/new.  No
 * parsing, no pipe, no second process.
 *
 *   floor DIR     one such enqueue; exit 0, or 1 with the failing step
 *
 * Not part of postern: built by bench/enqueue only.  Never used by tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_SIZE	4096
#define FLOOR_PATH_MAX	4096

/* floor_fail - report the step that failed */
static int
floor_fail(const char *what, const char *path)
{
	fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

/* floor_enqueue - the durable sequence, once */
static int
floor_enqueue(const char *dir)
{
	char		tmp[FLOOR_PATH_MAX], new[FLOOR_PATH_MAX];
	char		data[FLOOR_SIZE];
	struct timespec	ts;
	size_t		off;
	ssize_t		w;
	int		fd, dfd;

	memset(data, 'x', sizeof(data));
	for (off = 76; off < sizeof(data); off += 77)
		data[off] = '\n';
	data[sizeof(data) - 1] = '\n';
	clock_gettime(CLOCK_REALTIME, &ts);
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%ld.%09ld.%ld", dir,
	    (long)ts.tv_sec, ts.tv_nsec, (long)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(new, sizeof(new), "%s/new/%s", dir,
	    strrchr(tmp, '/') + 1) >= (int)sizeof(new)) {
		errno = ENAMETOOLONG;
		return floor_fail("name", dir);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) ==
	    -1)
		return floor_fail("create", tmp);
	for (off = 0; off < sizeof(data); off += (size_t)w)
		if ((w = write(fd, data + off, sizeof(data) - off)) == -1)
			return floor_fail("write", tmp);
	if (fsync(fd) == -1)
		return floor_fail("fsync", tmp);
	if (close(fd) == -1)
		return floor_fail("close", tmp);
	if (rename(tmp, new) == -1)
		return floor_fail("rename", tmp);
	snprintf(new, sizeof(new), "%s/new", dir);
	if ((dfd = open(new, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return floor_fail("open", new);
	if (fsync(dfd) == -1)
		return floor_fail("fsync", new);
	close(dfd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor DIR\n");
		return 64;
	}
	return floor_enqueue(argv[1]);
}
