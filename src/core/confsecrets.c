/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confsecrets.c - the secrets file into relays[].password: one line
 * "HOST[:PORT] PASSWORD" per relay, in a regular file the reader owns
 * with mode 600.
 *
 * Must never log or echo a password: errors name the line, never its
 * text, and the file's bytes are wiped before they are freed.  Only the
 * agent and `postern check` call it; postern-drop never links it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "confkey.h"
#include "io.h"
#include "util.h"

#define CONF_SECRETS_MAX	65536	/* secrets file size */

/* conf_user_name - the name of a uid, or the number */
static void
conf_user_name(uid_t uid, char *out, size_t outsize)
{
	struct passwd	*pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, outsize, "%s", pw->pw_name);
	else
		snprintf(out, outsize, "%lu", (unsigned long)uid);
}

/*
 * conf_needs_secret - a relay that takes its password (for oauth_flow
 * client_credentials: the client secret) from the file
 */
static bool
conf_needs_secret(const struct conf_relay *r)
{
	return r->user != NULL && r->password_command == NULL &&
	    r->token_command == NULL &&
	    r->oauth_flow != CONF_OAUTH_REFRESH_TOKEN &&
	    r->oauth_flow != CONF_OAUTH_SERVICE_ACCOUNT &&
	    r->oauth_key_file == NULL;
}

/*
 * conf_wants_secret - a relay that takes a line when there is one:
 * oauth_flow refresh_token's optional client secret
 */
static bool
conf_wants_secret(const struct conf_relay *r)
{
	return conf_needs_secret(r) ||
	    (r->user != NULL && r->oauth_flow == CONF_OAUTH_REFRESH_TOKEN);
}

/* conf_secrets_needed - see conf.h */
bool
conf_secrets_needed(const struct conf *c)
{
	size_t	i;

	for (i = 0; i < c->nrelays; i++)
		if (conf_needs_secret(&c->relays[i]))
			return true;
	/* an optional client secret: the file counts only when it is there */
	for (i = 0; i < c->nrelays; i++)
		if (conf_wants_secret(&c->relays[i]) &&
		    access(c->secrets_file, F_OK) == 0)
			return true;
	return false;
}

/*
 * conf_secret_match - how well "HOST[:PORT]" names relay r: 2 host and
 * port, 1 host alone, 0 not at all.  "[addr]:port" for IPv6 literals.
 */
static int
conf_secret_match(const char *tok, size_t len, const struct conf_relay *r)
{
	const char	*host = tok, *colon, *end = tok + len;
	size_t		 hlen = len;
	char		 num[8];
	uint64_t	 port;

	if (r->host == NULL)
		return 0;
	if (len > 0 && *tok == '[') {
		if ((colon = memchr(tok, ']', len)) == NULL)
			return 0;
		host = tok + 1;
		hlen = (size_t)(colon - host);
		colon++;
		if (colon != end && *colon != ':')
			return 0;
		if (colon == end)
			colon = NULL;
	} else if ((colon = memchr(tok, ':', len)) != NULL &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)) == NULL)
		hlen = (size_t)(colon - tok);
	else
		colon = NULL;	/* no port, or a bare IPv6 address */
	if (strlen(r->host) != hlen || strncasecmp(r->host, host, hlen) != 0)
		return 0;
	if (colon == NULL)
		return 1;
	if ((size_t)(end - colon - 1) >= sizeof(num))
		return 0;
	memcpy(num, colon + 1, (size_t)(end - colon - 1));
	num[end - colon - 1] = '\0';
	if (parse_uint(num, 1, 65535, &port) == -1 || port != r->port)
		return 0;
	return 2;
}

/* conf_load_secrets - relay passwords from the secrets file */
int
conf_load_secrets(struct conf *c, struct buf *err)
{
	return conf_load_secrets_as(c, geteuid(), err);
}

/* the best line found so far for each relay */
struct conf_secrets {
	struct conf_parse	 p;
	char			*data;	/* CONF_SECRETS_MAX + 1, wiped */
	size_t			 len;
	size_t			 pwoff[CONF_RELAYS_MAX], pwlen[CONF_RELAYS_MAX];
	unsigned		 seen[CONF_RELAYS_MAX];	/* line of best */
	int			 best[CONF_RELAYS_MAX];	/* match quality */
};

/*
 * conf_secrets_open - open path for reading and check it: a regular file
 * owned by owner with no group or other permission.  Returns the
 * descriptor, or -1 with the problems in s->p (the descriptor, if one
 * was opened, is closed).
 */
static int
conf_secrets_open(struct conf_secrets *s, const char *path, uid_t owner)
{
	struct stat	st;
	char		me[64], them[64];
	int		fd;

	conf_user_name(owner, me, sizeof(me));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		conf_err(&s->p, 0, NULL, NULL, "cannot open: %s: create it "
		    "with one line \"HOST[:PORT] PASSWORD\" per relay, owned "
		    "by %s with mode 600", strerror(errno), me);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		conf_err(&s->p, 0, NULL, NULL, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(&s->p, 0, NULL, NULL, "not a regular file: make it "
		    "a plain file owned by %s with mode 600", me);
		goto fail;
	}
	if (st.st_uid != owner) {
		conf_user_name(st.st_uid, them, sizeof(them));
		conf_err(&s->p, 0, NULL, NULL, "owned by %s, not by %s who "
		    "reads it: chown %s %s", them, me, me, path);
	}
	if ((st.st_mode & 077) != 0)
		conf_err(&s->p, 0, NULL, NULL, "mode %04o lets %s read the "
		    "relay passwords: chmod 600 %s",
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & 007) ? "every user" : "the group", path);
	if (s->p.nerrors == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

/*
 * conf_secrets_read - the whole file into s->data, one fixed buffer that
 * is never reallocated, so wiping it wipes every copy.  Returns 0, or -1
 * with the problem in s->p.
 */
static int
conf_secrets_read(struct conf_secrets *s, int fd)
{
	ssize_t	n;

	s->data = xmalloc(CONF_SECRETS_MAX + 1);
	while ((n = io_read(fd, s->data + s->len,
	    CONF_SECRETS_MAX + 1 - s->len)) != 0) {
		if (n == -1) {
			conf_err(&s->p, 0, NULL, NULL, "read: %s",
			    strerror(errno));
			return -1;
		}
		s->len += (size_t)n;
		if (s->len > CONF_SECRETS_MAX) {
			conf_err(&s->p, 0, NULL, NULL, "larger than %d bytes: "
			    "keep only the relay passwords in it",
			    CONF_SECRETS_MAX);
			return -1;
		}
	}
	s->data[s->len] = '\0';
	return 0;
}

/*
 * conf_secrets_line - one line "HOST[:PORT] PASSWORD" (already cut at
 * its LF, leading blanks skipped): remember it for every relay it names
 * better than any line before
 */
static void
conf_secrets_line(struct conf_secrets *s, char *line, unsigned lineno)
{
	struct conf	*c = s->p.c;
	size_t		 hlen, i;
	char		*pw;
	int		 m;

	hlen = strcspn(line, " \t");
	pw = line + hlen;
	pw += strspn(pw, " \t");
	if (*pw == '\0') {
		/* never quote the line: it may be a bare password */
		conf_err(&s->p, lineno, NULL, NULL, "expected HOST[:PORT] "
		    "PASSWORD on one line");
		return;
	}
	for (i = 0; i < c->nrelays; i++) {
		if (!conf_wants_secret(&c->relays[i]))
			continue;
		m = conf_secret_match(line, hlen, &c->relays[i]);
		if (m == 0 || m < s->best[i])
			continue;
		if (m == s->best[i]) {
			conf_err(&s->p, lineno, NULL, NULL, "second password "
			    "for %.*s (first at line %u): keep one",
			    (int)hlen, line, s->seen[i]);
			continue;
		}
		s->best[i] = m;
		s->seen[i] = lineno;
		s->pwoff[i] = (size_t)(pw - s->data);
		s->pwlen[i] = strlen(pw);
	}
}

/* conf_secrets_parse - every line of s->data; NUL bytes refused */
static void
conf_secrets_parse(struct conf_secrets *s)
{
	char		*data = s->data, *line, *nl;
	size_t		 len = s->len;
	unsigned	 lineno = 0;

	for (line = data; line < data + len; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(data + len - line)))
		    == NULL)
			nl = data + len;
		*nl = '\0';
		if (strlen(line) != (size_t)(nl - line)) {
			conf_err(&s->p, lineno, NULL, NULL, "NUL byte in the "
			    "line: remove it");
			continue;
		}
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		conf_secrets_line(s, line, lineno);
	}
}

/* conf_secrets_install - each relay's password from its best line */
static void
conf_secrets_install(struct conf_secrets *s)
{
	struct conf	*c = s->p.c;
	size_t		 i;

	for (i = 0; i < c->nrelays; i++) {
		if (s->best[i] == 0)
			continue;
		if (c->relays[i].password != NULL) {
			wipe(c->relays[i].password,
			    strlen(c->relays[i].password));
			free(c->relays[i].password);
		}
		c->relays[i].password = xstrndup(s->data + s->pwoff[i],
		    s->pwlen[i]);
	}
}

/*
 * conf_load_secrets_as - the same, for a file that owner must own: open
 * and check it, read it, match its lines to the relays, refuse a relay
 * left without a password, then install them all (or none)
 */
int
conf_load_secrets_as(struct conf *c, uid_t owner, struct buf *err)
{
	struct conf_secrets	*s;
	const char		*path = c->secrets_file;
	size_t			 i;
	int			 fd = -1, rc;

	if (!conf_secrets_needed(c))
		return 0;
	s = xcalloc(1, sizeof(*s));
	s->p.c = c;
	s->p.path = path;
	s->p.err = err;
	if ((fd = conf_secrets_open(s, path, owner)) == -1 ||
	    conf_secrets_read(s, fd) == -1)
		goto out;
	conf_secrets_parse(s);
	for (i = 0; i < c->nrelays; i++)
		if (conf_needs_secret(&c->relays[i]) && s->best[i] == 0)
			conf_err(&s->p, 0, NULL, NULL, "no password for relay "
			    "%s (user %s): add a line \"%s PASSWORD\" to %s, "
			    "or set password_command in its [relay]",
			    c->relays[i].name, c->relays[i].user,
			    c->relays[i].host ? c->relays[i].host : "HOST",
			    path);
	if (s->p.nerrors == 0)
		conf_secrets_install(s);
out:
	if (s->data != NULL) {
		wipe(s->data, CONF_SECRETS_MAX + 1);
		free(s->data);
	}
	if (fd != -1)
		close(fd);
	rc = s->p.nerrors > 0 ? -1 : 0;
	free(s);
	return rc;
}
