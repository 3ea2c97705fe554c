/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue_relays.c - the relays' up/down state in the agent: back-off of a
 * relay that failed, its return, its last delivery, and the file
 * state/relays that keeps them across restarts and --once runs (its
 * format: relaystate.h, the one parser and writer).
 *
 * The main process alone calls these (workers report to it: pool.h).
 * Never talks to the network; logs a change of state once, not every
 * failed attempt.  Calls queue_sched.c's back-off only.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "queue_path.h"
#include "relaystate.h"
#include "util.h"

/* queue_relays_init - all up */
void
queue_relays_init(struct queue_relays *rs, const struct conf *c)
{
	size_t	i;

	memset(rs, 0, sizeof(*rs));
	rs->n = c->nrelays < CONF_RELAYS_MAX ? c->nrelays : CONF_RELAYS_MAX;
	for (i = 0; i < rs->n; i++)
		(void)str_copy(rs->r[i].name, c->relays[i].name != NULL ?
		    c->relays[i].name : "relay", sizeof(rs->r[i].name));
}

/* queue_time_str - "2024-01-02 03:04:05" (local time) */
static char *
queue_time_str(uint64_t t, char *out, size_t outsize)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, outsize, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		(void)snprintf(out, outsize, "%llu", (unsigned long long)t);
	return out;
}

/*
 * queue_relays_log_write - rewrite state/relays, logging a failure;
 * written, each relay's last_sent is saved
 */
static void
queue_relays_log_write(struct queue_relays *rs, const char *spool_dir)
{
	struct buf	err;
	size_t		i;

	buf_init(&err, QUEUE_ERR_MAX);
	if (queue_relays_write(rs, spool_dir, &err) == -1)
		log_warnx("%s", buf_cstr(&err));
	else
		for (i = 0; i < rs->n; i++)
			rs->r[i].last_sent_saved = rs->r[i].last_sent;
	buf_free(&err);
}

/* queue_relay_down - back off a relay; true when it was up */
bool
queue_relay_down(struct queue_relays *rs, size_t i, const char *reason,
    uint64_t now, uint64_t retry_min, uint64_t retry_max,
    const char *spool_dir)
{
	struct queue_relay *r;
	char		 when[64], wait[32], *p;
	bool		 changed, was_up;

	if (i >= rs->n)
		return false;
	r = &rs->r[i];
	was_up = !r->down;
	changed = !r->down || strncmp(r->reason, reason,
	    sizeof(r->reason) - 1) != 0;
	if (!r->down)
		r->down_since = now;
	r->down = true;
	r->failures++;
	r->next_try = now + queue_backoff(retry_min, retry_max, r->failures,
	    queue_random());
	(void)str_copy(r->reason, reason, sizeof(r->reason));
	for (p = r->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (changed)
		log_warnx("relay %s down since %s, reason %s, next try in %s",
		    r->name, queue_time_str(r->down_since, when, sizeof(when)),
		    r->reason, format_duration(r->next_try - now, wait,
		    sizeof(wait)));
	else
		log_debug("relay %s still down (%llu failures), next try in %s",
		    r->name, (unsigned long long)r->failures,
		    format_duration(r->next_try - now, wait, sizeof(wait)));
	queue_relays_log_write(rs, spool_dir);
	return was_up;
}

/* queue_relay_up - mark up, log the change; true when it was down */
bool
queue_relay_up(struct queue_relays *rs, size_t i, uint64_t now,
    const char *spool_dir)
{
	struct queue_relay *r;
	char		 wait[32];

	if (i >= rs->n || !rs->r[i].down)
		return false;
	r = &rs->r[i];
	log_info("relay %s up again after %s", r->name, format_duration(
	    now > r->down_since ? now - r->down_since : 0, wait, sizeof(wait)));
	r->down = false;
	r->failures = 0;
	r->next_try = 0;
	r->reason[0] = '\0';
	queue_relays_log_write(rs, spool_dir);
	return true;
}

/* queue_relay_sent - a message accepted: last_sent, saved once a minute */
void
queue_relay_sent(struct queue_relays *rs, size_t i, uint64_t now,
    const char *spool_dir)
{
	struct queue_relay *r;

	if (i >= rs->n)
		return;
	r = &rs->r[i];
	r->last_sent = now;
	if (r->last_sent_saved != 0 && now >= r->last_sent_saved &&
	    now - r->last_sent_saved < QUEUE_RELAY_SENT_SAVE)
		return;
	queue_relays_log_write(rs, spool_dir);
}

/* queue_relay_usable - up, or its back-off has passed */
bool
queue_relay_usable(const struct queue_relays *rs, size_t i, uint64_t now)
{
	return i < rs->n && (!rs->r[i].down || rs->r[i].next_try <= now);
}

/* queue_relays_next_try - earliest retry of a down relay */
uint64_t
queue_relays_next_try(const struct queue_relays *rs)
{
	uint64_t t = UINT64_MAX;
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].down && rs->r[i].next_try < t)
			t = rs->r[i].next_try;
	return t;
}

/* queue_relay_to_line - r as a line of state/relays (relaystate.h) */
static void
queue_relay_to_line(const struct queue_relay *r, struct relaystate *line)
{
	memset(line, 0, sizeof(*line));
	(void)str_copy(line->name, r->name, sizeof(line->name));
	line->down = r->down;
	line->down_since = r->down_since;
	line->next_try = r->next_try;
	line->failures = r->failures;
	line->last_sent = r->last_sent;
	(void)str_copy(line->reason, r->reason, sizeof(line->reason));
}

/* queue_state_dir - spool/state opened as a directory, or -1 (logged) */
static int
queue_state_dir(const char *spool_dir)
{
	char	dir[QUEUE_PATH_MAX];
	int	fd;

	if (spool_path(spool_dir, SPOOL_STATE, NULL, dir, sizeof(dir)) == -1) {
		log_warnx("%s/%s: path too long", spool_dir, SPOOL_STATE);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		log_warn("open %s", dir);
	return fd;
}

/*
 * queue_relays_load - take the state of rs's relays from state/relays,
 * matched by name; see queue.h
 */
void
queue_relays_load(struct queue_relays *rs, const char *spool_dir,
    uint64_t now, uint64_t retry_max, const struct timespec *conf_changed)
{
	struct relaystate_file	*f;
	struct queue_relay	*r;
	char			 when[64], wait[32];
	size_t			 i, j, loaded = 0, dropped = 0;
	bool			 taken[CONF_RELAYS_MAX] = { false }, edited;
	int			 dfd;

	if ((dfd = queue_state_dir(spool_dir)) == -1)
		return;
	f = xmalloc(sizeof(*f));
	if (relaystate_read(dfd, f) == -1) {
		if (errno != ENOENT)
			log_warn("%s/%s/%s: ignored, every relay starts up",
			    spool_dir, SPOOL_STATE, RELAYSTATE_FILE);
		goto out;
	}
	if (f->bad > 0) {
		log_warnx("%s/%s/%s: %s: ignored, every relay starts up "
		    "(the agent rewrites it at the next change)", spool_dir,
		    SPOOL_STATE, RELAYSTATE_FILE, f->cut ? "too long" :
		    "malformed");
		goto out;
	}
	/* edited since the last failure (a new password?): try again */
	edited = conf_changed != NULL && (conf_changed->tv_sec >
	    f->mtime.tv_sec || (conf_changed->tv_sec == f->mtime.tv_sec &&
	    conf_changed->tv_nsec > f->mtime.tv_nsec));
	for (j = 0; j < f->n; j++) {
		/* by name: the configuration may have changed meanwhile */
		for (i = 0; i < rs->n; i++)
			if (!taken[i] && strcmp(rs->r[i].name,
			    f->r[j].name) == 0)
				break;
		if (i == rs->n) {
			dropped++;
			continue;
		}
		taken[i] = true;
		r = &rs->r[i];
		r->last_sent = r->last_sent_saved = f->r[j].last_sent;
		if (!f->r[j].down)
			continue;
		r->down = true;
		r->down_since = f->r[j].down_since <= now ?
		    f->r[j].down_since : now;
		r->failures = f->r[j].failures;
		/* the clock went back, or a hand-edited file: never longer
		   than one full back-off from now */
		r->next_try = f->r[j].next_try <= now + retry_max ?
		    f->r[j].next_try : now + retry_max;
		if (edited)
			r->next_try = 0;
		(void)str_copy(r->reason, f->r[j].reason, sizeof(r->reason));
		loaded++;
		log_info("relay %s down since %s (state/relays), reason %s, "
		    "next try %s%s", r->name, queue_time_str(r->down_since,
		    when, sizeof(when)), r->reason, r->next_try > now ?
		    "in " : "now", r->next_try > now ? format_duration(
		    r->next_try - now, wait, sizeof(wait)) : "");
	}
	if (edited && loaded > 0)
		log_info("the configuration changed after %s/%s/%s was "
		    "written: every relay is tried again now", spool_dir,
		    SPOOL_STATE, RELAYSTATE_FILE);
	if (dropped > 0)
		log_info("%s/%s/%s: %zu relay(s) no longer configured: "
		    "forgotten", spool_dir, SPOOL_STATE, RELAYSTATE_FILE,
		    dropped);
	if (dropped > 0 || f->n != rs->n)
		queue_relays_log_write(rs, spool_dir);
out:
	free(f);
	close(dfd);
}

/* queue_relays_flush_take - consume a saved flush request; see queue.h */
bool
queue_relays_flush_take(const char *spool_dir)
{
	bool	taken;
	int	dfd;

	if ((dfd = queue_state_dir(spool_dir)) == -1)
		return false;
	taken = relaystate_flush_take(dfd);
	close(dfd);
	if (taken)
		log_info("a flush was saved while no agent ran (postern flush "
		    "by root or the group %s): every message and relay is "
		    "due now", POSTERN_GROUP);
	return taken;
}

/* queue_relays_write - state/relays, atomically */
int
queue_relays_write(const struct queue_relays *rs, const char *spool_dir,
    struct buf *err)
{
	char		 path[QUEUE_PATH_MAX], tmp[QUEUE_PATH_MAX];
	char		 dir[QUEUE_PATH_MAX];
	struct buf	 b;
	size_t		 i;
	int		 rc = -1, n1, n2;

	buf_init(&b, (size_t)CONF_RELAYS_MAX * (QUEUE_RELAY_NAME_MAX +
	    QUEUE_RELAY_REASON_MAX + 128));
	n1 = snprintf(path, sizeof(path), "%s/%s/%s", spool_dir, SPOOL_STATE,
	    RELAYSTATE_FILE);
	n2 = snprintf(tmp, sizeof(tmp), "%s/%s/.%s.tmp", spool_dir,
	    SPOOL_STATE, RELAYSTATE_FILE);
	if (n1 < 0 || (size_t)n1 >= sizeof(path) || n2 < 0 ||
	    (size_t)n2 >= sizeof(tmp) || spool_path(spool_dir, SPOOL_STATE,
	    NULL, dir, sizeof(dir)) == -1) {
		buf_note(err, "%s/%s: path too long", spool_dir, SPOOL_STATE);
		goto out;
	}
	for (i = 0; i < rs->n; i++) {
		struct relaystate line;

		queue_relay_to_line(&rs->r[i], &line);
		if (relaystate_format_line(&b, &line) == -1) {
			buf_note(err, "%s: relay %s: too long or unwritable "
			    "name", path, rs->r[i].name);
			goto out;
		}
	}
	rc = spool_replace_file(path, tmp, dir, b.data, b.len,
	    SPOOL_MODE_STATEFILE, err);
out:
	buf_free(&b);
	return rc;
}
