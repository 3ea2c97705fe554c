/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * posternd.c - the forwarding agent: options, privileges, and the event
 * loop (inotify on new/, the trigger FIFO, signals, retry timers, the
 * periodic scan), handing each due message to deliver.c over a cached
 * session (session.c).
 *
 * Never runs as root: started as root it creates the FIFO and missing
 * spool directories, then becomes POSTERN_USER for good; started as
 * anyone else it stays that user (tests).  Never loses or duplicates a
 * message on a signal: SIGTERM/SIGINT are blocked while a transaction
 * runs (each stage is bounded by [timeouts]) and acted on between
 * messages.  A bad configuration on SIGHUP keeps the old one.
 * Concurrency: one session at a time (conf concurrency > 1 is logged and
 * treated as 1: XXX(concurrency) worker processes are future work).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "queue.h"
#include "session.h"
#include "spool.h"
#include "tls.h"
#include "util.h"

#define AGENT_NAME		"posternd"
#define AGENT_INOTIFY_BUF	8192
#define AGENT_TRIGGER_BUF	256
#define AGENT_ERR_MAX		8192
#define AGENT_RATE_MAX		100000	/* rate_limit values honoured */
#define AGENT_MODE_FIFO		0622
#define AGENT_TRIGGER_FLUSH	'f'	/* "postern flush": all due now */

struct agent {
	const char	*conf_path;
	struct conf	 conf;
	struct tls_client *tls[CONF_RELAYS_MAX];
	struct queue	 queue;
	struct queue_relays relays;
	struct session	 sess;
	bool		 once, foreground, verbose, privileged;
	bool		 stop, reload;
	int		 sig_fd, ino_fd, fifo_fd;
	uint64_t	 last_scan;
	uint64_t	*rate;		/* ring of send times */
	size_t		 rate_n, rate_head;
	bool		 rate_logged;
};

/* agent_chomp - the error text without trailing line ends */
static const char *
agent_chomp(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
	    b->data[b->len - 1] == '\r'))
		buf_truncate(b, b->len - 1);
	return buf_cstr(b);
}

/* agent_usage - the synopsis, then exit */
static void __attribute__((noreturn))
agent_usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: %s [-f] [-v] [--once] [-C config]\n"
	    "       %s --check [-C config] [--json] [--relay N] "
	    "[--rcpt ADDRESS] [--timeout S]\n"
	    "  -C, --config FILE  configuration (default %s/postern.conf)\n"
	    "  -f, --foreground   stay in the foreground, log to stderr\n"
	    "  -v, --verbose      debug logging\n"
	    "      --once         deliver what is due now, then exit\n"
	    "      --check        diagnose the relays, step by step, and "
	    "exit (postern check)\n"
	    "Started as root, %s drops to the user '%s' at once; started as\n"
	    "any other user it runs as that user (tests, private spools).\n",
	    AGENT_NAME, AGENT_NAME, CONFDIR, AGENT_NAME, POSTERN_USER);
	exit(code);
}

/* agent_now - wall-clock seconds */
static uint64_t
agent_now(void)
{
	return (uint64_t)time(NULL);
}

/* agent_tls_free - release the per-relay TLS clients */
static void
agent_tls_free(struct tls_client **tls)
{
	size_t	i;

	for (i = 0; i < CONF_RELAYS_MAX; i++) {
		tls_client_free(tls[i]);
		tls[i] = NULL;
	}
}

/*
 * agent_load - configuration, secrets and TLS clients into c/tls.
 * Returns 0, or -1 with the reasons in err (c and tls then empty).
 */
static int
agent_load(const char *path, struct conf *c, struct tls_client **tls,
    struct buf *err)
{
	struct why	why;
	size_t		i;

	memset(tls, 0, sizeof(*tls) * CONF_RELAYS_MAX);
	if (conf_load(c, path, true, err) == -1)
		return -1;
	if (conf_load_secrets(c, err) == -1)
		goto fail;
	for (i = 0; i < c->nrelays; i++) {
		if (c->relays[i].tls == CONF_TLS_NONE)
			continue;
		why_clear(&why);
		if ((tls[i] = tls_client_new(&c->relays[i], &why)) == NULL) {
			buf_printf(err, "relay %s: TLS: %s", c->relays[i].name,
			    why.text);
			goto fail;
		}
	}
	return 0;
fail:
	agent_tls_free(tls);
	conf_free(c);
	return -1;
}

/* agent_log_targets - stderr in the foreground or --once, else syslog */
static void
agent_log_setup(struct agent *a)
{
	int	t;

	switch (a->conf.log) {
	case CONF_LOG_STDERR:	t = LOG_TO_STDERR; break;
	case CONF_LOG_BOTH:	t = LOG_TO_STDERR | LOG_TO_SYSLOG; break;
	case CONF_LOG_SYSLOG:
	default:		t = LOG_TO_SYSLOG; break;
	}
	if (a->foreground || a->once)
		t |= LOG_TO_STDERR;
	log_set_targets(t);
	log_set_debug(a->verbose || a->conf.debug);
}

/* agent_mkdirs - root only: the spool tree, owned by the agent user */
static void
agent_mkdirs(const char *spool, uid_t uid, gid_t gid)
{
	static const struct { const char *sub; mode_t mode; } dirs[] = {
		{ SPOOL_TMP, SPOOL_MODE_DROPDIR },
		{ SPOOL_NEW, SPOOL_MODE_DROPDIR },
		{ SPOOL_CUR, SPOOL_MODE_PRIVDIR },
		{ SPOOL_FAILED, SPOOL_MODE_PRIVDIR },
		{ SPOOL_STATE, SPOOL_MODE_PRIVDIR },
	};
	char	path[PATH_MAX];
	size_t	i;

	if (mkdir(spool, SPOOL_MODE_ROOT) == 0 &&
	    (chown(spool, uid, gid) == -1 || chmod(spool, SPOOL_MODE_ROOT)))
		fatal_errno(EX_OSERR, "set owner of %s", spool);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (spool_path(spool, dirs[i].sub, NULL, path,
		    sizeof(path)) == -1)
			fatal_errno(EX_CONFIG, "spool_dir %s", spool);
		if (mkdir(path, dirs[i].mode) == -1) {
			if (errno == EEXIST)
				continue;
			fatal_errno(EX_OSERR, "create %s", path);
		}
		if (chown(path, uid, gid) == -1 ||
		    chmod(path, dirs[i].mode) == -1)
			fatal_errno(EX_OSERR, "set owner of %s", path);
		log_info("created %s", path);
	}
}

/* agent_mkfifo - the trigger FIFO, mode 0622, owned by uid */
static void
agent_mkfifo(const char *spool, uid_t uid, gid_t gid)
{
	char		path[PATH_MAX];
	struct stat	sb;

	if (spool_path(spool, SPOOL_TRIGGER, NULL, path, sizeof(path)) == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", spool);
	if (lstat(path, &sb) == 0) {
		if (S_ISFIFO(sb.st_mode))
			return;
		fatal_exit(EX_CONFIG, "%s exists and is not a FIFO: remove "
		    "it", path);
	}
	if (mkfifo(path, AGENT_MODE_FIFO) == -1)
		fatal_errno(EX_OSERR, "mkfifo %s", path);
	if (chown(path, uid, gid) == -1 || chmod(path, AGENT_MODE_FIFO) == -1)
		fatal_errno(EX_OSERR, "set owner of %s", path);
}

/* agent_drop_privileges - become the agent user, for good */
static void
agent_drop_privileges(struct agent *a, gid_t *drop_gid)
{
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 uid;
	gid_t		 gid;

	if ((pw = getpwnam(POSTERN_USER)) == NULL)
		fatal_exit(EX_NOUSER, "user '%s' does not exist: create it "
		    "(useradd --system %s) or reconfigure --with-user",
		    POSTERN_USER, POSTERN_USER);
	if ((gr = getgrnam(POSTERN_GROUP)) == NULL)
		fatal_exit(EX_NOUSER, "group '%s' does not exist: create it "
		    "(groupadd --system %s)", POSTERN_GROUP, POSTERN_GROUP);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	*drop_gid = gr->gr_gid;
	if (uid == 0)
		fatal_exit(EX_CONFIG, "user '%s' is root: the agent never "
		    "runs as root", POSTERN_USER);
	agent_mkdirs(a->conf.spool_dir, uid, gr->gr_gid);
	agent_mkfifo(a->conf.spool_dir, uid, gr->gr_gid);
	if (setgroups(1, &gr->gr_gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		fatal_errno(EX_OSERR, "drop privileges to %s", POSTERN_USER);
	if (setuid(0) != -1 || geteuid() == 0 || getegid() == 0)
		fatal_exit(EX_SOFTWARE, "could regain root after dropping "
		    "privileges: refusing to run");
}

/* agent_open_fds - signalfd, inotify on new/, the FIFO */
static void
agent_open_fds(struct agent *a)
{
	sigset_t	set;
	char		path[PATH_MAX];

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (a->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal_errno(EX_OSERR, "signalfd");
	signal(SIGPIPE, SIG_IGN);
	a->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->ino_fd == -1)
		fatal_errno(EX_OSERR, "inotify_init1");
	if (spool_path(a->conf.spool_dir, SPOOL_NEW, NULL, path,
	    sizeof(path)) == -1)
		fatal_errno(EX_CONFIG, "spool_dir");
	if (inotify_add_watch(a->ino_fd, path, IN_MOVED_TO |
	    IN_CLOSE_WRITE) == -1)
		fatal_errno(EX_OSERR, "watch %s", path);
	a->fifo_fd = -1;
	if (spool_path(a->conf.spool_dir, SPOOL_TRIGGER, NULL, path,
	    sizeof(path)) == 0) {
		/* O_RDWR: we hold a writer, so the FIFO never reads EOF */
		a->fifo_fd = open(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW |
		    O_CLOEXEC);
		if (a->fifo_fd == -1 && errno != ENOENT)
			log_warn("open %s (triggers are off; new mail is "
			    "still seen)", path);
	}
}

/* agent_signals - drain the signalfd; set stop / reload */
static void
agent_signals(struct agent *a)
{
	struct signalfd_siginfo	si;

	while (read(a->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			a->reload = true;
			break;
		case SIGTERM:
		case SIGINT:
			if (!a->stop)
				log_info("signal %u: stopping", si.ssi_signo);
			a->stop = true;
			break;
		default:
			break;
		}
	}
}

/* agent_reload - SIGHUP: a bad new configuration keeps the old one */
static void
agent_reload(struct agent *a)
{
	struct conf		 c;
	struct tls_client	*tls[CONF_RELAYS_MAX];
	struct buf		 err;

	a->reload = false;
	buf_init(&err, AGENT_ERR_MAX);
	if (agent_load(a->conf_path, &c, tls, &err) == -1) {
		log_error("reload: %s: keeping the running configuration: %s",
		    a->conf_path, agent_chomp(&err));
		buf_free(&err);
		return;
	}
	buf_free(&err);
	if (strcmp(c.spool_dir, a->conf.spool_dir) != 0)
		log_warnx("reload: spool_dir changed to %s: restart %s to use "
		    "it; still using %s", c.spool_dir, AGENT_NAME,
		    a->conf.spool_dir);
	session_close(&a->sess);
	agent_tls_free(a->tls);
	{
		char *keep = a->conf.spool_dir;

		a->conf.spool_dir = c.spool_dir;
		c.spool_dir = keep;
	}
	conf_free(&a->conf);
	a->conf = c;
	memcpy(a->tls, tls, sizeof(tls));
	queue_relays_init(&a->relays, &a->conf);
	agent_log_setup(a);
	free(a->rate);
	a->rate = NULL;
	a->rate_n = a->rate_head = 0;
	log_info("reload: configuration %s loaded", a->conf_path);
}

/* agent_inotify - schedule new arrivals */
static void
agent_inotify(struct agent *a, uint64_t now)
{
	char			 buf[AGENT_INOTIFY_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct qid		 qid;
	ssize_t			 n;
	char			*p;

	while ((n = read(a->ino_fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				a->last_scan = 0;	/* rescan now */
			else if (ev->len > 0 &&
			    qid_parse(&qid, ev->name) == 0)
				queue_schedule(&a->queue, &qid, now);
		}
	}
}

/* agent_trigger - drain the FIFO; 'f' flushes, anything else rescans */
static void
agent_trigger(struct agent *a)
{
	char	buf[AGENT_TRIGGER_BUF];
	ssize_t	n, i;
	size_t	j;
	bool	flush = false;

	while ((n = read(a->fifo_fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			if (buf[i] == AGENT_TRIGGER_FLUSH)
				flush = true;
	a->last_scan = 0;
	if (!flush)
		return;
	log_info("flush requested: every message and relay is due now");
	for (j = 0; j < a->queue.n; j++)
		a->queue.v[j].next = 0;
	for (j = 0; j < a->relays.n; j++)
		a->relays.r[j].next_try = 0;
}

/* agent_rate_wait - seconds to wait before the next send (0: go) */
static uint64_t
agent_rate_wait(struct agent *a, uint64_t now)
{
	size_t	 limit = a->conf.rate_limit, oldest;

	if (limit == 0)
		return 0;
	if (limit > AGENT_RATE_MAX)
		limit = AGENT_RATE_MAX;
	if (a->rate == NULL)
		a->rate = xcalloc(limit, sizeof(*a->rate));
	if (a->rate_n < limit)
		return 0;
	oldest = a->rate_head;	/* the ring is full: head is the oldest */
	if (a->rate[oldest] + a->conf.rate_period <= now)
		return 0;
	return a->rate[oldest] + a->conf.rate_period - now;
}

/* agent_rate_note - one message was sent */
static void
agent_rate_note(struct agent *a, uint64_t now)
{
	size_t	limit = a->conf.rate_limit;

	if (limit == 0 || a->rate == NULL)
		return;
	if (limit > AGENT_RATE_MAX)
		limit = AGENT_RATE_MAX;
	a->rate[a->rate_head] = now;
	a->rate_head = (a->rate_head + 1) % limit;
	if (a->rate_n < limit)
		a->rate_n++;
}

/*
 * agent_session - an open session to the first usable relay, opening one
 * if needed.  Returns false when no relay can be used now.
 */
static bool
agent_session(struct agent *a, uint64_t now)
{
	struct why	why;
	size_t		i;

	if (session_is_open(&a->sess) &&
	    a->sess.messages < a->conf.session_max_messages)
		return true;
	session_close(&a->sess);
	for (i = 0; i < a->relays.n; i++) {
		if (!queue_relay_usable(&a->relays, i, now))
			continue;
		why_clear(&why);
		if (session_open(&a->sess, &a->conf, i, a->tls[i],
		    &why) == 0) {
			queue_relay_up(&a->relays, i, now,
			    a->conf.spool_dir);
			return true;
		}
		queue_relay_down(&a->relays, i, why.text, now,
		    a->conf.retry_min, a->conf.retry_max, a->conf.spool_dir);
	}
	return false;
}

/*
 * agent_run_due - deliver every message due by min(now, due_by) (--once
 * passes its start time, so a message deferred in this run is not
 * retried in it).  Returns the seconds to
 * wait for the rate limit (0: none), and sets *blocked when messages are
 * due but no relay is usable.
 */
static uint64_t
agent_run_due(struct agent *a, uint64_t due_by, bool *blocked)
{
	struct deliver_ctx	ctx;
	struct queue_msg	m;
	struct qid		qid;
	struct buf		err;
	struct why		why;
	uint64_t		now, wait;

	*blocked = false;
	buf_init(&err, AGENT_ERR_MAX);
	for (;;) {
		agent_signals(a);
		if (a->stop || a->reload)
			break;
		now = agent_now();
		if (!queue_next_due(&a->queue, now < due_by ? now : due_by,
		    &qid))
			break;
		if ((wait = agent_rate_wait(a, now)) > 0) {
			if (!a->rate_logged)
				log_info("rate limit of %u per %llus reached: "
				    "waiting %llus", a->conf.rate_limit,
				    (unsigned long long)a->conf.rate_period,
				    (unsigned long long)wait);
			a->rate_logged = true;
			buf_free(&err);
			return wait;
		}
		a->rate_logged = false;
		buf_reset(&err);
		if (queue_claim(&a->queue, &qid, &m, &err) == -1)
			continue;	/* set aside or gone, logged */
		ctx.conf = &a->conf;
		ctx.queue = &a->queue;
		ctx.now = now;
		if (deliver_settle(&ctx, &m)) {
			queue_msg_free(&m);
			continue;
		}
		if (!agent_session(a, now)) {
			queue_msg_free(&m);
			*blocked = true;
			break;
		}
		why_clear(&why);
		if (deliver_message(&ctx, &a->sess, &m, &why) ==
		    DELIVER_RELAY_FAULT) {
			session_abort(&a->sess);
			queue_relay_down(&a->relays, a->sess.relay_index,
			    why.text, now, a->conf.retry_min,
			    a->conf.retry_max, a->conf.spool_dir);
		} else
			agent_rate_note(a, now);
		queue_msg_free(&m);
	}
	buf_free(&err);
	return 0;
}

/* agent_scan - full rescan and cleaning */
static void
agent_scan(struct agent *a, uint64_t now)
{
	int	n;

	n = queue_scan(&a->queue, now);
	(void)queue_clean(&a->queue, now, a->conf.tmp_max_age,
	    a->conf.failed_keep);
	a->last_scan = now;
	log_debug("scan: %d messages queued", n);
}

/* agent_timeout_ms - how long poll may sleep */
static int
agent_timeout_ms(struct agent *a, uint64_t now, uint64_t rate_wait,
    bool blocked)
{
	uint64_t next = a->last_scan + a->conf.scan_interval, t;
	int64_t	 idle_end, ms;

	t = queue_next_time(&a->queue);
	if (blocked)
		t = queue_relays_next_try(&a->relays);
	if (t < next)
		next = t;
	if (rate_wait > 0 && now + rate_wait < next)
		next = now + rate_wait;
	ms = next <= now ? 0 : (int64_t)(next - now) * 1000;
	if (session_is_open(&a->sess)) {
		idle_end = a->sess.idle_since_ms +
		    (int64_t)a->conf.session_idle * 1000 - now_ms();
		if (idle_end < 0)
			idle_end = 0;
		if (idle_end < ms)
			ms = idle_end;
	}
	if (ms > INT_MAX)
		ms = INT_MAX;
	return ms < 0 ? 0 : (int)ms;
}

/* agent_loop - the daemon */
static void
agent_loop(struct agent *a)
{
	struct pollfd	pfd[3];
	uint64_t	now, rate_wait;
	bool		blocked;
	int		timeout, nfd;

	agent_scan(a, agent_now());
	while (!a->stop) {
		if (a->reload)
			agent_reload(a);
		now = agent_now();
		if (now >= a->last_scan + a->conf.scan_interval ||
		    a->last_scan == 0)
			agent_scan(a, now);
		rate_wait = agent_run_due(a, UINT64_MAX, &blocked);
		if (a->stop)
			break;
		if (a->reload)
			continue;
		if (session_is_open(&a->sess) && now_ms() >=
		    a->sess.idle_since_ms + (int64_t)a->conf.session_idle *
		    1000)
			session_close(&a->sess);
		now = agent_now();
		timeout = agent_timeout_ms(a, now, rate_wait, blocked);
		nfd = 0;
		pfd[nfd].fd = a->sig_fd;
		pfd[nfd++].events = POLLIN;
		pfd[nfd].fd = a->ino_fd;
		pfd[nfd++].events = POLLIN;
		if (a->fifo_fd != -1) {
			pfd[nfd].fd = a->fifo_fd;
			pfd[nfd++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfd, timeout) == -1) {
			if (errno != EINTR)
				fatal_errno(EX_OSERR, "poll");
			continue;
		}
		agent_signals(a);
		agent_inotify(a, agent_now());
		if (a->fifo_fd != -1 && (pfd[2].revents & POLLIN))
			agent_trigger(a);
	}
}

/* agent_once - deliver what is due now, then exit */
static void
agent_once(struct agent *a)
{
	bool	blocked;
	uint64_t wait, start = agent_now();

	agent_scan(a, start);
	for (;;) {
		wait = agent_run_due(a, start, &blocked);
		if (a->reload)
			a->reload = false;	/* one shot: nothing to reload */
		if (a->stop || blocked || wait == 0)
			break;
		/* the rate limit delays, never fails: sleep it off */
		log_info("--once: waiting %llus for the rate limit",
		    (unsigned long long)wait);
		(void)sleep((unsigned)(wait > UINT_MAX ? UINT_MAX : wait));
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'C' },
		{ "once",	no_argument,	   NULL, 'o' },
		{ "foreground",	no_argument,	   NULL, 'f' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct agent	 a;
	struct buf	 err;
	gid_t		 drop_gid = (gid_t)-1;
	int		 ch, i;

	memset(&a, 0, sizeof(a));
	a.conf_path = CONFDIR "/postern.conf";
	a.sig_fd = a.ino_fd = a.fifo_fd = -1;
	log_init(AGENT_NAME, LOG_TO_STDERR);
	/* the diagnosis has its own options and keeps this uid (check.h) */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check") == 0)
			return check_main(argc, argv);
	while ((ch = getopt_long(argc, argv, "C:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			a.conf_path = optarg;
			break;
		case 'o':
			a.once = true;
			break;
		case 'f':
			a.foreground = true;
			break;
		case 'v':
			a.verbose = true;
			log_set_debug(true);
			break;
		case 'h':
			agent_usage(0);
		default:
			agent_usage(EX_USAGE);
		}
	}
	if (optind != argc)
		agent_usage(EX_USAGE);

	a.privileged = geteuid() == 0;
	buf_init(&err, AGENT_ERR_MAX);
	if (a.privileged) {
		/* the public configuration first, secrets as the agent */
		if (conf_load(&a.conf, a.conf_path, true, &err) == -1)
			fatal_exit(EX_CONFIG, "%s", agent_chomp(&err));
		agent_drop_privileges(&a, &drop_gid);
		conf_free(&a.conf);
	}
	if (agent_load(a.conf_path, &a.conf, a.tls, &err) == -1)
		fatal_exit(EX_CONFIG, "%s", agent_chomp(&err));
	buf_free(&err);
	agent_log_setup(&a);
	if (a.conf.concurrency > 1)
		log_info("concurrency = %u: this version delivers over one "
		    "session at a time", a.conf.concurrency);
	queue_init(&a.queue, a.conf.spool_dir, drop_gid, a.privileged);
	queue_relays_init(&a.relays, &a.conf);
	session_init(&a.sess);
	if (chdir(a.conf.spool_dir) == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", a.conf.spool_dir);
	agent_open_fds(&a);
	log_info("started%s, spool %s, %zu relay(s)", a.once ? " (--once)" :
	    "", a.conf.spool_dir, a.conf.nrelays);

	if (a.once)
		agent_once(&a);
	else
		agent_loop(&a);

	session_close(&a.sess);
	queue_free(&a.queue);
	agent_tls_free(a.tls);
	conf_free(&a.conf);
	free(a.rate);
	auth_global_done();
	if (a.fifo_fd != -1)
		close(a.fifo_fd);
	close(a.ino_fd);
	close(a.sig_fd);
	log_info("stopped");
	return 0;
}
