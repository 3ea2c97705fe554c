/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confdump.c - the effective configuration as postern.conf text, each
 * value with where it came from (`postern config`).  The output always
 * loads again: lines fit the reader's limit.  Walks confkey.c's table;
 * never prints a password (relays[].password is not a key), never parses.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "conf.h"
#include "confkey.h"
#include "log.h"
#include "util.h"

/*
 * conf_dump_line - "key = value  # comment" when that fits a line the
 * reader accepts (CONF_LINE_MAX); else without the comment, then without
 * the blanks around '=', so that the dump always loads again.  A NULL key
 * writes the comment alone (a header), and only when it fits.
 */
static int
conf_dump_line(struct buf *out, const char *key, const char *value,
    const char *comment)
{
	size_t	klen = key != NULL ? strlen(key) : 0, vlen = strlen(value);
	size_t	clen = comment != NULL ? strlen(comment) : 0;
	/* a blank before a leading '#' or ';' would make the value a comment */
	const char *eq = value[0] == '#' || value[0] == ';' ? " =" : " = ";

	if (key == NULL)
		return clen + 2 > CONF_LINE_MAX ? 0 :
		    buf_printf(out, "# %s\n", comment);
	if (comment != NULL && klen + 3 + vlen + 4 + clen <= CONF_LINE_MAX)
		return buf_printf(out, "%s%s%s  # %s\n", key, eq, value,
		    comment);
	if (klen + 3 + vlen <= CONF_LINE_MAX)
		return buf_printf(out, "%s%s%s\n", key, eq, value);
	return buf_printf(out, "%s=%s\n", key, value);
}

/* conf_dump_key - "key = value  # origin" for one key; 0 or -1 */
static int
conf_dump_key(const struct conf_key *k, const void *base,
    const struct conf_origin *o, struct buf *out)
{
	const char	*field = (const char *)base + k->off;
	const char	*s;
	char		 tmp[64], where[CONF_FQDN_MAX + 32];
	size_t		 i;

	conf_origin_format(o, where, sizeof(where));
	switch (k->type) {
	case T_STRING:
	case T_HOST:
	case T_PATH:
	case T_MECHS:
	case T_PRESET:
		s = *(char *const *)(const void *)field;
		return conf_dump_line(out, k->name, s ? s : "", where);
	case T_BOOL:
		s = *(const bool *)field ? "yes" : "no";
		break;
	case T_UINT:
		snprintf(tmp, sizeof(tmp), "%u", *(const unsigned *)field);
		s = tmp;
		break;
	case T_DURATION:
		s = format_duration(*(const uint64_t *)field, tmp, sizeof(tmp));
		break;
	case T_SIZE:
		s = format_size(*(const uint64_t *)field, tmp, sizeof(tmp));
		break;
	case T_ENUM:
		s = k->names[*(const int *)field];
		break;
	case T_PINS: {
		const struct conf_relay *r = base;

		if (r->tls_npins == 0)
			return conf_dump_line(out, k->name, "", where);
		for (i = 0; i < r->tls_npins; i++)
			if (conf_dump_line(out, k->name, r->tls_pins[i],
			    where) == -1)
				return -1;
		return 0;
	}
	default:
		fatal_exit(EX_SOFTWARE, "conf: bad key type %d", k->type);
	}
	return conf_dump_line(out, k->name, s, where);
}

/* conf_dump - the effective configuration with origins */
int
conf_dump(const struct conf *c, struct buf *out)
{
	char	where[CONF_FQDN_MAX + 32], head[CONF_FQDN_MAX + 64], *text;
	size_t	s, i, r;
	int	rc = 0;

	/* comments too (a long -C path) must fit the reader's lines */
	text = xasprintf("postern configuration from %s", c->path != NULL ?
	    c->path : "(built-in defaults)");
	if (strlen(text) + 2 > CONF_LINE_MAX)
		text[strlen("postern configuration")] = '\0';
	if (conf_dump_line(out, NULL, "", text) == -1)
		rc = -1;
	free(text);
	for (s = SECT_POSTERN; s < SECT_RELAY; s++) {
		if (buf_printf(out, "\n[%s]\n", conf_sect_names[s]) == -1)
			rc = -1;
		for (i = 0; i < conf_nkeys; i++)
			if (conf_keys[i].sect == (enum conf_sect)s &&
			    conf_dump_key(&conf_keys[i], c, c->origins ?
			    &c->origins[i] : NULL, out) == -1)
				rc = -1;
	}
	for (r = 0; r < c->nrelays; r++) {
		snprintf(head, sizeof(head), "%s, tried %zu of %zu",
		    conf_origin_format(&c->relays[r].origin, where,
		    sizeof(where)), r + 1, c->nrelays);
		if ((strlen(head) + 11 <= CONF_LINE_MAX ?
		    buf_printf(out, "\n[relay]  # %s\n", head) :
		    buf_puts(out, "\n[relay]\n")) == -1)
			rc = -1;
		for (i = 0; i < conf_nkeys; i++)
			if (conf_keys[i].sect == SECT_RELAY &&
			    conf_dump_key(&conf_keys[i], &c->relays[r],
			    &c->relays[r].origins[i], out) == -1)
				rc = -1;
	}
	return rc;
}
