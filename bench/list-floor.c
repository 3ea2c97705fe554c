/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * list-floor.c - the floor for bench/queue-list: the least that reading
 * one small file per queued message costs on this machine, whatever the
 * program: list DIR, then openat, one pread of 4 KB and close of every
 * entry, by one thread per CPU (at most 4, as postern queue), with no
 * parsing, no sorting and no output; O_NOATIME when allowed, as postern
 * queue.  Prints the wall time in seconds.
 *
 *   list-floor DIR...    every entry of every DIR (two DIRs: two files a
 *                        message, as a listing of version 1 states needs)
 *
 * Not part of postern: built by bench/queue-list only.  Never used by
 * tests.
 */
#define _GNU_SOURCE	/* O_NOATIME */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LF_NAME_MAX	256
#define LF_THREADS_MAX	4
#define LF_PEEK		4096
#define LF_DIRS_MAX	4

struct lf_file {
	int	dir;			/* index into lf_fd */
	char	name[LF_NAME_MAX];
};

static int		 lf_fd[LF_DIRS_MAX];
static struct lf_file	*lf_v;
static size_t		 lf_n;

/* lf_now - monotonic seconds */
static double
lf_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lf_list - append the entries of dir (index d) */
static int
lf_list(const char *dir, int d)
{
	DIR		*dp;
	struct dirent	*de;
	size_t		 cap = lf_n;

	if ((lf_fd[d] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dp = opendir(dir)) == NULL) {
		fprintf(stderr, "list-floor: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= LF_NAME_MAX)
			continue;
		if (lf_n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((lf_v = realloc(lf_v, cap * sizeof(*lf_v))) ==
			    NULL) {
				fprintf(stderr, "list-floor: out of memory\n");
				closedir(dp);
				return -1;
			}
		}
		lf_v[lf_n].dir = d;
		snprintf(lf_v[lf_n].name, LF_NAME_MAX, "%s", de->d_name);
		lf_n++;
	}
	closedir(dp);
	return 0;
}

/* lf_read - read the files [lo, hi) of lf_v */
static void *
lf_read(void *arg)
{
	const size_t	*range = arg;
	char		 peek[LF_PEEK];
	size_t		 i;
	int		 fd, flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC, noatime = O_NOATIME;

	for (i = range[0]; i < range[1]; i++) {
		fd = openat(lf_fd[lf_v[i].dir], lf_v[i].name, flags | noatime);
		if (fd == -1 && errno == EPERM && noatime != 0) {
			noatime = 0;
			fd = openat(lf_fd[lf_v[i].dir], lf_v[i].name, flags);
		}
		if (fd == -1)
			continue;
		if (pread(fd, peek, sizeof(peek), 0) == -1)
			fprintf(stderr, "list-floor: read %s: %s\n",
			    lf_v[i].name, strerror(errno));
		close(fd);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t	tid[LF_THREADS_MAX];
	size_t		range[LF_THREADS_MAX][2], nt, t;
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double		start;
	int		d;

	if (argc < 2 || argc - 1 > LF_DIRS_MAX) {
		fprintf(stderr, "usage: list-floor DIR...\n");
		return 64;
	}
	nt = cpus < 1 ? 1 : cpus > LF_THREADS_MAX ? LF_THREADS_MAX :
	    (size_t)cpus;
	start = lf_now();
	for (d = 1; d < argc; d++)
		if (lf_list(argv[d], d - 1) == -1)
			return 1;
	for (t = 0; t < nt; t++) {
		range[t][0] = lf_n * t / nt;
		range[t][1] = lf_n * (t + 1) / nt;
		if (pthread_create(&tid[t], NULL, lf_read, range[t]) != 0) {
			fprintf(stderr, "list-floor: no thread\n");
			return 1;
		}
	}
	for (t = 0; t < nt; t++)
		pthread_join(tid[t], NULL);
	printf("%.3f\n", lf_now() - start);
	free(lf_v);
	return 0;
}
