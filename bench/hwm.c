/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hwm.c - LD_PRELOAD probe for bench/enqueue: at exit, append the
 * process's peak RSS (VmHWM of /proc/self/status, in KB) to the file named
 * by HWM_FILE when the process started, as "PID KB".
 *
 * Why not ru_maxrss from wait4: the kernel folds the RSS of the image that
 * called exec (the harness's, after vfork) into it, which swamps a 1-2 MB
 * program.  VmHWM belongs to the new image only.  The probe adds a page or
 * two of its own.  It does not reach postern-drop, which the front end
 * runs with an empty environment (and which, set-group-id, ignores
 * LD_PRELOAD): bench/enqueue measures the helper apart.
 *
 * Not part of postern: built by bench/enqueue only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HWM_PATH_MAX	4096

static char	hwm_file[HWM_PATH_MAX];

/* hwm_start - remember where to write before the program clears environ */
__attribute__((constructor)) static void
hwm_start(void)
{
	const char	*f = getenv("HWM_FILE");

	if (f != NULL && strlen(f) < sizeof(hwm_file))
		memcpy(hwm_file, f, strlen(f) + 1);
}

/* hwm_end - append "PID KB"; no allocation, nothing that could grow RSS */
__attribute__((destructor)) static void
hwm_end(void)
{
	char	buf[4096], line[64];
	char	*p;
	ssize_t	n;
	int	fd;

	if (hwm_file[0] == '\0' ||
	    (fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if ((p = strstr(buf, "VmHWM:")) == NULL)
		return;
	n = snprintf(line, sizeof(line), "%ld %ld\n", (long)getpid(),
	    strtol(p + 6, NULL, 10));
	if ((fd = open(hwm_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0666)) == -1)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* nothing to do: the figure is missing and the bench says so */
	}
	close(fd);
}
