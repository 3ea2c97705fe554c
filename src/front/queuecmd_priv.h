/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_priv.h - what the files of the queue tools share, and nothing
 * outside them may include: the context of one command (struct qc_ctx),
 * a message as the tools see it, and the functions each file offers the
 * ones above it.  The entry points are in front.h (queuecmd.c).
 *
 * The files call downwards only, in this order: queuecmd.c (entry
 * points) -> queuecmd_list.c, queuecmd_show.c, queuecmd_change.c ->
 * queuecmd_msg.c -> queuecmd_relays.c, queuecmd_read.c ->
 * queuecmd_ctx.c.  Output is staged in x->out with the sticky appenders
 * (buf_sputs and friends, buf.h): nothing reaches stdout without
 * qc_out_check, which ends the command when an append failed.
 */
#ifndef POSTERN_QUEUECMD_PRIV_H
#define POSTERN_QUEUECMD_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "qid.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"

#define QC_ERR_MAX		4096

/* the three places a message can be, in the order messages move */
enum qc_where {
	QC_NEW = 0,
	QC_CUR,
	QC_FAILED,
	QC_NWHERE
};

#define QC_IN(w)		(1u << (w))
#define QC_ANYWHERE		(QC_IN(QC_NEW) | QC_IN(QC_CUR) | \
				    QC_IN(QC_FAILED))

/* the directory names of enum qc_where: "new", "cur", "failed" */
extern const char *const qc_dirs[QC_NWHERE];

/* one command's context (a listing thread has its own copy) */
struct qc_ctx {
	const struct conf *c;
	const char	*cmd;		/* for messages: "queue", "show" ... */
	int		 dir[QC_NWHERE]; /* O_DIRECTORY fds, -1: not open */
	int		 state_fd;
	uint64_t	 now;
	bool		 json;
	bool		 body;
	bool		 all;
	bool		 new_hidden;	/* new/ not readable by the caller */
	struct buf	 out;		/* one entry, then to stdout */
	struct buf	 err;
	struct queuefmt_clock clock;	/* per thread: qc_time */
	bool		 noatime[2];	/* per thread: O_NOATIME may work,
					   for queue files [0], states [1] */
	unsigned long	 uid;
	bool		 owner_set;	/* --owner: only that uid's messages */
	unsigned long	 owner;
	char		 who[64];	/* login of the caller, for the log */
	const struct relaystate *hold;	/* every relay is down: the one back
					   first (its reason holds the mail);
					   NULL otherwise (qc_hold_set) */
};

/* queue ids collected from the directories */
struct qc_list {
	struct queuefmt_entry *v;
	size_t		 n, cap;
};

/* a message as the tools see it */
struct qc_msg {
	struct qid	 qid;
	enum qc_where	 where;
	bool		 ok;		/* envelope parsed */
	struct envelope	 env;
	off_t		 body_off;
	struct spool_state st;
	char		*problem;	/* owned: why !ok, or state trouble */
};

/* queuecmd_ctx.c: context, permissions, output */
/* qc_refuse - the caller may not read the spool: say who may; exit 77 */
void	qc_refuse(const struct qc_ctx *, const char *what)
	    __attribute__((noreturn));
/*
 * qc_init - set up x for command cmd, opening the directories in mask
 * (of QC_IN) and, with state, state/; exits on a refusal or an error
 */
void	qc_init(struct qc_ctx *x, const struct conf *, const char *cmd,
	    unsigned mask, bool state);
/* qc_free - close and release what qc_init opened */
void	qc_free(struct qc_ctx *);
/* qc_out_check - exit when out's sticky error is set (output not whole) */
void	qc_out_check(const struct qc_ctx *, const struct buf *out);
/* qc_flush - qc_out_check, then x->out to stdout; x->out is emptied */
void	qc_flush(struct qc_ctx *);
/* qc_agent_listens - true when an agent holds the trigger FIFO open */
bool	qc_agent_listens(const struct qc_ctx *);
/* qc_audit - one log line for a change to qid */
void	qc_audit(struct qc_ctx *, const struct qid *, const char *what);
/* qc_time - t as local time, into out (returned) */
char	*qc_time(struct qc_ctx *, uint64_t t, char *out, size_t outsize);
/* qc_num - v in decimal into x->out (a failure is sticky) */
void	qc_num(struct qc_ctx *, uint64_t v);
/* qc_plural - "s" unless n is 1 */
const char *qc_plural(uint64_t n);
/* qc_text - s sanitised for a terminal into x->out (sticky) */
void	qc_text(struct qc_ctx *, const char *s);

/* queuecmd_read.c: reading messages, finding one message */
/* qc_msg_free - release what qc_load filled in */
void	qc_msg_free(struct qc_msg *);
/*
 * qc_read_state - state/QID into *st (a missing file: a fresh state);
 * *sb (may be NULL) gets its identity, st_ino 0 when missing.  0, or -1
 * with the reason in err.
 */
int	qc_read_state(struct qc_ctx *, const struct qid *,
	    struct spool_state *st, struct stat *sb, struct buf *err);
/*
 * qc_load - a message's envelope and state into *m: -1 (errno ENOENT)
 * when it vanished, else 0 with m->ok false and m->problem set when it
 * is unreadable.  listing: the quick path (the state's envelope copy).
 */
int	qc_load(struct qc_ctx *, const struct qid *, enum qc_where,
	    bool listing, struct qc_msg *m);
/* qc_sort - by id, which is by arrival */
void	qc_sort(struct qc_list *);
/* qc_collect - the ids in directory w (with prefix, or NULL); 0 or -1 */
int	qc_collect(struct qc_ctx *, enum qc_where w, const char *prefix,
	    struct qc_list *l);
/* qc_collect_or_die - qc_collect, exiting on an error */
void	qc_collect_or_die(struct qc_ctx *, enum qc_where w,
	    const char *prefix, struct qc_list *l);
/*
 * qc_resolve - the message a full id or unique prefix names: EX_OK with
 * *qid and *w, or an exit status after saying why
 */
int	qc_resolve(struct qc_ctx *, const char *arg, struct qid *qid,
	    enum qc_where *w);

/* queuecmd_relays.c: the agent's relay state (state/relays) */
/* qc_relays_read - state/relays into *rs when present and readable */
void	qc_relays_read(struct qc_ctx *, struct relaystate_file *rs);
/* qc_hold_set - every relay of rs down: x->hold is the one back first */
void	qc_hold_set(struct qc_ctx *, const struct relaystate_file *rs);
/* qc_held - m waits for the relays, not for its own back-off */
bool	qc_held(const struct qc_ctx *, const struct qc_msg *m);
/* qc_hold_next - when a held message is tried next */
uint64_t qc_hold_next(const struct qc_ctx *);
/* qc_hold_text - "next TIME (in N); waiting for relay R ..." */
void	qc_hold_text(struct qc_ctx *);
/* qc_relays_text - one line per relay down, for the listing */
void	qc_relays_text(struct qc_ctx *, const struct relaystate_file *rs);
/* qc_relays_json - the listing's "relays" array */
void	qc_relays_json(struct qc_ctx *, const struct relaystate_file *rs);

/* queuecmd_msg.c: one message, text and JSON */
/* qc_msg_text - one mailq entry */
void	qc_msg_text(struct qc_ctx *, const struct qc_msg *m);
/* qc_msg_json - one element of "messages"; close_it false: left open */
void	qc_msg_json(struct qc_ctx *, const struct qc_msg *m, bool close_it);

/* queuecmd_list.c: the listing */
/* qc_list - list the directories in mask (text or JSON); exit status */
int	qc_list(struct qc_ctx *, unsigned mask);

/* queuecmd_show.c: show */
/* qc_show - one message: envelope, state, header; exit status */
int	qc_show(struct qc_ctx *, const char *arg);

/* queuecmd_change.c: delete, retry, requeue */
/* qc_delete - delete the message arg names; exit status */
int	qc_delete(struct qc_ctx *, const char *arg);
/* qc_retry - retry ids[0..n) or, with x->all, cur/; exit status */
int	qc_retry(struct qc_ctx *, int n, char **ids);
/* qc_requeue - failed/ back to the queue: ids or x->all; exit status */
int	qc_requeue(struct qc_ctx *, int n, char **ids);

#endif
