/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statuscmd.c - `postern status`: one screen, --json, or --nagios (a
 * monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one
 * line with perfdata).  Owns the thresholds and the plugin line.
 *
 * Runs as the invoking user with no privilege: like the queue tools it
 * reads cur/ and state/ (root, the agent's user and the group
 * POSTERN_GROUP), new/ when it may, failed/ to count.  It counts queue
 * ids (the oldest one's arrival is in its id, qid_time), reads the
 * agent's state/relays through relaystate.h, and asks whether an agent
 * holds the trigger FIFO open, as the queue tools do.  It never opens a
 * queue file, never writes, never links GnuTLS or SASL.
 */
#include "config.h"
#include "postern-paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "confpath.h"
#include "json.h"
#include "front.h"
#include "log.h"
#include "qid.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"
#include "statuscmd.h"
#include "util.h"

#define ST_ERR_MAX	4096
#define ST_OUT_MAX	((size_t)1 << 20)
#define ST_REASON_MAX	120	/* reason bytes on the plugin line */
#define ST_JSON_VERSION	1

static const char *const st_level_name[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

struct st_ctx {
	struct conf	 c;
	bool		 json, plugin;
	uint64_t	 now;
	bool		 new_hidden;	/* new/ not readable by the caller */
	uint64_t	 oldest;	/* arrival of the oldest; 0: none */
	struct relaystate_file rs;
	struct status_facts f;
	struct status_limits l;
};

/*
 * st_fail - the status cannot be known: in plugin mode the UNKNOWN line
 * and exit 3 (a monitoring system reads stdout and the exit code), else
 * the usual fatal message and code
 */
static void __attribute__((noreturn, format(printf, 3, 4)))
st_fail(const struct st_ctx *x, int code, const char *fmt, ...)
{
	char	msg[1024], *p;
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->plugin) {
		for (p = msg; *p != '\0'; p++)
			if (*p == '|' || (unsigned char)*p < 0x20)
				*p = ' ';
		printf("POSTERN UNKNOWN - %s\n", msg);
		(void)fflush(stdout);
		exit(STATUS_UNKNOWN);
	}
	fatal_exit(code, "%s", msg);
}

/* st_refuse - the caller may not read the spool */
static void __attribute__((noreturn))
st_refuse(const struct st_ctx *x, const char *path)
{
	const struct passwd *pw = getpwuid(getuid());

	st_fail(x, EX_NOPERM, "status: %s: permission denied: the queue is "
	    "private to root and the members of the mail system's group %s.  "
	    "Have an administrator add you to it (adduser %s %s, then log in "
	    "again), or run 'sudo postern status'", path, POSTERN_GROUP,
	    pw != NULL ? pw->pw_name : "USER", POSTERN_GROUP);
}

/* st_load - the configuration, as front_load_conf but plugin-aware */
static void
st_load(struct st_ctx *x, const char *path)
{
	struct buf	 err;
	char		*checked = NULL, *nl, *line, *save = NULL;

	buf_init(&err, ST_ERR_MAX);
	if (path != NULL && confpath_check(path, CONFDIR "/postern.conf",
	    &checked, &err) == -1)
		st_fail(x, EX_USAGE, "%s", buf_cstr(&err));
	if (conf_load(&x->c, checked != NULL ? checked : CONFDIR
	    "/postern.conf", false, &err) == -1) {
		free(checked);
		if (x->plugin && (nl = strchr(buf_cstr(&err), '\n')) != NULL)
			*nl = '\0';
		if (x->plugin)
			st_fail(x, EX_CONFIG, "bad configuration: %s",
			    buf_cstr(&err));
		/* each line already names file:line and the fix */
		for (line = err.len > 0 ? strtok_r(err.data, "\n", &save) :
		    NULL; line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_error("%s", line);
		st_fail(x, EX_CONFIG, "bad configuration: fix the lines "
		    "above");
	}
	free(checked);
	buf_free(&err);
}

/* st_open - spool_dir/sub as a directory; -1 with errno */
static int
st_open(const struct st_ctx *x, const char *sub, char *path, size_t size)
{
	if (spool_path(x->c.spool_dir, sub, NULL, path, size) == -1)
		st_fail(x, EX_CONFIG, "spool_dir %s: path too long",
		    x->c.spool_dir);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * st_count - count the queue ids in spool_dir/sub; with oldest, keep the
 * earliest arrival in x->oldest.  optional: EACCES gives false (new/ for
 * the agent's group); anything else ends the command.
 */
static bool
st_count(struct st_ctx *x, const char *sub, bool oldest, uint64_t *n)
{
	char		 path[4096];
	DIR		*d;
	struct dirent	*de;
	struct qid	 q;
	int		 fd;

	if ((fd = st_open(x, sub, path, sizeof(path))) == -1) {
		if ((errno == EACCES || errno == EPERM) &&
		    strcmp(sub, SPOOL_NEW) == 0)
			return false;
		if (errno == EACCES || errno == EPERM)
			st_refuse(x, path);
		st_fail(x, errno == ENOENT ? EX_CONFIG : EX_TEMPFAIL,
		    "status: open %s: %s (is spool_dir in %s right, and is the "
		    "spool installed?)", path, strerror(errno), x->c.path);
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		st_fail(x, EX_OSERR, "status: %s: %s", path, strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (qid_parse(&q, de->d_name) == -1)
			continue;	/* not a queue id: the agent's job */
		(*n)++;
		if (oldest && (x->oldest == 0 ||
		    (uint64_t)qid_time(&q) < x->oldest))
			x->oldest = (uint64_t)qid_time(&q);
	}
	if (errno != 0) {
		int	e = errno;

		closedir(d);
		if (e == EACCES || e == EPERM)
			st_refuse(x, path);
		st_fail(x, EX_TEMPFAIL, "status: list %s: %s", path,
		    strerror(e));
	}
	closedir(d);
	return true;
}

/* st_relay - the state of configured relay name, NULL: up, none known */
static const struct relaystate *
st_relay(const struct st_ctx *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->rs.n; i++)
		if (strcmp(x->rs.r[i].name, name) == 0)
			return &x->rs.r[i];
	return NULL;
}

/* st_gather - everything status shows */
static void
st_gather(struct st_ctx *x)
{
	char	path[4096];
	int	fd, saved;
	size_t	i;
	uint64_t n = 0;

	x->now = (uint64_t)time(NULL);
	/* cur/ first: it decides whether the caller may use status at all */
	(void)st_count(x, SPOOL_CUR, true, &x->f.queued);
	x->new_hidden = !st_count(x, SPOOL_NEW, true, &x->f.queued);
	if ((fd = st_open(x, SPOOL_FAILED, path, sizeof(path))) != -1) {
		close(fd);
		(void)st_count(x, SPOOL_FAILED, false, &n);
		x->f.failed = n;
	}
	if (x->oldest != 0)
		x->f.oldest_age = x->now > x->oldest ? x->now - x->oldest : 0;
	if ((fd = st_open(x, SPOOL_STATE, path, sizeof(path))) == -1) {
		if (errno == EACCES || errno == EPERM)
			st_refuse(x, path);
	} else {
		if (relaystate_read(fd, &x->rs) == -1 && errno != ENOENT) {
			saved = errno;
			memset(&x->rs, 0, sizeof(x->rs));
			x->rs.bad = 1;
			errno = saved;
		}
		close(fd);
	}
	if ((fd = spool_trigger_open(x->c.spool_dir)) != -1) {
		x->f.agent_running = true;
		close(fd);
	}
	for (i = 0; i < x->c.nrelays; i++) {
		const struct relaystate *r = st_relay(x, x->c.relays[i].name);
		uint64_t d;

		if (r == NULL || !r->down)
			continue;
		x->f.relays_down++;
		d = x->now > r->down_since ? x->now - r->down_since : 0;
		if (x->f.down_name == NULL || d > x->f.down_for) {
			x->f.down_for = d;
			x->f.down_name = r->name;
			x->f.down_reason = r->reason;
		}
	}
}

/* status_level - the plugin state of f */
int
status_level(const struct status_facts *f, const struct status_limits *l)
{
	if ((!f->agent_running && !f->agent_optional) ||
	    f->queued > l->crit_queue ||
	    f->oldest_age > l->crit_age ||
	    (f->down_name != NULL && f->down_for > l->crit_down))
		return STATUS_CRITICAL;
	if (f->queued > l->warn_queue || f->oldest_age > l->warn_age ||
	    (f->down_name != NULL && f->down_for > l->warn_down))
		return STATUS_WARNING;
	return STATUS_OK;
}

/* status_plugin_line - "POSTERN LEVEL - text | perfdata\n" */
int
status_plugin_line(struct buf *out, int level, const struct status_facts *f,
    const struct status_limits *l)
{
	char		 age[QUEUEFMT_AGE_MAX];
	const char	*p;
	size_t		 n = 0;

	if (level < STATUS_OK || level > STATUS_UNKNOWN)
		level = STATUS_UNKNOWN;
	if (buf_printf(out, "POSTERN %s - %s%llu queued, oldest %s",
	    st_level_name[level], f->agent_running ? "" :
	    "agent not running, ", (unsigned long long)f->queued,
	    queuefmt_age(f->oldest_age, age, sizeof(age))) == -1)
		return -1;
	if (f->down_name != NULL) {
		if (buf_printf(out, ", %llu relay%s down, ",
		    (unsigned long long)f->relays_down,
		    f->relays_down == 1 ? "" : "s") == -1)
			return -1;
		for (p = f->down_name; *p != '\0'; p++)
			if (buf_putc(out, *p > 0x20 && *p < 0x7f &&
			    *p != '|' ? *p : '?') == -1)
				return -1;
		if (buf_printf(out, " for %s: ", queuefmt_age(f->down_for,
		    age, sizeof(age))) == -1)
			return -1;
		for (p = f->down_reason; *p != '\0' && n < ST_REASON_MAX;
		    p++, n++)
			if (buf_putc(out, *p >= 0x20 && *p < 0x7f &&
			    *p != '|' ? *p : '?') == -1)
				return -1;
	}
	return buf_printf(out, " | queue=%llu;%llu;%llu;0 oldest=%llus;%llu;"
	    "%llu;0 down=%llus;%llu;%llu;0 relays_down=%llu;;;0 failed=%llu;;;"
	    "0\n", (unsigned long long)f->queued,
	    (unsigned long long)l->warn_queue,
	    (unsigned long long)l->crit_queue,
	    (unsigned long long)f->oldest_age,
	    (unsigned long long)l->warn_age, (unsigned long long)l->crit_age,
	    (unsigned long long)f->down_for,
	    (unsigned long long)l->warn_down,
	    (unsigned long long)l->crit_down,
	    (unsigned long long)f->relays_down,
	    (unsigned long long)f->failed);
}

/* st_text_str - s made safe for a terminal */
static void
st_text_str(struct buf *out, const char *s)
{
	if (queuefmt_text(out, s, strlen(s), false) == -1)
		return;		/* sticky: checked before printing */
}

/* st_sent - ", last sent TIME (AGE ago)" when the agent recorded it */
static void
st_sent(const struct st_ctx *x, struct buf *out, const struct relaystate *r,
    struct queuefmt_clock *clock)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];

	if (r == NULL || r->last_sent == 0)
		return;
	buf_sprintf(out, ", last sent %s (%s ago)", queuefmt_time(r->last_sent,
	    clock, when, sizeof(when)), queuefmt_age(x->now > r->last_sent ?
	    x->now - r->last_sent : 0, age, sizeof(age)));
}

/* st_text - the screen for a human */
static void
st_text(struct st_ctx *x, struct buf *out)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];
	struct queuefmt_clock clock = QUEUEFMT_CLOCK_INIT;
	size_t	i;

	buf_sprintf(out, "Agent:   %s\n", x->f.agent_running ?
	    "running" : "NOT RUNNING (systemctl start postern, or posternd "
	    "--once)");
	buf_sprintf(out, "Queue:   %llu message%s", (unsigned long long)
	    x->f.queued, x->f.queued == 1 ? "" : "s");
	if (x->oldest != 0)
		buf_sprintf(out, ", oldest %s (arrived %s)",
		    queuefmt_age(x->f.oldest_age, age, sizeof(age)),
		    queuefmt_time(x->oldest, &clock, when, sizeof(when)));
	buf_sputs(out, x->new_hidden ? " (new/ not counted: only root "
	    "may read it)\n" : "\n");
	buf_sprintf(out, "Failed:  %llu message%s%s\n",
	    (unsigned long long)x->f.failed, x->f.failed == 1 ? "" : "s",
	    x->f.failed > 0 ? " (postern failed)" : "");
	for (i = 0; i < x->c.nrelays; i++) {
		const struct relaystate *r = st_relay(x, x->c.relays[i].name);

		buf_sputs(out, i == 0 ? "Relay:   " : "         ");
		st_text_str(out, x->c.relays[i].name);
		if (r == NULL || !r->down) {
			buf_sputs(out, " up");
			st_sent(x, out, r, &clock);
			buf_sputc(out, '\n');
			continue;
		}
		buf_sprintf(out, " DOWN since %s (%s), %llu failure%s, "
		    "next try ", queuefmt_time(r->down_since, &clock, when,
		    sizeof(when)), queuefmt_age(x->now > r->down_since ?
		    x->now - r->down_since : 0, age, sizeof(age)),
		    (unsigned long long)r->failures, r->failures == 1 ? "" :
		    "s");
		if (r->next_try > x->now)
			buf_sprintf(out, "in %s", queuefmt_age(r->next_try -
			    x->now, age, sizeof(age)));
		else
			buf_sputs(out, "now");
		st_sent(x, out, r, &clock);
		buf_sputs(out, ": ");
		st_text_str(out, r->reason);
		buf_sputc(out, '\n');
	}
	if (x->c.nrelays == 0)
		buf_sputs(out, "Relay:   none configured\n");
	if (x->rs.bad > 0)
		buf_sprintf(out, "(%zu unreadable line%s in %s/%s/%s)\n",
		    x->rs.bad, x->rs.bad == 1 ? "" : "s", x->c.spool_dir,
		    SPOOL_STATE, RELAYSTATE_FILE);
}

/* st_json_str - a JSON string literal */
static void
st_json_str(struct buf *out, const char *s)
{
	if (json_str(out, s) == -1)
		return;		/* sticky */
}

/* st_json - the document (doc/queue-tools.md) */
static void
st_json(struct st_ctx *x, struct buf *out, int level)
{
	size_t	i;

	buf_sprintf(out, "{\"postern_status\":%d,\"now\":%llu,"
	    "\"agent_running\":%s,\n\"queue\":{\"messages\":%llu,"
	    "\"new_counted\":%s,", ST_JSON_VERSION,
	    (unsigned long long)x->now, x->f.agent_running ? "true" :
	    "false", (unsigned long long)x->f.queued, x->new_hidden ?
	    "false" : "true");
	if (x->oldest != 0)
		buf_sprintf(out, "\"oldest_arrival\":%llu,"
		    "\"oldest_age\":%llu},\n", (unsigned long long)x->oldest,
		    (unsigned long long)x->f.oldest_age);
	else
		buf_sputs(out, "\"oldest_arrival\":null,"
		    "\"oldest_age\":null},\n");
	buf_sprintf(out, "\"failed\":%llu,\n\"relays\":[",
	    (unsigned long long)x->f.failed);
	for (i = 0; i < x->c.nrelays; i++) {
		const struct relaystate *r = st_relay(x, x->c.relays[i].name);

		buf_sputs(out, i > 0 ? ",\n{\"name\":" : "\n{\"name\":");
		st_json_str(out, x->c.relays[i].name);
		if (r != NULL && r->last_sent != 0)
			buf_sprintf(out, ",\"last_sent\":%llu",
			    (unsigned long long)r->last_sent);
		else
			buf_sputs(out, ",\"last_sent\":null");
		if (r != NULL && r->down) {
			buf_sprintf(out, ",\"state\":\"down\","
			    "\"down_since\":%llu,\"down_for\":%llu,"
			    "\"next_try\":%llu,\"failures\":%llu,\"reason\":",
			    (unsigned long long)r->down_since,
			    (unsigned long long)(x->now > r->down_since ?
			    x->now - r->down_since : 0),
			    (unsigned long long)r->next_try,
			    (unsigned long long)r->failures);
			st_json_str(out, r->reason);
		} else
			buf_sputs(out, ",\"state\":\"up\",\"down_since\":"
			    "null,\"down_for\":null,\"next_try\":null,"
			    "\"failures\":0,\"reason\":null");
		buf_sputc(out, '}');
	}
	buf_sprintf(out, "],\n\"relay_state_unreadable_lines\":%zu,\n"
	    "\"level\":\"%s\",\"thresholds\":{\"warn_queue\":%llu,"
	    "\"crit_queue\":%llu,\"warn_age\":%llu,\"crit_age\":%llu,"
	    "\"warn_down\":%llu,\"crit_down\":%llu}}\n", x->rs.bad,
	    st_level_name[level], (unsigned long long)x->l.warn_queue,
	    (unsigned long long)x->l.crit_queue,
	    (unsigned long long)x->l.warn_age,
	    (unsigned long long)x->l.crit_age,
	    (unsigned long long)x->l.warn_down,
	    (unsigned long long)x->l.crit_down);
}

/* statuscmd_usage - the help line */
void
statuscmd_usage(FILE *f)
{
	fprintf(f,
	    "  status [--json | --nagios [--agent-optional] [--warn-queue N] "
	    "[--crit-queue N]\n"
	    "         [--warn-age DUR] [--crit-age DUR] [--warn-down DUR] "
	    "[--crit-down DUR]]\n"
	    "                   agent, queue and relays at a glance; "
	    "--nagios: a monitoring\n"
	    "                   plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, "
	    "3 UNKNOWN)\n");
}

/* st_limit - one threshold option's value; false: not one */
static bool
st_limit(const char *opt, const char *val, uint64_t *l)
{
	static const char *const dur[] = {
		"--warn-age", "--crit-age", "--warn-down", "--crit-down"
	};
	size_t	i;

	for (i = 0; i < sizeof(dur) / sizeof(dur[0]); i++)
		if (strcmp(opt, dur[i]) == 0)
			return parse_duration(val, l) == 0;
	return parse_uint(val, 0, UINT64_MAX, l) == 0;
}

/* statuscmd_main - parse, gather, show */
int
statuscmd_main(int argc, char **argv)
{
	static const char *const opts[] = {
		"--warn-queue", "--crit-queue", "--warn-age", "--crit-age",
		"--warn-down", "--crit-down"
	};
	struct st_ctx	 x;
	struct status_limits def = STATUS_LIMITS_DEFAULT;
	struct buf	 out;
	const char	*config = NULL;
	uint64_t	*lim[6];
	int		 i, level, rc;
	size_t		 k;
	bool		 limits_given = false;

	memset(&x, 0, sizeof(x));
	x.l = def;
	lim[0] = &x.l.warn_queue;
	lim[1] = &x.l.crit_queue;
	lim[2] = &x.l.warn_age;
	lim[3] = &x.l.crit_age;
	lim[4] = &x.l.warn_down;
	lim[5] = &x.l.crit_down;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--nagios") == 0)
			x.plugin = true;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--nagios") == 0)
			continue;
		if (front_config_arg(argc, argv, &i, &config))
			continue;
		if (strcmp(a, "--json") == 0) {
			x.json = true;
			continue;
		}
		if (strcmp(a, "--agent-optional") == 0) {
			x.f.agent_optional = true;
			limits_given = true;
			continue;
		}
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strcmp(a, opts[k]) == 0)
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			st_fail(&x, EX_USAGE, "status: unknown option '%s' "
			    "(see postern help)", a);
		if (i + 1 >= argc || !st_limit(a, argv[i + 1], lim[k]))
			st_fail(&x, EX_USAGE, "status: %s needs a %s", a,
			    k == 0 || k == 1 ? "number of messages" :
			    "duration (30s, 15m, 4h, 2d)");
		i++;
		limits_given = true;
	}
	if (x.json && x.plugin)
		st_fail(&x, EX_USAGE, "status: --json and --nagios exclude "
		    "each other");
	if (limits_given && !x.plugin && !x.json)
		st_fail(&x, EX_USAGE, "status: thresholds apply to --nagios "
		    "and --json only");
	if (x.l.warn_queue > x.l.crit_queue || x.l.warn_age > x.l.crit_age ||
	    x.l.warn_down > x.l.crit_down)
		st_fail(&x, EX_USAGE, "status: a warning threshold is above "
		    "its critical one");
	st_load(&x, config);
	st_gather(&x);
	level = status_level(&x.f, &x.l);
	buf_init(&out, ST_OUT_MAX);
	if (x.plugin)
		(void)status_plugin_line(&out, level, &x.f, &x.l);
	else if (x.json)
		st_json(&x, &out, level);
	else
		st_text(&x, &out);
	if (buf_error(&out) != 0)
		st_fail(&x, EX_SOFTWARE, "status: output not built: %s",
		    strerror(buf_error(&out)));
	rc = fwrite(out.data, 1, out.len, stdout) == out.len &&
	    fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	buf_free(&out);
	conf_free(&x.c);
	if (x.plugin)
		return rc == EX_OK ? level : STATUS_UNKNOWN;
	return rc;
}
