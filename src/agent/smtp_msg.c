/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp_msg.c - one message on the SMTP machine: the checks before MAIL
 * (SIZE, SMTPUTF8, control characters), the wire size by a dry run of
 * the 7-bit conversion, and the body pump (dot-stuffing, CRLF, the
 * conversion when the server lacks 8BITMIME) in bounded chunks.
 *
 * Drives the machine through smtp_int.h and is never called by it.
 * Never touches a socket, never decides temporary versus permanent.
 * RFCs 5321 (4.5.2 transparency), 1870, 6152, 6531, 2045.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "smtp_int.h"
#include "util.h"

/*
 * smtp_msg_local - refuse a message before sending anything; enh is the
 * RFC 3463 status for the DSN, or NULL
 */
static int
smtp_msg_local(struct smtp_message *m, const char *enh, const char *text)
{
	m->status = SMTP_MSG_LOCAL;
	m->stage = SMTP_S_MAIL;
	why_set(&m->reply, 0, enh, "%s", text);
	return -1;
}

/*
 * smtp_group_size - an upper bound of the pipelined MAIL/RCPT/DATA group;
 * a group too big for s->out is sent one command at a time instead.
 */
static size_t
smtp_group_size(const struct smtp_message *m)
{
	size_t	i, n = 128 + strlen(m->sender) +
	    (m->envid != NULL ? 3 * strlen(m->envid) : 0);

	for (i = 0; i < m->nrcpts && n <= SMTP_OUT_MAX; i++)
		n += 96 + strlen(m->rcpts[i].addr) + (m->rcpts[i].orcpt ?
		    3 * strlen(m->rcpts[i].orcpt) : 0);
	return n;
}

/* smtp_message_start - begin a transaction */
int
smtp_message_start(struct smtp_session *s, struct smtp_message *m)
{
	char	text[WHY_TEXT_MAX];
	size_t	i;

	if (s->state != SMTP_S_READY)
		fatal_exit(EX_SOFTWARE, "smtp_message_start in state %s",
		    smtp_state_name(s->state));
	m->status = SMTP_MSG_PENDING;
	m->stage = SMTP_S_READY;
	why_clear(&m->reply);
	m->naccepted = 0;
	m->body_8bit = false;
	m->lines_split = 0;
	m->hdr_cut = 0;
	m->downgraded = false;
	m->converted = 0;
	for (i = 0; i < m->nrcpts; i++) {
		m->rcpts[i].replied = false;
		m->rcpts[i].accepted = false;
		why_clear(&m->rcpts[i].reply);
	}
	if (m->nrcpts == 0)
		return smtp_msg_local(m, NULL, "message has no recipients");
	if (!smtp_clean(m->sender))
		return smtp_msg_local(m, NULL, "control character in sender");
	for (i = 0; i < m->nrcpts; i++)
		if (!smtp_clean(m->rcpts[i].addr))
			return smtp_msg_local(m, NULL,
			    "control character in recipient");
	if ((s->caps.ext & EHLO_SIZE) && s->caps.size > 0 &&
	    m->size > s->caps.size) {
		snprintf(text, sizeof(text), "message size %llu exceeds "
		    "the server's limit of %llu bytes",
		    (unsigned long long)m->size,
		    (unsigned long long)s->caps.size);
		return smtp_msg_local(m, "5.3.4", text);
	}
	if (m->smtputf8 && !(s->caps.ext & EHLO_SMTPUTF8))
		return smtp_msg_local(m, "5.6.7", "message needs SMTPUTF8 "
		    "(UTF-8 addresses) but the server does not offer it");
	if (smtp_downgrade(s, m) && m->unconvertible) {
		snprintf(text, sizeof(text), "message has 8-bit data the "
		    "relay cannot accept (no 8BITMIME) and it cannot be "
		    "converted: %s", m->unconvertible_why);
		return smtp_msg_local(m, "5.6.3", text);
	}
	s->msg = m;
	s->messages++;
	s->pipelining = !m->probe && (s->caps.ext & EHLO_PIPELINING) != 0 &&
	    smtp_group_size(m) <= SMTP_OUT_MAX;
	s->mail_ok = false;
	s->rcpt_send = 0;
	s->rcpt_recv = 0;
	s->data_discard = false;
	smtp_enter(s, SMTP_S_MAIL);
	return 0;
}

/* smtp_message_measure - the wire size, by a dry run of the conversion */
int
smtp_message_measure(struct smtp_session *s, struct smtp_message *m)
{
	struct dotstuff	 ds;
	struct mime7bit	*m7 = NULL;
	struct buf	 mid, scratch;
	uint64_t	 total = 0;
	ssize_t		 n;
	size_t		 off, k;
	int		 rc = -1;
	bool		 eof = false;
	const char	*why;

	m->unconvertible = false;
	m->unconvertible_why[0] = '\0';
	if (!(s->caps.ext & EHLO_SIZE) && !smtp_downgrade(s, m))
		return 0;	/* nothing to learn: no SIZE=, no conversion */
	buf_init(&mid, MIME7BIT_OUT_MAX(SMTP_BODY_CHUNK));
	buf_init(&scratch, DOTSTUFF_OUT_MAX(SMTP_BODY_CHUNK) +
	    DOTSTUFF_FINISH_MAX);
	dotstuff_init(&ds);
	if (smtp_downgrade(s, m))
		m7 = mime7bit_new();
	while (!eof) {
		n = m->read(m->read_arg, s->chunk, SMTP_BODY_CHUNK);
		if (n < 0)
			goto out;
		if ((size_t)n > SMTP_BODY_CHUNK)
			fatal_exit(EX_SOFTWARE, "smtp: body reader overran");
		eof = n == 0;
		if (m7 != NULL) {
			buf_reset(&mid);
			if ((eof ? mime7bit_finish(m7, &mid) :
			    mime7bit_feed(m7, s->chunk, (size_t)n,
			    &mid)) == -1) {
				if ((why = mime7bit_reason(m7)) == NULL)
					fatal_errno(EX_SOFTWARE, "smtp: "
					    "conversion output");
				m->unconvertible = true;
				(void)snprintf(m->unconvertible_why,
				    sizeof(m->unconvertible_why), "%s", why);
				rc = 0;
				goto out;
			}
			for (off = 0; off < mid.len; off += k) {
				k = mid.len - off < SMTP_BODY_CHUNK ?
				    mid.len - off : SMTP_BODY_CHUNK;
				if (dotstuff_feed(&ds, mid.data + off, k,
				    &scratch) == -1)
					fatal_errno(EX_SOFTWARE,
					    "smtp: measure output");
				total += scratch.len;
				buf_reset(&scratch);
			}
		} else if (dotstuff_feed(&ds, s->chunk, (size_t)n,
		    &scratch) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: measure output");
		total += scratch.len;
		buf_reset(&scratch);
	}
	if (dotstuff_finish(&ds, &scratch) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: measure output");
	total += scratch.len;
	/* RFC 1870 4: without the stuffed dots and the final ".\r\n" */
	m->size = total - ds.stuffed - 3;
	rc = 0;
out:
	mime7bit_free(m7);
	buf_free(&mid);
	buf_free(&scratch);
	return rc;
}

/*
 * smtp_body_drain - converted bytes on to the dot-stuffer, a chunk at a
 * time, until s->out holds a chunk's worth; true when it does
 */
static bool
smtp_body_drain(struct smtp_session *s)
{
	size_t	k;

	while (s->mid_off < s->mid.len) {
		if (s->out.len >= SMTP_BODY_CHUNK)
			return true;
		k = s->mid.len - s->mid_off;
		if (k > SMTP_BODY_CHUNK)
			k = SMTP_BODY_CHUNK;
		if (dotstuff_feed(&s->ds, s->mid.data + s->mid_off, k,
		    &s->out) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: body output");
		s->mid_off += k;
	}
	return s->out.len >= SMTP_BODY_CHUNK;
}

/* smtp_body_convert_failed - the 7-bit conversion failed mid-body */
static void
smtp_body_convert_failed(struct smtp_session *s)
{
	char		 text[WHY_TEXT_MAX];
	const char	*why = mime7bit_reason(s->m7);

	if (why == NULL)
		fatal_errno(EX_SOFTWARE, "smtp: conversion output");
	snprintf(text, sizeof(text), "convert the message to 7 bit: %s",
	    why);
	smtp_fail(s, SMTP_E_LOCAL, NULL, text);
}

/* smtp_body_pump - more body for the wire */
void
smtp_body_pump(struct smtp_session *s)
{
	ssize_t	n;
	char	text[WHY_TEXT_MAX];

	if (s->state != SMTP_S_BODY)
		fatal_exit(EX_SOFTWARE, "smtp_body_pump in state %s",
		    smtp_state_name(s->state));
	/*
	 * Read until a chunk's worth of wire bytes is waiting or the body
	 * ends, so the final "." leaves in the same write (and TLS record) as
	 * the end of the body instead of in a packet of its own.
	 */
	for (;;) {
		if (smtp_body_drain(s))
			return;
		if (s->body_eof)
			break;
		n = s->msg->read(s->msg->read_arg, s->chunk, SMTP_BODY_CHUNK);
		if (n < 0) {
			snprintf(text, sizeof(text), "read message body: %s",
			    strerror(errno));
			smtp_fail(s, SMTP_E_LOCAL, NULL, text);
			return;
		}
		if ((size_t)n > SMTP_BODY_CHUNK)
			fatal_exit(EX_SOFTWARE, "smtp: body reader overran");
		s->body_eof = n == 0;
		if (s->m7 != NULL) {
			buf_reset(&s->mid);
			s->mid_off = 0;
			if ((s->body_eof ? mime7bit_finish(s->m7, &s->mid) :
			    mime7bit_feed(s->m7, s->chunk, (size_t)n,
			    &s->mid)) == -1) {
				smtp_body_convert_failed(s);
				return;
			}
		} else if (n > 0 && dotstuff_feed(&s->ds, s->chunk, (size_t)n,
		    &s->out) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: body output");
	}
	if (dotstuff_finish(&s->ds, &s->out) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: body output");
	if (s->m7 != NULL) {
		s->msg->converted = mime7bit_converted(s->m7);
		mime7bit_free(s->m7);
		s->m7 = NULL;
	}
	s->msg->body_8bit = s->ds.has_8bit;
	s->msg->lines_split = s->ds.lines_split;
	s->msg->hdr_cut = s->ds.hdr_cut;
	smtp_set_state(s, SMTP_S_DATA_END);
}
