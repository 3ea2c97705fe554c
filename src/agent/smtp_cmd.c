/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp_cmd.c - the commands the SMTP machine writes: MAIL with SIZE,
 * BODY, SMTPUTF8, RET and ENVID; RCPT with NOTIFY and ORCPT; xtext
 * (RFC 3461 4); the refusal of control characters that would let an
 * address inject a command; whether a body goes converted to 7 bit.
 *
 * Leaves only: never changes the machine's state, never reads a reply,
 * never touches a socket.  RFCs 5321, 1870, 6152, 6531, 3461.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "smtp_int.h"
#include "util.h"

/* smtp_putf - append a command; a full buffer is a bug (fatal) */
void
smtp_putf(struct smtp_session *s, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	if (rc == -1)
		fatal_errno(EX_SOFTWARE, "smtp: command too long for the "
		    "output buffer (%d bytes)", SMTP_OUT_MAX);
}

/* smtp_xtext_encode - RFC 3461 xtext */
int
smtp_xtext_encode(const char *str, struct buf *out)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)str; *p != '\0'; p++) {
		int	rc;

		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=')
			rc = buf_putc(out, *p);
		else
			rc = buf_printf(out, "+%02X", *p);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* smtp_put_xtext - append xtext or end the program on overflow */
static void
smtp_put_xtext(struct smtp_session *s, const char *str)
{
	if (smtp_xtext_encode(str, &s->out) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: xtext too long for the "
		    "output buffer");
}

/* smtp_clean - no control characters (command injection) */
bool
smtp_clean(const char *str)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)str; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* smtp_put_mail - the MAIL command with its parameters */
void
smtp_put_mail(struct smtp_session *s)
{
	struct smtp_message	*m = s->msg;

	smtp_putf(s, "MAIL FROM:<%s>", m->sender);
	if (s->caps.ext & EHLO_SIZE)
		smtp_putf(s, " SIZE=%llu", (unsigned long long)m->size);
	if (m->body == SMTP_BODY_8BITMIME && (s->caps.ext & EHLO_8BITMIME))
		smtp_putf(s, " BODY=8BITMIME");
	if (m->smtputf8)
		smtp_putf(s, " SMTPUTF8");
	if (s->caps.ext & EHLO_DSN) {
		if (m->ret == SMTP_RET_FULL)
			smtp_putf(s, " RET=FULL");
		else if (m->ret == SMTP_RET_HDRS)
			smtp_putf(s, " RET=HDRS");
		if (m->envid != NULL && m->envid[0] != '\0') {
			smtp_putf(s, " ENVID=");
			smtp_put_xtext(s, m->envid);
		}
	}
	smtp_putf(s, "\r\n");
}

/* smtp_put_rcpt - one RCPT command */
void
smtp_put_rcpt(struct smtp_session *s, const struct smtp_rcpt *r)
{
	const char	*semi;

	smtp_putf(s, "RCPT TO:<%s>", r->addr);
	if (s->caps.ext & EHLO_DSN) {
		if (r->notify & SMTP_NOTIFY_NEVER)
			smtp_putf(s, " NOTIFY=NEVER");
		else if (r->notify != 0)
			smtp_putf(s, " NOTIFY=%s%s%s%s%s",
			    r->notify & SMTP_NOTIFY_SUCCESS ? "SUCCESS" : "",
			    (r->notify & SMTP_NOTIFY_SUCCESS) &&
			    (r->notify & (SMTP_NOTIFY_FAILURE |
			    SMTP_NOTIFY_DELAY)) ? "," : "",
			    r->notify & SMTP_NOTIFY_FAILURE ? "FAILURE" : "",
			    (r->notify & SMTP_NOTIFY_FAILURE) &&
			    (r->notify & SMTP_NOTIFY_DELAY) ? "," : "",
			    r->notify & SMTP_NOTIFY_DELAY ? "DELAY" : "");
		if (r->orcpt != NULL && r->orcpt[0] != '\0') {
			semi = strchr(r->orcpt, ';');
			if (semi != NULL && semi > r->orcpt) {
				smtp_putf(s, " ORCPT=%.*s;",
				    (int)(semi - r->orcpt), r->orcpt);
				smtp_put_xtext(s, semi + 1);
			} else {
				smtp_putf(s, " ORCPT=rfc822;");
				smtp_put_xtext(s, r->orcpt);
			}
		}
	}
	smtp_putf(s, "\r\n");
}

/*
 * smtp_downgrade - m's body must go converted to 7 bit: it is 8-bit and
 * the server did not offer 8BITMIME (RFC 6152 3)
 */
bool
smtp_downgrade(const struct smtp_session *s, const struct smtp_message *m)
{
	return m->body == SMTP_BODY_8BITMIME &&
	    !(s->caps.ext & EHLO_8BITMIME);
}
