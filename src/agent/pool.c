/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.c - delivery worker processes and the record protocol between the
 * agent's scheduler and its workers (pool.h has the records).
 *
 * Owns: forking a worker with its socketpair, formatting and strictly
 * parsing the records, sending and receiving them.  Decides nothing
 * about messages or relays: agent_workers.c schedules, a worker delivers.
 * Never trusts a record: a malformed one is an error for the caller,
 * which treats that worker as broken.  No signals, no timers here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "io.h"
#include "pool.h"
#include "util.h"

/* pool_msg_format - one record */
int
pool_msg_format(const struct pool_msg *m, char *out, size_t outsize)
{
	char	 reason[QUEUE_RELAY_REASON_MAX];
	char	*p;
	int	 n;

	switch (m->kind) {
	case POOL_MSG_JOB:
		n = snprintf(out, outsize, "J %s %" PRIx32, m->qid.s,
		    m->relay_mask);
		break;
	case POOL_MSG_DONE:
		if (m->next == POOL_UNSCHEDULED)
			n = snprintf(out, outsize, "Q %s -", m->qid.s);
		else
			n = snprintf(out, outsize, "Q %s %" PRIu64, m->qid.s,
			    m->next);
		break;
	case POOL_MSG_RELAY_UP:
		if (m->relay >= CONF_RELAYS_MAX)
			goto inval;
		n = snprintf(out, outsize, "U %u", m->relay);
		break;
	case POOL_MSG_RELAY_SENT:
		if (m->relay >= CONF_RELAYS_MAX)
			goto inval;
		n = snprintf(out, outsize, "S %u %" PRIu64 " %" PRIu64 " %"
		    PRIu64, m->relay, m->sent, m->deferred, m->bounced);
		break;
	case POOL_MSG_RELAY_DOWN:
		if (m->relay >= CONF_RELAYS_MAX)
			goto inval;
		(void)str_copy(reason, m->reason, sizeof(reason));
		for (p = reason; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		n = snprintf(out, outsize, "D %u %s", m->relay, reason);
		break;
	default:
		goto inval;
	}
	if (n < 0)
		goto inval;
	if ((size_t)n >= outsize)
		n = (int)outsize - 1;	/* only a reason can be that long */
	return n;
inval:
	errno = EINVAL;
	return -1;
}

/* pool_parse_qid - "QID" at p (exactly QID_LEN chars) then ' ' or end */
static int
pool_parse_qid(struct qid *qid, const char *p, size_t len, size_t *used)
{
	char	s[QID_LEN + 1];

	if (len < QID_LEN || (len > QID_LEN && p[QID_LEN] != ' '))
		return -1;
	memcpy(s, p, QID_LEN);
	s[QID_LEN] = '\0';
	if (qid_parse(qid, s) == -1)
		return -1;
	*used = QID_LEN;
	return 0;
}

/* pool_parse_num - a decimal or hex number filling p[0..len) exactly */
static int
pool_parse_num(const char *p, size_t len, int base, uint64_t max,
    uint64_t *out)
{
	char		 s[32], *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(s))
		return -1;
	memcpy(s, p, len);
	s[len] = '\0';
	if (s[0] < '0' || (s[0] > '9' && base == 10))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* pool_msg_parse - strictly */
int
pool_msg_parse(struct pool_msg *m, const char *p, size_t len)
{
	const char	*sp;
	size_t		 used, i;
	uint64_t	 v;

	memset(m, 0, sizeof(*m));
	if (len < 3 || p[1] != ' ' || len > POOL_MSG_MAX)
		goto inval;
	for (i = 0; i < len; i++)
		if (p[i] == '\0' || p[i] == '\n')
			goto inval;
	m->kind = (enum pool_msg_kind)p[0];
	p += 2;
	len -= 2;
	switch (m->kind) {
	case POOL_MSG_JOB:
	case POOL_MSG_DONE:
		if (pool_parse_qid(&m->qid, p, len, &used) == -1 ||
		    len < used + 2)
			goto inval;
		p += used + 1;
		len -= used + 1;
		if (m->kind == POOL_MSG_DONE && len == 1 && p[0] == '-') {
			m->next = POOL_UNSCHEDULED;
			return 0;
		}
		if (m->kind == POOL_MSG_DONE) {
			if (pool_parse_num(p, len, 10, UINT64_MAX - 1,
			    &m->next) == -1)
				goto inval;
			return 0;
		}
		if (pool_parse_num(p, len, 16, UINT32_MAX, &v) == -1)
			goto inval;
		m->relay_mask = (uint32_t)v;
		return 0;
	case POOL_MSG_RELAY_UP:
		if (pool_parse_num(p, len, 10, CONF_RELAYS_MAX - 1, &v) == -1)
			goto inval;
		m->relay = (unsigned)v;
		return 0;
	case POOL_MSG_RELAY_SENT: {
		uint64_t	*f[4] = { &v, &m->sent, &m->deferred,
				    &m->bounced };
		size_t		 k, w;

		for (k = 0; k < 4; k++) {
			sp = k < 3 ? memchr(p, ' ', len) : p + len;
			if (sp == NULL)
				goto inval;
			w = (size_t)(sp - p);
			if (pool_parse_num(p, w, 10, k == 0 ?
			    CONF_RELAYS_MAX - 1 : UINT32_MAX, f[k]) == -1)
				goto inval;
			if (k < 3) {
				p += w + 1;
				len -= w + 1;
			}
		}
		m->relay = (unsigned)v;
		return 0;
	}
	case POOL_MSG_RELAY_DOWN:
		if ((sp = memchr(p, ' ', len)) == NULL ||
		    pool_parse_num(p, (size_t)(sp - p), 10,
		    CONF_RELAYS_MAX - 1, &v) == -1)
			goto inval;
		m->relay = (unsigned)v;
		used = (size_t)(sp - p) + 1;
		if (len - used >= sizeof(m->reason))
			goto inval;
		memcpy(m->reason, p + used, len - used);
		m->reason[len - used] = '\0';
		return 0;
	default:
		break;
	}
inval:
	memset(m, 0, sizeof(*m));
	errno = EINVAL;
	return -1;
}

/* pool_send - one record */
int
pool_send(int fd, const struct pool_msg *m)
{
	char	buf[POOL_MSG_MAX];
	int	n;
	ssize_t	w;

	if ((n = pool_msg_format(m, buf, sizeof(buf))) == -1)
		return -1;
	w = io_send(fd, buf, (size_t)n, MSG_NOSIGNAL);
	if (w == -1)
		return -1;
	if (w != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* pool_recv - one record */
int
pool_recv(int fd, struct pool_msg *m)
{
	char	buf[POOL_MSG_MAX + 1];
	ssize_t	r;

	r = io_recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (r == -1)
		return -1;
	if (r == 0)
		return 0;
	if ((size_t)r > POOL_MSG_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (pool_msg_parse(m, buf, (size_t)r) == -1)
		return -1;
	return 1;
}

/* pool_spawn - socketpair, fork, run */
int
pool_spawn(struct pool_worker *w, void (*run)(int, void *), void *arg,
    const int *close_fds, size_t nclose)
{
	int	sv[2], flags;
	pid_t	pid;
	size_t	i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((flags = fcntl(sv[0], F_GETFL)) == -1 ||
	    fcntl(sv[0], F_SETFL, flags | O_NONBLOCK) == -1 ||
	    (pid = fork()) == -1) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; i < nclose; i++)
			if (close_fds[i] != -1)
				close(close_fds[i]);
		run(sv[1], arg);
		close(sv[1]);
		exit(0);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->busy = false;
	return 0;
}

/* pool_reap - close and wait */
int
pool_reap(struct pool_worker *w)
{
	int	st = -1;

	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		(void)io_waitpid(w->pid, &st, 0);
	}
	w->pid = 0;
	w->busy = false;
	return st;
}
