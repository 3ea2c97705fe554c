/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp_int.h - private to smtp.c, smtp_cmd.c and smtp_msg.c (smtp.h is
 * the public face): the machine's own moves and the command builders.
 * The files call one way only:
 *   smtp_msg.c (a message: start, size, body) -> smtp.c (the machine)
 *   smtp.c, smtp_msg.c -> smtp_cmd.c (the command builders, leaves)
 * Nothing outside src/agent/smtp*.c may include it.
 */
#ifndef POSTERN_SMTP_INT_H
#define POSTERN_SMTP_INT_H

#include <stdbool.h>

#include "reply.h"
#include "smtp.h"

/* ---- smtp.c: the machine */

/* smtp_set_state - the one place where the state changes (logged) */
void	smtp_set_state(struct smtp_session *s, enum smtp_state st);
/* smtp_enter - go to st and write its command into s->out */
void	smtp_enter(struct smtp_session *s, enum smtp_state st);
/*
 * smtp_fail - end the session with a failure of kind: r is the server's
 * reply (or NULL), text the reason when r is NULL.  QUIT after a refusal
 * (not after 421), close after a protocol or I/O failure.
 */
void	smtp_fail(struct smtp_session *s, enum smtp_error kind,
	    const struct reply *r, const char *text);

/* ---- smtp_cmd.c: the command builders */

/* smtp_putf - append a command to s->out; overflow is a bug (fatal) */
void	smtp_putf(struct smtp_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* smtp_put_mail - the MAIL command of s->msg with its parameters */
void	smtp_put_mail(struct smtp_session *s);
/* smtp_put_rcpt - one RCPT command with its DSN parameters */
void	smtp_put_rcpt(struct smtp_session *s, const struct smtp_rcpt *r);
/* smtp_clean - str holds no control character (command injection) */
bool	smtp_clean(const char *str);
/* smtp_downgrade - m's 8-bit body goes as 7 bit (no 8BITMIME offered) */
bool	smtp_downgrade(const struct smtp_session *s,
	    const struct smtp_message *m);

#endif
