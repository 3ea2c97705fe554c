/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce_walk.c - the part of the original a DSN returns: one walk over
 * it (bounce_walk) that first scans, to choose a MIME boundary and learn
 * whether the part is 8-bit or cut, and then copies, with the same code.
 *
 * Never holds the original in memory (a line's first BOUNCE_PREFIX_MAX
 * bytes at most), never trusts a byte of it, never writes the spool.
 * Choices, and why:
 * - Boundary "=_postern_<seed>_NNNN": the seed is 64 random bits (or
 *   injected by tests), NNNN the first of 10000 candidates that no line
 *   of the returned part starts with (a bitmap filled by the scan pass).
 *   A line can rule out one candidate only, so the choice always succeeds
 *   unless 10000 lines guess the seed; then a fresh seed is drawn.
 * - CR and CR LF end a line in the returned copy: parsers (Python's email
 *   among them) split lines at a bare CR, so "\r--boundary" must be seen
 *   as a line start by the scan.  NUL bytes are dropped.
 * - Header lines of the original over 998 octets are folded at white
 *   space by the agent's own rule (hfold.c), so that unfolding gives
 *   them back: the returned header sits in the DSN's body, where the
 *   agent would cut them like body lines (the rest of the line would
 *   become a broken line of its own).  Body lines of the original are
 *   returned as they are: the agent splits lines over 998 octets on the
 *   wire for every message.
 * - A cut copy is cut at max_return_size bytes (of the copy as written,
 *   folds included), mid-line if need be, and ends with a line end; the
 *   text and Content-Description say so.  This holds for a header-only
 *   return too: a header section over max_return_size (only possible
 *   when max_header_size is raised above it) is cut.
 * RFCs 2046 (boundaries), 6522, 3462.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bounce_int.h"
#include "hfold.h"
#include "io.h"
#include "util.h"

/* One pass over the returned part; the same code scans and copies. */
struct bounce_walk {
	struct bounce_gen *g;
	bool		 copy;		/* false: scan only */
	bool		 headers_only;
	uint64_t	 limit;		/* 0: none */
	uint64_t	 emitted;
	bool		 in_headers, stop, prev_cr, decided, truncated;
	bool		 head8, body8;
	int		 last;		/* last byte emitted, -1 none */
	size_t		 llen;
	char		 line[BOUNCE_PREFIX_MAX];
	struct hfold	 hf;		/* folds the header lines */
};

/* bounce_random_seed - 16 hex digits, kernel randomness or a fallback */
static void
bounce_random_seed(char *out, size_t n)
{
	static unsigned	 counter;
	uint64_t	 r;
	struct timespec	 ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* only uniqueness is needed: the scan proves absence */
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16) ^ (uint64_t)++counter;
	}
	(void)snprintf(out, n, "%016llX", (unsigned long long)r);
}

/* bounce_is_header - true when a held line starts a field or continues one */
static bool
bounce_is_header(const char *s, size_t n)
{
	size_t	i;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		return true;
	for (i = 0; i < n && s[i] > ' ' && s[i] < 0x7f && s[i] != ':'; i++)
		;
	return i > 0 && i < n && s[i] == ':';
}

/* bounce_walk_emit - pass n returned bytes on, within the size limit */
static void
bounce_walk_emit(struct bounce_walk *w, const char *p, size_t n)
{
	size_t	i;

	if (w->stop || n == 0)
		return;
	if (w->limit != 0 && w->emitted + n > w->limit) {
		n = (size_t)(w->limit - w->emitted);
		w->truncated = true;
		w->stop = true;
		if (n == 0)
			return;
	}
	if (w->copy)
		bounce_out(w->g, p, n);
	else
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] >= 0x80) {
				if (w->in_headers)
					w->head8 = true;
				else
					w->body8 = true;
			}
	w->emitted += n;
	w->last = (unsigned char)p[n - 1];
}

/* bounce_walk_hout - the folder's output, counted like any other */
static void
bounce_walk_hout(void *ctx, const char *p, size_t n)
{
	bounce_walk_emit(ctx, p, n);
}

/*
 * bounce_walk_text - line content (no line end): a header line goes
 * through the folder, a body line as it is
 */
static void
bounce_walk_text(struct bounce_walk *w, const char *p, size_t n)
{
	if (w->in_headers)
		hfold_put(&w->hf, p, n, bounce_walk_hout, w);
	else
		bounce_walk_emit(w, p, n);
}

/*
 * bounce_walk_decide - the held start of a line is complete (eol) or
 * BOUNCE_PREFIX_MAX long: classify it, note or guard a boundary lookalike,
 * and pass it on.
 */
static void
bounce_walk_decide(struct bounce_walk *w, bool eol)
{
	struct bounce_gen	*g = w->g;
	const char		*d;
	unsigned		 ctr;
	size_t			 i;

	w->decided = true;
	if (w->in_headers && ((eol && w->llen == 0) ||
	    !bounce_is_header(w->line, w->llen))) {
		w->in_headers = false;
		if (w->headers_only) {
			w->stop = true;
			return;
		}
	}
	if (!w->copy) {
		/* the candidate "--<prefix>NNNN" this line rules out */
		if (w->llen >= 2 + g->prefix_len + 4 &&
		    memcmp(w->line, "--", 2) == 0 &&
		    memcmp(w->line + 2, g->prefix, g->prefix_len) == 0) {
			d = w->line + 2 + g->prefix_len;
			for (ctr = 0, i = 0; i < 4 && d[i] >= '0' &&
			    d[i] <= '9'; i++)
				ctr = ctr * 10 + (unsigned)(d[i] - '0');
			if (i == 4)
				g->used[ctr / 8] |=
				    (unsigned char)(1u << (ctr % 8));
		}
	} else if (w->llen >= 2 + g->boundary_len &&
	    memcmp(w->line, "--", 2) == 0 &&
	    memcmp(w->line + 2, g->boundary, g->boundary_len) == 0) {
		/* unreachable unless the file changed between the passes */
		bounce_walk_text(w, " ", 1);
	}
	bounce_walk_text(w, w->line, w->llen);
}

/* bounce_walk_eol - end of one line of the original */
static void
bounce_walk_eol(struct bounce_walk *w)
{
	if (!w->decided)
		bounce_walk_decide(w, true);
	if (w->in_headers)
		hfold_end(&w->hf, bounce_walk_hout, w);
	bounce_walk_emit(w, "\n", 1);
	w->llen = 0;
	w->decided = false;
}

/*
 * bounce_walk - read the original from off to its end (or the limit, or
 * the end of its header section when headers_only) and scan or copy it.
 * CR and CR LF end a line like LF; NUL bytes are dropped.  Returns 0, or
 * -1 with errno and a message in err.
 */
static int
bounce_walk(struct bounce_walk *w, int fd, off_t off, struct buf *err)
{
	char		 rbuf[BOUNCE_READ_CHUNK];
	ssize_t		 n;
	size_t		 i, j;
	unsigned char	 c;

	w->in_headers = true;
	w->last = -1;
	hfold_init(&w->hf, "\n");
	if (lseek(fd, off, SEEK_SET) == (off_t)-1) {
		bounce_fail(err, errno, "seek in the original message: %s",
		    strerror(errno));
		return -1;
	}
	while (!w->stop && (n = io_read(fd, rbuf, sizeof(rbuf))) != 0) {
		if (n < 0) {
			bounce_fail(err, errno,
			    "read the original message: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < (size_t)n && !w->stop; i++) {
			c = (unsigned char)rbuf[i];
			if (c == '\0')
				continue;
			if (c == '\r' || c == '\n') {
				if (!(c == '\n' && w->prev_cr))
					bounce_walk_eol(w);
				w->prev_cr = c == '\r';
				continue;
			}
			w->prev_cr = false;
			if (!w->decided) {
				w->line[w->llen++] = (char)c;
				if (w->llen == sizeof(w->line))
					bounce_walk_decide(w, false);
				continue;
			}
			for (j = i; j < (size_t)n && rbuf[j] != '\0' &&
			    rbuf[j] != '\r' && rbuf[j] != '\n'; j++)
				;
			bounce_walk_text(w, rbuf + i, j - i);
			i = j - 1;
		}
	}
	if (!w->stop && (w->llen > 0 || w->decided))
		bounce_walk_eol(w);
	/* a cut copy still ends with a line end, outside the limit */
	if (w->copy && w->last != -1 && w->last != '\n')
		bounce_out(w->g, "\n", 1);
	return 0;
}

/*
 * bounce_pick_boundary - scan the returned part and choose the first
 * candidate "=_postern_<seed>_NNNN" that starts none of its lines.
 */
int
bounce_pick_boundary(struct bounce_gen *g, int fd, off_t off, struct buf *err)
{
	const struct bounce_info	*info = g->info;
	struct bounce_walk		*w;
	unsigned			 try, ctr;
	int				 rc = -1;

	w = xcalloc(1, sizeof(*w));
	for (try = 0; try < BOUNCE_BOUNDARY_TRIES; try++) {
		if (info->boundary_seed != NULL)
			(void)str_copy(g->seed, info->boundary_seed,
			    sizeof(g->seed));
		else
			bounce_random_seed(g->seed, sizeof(g->seed));
		g->prefix_len = (size_t)snprintf(g->prefix, sizeof(g->prefix),
		    "%s%s_", BOUNCE_BPREFIX, g->seed);
		memset(g->used, 0, sizeof(g->used));
		memset(w, 0, sizeof(*w));
		w->g = g;
		w->headers_only = !info->ret_full;
		w->limit = info->max_return_size;
		if (bounce_walk(w, fd, off, err) == -1)
			goto out;
		for (ctr = 0; ctr < BOUNCE_CTR_N; ctr++)
			if (!(g->used[ctr / 8] & (1u << (ctr % 8))))
				break;
		if (ctr < BOUNCE_CTR_N) {
			g->boundary_len = (size_t)snprintf(g->boundary,
			    sizeof(g->boundary), "%s%04u", g->prefix, ctr);
			g->head8 = w->head8;
			g->body8 = w->body8;
			g->truncated = w->truncated;
			g->returned = w->emitted;
			rc = 0;
			goto out;
		}
		if (info->boundary_seed != NULL)
			break;
	}
	bounce_fail(err, EEXIST, "no MIME boundary is absent from the "
	    "original message (it repeats every candidate); report this as "
	    "a bug");
out:
	free(w);
	return rc;
}


/* bounce_copy - the copy pass: queue the returned part */
int
bounce_copy(struct bounce_gen *g, int fd, off_t off, struct buf *err)
{
	struct bounce_walk	*w;
	int			 rc;

	w = xcalloc(1, sizeof(*w));
	w->g = g;
	w->copy = true;
	w->headers_only = !g->info->ret_full;
	w->limit = g->info->max_return_size;
	rc = bounce_walk(w, fd, off, err);
	free(w);
	return rc;
}
