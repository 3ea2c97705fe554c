/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_wait.c - the test message of `postern check --send-test`: the
 * front end queued it and passes its queue id (--wait-for); follow it
 * through new/, cur/ and failed/ and its retry state until it left the
 * queue, bounced, was deferred, or the wait (--wait) ran out.
 *
 * Only looks: never writes to the spool, never triggers the agent.
 * A member of the agent's group cannot see into new/; then a listening
 * agent (the trigger FIFO) stands in for it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_int.h"
#include "qid.h"
#include "spool.h"
#include "util.h"

/* check_exists - 1 file there, 0 not, -1 error (errno) */
static int
check_exists(const char *spool, const char *sub, const struct qid *q)
{
	char		path[4096];
	struct stat	sb;

	if (spool_path(spool, sub, q, path, sizeof(path)) == -1)
		return -1;
	if (lstat(path, &sb) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/*
 * check_agent_listens - a delivery agent holds the trigger FIFO open (it
 * opens it read-write, so opening it for writing succeeds; else ENXIO)
 */
static bool
check_agent_listens(const char *spool)
{
	int	fd = spool_trigger_open(spool);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* check_rcpt_outcomes - "addr: state text" lines of a message's state */
static void
check_rcpt_outcomes(const struct spool_state *st, char *out, size_t size)
{
	size_t	i;
	char	line[CHECK_TEXT_MAX];

	out[0] = '\0';
	for (i = 0; i < st->nrcpts; i++) {
		const struct spool_rcpt_status *rs = &st->rcpts[i];

		(void)snprintf(line, sizeof(line), "%srecipient %zu: %s%s%s",
		    out[0] ? "\n" : "", i + 1,
		    spool_rcpt_state_name(rs->state),
		    rs->text != NULL ? ": " : "",
		    rs->text != NULL ? rs->text : "");
		(void)str_append(out, line, size);
	}
}

/*
 * check_wait_look - one look at the test message q; reports and returns
 * true once its fate is known or the wait (t0 to end) ran out
 */
static bool
check_wait_look(struct check *ck, const struct qid *q, const char *to,
    int64_t t0, int64_t end, struct buf *err)
{
	struct spool_state	 st;
	const char		*spool = ck->conf.spool_dir;
	char			 details[CHECK_DETAIL_MAX], ar[CHECK_TEXT_MAX];
	int			 in_new, in_cur, in_failed;
	bool			 new_hidden;

	in_new = check_exists(spool, SPOOL_NEW, q);
	/*
	 * A member of the agent's group cannot look into new/ (the drop
	 * group's).  A running agent picks a message up into cur/ at once,
	 * so then "not in cur/" means it is gone.
	 */
	new_hidden = in_new == -1 && errno == EACCES;
	if (new_hidden)
		in_new = check_agent_listens(spool) ? 0 : 2;
	in_cur = check_exists(spool, SPOOL_CUR, q);
	in_failed = check_exists(spool, SPOOL_FAILED, q);
	if (in_new == -1 || in_cur == -1 || in_failed == -1) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, check_ms(t0),
		    "run postern check as root to follow the test message",
		    NULL, "test message %s: cannot look into %s: %s", q->s,
		    spool, strerror(errno));
		return true;
	}
	spool_state_init(&st);
	buf_reset(err);
	(void)spool_state_read(spool, q, &st, err);
	if (in_failed == 1) {
		check_rcpt_outcomes(&st, details, sizeof(details));
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, check_ms(t0),
		    "the relay refused it for good; see postern queue and "
		    "the bounce sent to the sender", details, "test message "
		    "%s to %s bounced%s%s", q->s, to, st.last_error ? ": " :
		    "", st.last_error ? st.last_error : "");
		spool_state_free(&st);
		return true;
	}
	if (in_new == 0 && in_cur == 0) {
		check_report(ck, CK_SEND_TEST, CHECK_OK, check_ms(t0), NULL,
		    check_domain_ar_lines(ck, ar, sizeof(ar)), "test message "
		    "%s to %s was delivered to the relay (it left the queue)",
		    q->s, to);
		spool_state_free(&st);
		return true;
	}
	if (in_cur == 1 && st.attempts > 0) {
		check_rcpt_outcomes(&st, details, sizeof(details));
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, check_ms(t0),
		    "the agent retries it; fix the failing step above, then "
		    "postern flush", details, "test message %s to %s "
		    "deferred%s%s", q->s, to, st.last_error ? ": " : "",
		    st.last_error ? st.last_error : "");
		spool_state_free(&st);
		return true;
	}
	spool_state_free(&st);
	if (now_ms() >= end && in_new == 2 && in_cur == 0) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, check_ms(t0),
		    "start the agent (systemctl start postern) or run "
		    "posternd --once; run postern check as root to see into "
		    "new/", NULL, "test message %s to %s: not in cur/ and no "
		    "agent is running: it waits in new/ (visible only to "
		    "root), unless a one-shot run delivered it (see the mail "
		    "log)", q->s, to);
		return true;
	}
	if (now_ms() >= end) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, check_ms(t0),
		    "is the agent running? start it (systemctl start "
		    "postern) or run posternd --once", NULL, "test message %s "
		    "to %s still queued after %llus, never tried", q->s, to,
		    (unsigned long long)ck->wait_secs);
		return true;
	}
	return false;
}

/* check_wait - follow the queued test message until its fate is known */
void
check_wait(struct check *ck)
{
	struct qid	 q;
	struct buf	 err;
	const char	*to = ck->send_rcpt != NULL ? ck->send_rcpt :
			    "the test address";
	int64_t		 t0 = now_ms();
	int64_t		 end = t0 + (int64_t)ck->wait_secs * 1000;

	if (ck->submit_error != NULL) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, -1, NULL, NULL,
		    "the test message to %s could not be queued: %s", to,
		    ck->submit_error);
		return;
	}
	if (qid_parse(&q, ck->wait_qid) == -1) {
		check_report(ck, CK_SEND_TEST, CHECK_FAIL, -1, NULL, NULL,
		    "--wait-for %s: not a queue id", ck->wait_qid);
		return;
	}
	buf_init(&err, CHECK_ERR_MAX);
	while (!check_wait_look(ck, &q, to, t0, end, &err))
		(void)usleep(CHECK_WAIT_POLL_MS * 1000);
	buf_free(&err);
}
