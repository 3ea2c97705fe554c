/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_setup.c - posternd's set-up and shutdown: `posternd --layout`,
 * the spool tree and the trigger FIFOs made through descriptors, the
 * drop from root to POSTERN_USER and POSTERN_GROUP for good (never
 * holding the drop group: it could not read the mail postern-drop
 * queues, spool.h), the configuration with its secrets and TLS clients,
 * the spool lock (one agent per spool), the signalfd, inotify and the
 * FIFOs' descriptors, and everything released at the end.
 *
 * Must never keep root, nor the drop group, past agent_configure; must
 * never follow a symbolic link or chown by path as root in a directory
 * the agent's user owns.  Calls no other agent_*.c file.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "auth.h"
#include "log.h"
#include "spool.h"
#include "util.h"

#define AGENT_MODE_FIFO		0622
#define AGENT_MODE_ADMIN_FIFO	0620	/* spool/flush: root and the group */

/* agent_chomp - the error text without trailing line ends */
const char *
agent_chomp(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
	    b->data[b->len - 1] == '\r'))
		buf_truncate(b, b->len - 1);
	return buf_cstr(b);
}

/* agent_tls_free - release the per-relay TLS clients */
void
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
int
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

/* agent_log_setup - stderr in the foreground or --once, else syslog */
void
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
 * is refused, never followed.
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
		    (unsigned)(sb.st_mode & S_IFMT),
		    (unsigned long)sb.st_nlink);
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
int
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
		fatal_exit(EX_CONFIG, "groups '%s' and '%s' are the same "
		    "group: postern-drop's group must be a group of its own",
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
 * agent_configure - privileges and configuration.  Started as root: the
 * public configuration, the spool tree and the FIFOs, then the drop to
 * the agent's user; unprivileged: refuse the drop group.  Then, as the
 * agent's user, the configuration with its secrets and TLS clients, the
 * log targets and (unprivileged) the FIFOs.  Fatal on any failure.
 */
void
agent_configure(struct agent *a)
{
	struct buf	err;

	a->privileged = geteuid() == 0;
	buf_init(&err, AGENT_ERR_MAX);
	if (a->privileged) {
		/* the public configuration first, secrets as the agent */
		if (conf_load(&a->conf, a->conf_path, true, &err) == -1)
			fatal_exit(EX_CONFIG, "%s", agent_chomp(&err));
		agent_drop_privileges(a);
		conf_free(&a->conf);
	} else {
		agent_not_drop_group();
		a->agent_gid = getegid();
	}
	if (geteuid() == 0 || getuid() == 0)
		fatal_exit(EX_SOFTWARE, "still root after the privilege drop: "
		    "refusing to run");
	if (agent_load(a->conf_path, &a->conf, a->tls, &err) == -1)
		fatal_exit(EX_CONFIG, "%s", agent_chomp(&err));
	buf_free(&err);
	auth_global_configure(&a->conf);
	agent_log_setup(a);
	if (!a->privileged) {
		agent_mkfifo(a->conf.spool_dir, (uid_t)-1, (gid_t)-1);
		agent_mkfifo_admin(a->conf.spool_dir, (uid_t)-1, (gid_t)-1);
	}
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

/* agent_release - the schedule, TLS clients, configuration, SASL */
static void
agent_release(struct agent *a)
{
	queue_free(&a->queue);
	agent_tls_free(a->tls);
	conf_free(&a->conf);
	free(a->rate);
	auth_global_done();
}

/*
 * agent_lock_spool - an empty schedule, relay table and session, then
 * into spool_dir and its lock.  Returns the lock's descriptor, or -1
 * when another agent holds it: fatal for the daemon; --once says so and
 * releases everything (there is nothing for it to do).
 */
int
agent_lock_spool(struct agent *a)
{
	int	lock_fd;

	queue_init(&a->queue, a->conf.spool_dir, a->drop_gid, a->agent_gid,
	    a->privileged);
	queue_relays_init(&a->relays, &a->conf);
	session_init(&a->sess);
	if (chdir(a->conf.spool_dir) == -1)
		fatal_errno(EX_CONFIG, "spool_dir %s", a->conf.spool_dir);
	if ((lock_fd = agent_lock(a->conf.spool_dir)) != -1)
		return lock_fd;
	if (!a->once)
		fatal_exit(EX_UNAVAILABLE, "another %s is already "
		    "delivering spool %s: stop it first (systemctl "
		    "stop postern)", AGENT_NAME, a->conf.spool_dir);
	log_info("another %s is delivering spool %s: nothing to do",
	    AGENT_NAME, a->conf.spool_dir);
	agent_release(a);
	return -1;
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
void
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

/*
 * agent_start - with the spool lock held: state files' modes, the relay
 * state, the descriptors, queue.sock (not for --once), the stop hook
 */
void
agent_start(struct agent *a)
{
	(void)queue_fix_modes(&a->queue);
	agent_relays_restore(a);
	agent_open_fds(a);
	a->ctl.fd = -1;
	a->octl.fd = -1;
	if (!a->once) {
		ctlsock_open(&a->ctl, a->conf.spool_dir, a->conf.path,
		    CTLSOCK_QUEUE);
		ctlsock_open(&a->octl, a->conf.spool_dir, a->conf.path,
		    CTLSOCK_OAUTH);
	}
	conn_set_stop(a->sig_fd, agent_stopping, a);
	log_info("started%s, spool %s, %zu relay(s)", a->once ? " (--once)" :
	    "", a->conf.spool_dir, a->conf.nrelays);
}

/* agent_shutdown - release everything, the lock last */
void
agent_shutdown(struct agent *a, int lock_fd)
{
	ctlsock_close(&a->ctl);
	ctlsock_close(&a->octl);
	session_close(&a->sess);
	agent_release(a);
	if (a->fifo_fd != -1)
		close(a->fifo_fd);
	if (a->admin_fd != -1)
		close(a->admin_fd);
	close(a->ino_fd);
	close(a->sig_fd);
	close(lock_fd);
	log_info("stopped");
}
