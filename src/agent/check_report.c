/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_report.c - the output of `postern check`: one line per step
 * (status tag, label, message, hint, time, detail lines) or, with
 * --json, one step object each and the document around them at the
 * end; the count by status and the last line.
 *
 * Owns the wording of the statuses and the step names.  Server text is
 * untrusted: it is made printable for the terminal and escaped for JSON
 * (json_str, src/core/json.c, the one escaper), so the document stays
 * valid whatever a server sends.  Never decides a verdict: the
 * steps do.  RFC 8259 (JSON).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "check.h"
#include "check_int.h"
#include "json.h"
#include "log.h"
#include "util.h"

/* each step's name: the JSON "step" and the human line's label */
static const struct {
	const char	*id;	/* JSON "step" */
	const char	*label;	/* human line */
} check_steps[CK_NSTEPS] = {
	[CK_CONFIG] = { "config", "configuration" },
	[CK_SECRETS] = { "secrets", "secrets" },
	[CK_TOKEN] = { "token", "OAuth2 token" },
	[CK_DNS] = { "dns", "DNS" },
	[CK_CONNECT] = { "connect", "connect" },
	[CK_TLS_IMPLICIT] = { "tls", "TLS" },
	[CK_CERT_IMPLICIT] = { "certificate", "certificate" },
	[CK_GREETING] = { "greeting", "greeting" },
	[CK_EHLO] = { "ehlo", "EHLO" },
	[CK_STARTTLS] = { "starttls", "STARTTLS" },
	[CK_TLS] = { "tls", "TLS" },
	[CK_CERT] = { "certificate", "certificate" },
	[CK_EHLO_TLS] = { "ehlo", "EHLO after TLS" },
	[CK_AUTH] = { "auth", "AUTH" },
	[CK_RELAY] = { "relay", "relay test" },
	[CK_SENDER_DOMAIN] = { "sender-domain", "sender domain" },
	[CK_SPF] = { "spf", "SPF" },
	[CK_DKIM] = { "dkim", "DKIM" },
	[CK_DMARC] = { "dmarc", "DMARC" },
	[CK_SEND_TEST] = { "send-test", "test message" },
};

static const char *const check_status_names[] = {
	[CHECK_OK] = "ok", [CHECK_WARN] = "warn", [CHECK_FAIL] = "fail",
	[CHECK_SKIP] = "skip",
};
static const char *const check_status_tags[] = {
	[CHECK_OK] = "[ ok ]", [CHECK_WARN] = "[warn]", [CHECK_FAIL] = "[FAIL]",
	[CHECK_SKIP] = "[skip]",
};

/* check_print_clean - s to f, control characters as '?' (terminals) */
static void
check_print_clean(FILE *f, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		putc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

/* check_json_step - one step object into ck->steps */
static void
check_json_step(struct check *ck, enum check_step st,
    enum check_status status, int64_t ms, const char *msg, const char *hint,
    const char *details)
{
	struct buf	*b = &ck->steps;
	const char	*line, *nl;
	int		 rc = 0;

	if (b->len > 0)
		rc |= buf_puts(b, ",\n");
	rc |= buf_puts(b, "    {\"relay\": ");
	if (ck->relay > 0) {
		rc |= buf_printf(b, "%zu, \"relay_name\": ", ck->relay);
		rc |= json_str(b, ck->conf.relays[ck->relay - 1].name);
	} else
		rc |= buf_puts(b, "null, \"relay_name\": null");
	if (ck->domain != NULL) {
		rc |= buf_puts(b, ", \"domain\": ");
		rc |= json_str(b, ck->domain);
	}
	rc |= buf_puts(b, ", \"step\": ");
	rc |= json_str(b, check_steps[st].id);
	rc |= buf_printf(b, ", \"status\": \"%s\", \"ms\": ",
	    check_status_names[status]);
	if (ms >= 0)
		rc |= buf_printf(b, "%lld", (long long)ms);
	else
		rc |= buf_puts(b, "null");
	rc |= buf_puts(b, ", \"message\": ");
	rc |= json_str(b, msg);
	rc |= buf_puts(b, ", \"hint\": ");
	rc |= json_str(b, hint);
	rc |= buf_puts(b, ", \"details\": [");
	for (line = details; line != NULL && *line != '\0'; line = nl) {
		char	one[CHECK_TEXT_MAX];
		size_t	len;

		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= sizeof(one))
			len = sizeof(one) - 1;
		memcpy(one, line, len);
		one[len] = '\0';
		if (line != details)
			rc |= buf_puts(b, ", ");
		rc |= json_str(b, one);
		nl = nl != NULL ? nl + 1 : NULL;
	}
	rc |= buf_puts(b, "]}");
	if (rc != 0)
		fatal_exit(EX_SOFTWARE, "check: JSON report larger than %d "
		    "bytes", CHECK_JSON_MAX);
}

/* check_report - one step's verdict (check_int.h) */
void
check_report(struct check *ck, enum check_step st, enum check_status status,
    int64_t ms, const char *hint, const char *details, const char *fmt, ...)
{
	char		 msg[CHECK_TEXT_MAX];
	const char	*line, *nl;
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->counts[status]++;
	ck->reported |= 1u << st;
	if (status == CHECK_FAIL && ck->failed_label == NULL)
		ck->failed_label = check_steps[st].label;
	if (ck->json) {
		check_json_step(ck, st, status, ms, msg, hint, details);
		return;
	}
	printf("%s %s: ", check_status_tags[status], check_steps[st].label);
	check_print_clean(stdout, msg);
	if (hint != NULL && hint[0] != '\0') {
		fputs(": ", stdout);
		check_print_clean(stdout, hint);
	}
	if (ms >= 0)
		printf(" (%lld ms)", (long long)ms);
	putchar('\n');
	for (line = details; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		fputs("       ", stdout);
		if (nl != NULL) {
			char	one[CHECK_TEXT_MAX];
			size_t	len = (size_t)(nl - line);

			if (len >= sizeof(one))
				len = sizeof(one) - 1;
			memcpy(one, line, len);
			one[len] = '\0';
			check_print_clean(stdout, one);
			nl++;
		} else
			check_print_clean(stdout, line);
		putchar('\n');
	}
	fflush(stdout);
}

/* check_planned - does relay r run step st */
static bool
check_planned(const struct conf_relay *r, enum check_step st)
{
	switch (st) {
	case CK_DNS:
	case CK_CONNECT:
	case CK_GREETING:
	case CK_EHLO:
	case CK_AUTH:
	case CK_RELAY:
		return true;
	case CK_TLS_IMPLICIT:
	case CK_CERT_IMPLICIT:
		return r->tls == CONF_TLS_IMPLICIT;
	case CK_TOKEN:
		return r->oauth_flow != CONF_OAUTH_NONE;
	case CK_STARTTLS:
	case CK_TLS:
	case CK_CERT:
	case CK_EHLO_TLS:
		return r->tls == CONF_TLS_STARTTLS;
	default:
		return false;
	}
}

/* check_skip_rest - every planned step of the relay not reported: skip */
void
check_skip_rest(struct check *ck, const struct conf_relay *r)
{
	unsigned	st;

	for (st = CK_TOKEN; st <= CK_RELAY; st++) {
		if (!check_planned(r, (enum check_step)st) ||
		    (ck->reported & (1u << st)))
			continue;
		check_report(ck, (enum check_step)st, CHECK_SKIP, -1, NULL,
		    NULL, "not run (%s failed)", ck->failed_label != NULL ?
		    ck->failed_label : "an earlier step");
	}
}

/* check_has - case-insensitive substring */
bool
check_has(const char *text, const char *needle)
{
	return text != NULL && strcasestr(text, needle) != NULL;
}

/* check_ms - milliseconds since t0 */
int64_t
check_ms(int64_t t0)
{
	return now_ms() - t0;
}

/* check_summary - the last line, or the JSON document */
int
check_summary(struct check *ck)
{
	struct buf	out;
	bool		passed = ck->counts[CHECK_FAIL] == 0 &&
			    (!ck->strict || ck->counts[CHECK_WARN] == 0);
	int		rc = 0;

	if (!ck->json) {
		printf("%s: %u ok, %u warning%s, %u failed, %u skipped\n",
		    passed ? "check passed" : "check FAILED",
		    ck->counts[CHECK_OK], ck->counts[CHECK_WARN],
		    ck->counts[CHECK_WARN] == 1 ? "" : "s",
		    ck->counts[CHECK_FAIL], ck->counts[CHECK_SKIP]);
		return passed ? 0 : CHECK_EXIT_FAILED;
	}
	buf_init(&out, CHECK_JSON_MAX + 4096);
	rc |= buf_puts(&out, "{\n  \"version\": 1,\n  \"config\": ");
	rc |= json_str(&out, ck->conf_loaded ? ck->conf.path :
	    ck->conf_path);
	rc |= buf_printf(&out, ",\n  \"passed\": %s,\n  \"counts\": "
	    "{\"ok\": %u, \"warn\": %u, \"fail\": %u, \"skip\": %u},\n"
	    "  \"steps\": [\n", passed ? "true" : "false",
	    ck->counts[CHECK_OK], ck->counts[CHECK_WARN],
	    ck->counts[CHECK_FAIL], ck->counts[CHECK_SKIP]);
	rc |= buf_append(&out, ck->steps.data != NULL ? ck->steps.data : "",
	    ck->steps.len);
	rc |= buf_puts(&out, "\n  ]\n}\n");
	if (rc != 0)
		fatal_exit(EX_SOFTWARE, "check: JSON report too large");
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
	return passed ? 0 : CHECK_EXIT_FAILED;
}
