/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oauth_http.c - one OAuth2 token request: an HTTPS POST with libcurl
 * (TLS verified, https only, no redirects, deadlines on connect and on
 * the whole request, an answer of at most OAUTH_REPLY_MAX bytes) and
 * its JSON answer read with json-c (RFC 6749 5.1 and 5.2).
 *
 * Never logs the form or the answer (both hold secrets); what it says
 * about a failure is curl's error, the HTTP status and the endpoint's
 * "error" and "error_description".  No HTTP or JSON is written by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "oauth.h"
#include "oauth_int.h"
#include "util.h"

/* oauth_form_add - one percent-encoded field */
int
oauth_form_add(struct oauth_request *q, const char *name, const char *value)
{
	char	*enc;
	int	 rc = 0;

	if ((enc = curl_easy_escape(NULL, value, 0)) == NULL)
		return -1;
	if (q->form.len > 0)
		rc |= buf_putc(&q->form, '&');
	rc |= buf_puts(&q->form, name);
	rc |= buf_putc(&q->form, '=');
	rc |= buf_puts(&q->form, enc);
	wipe(enc, strlen(enc));
	curl_free(enc);
	return rc != 0 ? -1 : 0;
}

/* oauth_reply_init - empty */
void
oauth_reply_init(struct oauth_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	buf_init(&rep->access, OAUTH_TOKEN_MAX);
	buf_init(&rep->refresh, OAUTH_TOKEN_MAX);
}

/* oauth_wipe_buf - wipe and free a buffer holding a secret */
static void
oauth_wipe_buf(struct buf *b)
{
	if (b->data != NULL)
		wipe(b->data, b->cap);
	buf_free(b);
}

/* oauth_reply_free - wipe the tokens */
void
oauth_reply_free(struct oauth_reply *rep)
{
	oauth_wipe_buf(&rep->access);
	oauth_wipe_buf(&rep->refresh);
}

/* oauth_http_write - curl's write callback: into a bounded buffer */
static size_t
oauth_http_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	if (buf_append(b, p, size * n) == -1)
		return 0;	/* CURLE_WRITE_ERROR: over OAUTH_REPLY_MAX */
	return size * n;
}

/* oauth_json_str - a string member into out (truncated), or "" */
static void
oauth_json_str(struct json_object *o, const char *key, char *out,
    size_t size)
{
	struct json_object	*v;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		(void)str_copy(out, json_object_get_string(v), size);
}

/* oauth_json_secret - a string member into a wiped buffer; -1 if long */
static int
oauth_json_secret(struct json_object *o, const char *key, struct buf *b)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	return buf_append(b, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

/* oauth_clean_desc - first line of the description, printable only */
static void
oauth_clean_desc(struct oauth_reply *rep)
{
	char	*p;

	rep->desc[strcspn(rep->desc, "\r\n")] = '\0';
	for (p = rep->desc; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	for (p = rep->error; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if ((p = strstr(rep->desc, "AADSTS")) != NULL)
		rep->aadsts = strtoul(p + 6, NULL, 10);
}

/* oauth_http_parse - the JSON answer into rep: 0 token, 1 error, -1 */
static int
oauth_http_parse(const struct buf *body, struct oauth_reply *rep,
    struct why *why)
{
	struct json_tokener	*tok;
	struct json_object	*o, *v;
	int			 ret = -1;

	if ((tok = json_tokener_new()) == NULL) {
		why_set(why, 0, NULL, "json-c: out of memory");
		return -1;
	}
	o = json_tokener_parse_ex(tok, body->data != NULL ? body->data : "",
	    (int)body->len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		why_set(why, 0, NULL, "the token endpoint's answer (HTTP %ld) "
		    "is not a JSON object: is oauth_token_endpoint the token "
		    "URL?", rep->http);
		goto out;
	}
	oauth_json_str(o, "error", rep->error, sizeof(rep->error));
	oauth_json_str(o, "error_description", rep->desc, sizeof(rep->desc));
	oauth_clean_desc(rep);
	if (json_object_object_get_ex(o, "expires_in", &v))
		rep->expires_in = json_object_get_int64(v);
	if (oauth_json_secret(o, "access_token", &rep->access) == -1 ||
	    oauth_json_secret(o, "refresh_token", &rep->refresh) == -1) {
		why_set(why, 0, NULL, "the token endpoint sent a token over "
		    "%d bytes", OAUTH_TOKEN_MAX);
		goto out;
	}
	if (rep->http == 200 && rep->access.len > 0 && rep->error[0] == '\0')
		ret = 0;
	else if (rep->error[0] != '\0')
		ret = 1;
	else
		why_set(why, 0, NULL, "the token endpoint answered HTTP %ld "
		    "without a token or an error", rep->http);
out:
	if (o != NULL)
		json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

/* oauth_http_setup - the options of one request on h */
static CURLcode
oauth_http_setup(CURL *h, const struct oauth_request *q, struct buf *body,
    char *errbuf)
{
	CURLcode	rc = CURLE_OK;

#define OAUTH_SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	OAUTH_SET(CURLOPT_URL, q->url);
	OAUTH_SET(CURLOPT_PROTOCOLS_STR, "https");
	OAUTH_SET(CURLOPT_FOLLOWLOCATION, 0L);
	OAUTH_SET(CURLOPT_NOSIGNAL, 1L);
	OAUTH_SET(CURLOPT_SSL_VERIFYPEER, 1L);
	OAUTH_SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (q->ca_file != NULL) {
		/* instead of the system's CAs, not beside them: libcurl's
		 * built-in CA directory would otherwise stay trusted too */
		OAUTH_SET(CURLOPT_CAINFO, q->ca_file);
		OAUTH_SET(CURLOPT_CAPATH, NULL);
	}
	OAUTH_SET(CURLOPT_CONNECTTIMEOUT_MS, q->connect_ms);
	OAUTH_SET(CURLOPT_TIMEOUT_MS, q->total_ms);
	OAUTH_SET(CURLOPT_POSTFIELDS, q->form.data != NULL ? q->form.data :
	    "");
	OAUTH_SET(CURLOPT_POSTFIELDSIZE, (long)q->form.len);
	OAUTH_SET(CURLOPT_WRITEFUNCTION, oauth_http_write);
	OAUTH_SET(CURLOPT_WRITEDATA, body);
	OAUTH_SET(CURLOPT_ERRORBUFFER, errbuf);
	OAUTH_SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
#undef OAUTH_SET
	return rc;
}

/* oauth_http_raw - one request; its answer's body into body */
int
oauth_http_raw(const struct oauth_request *q, struct buf *body, long *http,
    struct why *why)
{
	CURL		*h;
	CURLcode	 rc;
	char		 errbuf[CURL_ERROR_SIZE];
	int		 ret = -1;

	errbuf[0] = '\0';
	*http = 0;
	if ((h = curl_easy_init()) == NULL) {
		why_set(why, 0, NULL, "libcurl: cannot start a request");
		goto out;
	}
	if ((rc = oauth_http_setup(h, q, body, errbuf)) != CURLE_OK) {
		why_set(why, 0, NULL, "libcurl: %s", curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(h);
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
	if (rc == CURLE_WRITE_ERROR) {
		why_set(why, 0, NULL, "the token endpoint's answer is over %d "
		    "bytes: is oauth_token_endpoint the token URL?",
		    OAUTH_REPLY_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		why_set(why, 0, NULL, "no answer from the token endpoint: %s%s"
		    "%s", curl_easy_strerror(rc), errbuf[0] ? ": " : "",
		    errbuf);
		goto out;
	}
	ret = 0;
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	return ret;
}

/* oauth_http_post - one request and its parsed answer */
int
oauth_http_post(const struct oauth_request *q, struct oauth_reply *rep,
    struct why *why)
{
	struct buf	body;
	int		ret = -1;

	buf_init(&body, OAUTH_REPLY_MAX);
	if (oauth_http_raw(q, &body, &rep->http, why) == 0)
		ret = oauth_http_parse(&body, rep, why);
	oauth_wipe_buf(&body);
	return ret;
}
