/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * drop.c - postern-drop: take one envelope + message from the front end on
 * stdin (the pipe protocol in spool.h) and commit it to spool/new/.
 *
 * WARNING WARNING WARNING: this is the only privileged code in postern.
 * It runs set-group-id to the drop group (POSTERN_DROP_GROUP, not the
 * agent's group), on behalf of any local user: that group may add to
 * tmp/ and new/ and nothing else, and cannot read the queue files (mode
 * 0604: its own group class is denied; see spool.h).
 * Everything the caller controls is hostile: fds, umask, environment,
 * signal dispositions, argv, rlimits, and every input byte.  It must never
 * run another program, never take a path from an elevated caller, never
 * trust an I/T/U/L/Z record, never touch the network, and never link
 * GnuTLS or libsasl2.  Keep it short enough to audit in one sitting.
 *
 * Sequence: sanitize the process, load CONFDIR/postern.conf, chdir to the
 * spool, parse the request envelope strictly, create tmp/QID (O_EXCL,
 * O_NOFOLLOW, 0604), write envelope + message, fsync, rename to new/QID,
 * fsync new/, print the qid, log one line, poke the agent's FIFO.
 * Any failure unlinks tmp/QID, prints one "postern-drop: fatal: uid=N:
 * ..." line (N the caller's uid; drop_die) and exits with a sysexits.h
 * code.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "header.h"
#include "io.h"
#include "log.h"
#include "qid.h"
#include "spool.h"
#include "util.h"

#define DROP_NAME		"postern-drop"
#define DROP_IN_MAX		(SPOOL_PIPE_CHUNK_MAX + SPOOL_PIPE_HEADER_MAX)
#define DROP_CREATE_TRIES	10
#define DROP_PATH_MAX		(sizeof("tmp/") + QID_LEN)

/* stdin, buffered; the body is copied through without being held */
#define DROP_HOST_MAX	256	/* host name in the Received: field */

struct drop_in {
	char	buf[DROP_IN_MAX];
	size_t	start, end;
};

/* the tmp file to remove on any failure; set only while we own it */
static char			drop_tmp[DROP_PATH_MAX];
static volatile sig_atomic_t	drop_armed;
static const char		*drop_spool = SPOOLDIR;	/* for messages */

/* drop_sig - signal handler: remove our tmp file, nothing else */
static void
drop_sig(int sig)
{
	(void)sig;
	if (drop_armed)
		(void)unlink(drop_tmp);
	_exit(EX_TEMPFAIL);
}

/*
 * drop_die - unlink the tmp file and exit with "postern-drop: fatal:
 * uid=N: ...", N the caller's real uid (as Postfix's postdrop names it):
 * every fatal line goes through here
 */
static void __attribute__((format(printf, 2, 3), noreturn))
drop_die(int code, const char *fmt, ...)
{
	char	msg[8192];	/* the configuration's errors: 4096 */
	va_list	ap;

	if (drop_armed) {
		drop_armed = 0;
		(void)unlink(drop_tmp);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fatal_exit(code, "uid=%lu: %s", (unsigned long)getuid(), msg);
}

/* drop_io_die - an I/O failure on spool path rel: code and fix by errno */
static void __attribute__((noreturn))
drop_io_die(const char *what, const char *rel)
{
	int		 e = errno, code;
	const char	*fix;

	switch (e) {
	case ENOSPC:
	case EDQUOT:
		code = EX_TEMPFAIL;
		fix = "free space on the spool filesystem";
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		code = EX_NOPERM;
		fix = "run `make install` as root, or check that "
		    SBINDIR "/" DROP_NAME " is set-group-id "
		    POSTERN_DROP_GROUP " and the spool's tmp/ and new/ belong "
		    "to that group";
		break;
	case ENOENT:
	case ENOTDIR:
		code = EX_CANTCREAT;
		fix = "create the spool directories (make install) or fix "
		    "spool_dir in postern.conf";
		break;
	case EIO:
		code = EX_TEMPFAIL;
		fix = "the disk reported an error: check the kernel log";
		break;
	default:
		code = EX_TEMPFAIL;
		fix = "try again later";
		break;
	}
	drop_die(code, "%s %s%s%s: %s: %s", what, drop_spool,
	    *rel != '\0' ? "/" : "", rel, strerror(e), fix);
}

/* drop_sanitize - the process state a hostile parent may have left us */
static void
drop_sanitize(void)
{
	struct sigaction sa;
	struct stat	 st;
	sigset_t	 all;
	int		 fd;

	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == -1 && (errno != EBADF ||
		    open("/dev/null", O_RDWR) != fd))
			_exit(EX_OSERR);
	umask(077);
	if (clearenv() != 0)
		_exit(EX_OSERR);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGXFSZ, &sa, NULL);	/* a low RLIMIT_FSIZE: EFBIG */
	sa.sa_handler = drop_sig;
	sigfillset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
}

/* drop_fill - read more of stdin; returns bytes read, 0 at end of file */
static size_t
drop_fill(struct drop_in *in)
{
	ssize_t	r;

	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == sizeof(in->buf))
		return 0;
	if ((r = io_read(0, in->buf + in->end, sizeof(in->buf) - in->end)) ==
	    -1)
		drop_die(EX_TEMPFAIL, "read from the front end: %s",
		    strerror(errno));
	in->end += (size_t)r;
	return (size_t)r;
}

/* drop_read_envelope - stdin up to and including the blank line */
static void
drop_read_envelope(struct drop_in *in, struct envelope *env)
{
	struct buf	 b, err;
	const char	*end = NULL;
	size_t		 from = 0, consumed;

	buf_init(&b, SPOOL_ENVELOPE_MAX);
	buf_init(&err, 1024);
	while (end == NULL) {
		if (in->end == in->start && drop_fill(in) == 0)
			break;
		if (buf_append(&b, in->buf + in->start, in->end - in->start)
		    == -1)
			drop_die(EX_DATAERR, "envelope longer than %zu bytes",
			    (size_t)SPOOL_ENVELOPE_MAX);
		in->start = in->end;
		if (b.data[0] == '\n')
			end = b.data - 1;	/* empty first line: refused */
		else if ((end = memmem(b.data + from, b.len - from, "\n\n",
		    2)) == NULL)
			from = b.len - 1;
	}
	if (end != NULL) {
		/* give back what follows the blank line */
		in->start = in->end - (b.len - (size_t)(end + 2 - b.data));
		b.len = (size_t)(end + 2 - b.data);
	}
	if (envelope_parse_request(b.data != NULL ? b.data : "", b.len, env,
	    &consumed, &err) == -1)
		drop_die(EX_DATAERR, "envelope from the front end refused: "
		    "%s", buf_cstr(&err));
	buf_free(&b);
	buf_free(&err);
}

/* drop_header - the next "C n" or "E n" line of the body stream */
static char
drop_header(struct drop_in *in, uint64_t *n)
{
	char	 line[SPOOL_PIPE_HEADER_MAX];
	char	*lf;
	size_t	 len;

	while ((lf = memchr(in->buf + in->start, '\n', in->end - in->start))
	    == NULL) {
		if (in->end - in->start >= SPOOL_PIPE_HEADER_MAX)
			drop_die(EX_DATAERR, "malformed chunk header from the "
			    "front end");
		if (drop_fill(in) == 0)
			drop_die(EX_DATAERR, "input ended before the end of "
			    "message marker (front end killed or aborted): "
			    "message discarded");
	}
	len = (size_t)(lf - (in->buf + in->start));
	if (len < 3 || len >= sizeof(line))
		drop_die(EX_DATAERR, "malformed chunk header from the front "
		    "end");
	memcpy(line, in->buf + in->start, len);
	line[len] = '\0';
	in->start += len + 1;
	if ((line[0] != 'C' && line[0] != 'E') || line[1] != ' ' ||
	    strspn(line + 2, "0123456789") != len - 2 ||
	    parse_uint(line + 2, line[0] == 'C' ? 1 : 0, line[0] == 'C' ?
	    SPOOL_PIPE_CHUNK_MAX : SPOOL_SIZE_MAX, n) == -1)
		drop_die(EX_DATAERR, "malformed chunk header from the front "
		    "end");
	return line[0];
}

/*
 * drop_received - append to out the trace field that opens every queued
 * message, like Postfix's pickup/cleanup: "Received: by HOST (postern,
 * from userid UID)" and, folded, "id QUEUEID; DATE".  The uid is the one
 * we recorded (getuid()), never anything the caller said; no login name,
 * no more than Postfix shows.  HOST is the configured hostname or, since
 * we resolve no names, gethostname().  Returns out's length before the
 * field.
 */
static size_t
drop_received(const struct conf *c, const struct envelope *env,
    struct buf *out)
{
	char	 host[DROP_HOST_MAX], date[HEADER_DATE_SIZE];
	size_t	 before = out->len;

	if (c->hostname != NULL && c->hostname[0] != '\0')
		(void)str_copy(host, c->hostname, sizeof(host));
	else if (gethostname(host, sizeof(host) - 1) == -1 || host[0] == '\0')
		(void)str_copy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (header_date((time_t)env->arrival, date, sizeof(date)) == -1)
		drop_die(EX_SOFTWARE, "cannot format the date");
	if (buf_printf(out, "Received: by %s (postern, from userid %lu)\n"
	    "\tid %s; %s\n", host, (unsigned long)env->uid, env->qid.s,
	    date) == -1)
		drop_die(EX_SOFTWARE, "cannot write the Received: field");
	return before;
}

/* drop_copy_body - chunks to fd until the end marker; returns the size */
static uint64_t
drop_copy_body(struct drop_in *in, int fd, uint64_t limit)
{
	uint64_t	 total = 0, n;
	const char	*p;
	size_t		 k;
	char		 last = '\0';

	while (drop_header(in, &n) == 'C') {
		if (total + n > limit)
			drop_die(EX_DATAERR, "message larger than "
			    "max_message_size (%llu bytes): raise "
			    "max_message_size in postern.conf or send a "
			    "smaller message", (unsigned long long)limit);
		while (n > 0) {
			if (in->end == in->start && drop_fill(in) == 0)
				drop_die(EX_DATAERR, "input ended inside a "
				    "chunk (front end killed): message "
				    "discarded");
			k = in->end - in->start;
			k = k < n ? k : (size_t)n;
			p = in->buf + in->start;
			if (memchr(p, '\0', k) != NULL ||
			    memchr(p, '\r', k) != NULL)
				drop_die(EX_DATAERR, "message contains a NUL "
				    "or CR byte: the front end must "
				    "normalise line endings");
			if (io_write_all(fd, p, k) == -1)
				drop_io_die("write", drop_tmp);
			last = p[k - 1];
			in->start += k;
			total += k;
			n -= k;
		}
	}
	if (n != total)
		drop_die(EX_DATAERR, "end marker says %llu bytes but %llu were "
		    "received", (unsigned long long)n,
		    (unsigned long long)total);
	if (total == 0 || last != '\n')
		drop_die(EX_DATAERR, "message is empty or does not end with a "
		    "line feed");
	if (in->end != in->start || drop_fill(in) != 0)
		drop_die(EX_DATAERR, "data after the end of message marker");
	return total;
}

/* drop_login - the real user's login name, or "#uid" */
static char *
drop_login(uid_t uid)
{
	struct passwd	*pw = getpwuid(uid);
	const char	*c;

	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0' &&
	    strlen(pw->pw_name) <= SPOOL_LOGIN_MAX) {
		for (c = pw->pw_name; *c != '\0'; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f)
				break;
		if (*c == '\0')
			return xstrdup(pw->pw_name);
	}
	return xasprintf("#%lu", (unsigned long)uid);
}

/* drop_poke - one byte into the agent's FIFO, if it listens; best effort */
static void
drop_poke(void)
{
	struct stat	st;
	int		fd;

	if (lstat(SPOOL_TRIGGER, &st) == -1 || !S_ISFIFO(st.st_mode))
		return;
	fd = open(SPOOL_TRIGGER, O_WRONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return;		/* ENXIO: no agent reading; it scans anyway */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    write(fd, "n", 1) == -1) {
		/* full or gone: the agent's periodic scan is the safety net */
	}
	close(fd);
}

/* drop_create - tmp/QID, exclusively, as the caller's uid and our gid */
static int
drop_create(struct envelope *env)
{
	int	fd = -1, tries;

	for (tries = 0; tries < DROP_CREATE_TRIES && fd == -1; tries++) {
		qid_generate(&env->qid);
		snprintf(drop_tmp, sizeof(drop_tmp), "%s/%s", SPOOL_TMP,
		    env->qid.s);
		fd = open(drop_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, SPOOL_MODE_FILE);
		if (fd == -1 && errno != EEXIST)
			drop_io_die("create", drop_tmp);
	}
	if (fd == -1)
		drop_io_die("create", drop_tmp);
	drop_armed = 1;
	/*
	 * Held until we exit: the agent's tmp/ cleaner skips a locked file,
	 * so a slow writer (a job that streams, then goes quiet for longer
	 * than tmp_max_age) never loses its message.  A fresh file is young
	 * enough that the moment before the lock does not matter.
	 */
	if (flock(fd, LOCK_EX) == -1)
		drop_io_die("lock", drop_tmp);
	/* umask is 077: set the readers' bit explicitly */
	if (fchmod(fd, SPOOL_MODE_FILE) == -1)
		drop_io_die("chmod", drop_tmp);
	return fd;
}

/*
 * main - sanitize, load the configuration, parse the request, write and
 * commit the queue file, reply with the qid, log, poke the agent
 */
int
main(int argc, char **argv)
{
	static struct drop_in in;
	struct envelope	 env;
	struct conf	 conf;
	struct buf	 out, err;
	char		 path[DROP_PATH_MAX];
	const char	*conf_path = CONFDIR "/postern.conf";
	bool		 elevated;
	uint64_t	 size, limit;
	size_t		 trace;
	int		 fd;

	drop_sanitize();
	elevated = getuid() != geteuid() || getgid() != getegid();
	/* argv[0] is the caller's; our name is fixed */
	log_init(DROP_NAME, elevated ? LOG_TO_STDERR | LOG_TO_SYSLOG :
	    LOG_TO_STDERR);
	if (argc == 3 && strcmp(argv[1], "-C") == 0) {
		if (elevated)
			drop_die(EX_USAGE, "-C is refused when running "
			    "set-group-id: the configuration is always %s",
			    conf_path);
		conf_path = argv[2];
	} else if (argc > 1)
		drop_die(EX_USAGE, "usage: %s [-C config] (run by the "
		    "postern front end, not by hand)", DROP_NAME);
	buf_init(&err, 4096);
	if (conf_load_flags(&conf, conf_path, CONF_NO_NAMES, &err) == -1)
		drop_die(EX_CONFIG, "%s", buf_cstr(&err));
	drop_spool = conf.spool_dir;
	if (chdir(conf.spool_dir) == -1)
		drop_io_die("chdir", "");

	envelope_init(&env);
	drop_read_envelope(&in, &env);
	env.arrival = (uint64_t)time(NULL);
	env.uid = getuid();
	env.login = drop_login(env.uid);

	fd = drop_create(&env);
	buf_init(&out, SPOOL_ENVELOPE_MAX);
	if (envelope_write(&env, &out) == -1)
		drop_die(EX_SOFTWARE, "cannot write the envelope: %s",
		    strerror(errno));
	if (io_write_all(fd, out.data, out.len) == -1)
		drop_io_die("write", drop_tmp);
	/* 0 in the configuration: no limit but the format's own */
	limit = conf.max_message_size == 0 ||
	    conf.max_message_size > SPOOL_SIZE_MAX ? SPOOL_SIZE_MAX :
	    conf.max_message_size;
	trace = drop_received(&conf, &env, &out);
	if (io_write_all(fd, out.data + trace, out.len - trace) == -1)
		drop_io_die("write", drop_tmp);
	trace = out.len - trace;
	/* max_message_size is the caller's: our trace field is extra */
	size = trace + drop_copy_body(&in, fd, limit > SPOOL_SIZE_MAX - trace ?
	    SPOOL_SIZE_MAX - trace : limit);
	env.size = size;
	if (spool_patch_size(fd, out.len - trace, size) == -1)
		drop_io_die("write", drop_tmp);
	if (fsync(fd) == -1)
		drop_io_die("fsync", drop_tmp);
	snprintf(path, sizeof(path), "%s/%s", SPOOL_NEW, env.qid.s);
	if (rename(drop_tmp, path) == -1) {
		if (errno == ENOENT)
			drop_die(EX_TEMPFAIL, "rename %s/%s to new/: the file "
			    "was removed while it was being written (by hand, "
			    "or by an agent that does not honour the writer's "
			    "lock): nothing was queued; submit the message "
			    "again", drop_spool, drop_tmp);
		drop_io_die("rename to new/", drop_tmp);
	}
	drop_armed = 0;
	/*
	 * Make the rename durable.  new/ is 1770 so the group can open it to
	 * fsync; if an older install made it 1730, syncfs() on the file's
	 * own filesystem does the job (correct, but heavier).
	 */
	if (fsync_dir(SPOOL_NEW) == -1 && (errno != EACCES ||
	    syncfs(fd) == -1)) {
		/* not durable: do not claim it; a duplicate beats a loss */
		(void)unlink(path);
		drop_io_die("fsync", SPOOL_NEW);
	}
	if (close(fd) == -1)
		drop_io_die("close", path);

	if (printf("%s\n", env.qid.s) < 0 || fflush(stdout) == EOF)
		log_warn("%s: queued, but telling the front end failed",
		    env.qid.s);
	log_set_targets(elevated ? LOG_TO_SYSLOG : LOG_TO_STDERR);
	log_info("%s: uid=%lu from=<%s> size=%llu nrcpt=%zu", env.qid.s,
	    (unsigned long)env.uid, env.sender, (unsigned long long)size,
	    env.nrcpts);
	drop_poke();
	envelope_free(&env);
	buf_free(&out);
	buf_free(&err);
	conf_free(&conf);
	return EX_OK;
}
