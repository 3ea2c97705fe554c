/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp.c - libFuzzer target for the SMTP client machine (src/agent/smtp.c)
 * driven through a whole session by a hostile server: the input after
 * two control bytes is everything the server says (greeting, EHLO
 * capabilities, STARTTLS, AUTH challenges, MAIL/RCPT/DATA verdicts),
 * fed in chunks, with the caller loop of smtp.h around it: up to three
 * canned messages, a fake SASL plug-in, a pretend TLS handshake.
 * Byte 0 picks the policy (STARTTLS required, implicit TLS, AUTH,
 * plaintext AUTH allowed, handshake or body read failing, SMTPUTF8, long
 * initial response), byte 1 the chunk size.
 * Checks: nothing but EHLO/HELO/STARTTLS/QUIT leaves before TLS when TLS
 * is required; no AUTH without TLS unless allowed; output holding a
 * credential is marked out_secret; commands are CRLF lines without NUL
 * or bare CR/LF; capabilities are empty right after the handshake; the
 * session always ends (bounded steps, EOF closes); every message
 * started has a final status, recipient counts agree, and every reason
 * is printable text.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "log.h"
#include "smtp.h"

#define FUZZ_STEPS_MAX	100000	/* loop turns; far above any real need */
#define FUZZ_MESSAGES	3

/* policy bits (byte 0) */
#define F_STARTTLS	0x01
#define F_IMPLICIT	0x02
#define F_AUTH		0x04
#define F_PLAINTEXT	0x08
#define F_TLS_FAIL	0x10
#define F_READ_FAIL	0x20
#define F_UTF8		0x40
#define F_LONG_IR	0x80

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_secret[] = "\0fuzzuser\0S3cret-pass-w0rd";
static const char fuzz_step_secret[] = "S3cret-step-answer";
static char	fuzz_ir_b64[8192], fuzz_step_b64[128];
static bool	fuzz_long_ir;

/* fuzz_b64 - base64 of p into out (a C string) */
static void
fuzz_b64(const void *p, size_t n, char *out, size_t size)
{
	struct buf	b;

	buf_init(&b, size - 1);
	if (base64_encode(p, n, &b) == -1)
		abort();
	memcpy(out, b.data, b.len + 1);
	buf_free(&b);
}

/* fuzz_ir - the initial response: the secret, padded when long */
static int
fuzz_ir(struct buf *b)
{
	size_t	i;

	if (buf_append(b, fuzz_secret, sizeof(fuzz_secret) - 1) == -1)
		return -1;
	for (i = 0; fuzz_long_ir && i < 600; i++)
		if (buf_putc(b, 'x') == -1)
			return -1;
	return 0;
}

/* fuzz_start - the plug-in's start: PLAIN-like, or LOGIN-like */
static int
fuzz_start(void *arg, const char *offered, const char **mech,
    struct buf *initial, bool *has_initial, struct why *why)
{
	(void)arg;
	if (strlen(offered) >= EHLO_AUTH_MAX)
		abort();
	if (strstr(offered, "LOGIN") != NULL) {
		*mech = "LOGIN";
		*has_initial = false;
		return 0;
	}
	if (strstr(offered, "NOPE") != NULL) {
		why_set(why, 0, NULL, "no usable mechanism");
		return -1;
	}
	*mech = "PLAIN";
	*has_initial = true;
	return fuzz_ir(initial) == -1 ? -1 : 0;
}

/* fuzz_step - answer every challenge with a secret; "fail" fails */
static int
fuzz_step(void *arg, const char *challenge, size_t len, struct buf *resp,
    struct why *why)
{
	(void)arg;
	if (len >= 4 && memcmp(challenge, "fail", 4) == 0) {
		why_set(why, 0, NULL, "step failed");
		return -1;
	}
	return buf_puts(resp, fuzz_step_secret);
}

static const struct smtp_auth_ops fuzz_auth = {
	.start = fuzz_start, .step = fuzz_step, .arg = NULL,
};

struct fuzz_body {
	const char	*p;
	size_t		 left;
	bool		 fail;
};

/* fuzz_read - the message body, or an error when asked */
static ssize_t
fuzz_read(void *arg, void *buf, size_t len)
{
	struct fuzz_body	*b = arg;
	size_t			 n;

	if (b->fail) {
		errno = EIO;
		return -1;
	}
	n = b->left < len ? b->left : len;
	memcpy(buf, b->p, n);
	b->p += n;
	b->left -= n;
	return (ssize_t)n;
}

/* fuzz_printable - a reason is plain text */
static void
fuzz_printable(const struct why *w)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)w->text; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			abort();
	if (w->code != 0)	/* from the server: sanitised */
		for (p = (const unsigned char *)w->text; *p != '\0'; p++)
			if (*p < 0x20 || *p >= 0x7f)
				abort();
	for (p = (const unsigned char *)w->enh; *p != '\0'; p++)
		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			abort();
}

/* fuzz_check_out - what the machine wants written */
static void
fuzz_check_out(const struct smtp_session *s, enum smtp_state before)
{
	const char	*p = s->out.data, *end = p + s->out.len, *nl;
	bool		 body = before == SMTP_S_BODY;

	if (s->out.len > SMTP_OUT_MAX)
		abort();
	if ((memmem(p, s->out.len, fuzz_ir_b64, 16) != NULL ||
	    memmem(p, s->out.len, fuzz_step_b64, 16) != NULL) &&
	    !s->out_secret)
		abort();		/* a credential not marked secret */
	if (body)
		return;			/* dot-stuffed body: fuzz/dotstuff */
	if (s->out.len < 2 || memcmp(end - 2, "\r\n", 2) != 0)
		abort();
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || nl == p || nl[-1] != '\r' ||
		    memchr(p, '\r', (size_t)(nl - p - 1)) != NULL ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL)
			abort();
		if (!s->tls && s->params.starttls &&
		    strncmp(p, "EHLO ", 5) != 0 &&
		    strncmp(p, "HELO ", 5) != 0 &&
		    strncmp(p, "STARTTLS\r", 9) != 0 &&
		    strncmp(p, "QUIT\r", 5) != 0)
			abort();	/* spoke before TLS */
		if (!s->tls && !s->params.allow_plaintext_auth &&
		    (strncmp(p, "AUTH", 4) == 0 || s->out_secret))
			abort();	/* credentials in clear */
	}
}

/* fuzz_check_msg - a finished message's results */
static void
fuzz_check_msg(const struct smtp_message *m)
{
	size_t	i, acc = 0;

	if (m->status == SMTP_MSG_PENDING)
		abort();
	for (i = 0; i < m->nrcpts; i++) {
		if (m->rcpts[i].accepted && !m->rcpts[i].replied)
			abort();
		acc += m->rcpts[i].accepted;
		fuzz_printable(&m->rcpts[i].reply);
	}
	if (acc != m->naccepted)
		abort();
	if (m->status == SMTP_MSG_SENT && m->naccepted == 0)
		abort();
	fuzz_printable(&m->reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char body_text[] =
	    "Subject: fuzz\n\n.leading dot\n.\nb\xc3\xa4r\n";
	struct smtp_session	s;
	struct smtp_params	prm;
	struct smtp_rcpt	r[3];
	struct smtp_message	m;
	struct fuzz_body	body;
	enum smtp_state		before;
	unsigned		pol;
	size_t			chunk, off = 0, n, steps, started = 0;
	bool			in_msg = false;
	static bool		init;

	if (!init) {
		log_init("fuzz-smtp", 0);
		fuzz_b64(fuzz_step_secret, strlen(fuzz_step_secret),
		    fuzz_step_b64, sizeof(fuzz_step_b64));
		init = true;
	}
	if (size < 2)
		return 0;
	pol = data[0];
	chunk = data[1] % 32 + 1;
	data += 2;
	size -= 2;
	{
		struct buf ir;

		fuzz_long_ir = (pol & F_LONG_IR) != 0;
		buf_init(&ir, 4096);
		if (fuzz_ir(&ir) == -1)
			abort();
		fuzz_b64(ir.data, ir.len, fuzz_ir_b64, sizeof(fuzz_ir_b64));
		buf_free(&ir);
	}

	memset(&prm, 0, sizeof(prm));
	prm.helo_name = "client.example.org";
	prm.tls_active = (pol & F_IMPLICIT) != 0;
	prm.starttls = (pol & F_STARTTLS) != 0;
	prm.auth = (pol & F_AUTH) ? &fuzz_auth : NULL;
	prm.allow_plaintext_auth = (pol & F_PLAINTEXT) != 0;

	memset(r, 0, sizeof(r));
	r[0].addr = "a@example.org";
	r[0].notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY;
	r[0].orcpt = "rfc822;a+b=c@example.org";
	r[1].addr = "b@example.net";
	r[1].notify = SMTP_NOTIFY_NEVER;
	r[2].addr = "c@example.com";
	r[2].orcpt = "x@y";
	memset(&m, 0, sizeof(m));
	m.sender = "sender@example.org";
	m.rcpts = r;
	m.nrcpts = 3;
	m.body = SMTP_BODY_8BITMIME;
	m.smtputf8 = (pol & F_UTF8) != 0;
	m.size = sizeof(body_text) - 1;
	m.ret = SMTP_RET_HDRS;
	m.envid = "env+id=1";
	m.read = fuzz_read;
	m.read_arg = &body;

	smtp_init(&s, &prm);
	before = s.state;
	for (steps = 0;; steps++) {
		if (steps > FUZZ_STEPS_MAX || s.state >= SMTP_S_NSTATES)
			abort();	/* no progress */
		if (s.out.len > 0) {
			fuzz_check_out(&s, before);
			smtp_output_done(&s);
			if (s.out.len != 0 || s.out_secret)
				abort();
		}
		before = s.state;
		switch (smtp_want(&s)) {
		case SMTP_WANT_READ:
			if (off == size) {
				smtp_io_error(&s, "connection closed");
				if (smtp_want(&s) != SMTP_WANT_CLOSE)
					abort();
				break;
			}
			n = size - off < chunk ? size - off : chunk;
			smtp_feed(&s, (const char *)data + off, n);
			off += n;
			break;
		case SMTP_WANT_WRITE:
			smtp_body_pump(&s);
			break;
		case SMTP_WANT_TLS:
			if (pol & F_TLS_FAIL) {
				smtp_io_error(&s, "TLS handshake failed");
				break;
			}
			smtp_tls_done(&s);
			if (s.caps.ext != 0 || s.caps.auth[0] != '\0' ||
			    !s.tls || s.esmtp)
				abort();	/* RFC 3207 4.2 */
			break;
		case SMTP_WANT_MESSAGE:
			if (in_msg)
				fuzz_check_msg(&m);
			in_msg = false;
			if (s.params.starttls && !s.tls)
				abort();
			if (s.params.auth != NULL && !s.authenticated)
				abort();
			if (started == FUZZ_MESSAGES) {
				smtp_quit(&s);
				break;
			}
			started++;
			body.p = body_text;
			body.left = sizeof(body_text) - 1;
			body.fail = (pol & F_READ_FAIL) && started == 2;
			if (smtp_message_start(&s, &m) == -1) {
				if (m.status != SMTP_MSG_LOCAL ||
				    s.state != SMTP_S_READY || s.out.len != 0)
					abort();
				fuzz_check_msg(&m);
			} else
				in_msg = true;
			break;
		case SMTP_WANT_CLOSE:
			if (in_msg)
				fuzz_check_msg(&m);
			fuzz_printable(&s.failure.why);
			goto done;
		default:
			abort();
		}
	}
done:
	smtp_free(&s);
	return 0;
}
