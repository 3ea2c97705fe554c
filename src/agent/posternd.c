/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * posternd.c - the forwarding agent: options, privileges, and the event
 * loop (inotify on new/, the trigger FIFO, signals, retry timers, the
 * periodic scan), handing each due message to deliver.c over a cached
 * session (session.c).
 *
 * Never runs as root: started as root it creates the FIFO and the spool
 * directories (or gives existing ones the layout's owners and modes),
 * then becomes POSTERN_USER with the group POSTERN_GROUP for good, never
 * holding the drop group (it could not read the mail postern-drop
 * queues: spool.h); started as anyone else it stays that user (tests).
 * It picks every new message up from new/ (the drop group's) into cur/
 * (the agent's group's) at once, so that admins see it.  Never loses or
 * duplicates a message on a signal: SIGTERM/SIGINT are blocked (read
 * from a signalfd) and acted on between messages, or at once inside an
 * SMTP stage (conn_set_stop: the wait ends, the session is dropped
 * without QUIT, the message stays queued and the relay is not blamed;
 * only a server that stored it without answering the end of data gets
 * it twice, RFC 1047).  A bad configuration on SIGHUP keeps the old one.
 * Concurrency: with concurrency = 1 this process delivers itself over one
 * cached session; with more, it only schedules and hands queue ids to
 * up to `concurrency` worker processes (pool.c), each with its own
 * session, and never hands out a queue id that is still out.
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
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "auth.h"
#include "check.h"
#include "conf.h"
#include "ctlsock.h"
#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "queue.h"
#include "session.h"
#include "spool.h"
#include "tls.h"
#include "util.h"

#define AGENT_NAME		"posternd"
#define AGENT_INOTIFY_BUF	8192
#define AGENT_TRIGGER_BUF	4096
#define AGENT_TRIGGER_DRAIN	65536	/* bytes read from a FIFO per wake */
#define AGENT_ERR_MAX		8192
#define AGENT_RATE_MAX		100000	/* rate_limit values honoured */
#define AGENT_RESPAWN_MS	1000	/* a dead worker's slot rests */
#define AGENT_MODE_FIFO		0622
#define AGENT_MODE_ADMIN_FIFO	0620	/* spool/flush: root and the group */
#define AGENT_TRIGGER_FLUSH	'f'	/* "postern flush": all due now */
#define AGENT_TRIGGER_SCAN_MS	5000	/* world FIFO: one rescan per 5 s */
#define AGENT_TRIGGER_FLUSH_MS	60000	/* world FIFO: one flush a minute */

struct agent {
	const char	*conf_path;
	struct conf	 conf;
	struct tls_client *tls[CONF_RELAYS_MAX];
	struct queue	 queue;
	struct queue_relays relays;
	struct session	 sess;
	bool		 once, foreground, verbose, privileged;
	bool		 stop, reload, flush;
	int		 sig_fd, ino_fd, fifo_fd;
	/* the trigger FIFOs (agent_trigger_*); fifo_fd is the world's */
	int		 admin_fd;	/* spool/flush; -1 */
	struct ctlsock	 ctl;		/* spool/queue.sock (ctlsock.h) */
	bool		 flush_relays;	/* the flush ends relay back-off too */
	bool		 trig_pending;	/* world FIFO: a rescan asked for */
	bool		 trig_flush;	/* world FIFO: a flush asked for */
	int64_t		 trig_scan_ms;	/* its last rescan (now_ms) */
	int64_t		 trig_flush_ms;	/* its last flush (now_ms) */
	gid_t		 drop_gid, agent_gid;
	uint64_t	 last_scan;
	bool		 saturated;	/* due messages wait for a worker */
	int64_t		*rate;		/* ring of send times, now_ms() */
	size_t		 rate_n, rate_head;
	bool		 rate_logged;
	/* concurrency > 1: the workers (main process only) */
	struct pool_worker workers[POOL_WORKERS_MAX];
	int64_t		 died_ms[POOL_WORKERS_MAX];
	unsigned	 nworkers;	/* 0: deliver in this process */
	int		 worker_fd;	/* in a worker: its socket; else -1 */
	/* [monitoring] prometheus_textfile (main process only) */
	struct metrics_counters counters; /* since start */
	bool		 metrics_dirty;	/* something changed since written */
	bool		 metrics_failed; /* the last write failed (logged) */
	int64_t		 metrics_ms;	/* its last write (now_ms), 0 */
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
	    "      --layout DIR   root: make or converge the spool DIR's "
	    "owners and modes, then exit\n"
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
			buf_note(err, "relay %s: TLS: %s", c->relays[i].name,
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

/*
 * agent_layout_dir - root only: make spool/sub a directory (mode) owned by
 * uid:gid, creating it or converging an existing one.  Works through a
 * descriptor opened O_NOFOLLOW: the agent's user owns the spool and could
 * have put a symbolic link there for root to chown.
 */
static void
agent_layout_dir(int spool_fd, const char *spool, const char *sub,
    mode_t mode, uid_t uid, gid_t gid)
{
	struct stat	sb;
	int		fd;
	bool		created = false;

	if (mkdirat(spool_fd, sub, mode) == 0)
		created = true;
	else if (errno != EEXIST)
		fatal_errno(EX_OSERR, "create %s/%s", spool, sub);
	fd = openat(spool_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1)
		fatal_errno(EX_CONFIG, "%s/%s (it must be a directory, not a "
		    "symbolic link)", spool, sub);
	if (sb.st_uid != uid || sb.st_gid != gid ||
	    (sb.st_mode & 07777) != mode) {
		/* chown first: it may clear the set-group-id bit */
		if (fchown(fd, uid, gid) == -1 || fchmod(fd, mode) == -1)
			fatal_errno(EX_OSERR, "set owner and mode of %s/%s",
			    spool, sub);
		if (!created)
			log_info("%s/%s: owner, group and mode set to the "
			    "layout's (mode %04o)", spool, sub, (unsigned)mode);
	}
	if (created)
		log_info("created %s/%s", spool, sub);
	close(fd);
}

/*
 * agent_layout - root only: the spool tree with the owners and modes of
 * doc/spool-format.md: tmp/ and new/ the drop group's, cur/ failed/
 * state/ the agent's group's.  Idempotent: an older layout converges.
 */
static void
agent_layout(const char *spool, uid_t uid, gid_t agent_gid, gid_t drop_gid,
    bool fix_root)
{
	static const struct {
		const char	*sub;
		mode_t		 mode;
		bool		 drop;
	} dirs[] = {
		{ SPOOL_TMP, SPOOL_MODE_DROPDIR, true },
		{ SPOOL_NEW, SPOOL_MODE_NEWDIR, true },
		{ SPOOL_CUR, SPOOL_MODE_AGENTDIR, false },
		{ SPOOL_FAILED, SPOOL_MODE_AGENTDIR, false },
		{ SPOOL_STATE, SPOOL_MODE_AGENTDIR, false },
	};
	struct stat	sb;
	size_t		i;
	int		fd;
	bool		created = false;

	if (mkdir(spool, SPOOL_MODE_ROOT) == 0)
		created = true;
	else if (errno != EEXIST)
		fatal_errno(EX_OSERR, "create %s", spool);
	/* spool_dir comes from root's configuration and its parent is
	 * root's: its path is trusted; what is inside goes by descriptor */
	fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", spool);
	if (created) {
		if (fchown(fd, uid, agent_gid) == -1 ||
		    fchmod(fd, SPOOL_MODE_ROOT) == -1 || fstat(fd, &sb) == -1)
			fatal_errno(EX_OSERR, "set owner of %s", spool);
		log_info("created %s", spool);
	}
	if (fix_root && !S_ISDIR(sb.st_mode))
		fatal_exit(EX_CONFIG, "%s is not a directory", spool);
	if (fix_root && (sb.st_uid != uid || sb.st_gid != agent_gid ||
	    (sb.st_mode & 07777) != SPOOL_MODE_ROOT)) {
		if (fchown(fd, uid, agent_gid) == -1 ||
		    fchmod(fd, SPOOL_MODE_ROOT) == -1 || fstat(fd, &sb) == -1)
			fatal_errno(EX_OSERR, "set owner of %s", spool);
	}
	if (sb.st_uid != uid || sb.st_gid != agent_gid)
		log_warnx("%s belongs to uid %lu gid %lu, not to the agent's "
		    "user and group: left as it is (make install or chown "
		    "fixes it)", spool, (unsigned long)sb.st_uid,
		    (unsigned long)sb.st_gid);
	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		agent_layout_dir(fd, spool, dirs[i].sub, dirs[i].mode, uid,
		    dirs[i].drop ? drop_gid : agent_gid);
	close(fd);
}

/*
 * agent_mkfifo - the trigger FIFO, mode 0622, owned by uid (-1: as we
 * are).  Started as root this works in a directory the agent's user
 * owns, so nothing goes by path after the mkfifoat: the FIFO is opened
 * O_NOFOLLOW|O_NONBLOCK, checked on the descriptor (a FIFO, one link,
 * owned by us or by uid) and only then given its owner and mode with
 * fchown/fchmod.  A symbolic link or another file swapped in between
 * is refused, never followed (issue 11).
 */
static void
agent_mkfifo(const char *spool, uid_t uid, gid_t gid)
{
	struct stat	sb;
	bool		created = false;
	int		dfd, fd;

	/* spool_dir comes from root's configuration: its path is trusted */
	dfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", spool);
	if (mkfifoat(dfd, SPOOL_TRIGGER, AGENT_MODE_FIFO) == 0)
		created = true;
	else if (errno != EEXIST) {
		if (uid != (uid_t)-1)
			fatal_errno(EX_OSERR, "mkfifo %s/%s", spool,
			    SPOOL_TRIGGER);
		log_warn("mkfifo %s/%s (flush triggers are off)", spool,
		    SPOOL_TRIGGER);
		close(dfd);
		return;
	}
	fd = openat(dfd, SPOOL_TRIGGER, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		fatal_errno(EX_CONFIG, "open %s/%s (it must be a FIFO, not a "
		    "symbolic link: remove it)", spool, SPOOL_TRIGGER);
	if (fstat(fd, &sb) == -1)
		fatal_errno(EX_OSERR, "fstat %s/%s", spool, SPOOL_TRIGGER);
	if (!S_ISFIFO(sb.st_mode) || sb.st_nlink != 1)
		fatal_exit(EX_CONFIG, "%s/%s exists and is not a FIFO (type "
		    "%o, %lu links): remove it", spool, SPOOL_TRIGGER,
		    (unsigned)(sb.st_mode & S_IFMT), (unsigned long)sb.st_nlink);
	if (uid == (uid_t)-1) {
		/* unprivileged: whoever made an existing one keeps it */
		if (created && fchmod(fd, AGENT_MODE_FIFO) == -1)
			fatal_errno(EX_OSERR, "set mode of %s/%s", spool,
			    SPOOL_TRIGGER);
	} else {
		if (sb.st_uid != geteuid() && sb.st_uid != uid)
			fatal_exit(EX_CONFIG, "%s/%s belongs to uid %lu, "
			    "neither root nor the agent's user: remove it",
			    spool, SPOOL_TRIGGER, (unsigned long)sb.st_uid);
		/* chown first: it may clear mode bits */
		if ((sb.st_uid != uid || sb.st_gid != gid) &&
		    fchown(fd, uid, gid) == -1)
			fatal_errno(EX_OSERR, "set owner of %s/%s", spool,
			    SPOOL_TRIGGER);
		if (fchmod(fd, AGENT_MODE_FIFO) == -1)
			fatal_errno(EX_OSERR, "set mode of %s/%s", spool,
			    SPOOL_TRIGGER);
	}
	close(fd);
	close(dfd);
	if (created)
		log_info("created %s/%s", spool, SPOOL_TRIGGER);
}

/*
 * agent_mkfifo_admin - spool/flush, the FIFO of `postern flush` and
 * `postern retry` for root and the agent's group (mode 0620, uid:gid;
 * uid -1: as we are).  The spool directory belongs to the agent's user,
 * so root works on descriptors only: mkfifoat, then an O_NOFOLLOW open
 * and fstat (a FIFO with one link, made by us or the agent's user),
 * then fchown and fchmod.  A FIFO checks the writer's permission at
 * open(2): only root, the owner and the group get a descriptor.
 */
static void
agent_mkfifo_admin(const char *spool, uid_t uid, gid_t gid)
{
	struct stat	sb;
	int		dfd, fd;
	bool		created = false;

	dfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", spool);
	if (mkfifoat(dfd, SPOOL_FLUSH, AGENT_MODE_ADMIN_FIFO) == 0)
		created = true;
	else if (errno != EEXIST) {
		if (uid != (uid_t)-1)
			fatal_errno(EX_OSERR, "mkfifo %s/%s", spool,
			    SPOOL_FLUSH);
		log_warn("mkfifo %s/%s (flushes by the group are off)",
		    spool, SPOOL_FLUSH);
		close(dfd);
		return;
	}
	fd = openat(dfd, SPOOL_FLUSH, O_RDWR | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1)
		fatal_errno(EX_CONFIG, "%s/%s (it must be a FIFO, not a "
		    "symbolic link): remove it", spool, SPOOL_FLUSH);
	if (!S_ISFIFO(sb.st_mode) || sb.st_nlink != 1 ||
	    (sb.st_uid != geteuid() && sb.st_uid != uid))
		fatal_exit(EX_CONFIG, "%s/%s is not a FIFO of the agent's "
		    "user: remove it", spool, SPOOL_FLUSH);
	if ((uid != (uid_t)-1 && fchown(fd, uid, gid) == -1) ||
	    fchmod(fd, AGENT_MODE_ADMIN_FIFO) == -1)
		fatal_errno(EX_OSERR, "set owner and mode of %s/%s", spool,
		    SPOOL_FLUSH);
	if (created)
		log_info("created %s/%s", spool, SPOOL_FLUSH);
	close(fd);
	close(dfd);
}

/* agent_group - the gid of group name, or fatal naming the fix */
static gid_t
agent_group(const char *name, const char *role)
{
	struct group	*gr;

	if ((gr = getgrnam(name)) == NULL)
		fatal_exit(EX_NOUSER, "group '%s' (%s) does not exist: create "
		    "it (groupadd --system %s) or reconfigure", name, role,
		    name);
	return gr->gr_gid;
}

/* agent_drop_privileges - become the agent user, for good */
static void
agent_drop_privileges(struct agent *a)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid, drop_gid;

	if ((pw = getpwnam(POSTERN_USER)) == NULL)
		fatal_exit(EX_NOUSER, "user '%s' does not exist: create it "
		    "(useradd --system %s) or reconfigure --with-user",
		    POSTERN_USER, POSTERN_USER);
	uid = pw->pw_uid;
	gid = agent_group(POSTERN_GROUP, "the agent's group, --with-group");
	drop_gid = agent_group(POSTERN_DROP_GROUP, "postern-drop's group, "
	    "--with-drop-group");
	if (uid == 0)
		fatal_exit(EX_CONFIG, "user '%s' is root: the agent never "
		    "runs as root", POSTERN_USER);
	if (gid == drop_gid)
		fatal_exit(EX_CONFIG, "groups '%s' and '%s' are the same group "
		    "(gid %lu): postern-drop's group must be a group of its "
		    "own", POSTERN_GROUP, POSTERN_DROP_GROUP,
		    (unsigned long)gid);
	agent_layout(a->conf.spool_dir, uid, gid, drop_gid, false);
	agent_mkfifo(a->conf.spool_dir, uid, gid);
	agent_mkfifo_admin(a->conf.spool_dir, uid, gid);
	/* the agent's group only: never the drop group (spool.h) */
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		fatal_errno(EX_OSERR, "drop privileges to %s", POSTERN_USER);
	if (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0 ||
	    getuid() == 0 || getegid() == 0 || getgid() == 0)
		fatal_exit(EX_SOFTWARE, "could regain root after dropping "
		    "privileges: refusing to run");
	a->drop_gid = drop_gid;
	a->agent_gid = gid;
	log_info("running as user %s (uid %lu) and group %s (gid %lu), "
	    "without the drop group %s (gid %lu); root cannot be regained",
	    POSTERN_USER, (unsigned long)uid, POSTERN_GROUP,
	    (unsigned long)gid, POSTERN_DROP_GROUP, (unsigned long)drop_gid);
}

/*
 * agent_layout_main - posternd --layout DIR, root only: the spool tree
 * at DIR and its trigger FIFO with the layout's owners and modes, made
 * or converged through descriptors (agent_layout, agent_mkfifo), then
 * exit.  What `make install` and the Debian postinst run instead of
 * chown and chmod by path in a directory the agent's user owns.
 */
static int
agent_layout_main(const char *spool)
{
	struct passwd	*pw;
	gid_t		 gid, drop_gid;

	if (geteuid() != 0)
		fatal_exit(EX_NOPERM, "--layout %s: only root sets the spool's "
		    "owners", spool);
	if (spool[0] != '/')
		fatal_exit(EX_USAGE, "--layout %s: give an absolute path",
		    spool);
	if ((pw = getpwnam(POSTERN_USER)) == NULL || pw->pw_uid == 0)
		fatal_exit(EX_NOUSER, "user '%s' does not exist or is root: "
		    "create it (useradd --system %s)", POSTERN_USER,
		    POSTERN_USER);
	gid = agent_group(POSTERN_GROUP, "the agent's group, --with-group");
	drop_gid = agent_group(POSTERN_DROP_GROUP, "postern-drop's group, "
	    "--with-drop-group");
	if (gid == drop_gid)
		fatal_exit(EX_CONFIG, "groups '%s' and '%s' are the same group: "
		    "postern-drop's group must be a group of its own",
		    POSTERN_GROUP, POSTERN_DROP_GROUP);
	umask(077);
	agent_layout(spool, pw->pw_uid, gid, drop_gid, true);
	agent_mkfifo(spool, pw->pw_uid, gid);
	return EX_OK;
}

/*
 * agent_not_drop_group - started unprivileged (systemd's User= and
 * Group=): refuse to run in the drop group.  postern-drop makes queue
 * files mode 0604 with that group, which denies the group even reading:
 * an agent holding it would set every new message aside as unreadable.
 */
static void
agent_not_drop_group(void)
{
	struct group	*gr;
	gid_t		*groups;
	int		 n, i;
	bool		 member;

	if ((gr = getgrnam(POSTERN_DROP_GROUP)) == NULL)
		return;		/* not installed: a private spool (tests) */
	member = getegid() == gr->gr_gid;
	if ((n = getgroups(0, NULL)) == -1)
		fatal_errno(EX_OSERR, "getgroups");
	groups = xcalloc((size_t)n + 1, sizeof(*groups));
	if ((n = getgroups(n, groups)) == -1)
		fatal_errno(EX_OSERR, "getgroups");
	for (i = 0; i < n; i++)
		member |= groups[i] == gr->gr_gid;
	free(groups);
	if (member)
		fatal_exit(EX_CONFIG, "this process holds the group '%s' of "
		    "postern-drop: it could not read the mail postern-drop "
		    "queues (mode 0604 denies that group); run the agent "
		    "with its own group (Group=%s in the systemd unit) and "
		    "take its user out of '%s' (gpasswd -d USER %s)",
		    POSTERN_DROP_GROUP, POSTERN_GROUP, POSTERN_DROP_GROUP,
		    POSTERN_DROP_GROUP);
}

/*
 * agent_lock - one agent per spool: an exclusive flock(2) on the spool
 * directory (the current directory), held until exit; the kernel drops
 * it when the process dies, even by SIGKILL.  Two agents would both
 * deliver the messages in cur/, so the second one would send them again.
 * Returns the descriptor, or -1 when another agent holds the lock.
 */
static int
agent_lock(const char *spool)
{
	int	fd;

	fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		fatal_errno(EX_OSERR, "open spool_dir %s", spool);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal_errno(EX_OSERR, "lock spool_dir %s", spool);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * agent_open_admin - open spool/flush for reading (O_RDWR: we hold a
 * writer, so it never reads end of file); only a FIFO this user owns
 */
static void
agent_open_admin(struct agent *a)
{
	char		path[PATH_MAX];
	struct stat	sb;

	a->admin_fd = -1;
	if (spool_path(a->conf.spool_dir, SPOOL_FLUSH, NULL, path,
	    sizeof(path)) == -1)
		return;
	a->admin_fd = open(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (a->admin_fd == -1) {
		if (errno != ENOENT)
			log_warn("open %s (flushes by the group are off)",
			    path);
		return;
	}
	if (fstat(a->admin_fd, &sb) == -1 || !S_ISFIFO(sb.st_mode) ||
	    sb.st_uid != geteuid()) {
		log_warnx("%s is not a FIFO of this user: flushes by the "
		    "group are off", path);
		close(a->admin_fd);
		a->admin_fd = -1;
	}
}

/* agent_open_fds - signalfd, inotify on new/, the FIFOs */
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
	agent_open_admin(a);
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

/*
 * agent_stopping - conn.c's stop hook in the main process: drain the
 * signals; true on SIGTERM/SIGINT, which then ends any SMTP stage at once
 */
static bool
agent_stopping(int fd, void *arg)
{
	struct agent	*a = arg;

	(void)fd;
	agent_signals(a);
	return a->stop;
}

/* agent_worker_stopping - the same in a worker: any signal read stops */
static bool
agent_worker_stopping(int fd, void *arg)
{
	struct agent		*a = arg;
	struct signalfd_siginfo	 si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		a->stop = true;
	return a->stop;
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
	auth_global_configure(&a->conf);
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
				(void)queue_pickup(&a->queue, &qid, now);
		}
	}
}

/* ---- the trigger FIFOs ---------------------------------------------------
 * spool/trigger (0622) is anyone's: postern-drop writes 'n', a user's
 * `sendmail -q` or `postern flush` 'f'.  Whatever is written, the bytes
 * read in one wake-up count once, a rescan follows at most once per
 * AGENT_TRIGGER_SCAN_MS, a flush of the messages (never of the relays'
 * back-off) at most once per AGENT_TRIGGER_FLUSH_MS, and the FIFO is not
 * even polled while a request waits: a flood costs one wake-up and one
 * rescan per period, and no AUTH attempt beyond the relays' back-off.
 * spool/flush (0620, the agent's group) is what root and the group's
 * `postern flush` and `postern retry` write: any byte a rescan now, 'f'
 * a flush of every message and every relay in back-off.  A flush is
 * applied after the rescan it causes (agent_scan): the rescan rebuilds
 * the schedule from the state files and would undo it.
 */

/*
 * agent_trigger_drain - read fd until empty, or AGENT_TRIGGER_DRAIN bytes
 * (a pipe's worth: a writer that keeps refilling it cannot hold us here;
 * the rest waits for the next wake-up); true when an 'f' came
 */
static bool
agent_trigger_drain(int fd)
{
	char	buf[AGENT_TRIGGER_BUF];
	ssize_t	n;
	size_t	total = 0;
	bool	flush = false;

	while (total < AGENT_TRIGGER_DRAIN &&
	    (n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (!flush && memchr(buf, AGENT_TRIGGER_FLUSH, (size_t)n) !=
		    NULL)
			flush = true;
	}
	return flush;
}

/* agent_trigger - the world's FIFO spoke: note it, act later */
static void
agent_trigger(struct agent *a)
{
	if (agent_trigger_drain(a->fifo_fd))
		a->trig_flush = true;
	a->trig_pending = true;
}

/* agent_trigger_admin - spool/flush spoke: a rescan now, maybe a flush */
static void
agent_trigger_admin(struct agent *a)
{
	if (agent_trigger_drain(a->admin_fd))
		a->flush = a->flush_relays = true;
	a->last_scan = 0;
}

/*
 * agent_trigger_wait_ms - milliseconds until what the world's FIFO asked
 * may be done (0: now), or -1 when it asked nothing
 */
static int64_t
agent_trigger_wait_ms(const struct agent *a, int64_t now)
{
	int64_t	end = a->trig_scan_ms + AGENT_TRIGGER_SCAN_MS;

	if (!a->trig_pending)
		return -1;
	if (a->trig_scan_ms == 0 || end <= now)
		return 0;
	return end - now;
}

/* agent_trigger_due - do what the world's FIFO asked, when its time comes */
static void
agent_trigger_due(struct agent *a, int64_t now)
{
	if (agent_trigger_wait_ms(a, now) != 0)
		return;
	a->trig_pending = false;
	a->trig_scan_ms = now;
	a->last_scan = 0;
	if (!a->trig_flush)
		return;
	a->trig_flush = false;
	if (a->trig_flush_ms != 0 &&
	    now - a->trig_flush_ms < AGENT_TRIGGER_FLUSH_MS) {
		log_debug("flush through %s: one a minute, the last one was "
		    "%llds ago; a rescan only", SPOOL_TRIGGER,
		    (long long)(now - a->trig_flush_ms) / 1000);
		return;
	}
	a->trig_flush_ms = now;
	a->flush = true;
}

/* agent_flush - every message (and, from spool/flush, relay) due now */
static void
agent_flush(struct agent *a)
{
	size_t	j;
	bool	relays = a->flush_relays;

	a->flush = a->flush_relays = false;
	if (relays)
		log_info("flush requested: every message and relay is due "
		    "now");
	else
		log_info("flush requested through %s: every message is due "
		    "now; relays in back-off wait for their next try "
		    "(postern flush by root or the group %s ends it)",
		    SPOOL_TRIGGER, POSTERN_GROUP);
	queue_flush(&a->queue);
	if (relays)
		for (j = 0; j < a->relays.n; j++)
			a->relays.r[j].next_try = 0;
}

/*
 * agent_rate_wait - milliseconds to wait before the next send (0: go).
 * Milliseconds, not seconds: a window counted in whole seconds would let
 * nearly twice the limit through in a real rate_period.
 */
static int64_t
agent_rate_wait(struct agent *a, int64_t now)
{
	size_t	 limit = a->conf.rate_limit;
	int64_t	 period = (int64_t)a->conf.rate_period * 1000, end;

	if (limit == 0)
		return 0;
	if (limit > AGENT_RATE_MAX)
		limit = AGENT_RATE_MAX;
	if (a->rate == NULL)
		a->rate = xcalloc(limit, sizeof(*a->rate));
	if (a->rate_n < limit)
		return 0;
	/* the ring is full: head is the oldest */
	end = a->rate[a->rate_head] + period;
	return end <= now ? 0 : end - now;
}

/* agent_rate_note - one message is being sent at now (now_ms) */
static void
agent_rate_note(struct agent *a, int64_t now)
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

/* agent_rate_log - say once per wait that the rate limit holds mail */
static void
agent_rate_log(struct agent *a, int64_t wait)
{
	if (!a->rate_logged)
		log_info("rate limit of %u per %llus reached: waiting %.1fs",
		    a->conf.rate_limit, (unsigned long long)a->conf.rate_period,
		    (double)wait / 1000.0);
	a->rate_logged = true;
}

/*
 * agent_mark_down, agent_mark_up - the main process changes relay i's
 * state (queue_relay_down/up) and, on a change of state (not on every
 * failed attempt), runs alert_command
 */
static void
agent_mark_down(struct agent *a, size_t i, const char *reason,
    uint64_t now)
{
	struct alert_facts	f;
	const struct queue_relay *r;

	a->metrics_dirty = true;
	if (!queue_relay_down(&a->relays, i, reason, now, a->conf.retry_min,
	    a->conf.retry_max, a->conf.spool_dir))
		return;
	r = &a->relays.r[i];
	memset(&f, 0, sizeof(f));
	f.relay = r->name;
	f.down = true;
	f.now = now;
	f.down_since = r->down_since;
	f.failures = r->failures;
	f.next_try = r->next_try;
	f.reason = r->reason;
	(void)alert_run(&a->conf, &f);
}

static void
agent_mark_up(struct agent *a, size_t i, uint64_t now)
{
	struct alert_facts	f;
	struct queue_relay	was;

	a->metrics_dirty = true;
	if (i >= a->relays.n)
		return;
	was = a->relays.r[i];
	if (!queue_relay_up(&a->relays, i, now, a->conf.spool_dir))
		return;
	memset(&f, 0, sizeof(f));
	f.relay = was.name;
	f.down = false;
	f.now = now;
	f.down_since = was.down_since;
	f.failures = was.failures;
	f.reason = was.reason;
	(void)alert_run(&a->conf, &f);
}

/*
 * agent_relay_down - relay i failed: in a worker, tell the main process
 * (which keeps the relay state) and stop using it for this job;
 * otherwise back it off here.
 */
static void
agent_relay_down(struct agent *a, size_t i, const char *reason,
    uint64_t now)
{
	struct pool_msg	msg;

	if (a->worker_fd == -1) {
		agent_mark_down(a, i, reason, now);
		return;
	}
	if (i < a->relays.n) {
		a->relays.r[i].down = true;
		a->relays.r[i].next_try = UINT64_MAX;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_DOWN;
	msg.relay = (unsigned)i;
	(void)str_copy(msg.reason, reason, sizeof(msg.reason));
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report relay %zu down", i);
}

/* agent_relay_up - relay i worked (in a worker: tell the main process) */
static void
agent_relay_up(struct agent *a, size_t i, uint64_t now)
{
	struct pool_msg	msg;

	if (a->worker_fd == -1) {
		agent_mark_up(a, i, now);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_UP;
	msg.relay = (unsigned)i;
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report relay %zu up", i);
}

/*
 * agent_session - an open session to the first relay usable by usable_by
 * (now, or --once's start time, so that a relay put into back-off during
 * a --once run is not tried again in it), opening one if needed.
 * Returns false when no relay can be used now.
 */
static bool
agent_session(struct agent *a, uint64_t now, uint64_t usable_by)
{
	struct why	why;
	size_t		i;

	if (session_is_open(&a->sess) &&
	    a->sess.messages < a->conf.session_max_messages)
		return true;
	session_close(&a->sess);
	for (i = 0; i < a->relays.n; i++) {
		if (!queue_relay_usable(&a->relays, i, usable_by))
			continue;
		why_clear(&why);
		if (session_open(&a->sess, &a->conf, i, a->tls[i],
		    &why) == 0) {
			agent_relay_up(a, i, now);
			return true;
		}
		if (a->stop)
			return false;	/* our SIGTERM, not the relay's fault */
		agent_relay_down(a, i, why.text, now);
	}
	return false;
}

/*
 * agent_outcome - an attempt over relay i ended with sent, deferred and
 * bounced recipients: the relay's last_sent, the metrics' counters (in a
 * worker: told to the main process, which keeps both)
 */
static void
agent_outcome(struct agent *a, size_t i, uint64_t now,
    const struct metrics_counters *d)
{
	struct pool_msg	msg;

	if (d->delivered + d->deferred + d->bounced == 0)
		return;
	if (a->worker_fd == -1) {
		a->counters.delivered += d->delivered;
		a->counters.deferred += d->deferred;
		a->counters.bounced += d->bounced;
		a->metrics_dirty = true;
		if (d->delivered > 0)
			queue_relay_sent(&a->relays, i, now,
			    a->conf.spool_dir);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_SENT;
	msg.relay = (unsigned)i;
	msg.sent = d->delivered;
	msg.deferred = d->deferred;
	msg.bounced = d->bounced;
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report the outcome over relay %zu", i);
}

/* agent_rcpt_count - recipients of m in state st */
static uint64_t
agent_rcpt_count(const struct queue_msg *m, enum spool_rcpt_state st)
{
	uint64_t n = 0;
	size_t	 i;

	for (i = 0; i < m->state.nrcpts; i++)
		if (m->state.rcpts[i].state == st)
			n++;
	return n;
}

/* what agent_deliver_one did */
enum agent_try {
	AGENT_TRIED,		/* a transaction was attempted */
	AGENT_SKIPPED,		/* settled, set aside, gone or busy */
	AGENT_BLOCKED,		/* no relay can be used now */
};

/*
 * agent_deliver_one - claim qid and deliver it over the cached session;
 * relays are judged usable by usable_by (see agent_session)
 */
static enum agent_try
agent_deliver_one(struct agent *a, const struct qid *qid, uint64_t now,
    uint64_t usable_by)
{
	struct deliver_ctx	ctx;
	struct queue_msg	m;
	struct buf		err;
	struct why		why;
	enum agent_try		rc = AGENT_TRIED;
	struct metrics_counters	d;
	uint64_t		sent, failed;
	size_t			relay;

	buf_init(&err, AGENT_ERR_MAX);
	if (queue_claim(&a->queue, qid, &m, &err) == -1) {
		buf_free(&err);
		return AGENT_SKIPPED;	/* set aside, gone or busy: logged */
	}
	buf_free(&err);
	ctx.conf = &a->conf;
	ctx.queue = &a->queue;
	ctx.now = now;
	if (deliver_settle(&ctx, &m)) {
		rc = AGENT_SKIPPED;
		goto out;
	}
	if (!agent_session(a, now, usable_by)) {
		rc = AGENT_BLOCKED;
		goto out;
	}
	why_clear(&why);
	sent = agent_rcpt_count(&m, SPOOL_RCPT_SENT);
	failed = agent_rcpt_count(&m, SPOOL_RCPT_FAILED);
	relay = a->sess.relay_index;
	if (deliver_message(&ctx, &a->sess, &m, &why) ==
	    DELIVER_RELAY_FAULT) {
		session_abort(&a->sess);
		if (!a->stop)
			agent_relay_down(a, relay, why.text, now);
	} else {
		/* recipients deferred now are this attempt's deferrals */
		d.delivered = agent_rcpt_count(&m, SPOOL_RCPT_SENT) - sent;
		d.bounced = agent_rcpt_count(&m, SPOOL_RCPT_FAILED) - failed;
		d.deferred = agent_rcpt_count(&m, SPOOL_RCPT_DEFERRED);
		agent_outcome(a, relay, agent_now(), &d);
	}
out:
	queue_msg_free(&m);
	return rc;
}

/*
 * agent_run_due - concurrency 1: deliver every message due by
 * min(now, due_by) (--once passes its start time, so a message deferred
 * in this run is not retried in it).  Returns the milliseconds to wait
 * for the rate limit (0: none), and sets *blocked when messages are due
 * but no relay is usable.
 */
static int64_t
agent_run_due(struct agent *a, uint64_t due_by, bool *blocked)
{
	struct qid	qid;
	uint64_t	now;
	int64_t		wait;

	*blocked = false;
	for (;;) {
		agent_signals(a);
		if (a->stop || a->reload)
			break;
		now = agent_now();
		if (!queue_next_due(&a->queue, now < due_by ? now : due_by,
		    &qid))
			break;
		if ((wait = agent_rate_wait(a, now_ms())) > 0) {
			agent_rate_log(a, wait);
			return wait;
		}
		a->rate_logged = false;
		switch (agent_deliver_one(a, &qid, now,
		    now < due_by ? now : due_by)) {
		case AGENT_TRIED:
			agent_rate_note(a, now_ms());
			break;
		case AGENT_BLOCKED:
			*blocked = true;
			return 0;
		case AGENT_SKIPPED:
		default:
			break;
		}
	}
	return 0;
}

/* ---- concurrency > 1: the workers -------------------------------------- */

/* agent_worker_job - in a worker: one job, then its Q records */
static void
agent_worker_job(struct agent *a, const struct pool_msg *job)
{
	struct pool_msg	msg;
	size_t		i;
	uint64_t	now = agent_now();
	bool		reported = false;

	/* the main process keeps the relay state: use what it allows */
	for (i = 0; i < a->relays.n; i++) {
		a->relays.r[i].down = (job->relay_mask & (1U << i)) == 0;
		a->relays.r[i].next_try = a->relays.r[i].down ? UINT64_MAX : 0;
	}
	queue_clear(&a->queue);
	queue_schedule(&a->queue, &job->qid, now);
	(void)agent_deliver_one(a, &job->qid, now, now);
	/* the job and anything this worker queued (DSNs), the job last */
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_DONE;
	for (i = 0; i < a->queue.n; i++) {
		if (strcmp(a->queue.v[i].qid.s, job->qid.s) == 0)
			continue;
		msg.qid = a->queue.v[i].qid;
		msg.next = a->queue.v[i].next;
		if (pool_send(a->worker_fd, &msg) == -1)
			log_warn("worker: report %s", msg.qid.s);
	}
	msg.qid = job->qid;
	msg.next = POOL_UNSCHEDULED;
	for (i = 0; i < a->queue.n && !reported; i++)
		if (strcmp(a->queue.v[i].qid.s, job->qid.s) == 0) {
			msg.next = a->queue.v[i].next;
			reported = true;
		}
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report %s", msg.qid.s);
	queue_clear(&a->queue);
}

/*
 * agent_worker - a worker process: jobs from fd until end of file or
 * SIGTERM/SIGINT (read between jobs), QUIT after session_idle.
 */
static void
agent_worker(int fd, void *arg)
{
	struct agent	*a = arg;
	struct pool_msg	 job;
	struct pollfd	 pfd[2];
	sigset_t	 set;
	int64_t		 idle;
	int		 r, sfd;

	a->worker_fd = fd;
	a->nworkers = 0;
	{
		/* the parent's schedule is not ours */
		char	*spool = xstrdup(a->queue.spool_dir);
		bool	 check = a->queue.check_gid;

		queue_free(&a->queue);
		queue_init(&a->queue, spool, a->drop_gid, a->agent_gid, check);
		free(spool);
	}
	session_init(&a->sess);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal_errno(EX_OSERR, "worker: signalfd");
	conn_set_stop(sfd, agent_worker_stopping, a);
	log_debug("worker %ld started", (long)getpid());
	while (!a->stop) {
		idle = -1;
		if (session_is_open(&a->sess)) {
			idle = a->sess.idle_since_ms +
			    (int64_t)a->conf.session_idle * 1000 - now_ms();
			if (idle < 0)
				idle = 0;
		}
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, idle > INT_MAX ? INT_MAX : (int)idle) == -1) {
			if (errno == EINTR)
				continue;
			fatal_errno(EX_OSERR, "worker: poll");
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				a->stop = true;
			if (a->stop)
				break;
		}
		if (session_is_open(&a->sess) && now_ms() >=
		    a->sess.idle_since_ms + (int64_t)a->conf.session_idle *
		    1000)
			session_close(&a->sess);
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((r = pool_recv(fd, &job)) == 0)
			break;		/* the main process is done with us */
		if (r == -1) {
			if (errno == EAGAIN)
				continue;
			log_warn("worker: read a job");
			break;
		}
		if (job.kind != POOL_MSG_JOB) {
			log_warnx("worker: unexpected record '%c'", job.kind);
			break;
		}
		agent_worker_job(a, &job);
	}
	session_close(&a->sess);
	conn_set_stop(-1, NULL, NULL);
	close(sfd);
	queue_free(&a->queue);
	agent_tls_free(a->tls);
	conf_free(&a->conf);
	free(a->rate);
	auth_global_done();
	log_debug("worker %ld stopped", (long)getpid());
}

/* agent_park_busy - jobs that are out are never due in the main process */
static void
agent_park_busy(struct agent *a)
{
	unsigned i;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].pid > 0 && a->workers[i].busy)
			queue_schedule(&a->queue, &a->workers[i].qid,
			    UINT64_MAX);
}

/* agent_worker_gone - a worker's socket closed: reap, requeue its job */
static void
agent_worker_gone(struct agent *a, unsigned i)
{
	struct pool_worker *w = &a->workers[i];
	bool		 busy = w->busy;
	struct qid	 qid = w->qid;
	int		 st;

	st = pool_reap(w);
	a->died_ms[i] = now_ms();
	if (busy) {
		log_error("worker %u ended (status %d) during %s: it is tried "
		    "again in %llus", i, st, qid.s,
		    (unsigned long long)a->conf.retry_min);
		queue_schedule(&a->queue, &qid, agent_now() +
		    a->conf.retry_min);
	} else if (!a->stop && !a->reload &&
	    !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		log_error("worker %u ended (status %d)", i, st);
}

/* agent_worker_record - act on one record from worker i */
static void
agent_worker_record(struct agent *a, unsigned i, const struct pool_msg *m)
{
	struct pool_worker *w = &a->workers[i];
	uint64_t	 now = agent_now();
	struct queue_relay *r;

	switch (m->kind) {
	case POOL_MSG_DONE:
		if (w->busy && strcmp(w->qid.s, m->qid.s) == 0)
			w->busy = false;
		if (m->next == POOL_UNSCHEDULED)
			queue_unschedule(&a->queue, &m->qid);
		else
			queue_schedule(&a->queue, &m->qid, m->next);
		break;
	case POOL_MSG_RELAY_UP:
		agent_mark_up(a, m->relay, now);
		break;
	case POOL_MSG_RELAY_SENT: {
		struct metrics_counters d = { m->sent, m->deferred,
		    m->bounced };

		agent_outcome(a, m->relay, now, &d);
		break;
	}
	case POOL_MSG_RELAY_DOWN:
		if (m->relay >= a->relays.n)
			break;
		r = &a->relays.r[m->relay];
		/* another worker already backed it off: once is enough */
		if (r->down && r->next_try > now)
			break;
		agent_mark_down(a, m->relay, m->reason, now);
		break;
	case POOL_MSG_JOB:
	default:
		log_warnx("worker %u: unexpected record '%c'", i, m->kind);
		break;
	}
}

/* agent_worker_read - every record worker i has sent; reap it at EOF */
static void
agent_worker_read(struct agent *a, unsigned i)
{
	struct pool_msg	m;
	int		r;

	while (a->workers[i].fd != -1) {
		r = pool_recv(a->workers[i].fd, &m);
		if (r == 1) {
			agent_worker_record(a, i, &m);
			continue;
		}
		if (r == -1 && errno == EAGAIN)
			return;
		if (r == -1)
			log_warn("worker %u: read", i);
		agent_worker_gone(a, i);
	}
}

/* agent_workers_stop - let every worker finish its job, then reap it */
static void
agent_workers_stop(struct agent *a)
{
	unsigned	i;
	int		flags;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].fd != -1)
			(void)shutdown(a->workers[i].fd, SHUT_WR);
	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].fd == -1)
			continue;
		/* blocking: each stage of a transaction is bounded */
		if ((flags = fcntl(a->workers[i].fd, F_GETFL)) != -1)
			(void)fcntl(a->workers[i].fd, F_SETFL,
			    flags & ~O_NONBLOCK);
		agent_worker_read(a, i);
	}
}

/* agent_worker_idle - an idle worker slot, spawning one if needed */
static struct pool_worker *
agent_worker_idle(struct agent *a)
{
	int		 fds[5 + POOL_WORKERS_MAX];
	size_t		 nfds = 0;
	unsigned	 i, j;

	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].pid > 0) {
			if (!a->workers[i].busy)
				return &a->workers[i];
			continue;
		}
		if (a->died_ms[i] != 0 &&
		    now_ms() - a->died_ms[i] < AGENT_RESPAWN_MS)
			continue;
		fds[nfds++] = a->sig_fd;
		fds[nfds++] = a->ino_fd;
		fds[nfds++] = a->fifo_fd;
		fds[nfds++] = a->admin_fd;
		fds[nfds++] = a->ctl.fd;	/* only the main loop accepts */
		for (j = 0; j < a->nworkers; j++)
			if (a->workers[j].fd != -1)
				fds[nfds++] = a->workers[j].fd;
		if (pool_spawn(&a->workers[i], agent_worker, a, fds,
		    nfds) == -1) {
			log_warn("start delivery worker %u", i);
			a->died_ms[i] = now_ms();
			return NULL;
		}
		return &a->workers[i];
	}
	return NULL;
}

/* agent_workers_busy - how many jobs are out */
static unsigned
agent_workers_busy(const struct agent *a)
{
	unsigned i, n = 0;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].pid > 0 && a->workers[i].busy)
			n++;
	return n;
}

/*
 * agent_dispatch - concurrency > 1: hand due messages (due by
 * min(now, due_by)) to idle workers.  Returns the milliseconds to wait
 * for the rate limit (0: none); *blocked when messages are due but no
 * relay is usable.
 */
static int64_t
agent_dispatch(struct agent *a, uint64_t due_by, bool *blocked)
{
	struct pool_worker *w;
	struct pool_msg	 job;
	struct qid	 qid;
	uint64_t	 now;
	int64_t		 wait;
	uint32_t	 mask;
	size_t		 i;

	*blocked = false;
	a->saturated = false;
	for (;;) {
		/* signals: read by agent_wait; handing out never blocks */
		if (a->stop || a->reload)
			break;
		agent_park_busy(a);
		now = agent_now();
		if (!queue_next_due(&a->queue, now < due_by ? now : due_by,
		    &qid))
			break;
		/* --once judges relays by its start time, like messages */
		for (mask = 0, i = 0; i < a->relays.n; i++)
			if (queue_relay_usable(&a->relays, i,
			    now < due_by ? now : due_by))
				mask |= 1U << i;
		if (mask == 0) {
			*blocked = true;
			break;
		}
		if ((wait = agent_rate_wait(a, now_ms())) > 0) {
			agent_rate_log(a, wait);
			return wait;
		}
		a->rate_logged = false;
		if ((w = agent_worker_idle(a)) == NULL) {
			/* a worker's report or a slot's rest wakes us */
			a->saturated = true;
			break;
		}
		memset(&job, 0, sizeof(job));
		job.kind = POOL_MSG_JOB;
		job.qid = qid;
		job.relay_mask = mask;
		if (pool_send(w->fd, &job) == -1) {
			log_warn("hand %s to a worker", qid.s);
			agent_worker_gone(a, (unsigned)(w - a->workers));
			continue;
		}
		w->busy = true;
		w->qid = qid;
		agent_rate_note(a, now_ms());
	}
	return 0;
}

/* agent_due - deliver or dispatch, by concurrency */
static int64_t
agent_due(struct agent *a, uint64_t due_by, bool *blocked)
{
	if (a->nworkers > 0)
		return agent_dispatch(a, due_by, blocked);
	return agent_run_due(a, due_by, blocked);
}

/* agent_set_concurrency - workers for conf concurrency > 1 */
static void
agent_set_concurrency(struct agent *a)
{
	unsigned i;

	a->nworkers = a->conf.concurrency > 1 ? a->conf.concurrency : 0;
	if (a->nworkers > POOL_WORKERS_MAX)
		a->nworkers = POOL_WORKERS_MAX;
	for (i = 0; i < POOL_WORKERS_MAX; i++) {
		a->workers[i].fd = -1;
		a->workers[i].pid = 0;
		a->workers[i].busy = false;
		a->died_ms[i] = 0;
	}
	if (a->nworkers > 0)
		log_info("concurrency = %u: up to %u sessions in parallel, "
		    "one per worker process", a->nworkers, a->nworkers);
}

/*
 * agent_metrics - write [monitoring] prometheus_textfile when something
 * changed since the last write, at most every METRICS_MIN_MS (force: now,
 * at the end of a --once run); main process only.  A failure is logged
 * once, and its end too; delivery never waits for it.
 */
static void
agent_metrics(struct agent *a, bool force)
{
	struct metrics_snapshot	s;
	struct buf		out, err;
	int64_t			ms = now_ms();
	size_t			i;
	int			rc;

	if (a->worker_fd != -1 || a->conf.prometheus_textfile == NULL ||
	    a->conf.prometheus_textfile[0] == '\0')
		return;
	if (!force && (!a->metrics_dirty || (a->metrics_ms != 0 &&
	    ms - a->metrics_ms < METRICS_MIN_MS)))
		return;
	a->metrics_dirty = false;
	a->metrics_ms = ms;
	memset(&s, 0, sizeof(s));
	s.now = agent_now();
	buf_init(&err, AGENT_ERR_MAX);
	buf_init(&out, (size_t)64 << 10);
	if (metrics_queue(a->conf.spool_dir, s.now, &s.queued,
	    &s.oldest_age) == -1) {
		buf_note(&err, "prometheus_textfile: count the queue in %s: %s",
		    a->conf.spool_dir, strerror(errno));
		rc = -1;
	} else {
		s.counters = a->counters;
		for (i = 0; i < a->relays.n && i < METRICS_RELAYS_MAX; i++) {
			s.relays[i].name = a->relays.r[i].name;
			s.relays[i].down = a->relays.r[i].down;
			s.relays[i].down_since = a->relays.r[i].down_since;
		}
		s.nrelays = i;
		rc = metrics_format(&out, &s);
		if (rc == -1)
			buf_note(&err, "prometheus_textfile: the text does not "
			    "fit in %zu bytes", out.max);
		else
			rc = metrics_write(a->conf.prometheus_textfile,
			    out.data, out.len, &err);
	}
	if (rc == -1 && !a->metrics_failed)
		log_warnx("%s (logged once until it works again)",
		    agent_chomp(&err));
	else if (rc == 0 && a->metrics_failed)
		log_info("prometheus_textfile: %s written again",
		    a->conf.prometheus_textfile);
	a->metrics_failed = rc == -1;
	buf_free(&out);
	buf_free(&err);
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
	a->metrics_dirty = true;
	log_debug("scan: %d messages queued", n);
	if (a->flush)
		agent_flush(a);
}

/*
 * agent_respawn_ms - milliseconds until a dead worker's slot has rested
 * (AGENT_RESPAWN_MS), or -1 when no slot rests
 */
static int64_t
agent_respawn_ms(const struct agent *a, int64_t now)
{
	int64_t	 ms = -1, end;
	unsigned i;

	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].pid > 0 || a->died_ms[i] == 0)
			continue;
		end = a->died_ms[i] + AGENT_RESPAWN_MS - now;
		if (end < 0)
			end = 0;
		if (ms == -1 || end < ms)
			ms = end;
	}
	return ms;
}

/*
 * agent_timeout_ms - how long poll may sleep: until the next scan, the
 * next message due (or, when messages wait for a relay, the relay's next
 * try), the rate limit's end, the session's idle end.  When every
 * worker is busy (a->saturated), a message that is due waits for a
 * worker: the worker's report wakes poll, so due messages set no timer,
 * only a dead worker's slot that rests does; when the rate limit holds
 * them, its end is their timer.  This never returns 0 unless something
 * can be done now.
 */
static int
agent_timeout_ms(struct agent *a, uint64_t now, int64_t rate_wait,
    bool blocked)
{
	uint64_t next = a->last_scan + a->conf.scan_interval, t;
	int64_t	 idle_end, ms, respawn, trig;

	t = queue_next_time(&a->queue);
	if (blocked)
		t = queue_relays_next_try(&a->relays);
	else if (a->saturated || rate_wait > 0)
		t = UINT64_MAX;	/* due ones wait for a worker, the rate */
	if (t < next)
		next = t;
	ms = next <= now ? 0 : next - now > INT_MAX / 1000 ? INT_MAX :
	    (int64_t)(next - now) * 1000;
	if (rate_wait > 0 && rate_wait < ms)
		ms = rate_wait;
	if (a->saturated && !blocked &&
	    (respawn = agent_respawn_ms(a, now_ms())) != -1 && respawn < ms)
		ms = respawn;
	if ((trig = agent_trigger_wait_ms(a, now_ms())) != -1 && trig < ms)
		ms = trig;
	if (session_is_open(&a->sess)) {
		idle_end = a->sess.idle_since_ms +
		    (int64_t)a->conf.session_idle * 1000 - now_ms();
		if (idle_end < 0)
			idle_end = 0;
		if (idle_end < ms)
			ms = idle_end;
	}
	if (a->metrics_dirty && a->conf.prometheus_textfile != NULL &&
	    a->conf.prometheus_textfile[0] != '\0') {
		int64_t m = a->metrics_ms + METRICS_MIN_MS - now_ms();

		if (m < 0)
			m = 0;
		if (m < ms)
			ms = m;
	}
	if (ms > INT_MAX)
		ms = INT_MAX;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * agent_wait - poll the signals, inotify, the FIFO and the workers for
 * at most timeout ms, then act on what came in.
 */
static void
agent_wait(struct agent *a, int timeout)
{
	struct pollfd	pfd[5 + POOL_WORKERS_MAX];
	int		wfd[POOL_WORKERS_MAX];
	unsigned	i;
	int		nfd = 0, fifo = -1, admin = -1, ctl = -1, n;

	pfd[nfd].fd = a->sig_fd;
	pfd[nfd++].events = POLLIN;
	pfd[nfd].fd = a->ino_fd;
	pfd[nfd++].events = POLLIN;
	/* the world's FIFO waits while a request from it waits */
	if (a->fifo_fd != -1 && !a->trig_pending) {
		fifo = nfd;
		pfd[nfd].fd = a->fifo_fd;
		pfd[nfd++].events = POLLIN;
	}
	if (a->admin_fd != -1) {
		admin = nfd;
		pfd[nfd].fd = a->admin_fd;
		pfd[nfd++].events = POLLIN;
	}
	if (a->ctl.fd != -1) {
		ctl = nfd;
		pfd[nfd].fd = a->ctl.fd;
		pfd[nfd++].events = POLLIN;
	}
	for (i = 0; i < a->nworkers; i++) {
		wfd[i] = -1;
		if (a->workers[i].fd == -1)
			continue;
		wfd[i] = nfd;
		pfd[nfd].fd = a->workers[i].fd;
		pfd[nfd++].events = POLLIN;
	}
	if ((n = poll(pfd, (nfds_t)nfd, timeout)) == -1) {
		if (errno != EINTR)
			fatal_errno(EX_OSERR, "poll");
		return;
	}
	if (n > 0)
		a->metrics_dirty = true;	/* mail came, or a result */
	/* only what poll reported: a read that fails costs a system call */
	if (pfd[0].revents != 0)
		agent_signals(a);
	for (i = 0; i < a->nworkers; i++)
		if (wfd[i] != -1 && pfd[wfd[i]].revents != 0)
			agent_worker_read(a, i);
	if (pfd[1].revents != 0)
		agent_inotify(a, agent_now());
	if (fifo != -1 && (pfd[fifo].revents & POLLIN))
		agent_trigger(a);
	if (admin != -1 && (pfd[admin].revents & POLLIN))
		agent_trigger_admin(a);
	if (ctl != -1 && (pfd[ctl].revents & POLLIN))
		ctlsock_accept(&a->ctl);
}

/* agent_loop - the daemon */
static void
agent_loop(struct agent *a)
{
	uint64_t	now;
	int64_t		rate_wait;
	bool		blocked;

	agent_scan(a, agent_now());
	while (!a->stop) {
		if (a->reload) {
			agent_workers_stop(a);
			agent_reload(a);
			agent_set_concurrency(a);
		}
		agent_trigger_due(a, now_ms());
		now = agent_now();
		if (now >= a->last_scan + a->conf.scan_interval ||
		    a->last_scan == 0)
			agent_scan(a, now);
		rate_wait = agent_due(a, UINT64_MAX, &blocked);
		if (a->stop)
			break;
		if (a->reload)
			continue;
		if (session_is_open(&a->sess) && now_ms() >=
		    a->sess.idle_since_ms + (int64_t)a->conf.session_idle *
		    1000)
			session_close(&a->sess);
		agent_park_busy(a);
		agent_metrics(a, false);
		now = agent_now();
		agent_wait(a, agent_timeout_ms(a, now, rate_wait, blocked));
	}
	agent_workers_stop(a);
}

/*
 * agent_relays_restore - at start, with the spool lock held: the relays'
 * back-off and "down since" from state/relays (so --once runs and
 * restarts keep them), and a flush saved while no agent ran
 */
static void
agent_relays_restore(struct agent *a)
{
	const char	*files[2] = { a->conf_path, a->conf.secrets_file };
	struct timespec	 changed = { 0, 0 };
	struct stat	 sb;
	size_t		 i;

	/* the newest of the configuration and the secrets */
	for (i = 0; i < 2; i++)
		if (files[i] != NULL && stat(files[i], &sb) == 0 &&
		    (sb.st_mtim.tv_sec > changed.tv_sec ||
		    (sb.st_mtim.tv_sec == changed.tv_sec &&
		    sb.st_mtim.tv_nsec > changed.tv_nsec)))
			changed = sb.st_mtim;
	queue_relays_load(&a->relays, a->conf.spool_dir, agent_now(),
	    a->conf.retry_max, &changed);
	if (queue_relays_flush_take(a->conf.spool_dir))
		a->flush = a->flush_relays = true;
}

/* agent_once - deliver what is due now, then exit */
static void
agent_once(struct agent *a)
{
	bool	blocked;
	int64_t	wait;
	uint64_t start = agent_now();

	agent_scan(a, start);
	for (;;) {
		wait = agent_due(a, start, &blocked);
		if (a->reload)
			a->reload = false;	/* one shot: nothing to reload */
		if (a->stop)
			break;
		if (agent_workers_busy(a) > 0) {
			/* results, signals; the rate limit's end */
			agent_wait(a, wait > 0 ? (int)(wait > INT_MAX ?
			    INT_MAX : wait) : -1);
			continue;
		}
		if (blocked || wait == 0)
			break;
		/* the rate limit delays, never fails: sleep it off */
		log_info("--once: waiting %.1fs for the rate limit",
		    (double)wait / 1000.0);
		(void)poll(NULL, 0, wait > INT_MAX ? INT_MAX : (int)wait);
	}
	agent_workers_stop(a);
	agent_metrics(a, true);
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
	int		 ch, i, lock_fd;

	memset(&a, 0, sizeof(a));
	a.conf_path = CONFDIR "/postern.conf";
	a.sig_fd = a.ino_fd = a.fifo_fd = a.admin_fd = a.worker_fd = -1;
	a.drop_gid = a.agent_gid = (gid_t)-1;
	log_init(AGENT_NAME, LOG_TO_STDERR);
	/* the diagnosis has its own options and keeps this uid (check.h) */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check") == 0)
			return check_main(argc, argv);
	if (argc == 3 && strcmp(argv[1], "--layout") == 0)
		return agent_layout_main(argv[2]);
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
		agent_drop_privileges(&a);
		conf_free(&a.conf);
	} else {
		agent_not_drop_group();
		a.agent_gid = getegid();
	}
	if (geteuid() == 0 || getuid() == 0)
		fatal_exit(EX_SOFTWARE, "still root after the privilege drop: "
		    "refusing to run");
	if (agent_load(a.conf_path, &a.conf, a.tls, &err) == -1)
		fatal_exit(EX_CONFIG, "%s", agent_chomp(&err));
	buf_free(&err);
	auth_global_configure(&a.conf);
	agent_log_setup(&a);
	if (!a.privileged) {
		agent_mkfifo(a.conf.spool_dir, (uid_t)-1, (gid_t)-1);
		agent_mkfifo_admin(a.conf.spool_dir, (uid_t)-1, (gid_t)-1);
	}
	agent_set_concurrency(&a);
	queue_init(&a.queue, a.conf.spool_dir, a.drop_gid, a.agent_gid,
	    a.privileged);
	queue_relays_init(&a.relays, &a.conf);
	session_init(&a.sess);
	if (chdir(a.conf.spool_dir) == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", a.conf.spool_dir);
	if ((lock_fd = agent_lock(a.conf.spool_dir)) == -1) {
		if (!a.once)
			fatal_exit(EX_UNAVAILABLE, "another %s is already "
			    "delivering spool %s: stop it first (systemctl "
			    "stop postern)", AGENT_NAME, a.conf.spool_dir);
		log_info("another %s is delivering spool %s: nothing to do",
		    AGENT_NAME, a.conf.spool_dir);
		queue_free(&a.queue);
		agent_tls_free(a.tls);
		conf_free(&a.conf);
		free(a.rate);
		auth_global_done();
		return 0;
	}
	(void)queue_fix_modes(&a.queue);
	agent_relays_restore(&a);
	agent_open_fds(&a);
	a.ctl.fd = -1;
	if (!a.once)
		ctlsock_open(&a.ctl, a.conf.spool_dir, a.conf.path);
	conn_set_stop(a.sig_fd, agent_stopping, &a);
	log_info("started%s, spool %s, %zu relay(s)", a.once ? " (--once)" :
	    "", a.conf.spool_dir, a.conf.nrelays);

	if (a.once)
		agent_once(&a);
	else
		agent_loop(&a);

	ctlsock_close(&a.ctl);
	session_close(&a.sess);
	queue_free(&a.queue);
	agent_tls_free(a.tls);
	conf_free(&a.conf);
	free(a.rate);
	auth_global_done();
	if (a.fifo_fd != -1)
		close(a.fifo_fd);
	if (a.admin_fd != -1)
		close(a.admin_fd);
	close(a.ino_fd);
	close(a.sig_fd);
	close(lock_fd);
	log_info("stopped");
	return 0;
}
