/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * header.c - the header section as a bounded list of raw fields (the
 * values postern makes itself, Date, Message-ID and the From phrase, are
 * headerval.c's).
 *
 * Owns: recognising header lines (RFC 5322 2.2, 3.6.8 and the obsolete
 * "Name :" of 4.5), folding (2.2.3), the mbox From_ line and the size
 * bound on the whole section.  The front end feeds it lines and decides
 * what to change; this module never reads or writes a descriptor, never
 * logs, and never lets CR, LF or NUL into a field it builds.  Untouched
 * fields are written back exactly as they came in.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "util.h"

/* header_block_init - empty block */
void
header_block_init(struct header_block *hb, size_t max)
{
	memset(hb, 0, sizeof(*hb));
	hb->max = max;
}

/* header_field_free - one field */
static void
header_field_free(struct header_field *f)
{
	if (f == NULL)
		return;
	buf_free(&f->raw);
	free(f->value);
	free(f);
}

/* header_block_free - every field */
void
header_block_free(struct header_block *hb)
{
	size_t	i;

	for (i = 0; i < hb->n; i++)
		header_field_free(hb->f[i]);
	free(hb->f);
	header_block_init(hb, hb->max);
}

/*
 * header_name_len - length of the field name at the start of line when it
 * is a header line ("name" [WSP] ":"), with *colon set to the ':' offset;
 * 0 when it is not a header line.
 */
static size_t
header_name_len(const char *line, size_t len, size_t *colon)
{
	size_t	i, n;

	for (i = 0; i < len && i <= HEADER_NAME_MAX; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 33 || c > 126 || c == ':')
			break;
	}
	if (i == 0 || i > HEADER_NAME_MAX)
		return 0;
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* header_colon - offset of the ':' in a field's raw bytes */
static size_t
header_colon(const struct header_field *f)
{
	size_t	i = f->name_len;

	while (f->raw.data[i] != ':')
		i++;
	return i;
}

/* header_new_field - append an empty field; NULL when the count is full */
static struct header_field *
header_new_field(struct header_block *hb)
{
	struct header_field	*f;

	if (hb->n >= HEADER_FIELDS_MAX) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (hb->n == hb->cap) {
		hb->cap = hb->cap ? hb->cap * 2 : 16;
		hb->f = xrealloc(hb->f, hb->cap * sizeof(*hb->f));
	}
	f = xcalloc(1, sizeof(*f));
	/* the block's maximum bounds every field */
	buf_init(&f->raw, hb->max);
	hb->f[hb->n++] = f;
	return f;
}

/* header_block_feed_line - one input line */
int
header_block_feed_line(struct header_block *hb, const char *line, size_t len)
{
	struct header_field	*f;
	size_t			 name_len, colon;
	bool			 first = !hb->started;

	if (hb->done) {
		errno = EINVAL;
		return -1;
	}
	hb->started = true;
	name_len = header_name_len(line, len, &colon);
	if (first && name_len == 0 && len >= 5 &&
	    memcmp(line, "From ", 5) == 0) {
		hb->from_dropped = true;
		return HEADER_MORE;
	}
	if (len == 0) {
		hb->done = true;
		return HEADER_END;
	}
	/*
	 * a line that is not a header line ends the section before the size
	 * is checked: only header lines count (doc/input.md), so a long
	 * first body line after a header near the limit is not a refusal
	 */
	if ((line[0] == ' ' || line[0] == '\t') ? hb->n == 0 :
	    name_len == 0) {
		hb->done = true;
		return HEADER_BODY;
	}
	if (len + 1 > hb->max - hb->size) {
		errno = EMSGSIZE;
		return -1;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		f = hb->f[hb->n - 1];
		if (buf_append(&f->raw, line, len) == -1 ||
		    buf_putc(&f->raw, '\n') == -1)
			return -1;	/* cannot happen: size checked */
		free(f->value);
		f->value = NULL;
		hb->size += len + 1;
		return HEADER_MORE;
	}
	if ((f = header_new_field(hb)) == NULL)
		return -1;
	if (buf_append(&f->raw, line, len) == -1 ||
	    buf_putc(&f->raw, '\n') == -1) {
		hb->n--;
		header_field_free(f);
		return -1;
	}
	f->name_len = name_len;
	hb->size += len + 1;
	return HEADER_MORE;
}

/* header_count - fields */
size_t
header_count(const struct header_block *hb)
{
	return hb->n;
}

/* header_name_is - field idx is called name */
static bool
header_name_is(const struct header_block *hb, size_t idx, const char *name)
{
	const struct header_field	*f = hb->f[idx];

	return strlen(name) == f->name_len &&
	    strncasecmp(f->raw.data, name, f->name_len) == 0;
}

/* header_find - next field with a name */
int
header_find(const struct header_block *hb, const char *name, size_t start)
{
	size_t	i;

	for (i = start; i < hb->n; i++)
		if (header_name_is(hb, i, name))
			return (int)i;
	return -1;
}

/* header_has - any field with a name */
bool
header_has(const struct header_block *hb, const char *name)
{
	return header_find(hb, name, 0) >= 0;
}

/* header_name - the name as written */
const char *
header_name(const struct header_block *hb, size_t idx, size_t *len)
{
	if (idx >= hb->n)
		return NULL;
	*len = hb->f[idx]->name_len;
	return hb->f[idx]->raw.data;
}

/* header_raw_value - bytes after ':' up to the final LF */
const char *
header_raw_value(const struct header_block *hb, size_t idx, size_t *len)
{
	const struct header_field	*f;
	size_t				 colon;

	if (idx >= hb->n)
		return NULL;
	f = hb->f[idx];
	colon = header_colon(f);
	*len = f->raw.len - 1 - (colon + 1);
	return f->raw.data + colon + 1;
}

/* header_value - unfolded, trimmed value (cached) */
const char *
header_value(struct header_block *hb, size_t idx)
{
	struct header_field	*f;
	const char		*v;
	size_t			 len, i, o;

	if (idx >= hb->n)
		return NULL;
	f = hb->f[idx];
	if (f->value != NULL)
		return f->value;
	v = header_raw_value(hb, idx, &len);
	while (len > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == '\n')) {
		v++;
		len--;
	}
	f->value = xmalloc(len + 1);
	for (i = 0, o = 0; i < len; i++)
		if (v[i] != '\n' && v[i] != '\r')
			f->value[o++] = v[i];
	while (o > 0 && (f->value[o - 1] == ' ' || f->value[o - 1] == '\t'))
		o--;
	f->value[o] = '\0';
	return f->value;
}

/* header_raw - all bytes of a field */
const char *
header_raw(const struct header_block *hb, size_t idx, size_t *len)
{
	if (idx >= hb->n)
		return NULL;
	*len = hb->f[idx]->raw.len;
	return hb->f[idx]->raw.data;
}

/* header_remove_at - delete one field */
int
header_remove_at(struct header_block *hb, size_t idx)
{
	if (idx >= hb->n) {
		errno = EINVAL;
		return -1;
	}
	hb->size -= hb->f[idx]->raw.len;
	header_field_free(hb->f[idx]);
	memmove(&hb->f[idx], &hb->f[idx + 1],
	    (hb->n - idx - 1) * sizeof(*hb->f));
	hb->n--;
	return 0;
}

/* header_remove - delete all fields with a name */
size_t
header_remove(struct header_block *hb, const char *name)
{
	size_t	i = 0, removed = 0;

	while (i < hb->n) {
		if (header_name_is(hb, i, name)) {
			(void)header_remove_at(hb, i);
			removed++;
		} else
			i++;
	}
	return removed;
}

/* header_valid_name - printable ASCII without ':' */
static bool
header_valid_name(const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 33 ||
		    (unsigned char)name[i] > 126 || name[i] == ':')
			return false;
	return i > 0 && i <= HEADER_NAME_MAX;
}

/* header_valid_value - no CR; every LF is folding; no trailing LF */
static bool
header_valid_value(const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\r')
			return false;
		if (*v == '\n' && v[1] != ' ' && v[1] != '\t')
			return false;
	}
	return true;
}

/* header_build - "prefix" [" "] "value" "\n" into a new buffer */
static int
header_build(struct header_block *hb, size_t old_len, struct buf *b,
    const char *prefix, size_t plen, const char *value)
{
	size_t	need;
	bool	sp = value[0] != '\0' && value[0] != ' ' && value[0] != '\t';

	if (!header_valid_value(value)) {
		errno = EINVAL;
		return -1;
	}
	need = plen + (sp ? 1 : 0) + strlen(value) + 1;
	if (need > hb->max - (hb->size - old_len)) {
		errno = EMSGSIZE;
		return -1;
	}
	buf_init(b, hb->max);
	if (buf_append(b, prefix, plen) == -1 ||
	    (sp && buf_putc(b, ' ') == -1) || buf_puts(b, value) == -1 ||
	    buf_putc(b, '\n') == -1) {
		buf_free(b);
		return -1;
	}
	return 0;
}

/* header_add - append a new field */
int
header_add(struct header_block *hb, const char *name, const char *value)
{
	struct header_field	*f;
	struct buf		 b;
	char			*prefix;
	int			 rc;

	if (!header_valid_name(name)) {
		errno = EINVAL;
		return -1;
	}
	prefix = xasprintf("%s:", name);
	rc = header_build(hb, 0, &b, prefix, strlen(prefix), value);
	free(prefix);
	if (rc == -1)
		return -1;
	if ((f = header_new_field(hb)) == NULL) {
		buf_free(&b);
		return -1;
	}
	buf_free(&f->raw);
	f->raw = b;
	f->name_len = strlen(name);
	hb->size += b.len;
	return 0;
}

/* header_replace_value - new value, same name */
int
header_replace_value(struct header_block *hb, size_t idx, const char *value)
{
	struct header_field	*f;
	struct buf		 b;

	if (idx >= hb->n) {
		errno = EINVAL;
		return -1;
	}
	f = hb->f[idx];
	if (header_build(hb, f->raw.len, &b, f->raw.data, header_colon(f) + 1,
	    value) == -1)
		return -1;
	hb->size = hb->size - f->raw.len + b.len;
	buf_free(&f->raw);
	f->raw = b;
	free(f->value);
	f->value = NULL;
	return 0;
}

/* header_write - all raw fields */
int
header_write(const struct header_block *hb, struct buf *out)
{
	size_t	i;

	for (i = 0; i < hb->n; i++)
		if (buf_append(out, hb->f[i]->raw.data, hb->f[i]->raw.len)
		    == -1)
			return -1;
	return 0;
}
