/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.c - the Prometheus text file of the agent: its text
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), the
 * queue measure, the atomic replacement.  Runs as the agent's user; the
 * file's directory is the administrator's choice (conf.c checks the
 * name ends in .prom), so nothing there is followed or trusted: the
 * temporary file is created O_EXCL|O_NOFOLLOW and renamed by descriptor
 * of the directory.  No logging: the caller logs err.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "metrics.h"
#include "qid.h"
#include "spool.h"
#include "util.h"

/* metrics_label - v as a label value: \ " and LF escaped */
static int
metrics_label(struct buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"') {
			if (buf_putc(out, '\\') == -1 ||
			    buf_putc(out, *v) == -1)
				return -1;
		} else if (*v == '\n') {
			if (buf_puts(out, "\\n") == -1)
				return -1;
		} else if (buf_putc(out, *v) == -1)
			return -1;
	}
	return 0;
}

/* metrics_head - the HELP and TYPE lines of one metric */
static int
metrics_head(struct buf *out, const char *name, const char *type,
    const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* metrics_format - the exposition text */
int
metrics_format(struct buf *out, const struct metrics_snapshot *s)
{
	static const struct {
		const char	*name, *help;
		size_t		 off;
	} counters[] = {
		{ "postern_messages_delivered_total", "Recipients accepted "
		    "by a relay since the agent started.",
		    offsetof(struct metrics_counters, delivered) },
		{ "postern_messages_deferred_total", "Recipients deferred "
		    "for a later attempt since the agent started.",
		    offsetof(struct metrics_counters, deferred) },
		{ "postern_messages_bounced_total", "Recipients failed for "
		    "good (bounced) since the agent started.",
		    offsetof(struct metrics_counters, bounced) },
	};
	size_t	i, n = s->nrelays < METRICS_RELAYS_MAX ? s->nrelays :
	    METRICS_RELAYS_MAX;

	if (metrics_head(out, "postern_queue_messages", "gauge",
	    "Messages waiting in the queue (new/ and cur/).") == -1 ||
	    buf_printf(out, "postern_queue_messages %llu\n",
	    (unsigned long long)s->queued) == -1 ||
	    metrics_head(out, "postern_queue_oldest_age_seconds", "gauge",
	    "Age of the oldest waiting message, 0 when the queue is empty.")
	    == -1 || buf_printf(out, "postern_queue_oldest_age_seconds %llu\n",
	    (unsigned long long)s->oldest_age) == -1 ||
	    metrics_head(out, "postern_relay_up", "gauge",
	    "1 when the relay is up, 0 when it is down (backed off).") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_puts(out, "postern_relay_up{relay=\"") == -1 ||
		    metrics_label(out, s->relays[i].name) == -1 ||
		    buf_printf(out, "\"} %d\n", s->relays[i].down ? 0 : 1) ==
		    -1)
			return -1;
	if (metrics_head(out, "postern_relay_down_since_seconds", "gauge",
	    "Unix time of the relay's first failure in a row, 0 when up.") ==
	    -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_puts(out,
		    "postern_relay_down_since_seconds{relay=\"") == -1 ||
		    metrics_label(out, s->relays[i].name) == -1 ||
		    buf_printf(out, "\"} %llu\n", s->relays[i].down ?
		    (unsigned long long)s->relays[i].down_since : 0ULL) == -1)
			return -1;
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (metrics_head(out, counters[i].name, "counter",
		    counters[i].help) == -1 || buf_printf(out, "%s %llu\n",
		    counters[i].name, (unsigned long long)*(const uint64_t *)
		    (const void *)((const char *)&s->counters +
		    counters[i].off)) == -1)
			return -1;
	return 0;
}

/* metrics_count - the queue ids of spool_dir/sub */
static int
metrics_count(const char *spool_dir, const char *sub, uint64_t *n,
    uint64_t *oldest)
{
	char		 path[4096];
	DIR		*d;
	struct dirent	*de;
	struct qid	 q;
	int		 saved;

	if (spool_path(spool_dir, sub, NULL, path, sizeof(path)) == -1 ||
	    (d = opendir(path)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (qid_parse(&q, de->d_name) == -1)
			continue;
		(*n)++;
		if (*oldest == 0 || (uint64_t)qid_time(&q) < *oldest)
			*oldest = (uint64_t)qid_time(&q);
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

/* metrics_queue - count new/ and cur/ */
int
metrics_queue(const char *spool_dir, uint64_t now, uint64_t *queued,
    uint64_t *oldest_age)
{
	uint64_t oldest = 0;

	*queued = 0;
	*oldest_age = 0;
	if (metrics_count(spool_dir, SPOOL_NEW, queued, &oldest) == -1 ||
	    metrics_count(spool_dir, SPOOL_CUR, queued, &oldest) == -1)
		return -1;
	if (oldest != 0 && now > oldest)
		*oldest_age = now - oldest;
	return 0;
}

/* metrics_write - tmp, fsync, rename, by the directory's descriptor */
int
metrics_write(const char *path, const char *data, size_t len,
    struct buf *err)
{
	char		 dir[4096], tmp[300];
	const char	*base, *slash = strrchr(path, '/');
	int		 dfd, fd, n;

	if (slash == NULL || slash[1] == '\0' ||
	    (size_t)(slash - path) >= sizeof(dir)) {
		buf_note(err, "prometheus_textfile %s: not a file path", path);
		return -1;
	}
	base = slash + 1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (dir[0] == '\0')
		(void)str_copy(dir, "/", sizeof(dir));
	n = snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", base, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		buf_note(err, "prometheus_textfile %s: name too long", path);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		buf_note(err, "prometheus_textfile: open %s: %s (make the "
		    "directory, writable by the agent's user)", dir,
		    strerror(errno));
		return -1;
	}
	/* a stale one of this pid (a crash before the rename): gone */
	(void)unlinkat(dfd, tmp, 0);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		buf_note(err, "prometheus_textfile: create %s/%s: %s (the "
		    "directory must be writable by the agent's user)", dir, tmp,
		    strerror(errno));
		close(dfd);
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || io_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		buf_note(err, "prometheus_textfile: write %s/%s: %s", dir, tmp,
		    strerror(errno));
		close(fd);
		(void)unlinkat(dfd, tmp, 0);
		close(dfd);
		return -1;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, base) == -1) {
		buf_note(err, "prometheus_textfile: rename %s/%s to %s: %s",
		    dir, tmp, path, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}
