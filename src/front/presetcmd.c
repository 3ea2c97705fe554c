/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * presetcmd.c - `postern config --presets`: every relay preset of
 * src/core/preset.c with its host, ports, TLS modes and the provider's
 * rules (user name form, app password, OAuth2, sender, sending limit),
 * as the man page and the README describe them.
 *
 * Reads the table only: never loads a configuration, never touches the
 * network or the spool.  The first line of each preset is "NAME: TITLE",
 * NAME in the first column, so scripts (and the tests) can walk the list.
 */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "conf.h"
#include "front.h"
#include "preset.h"
#include "util.h"

/* presetcmd_ports - "587 starttls, 465 implicit" into f */
static void
presetcmd_ports(FILE *f, const struct preset *ps)
{
	size_t	i;

	for (i = 0; i < PRESET_PORTS_MAX && ps->ports[i].port != 0; i++)
		fprintf(f, "%s%u %s", i > 0 ? ", " : "", ps->ports[i].port,
		    conf_tls_name(ps->ports[i].tls));
}

/* presetcmd_period - "a day", "an hour" or "every N s" */
static const char *
presetcmd_period(unsigned secs, char *out, size_t size)
{
	if (secs == 86400)
		return "a day";
	if (secs == 3600)
		return "an hour";
	(void)snprintf(out, size, "every %u s", secs);
	return out;
}

/* presetcmd_one - one preset's block */
static void
presetcmd_one(FILE *f, const struct preset *ps)
{
	char	per[32], dur[32];

	fprintf(f, "%s: %s\n", ps->name, ps->title);
	fprintf(f, "    host = %s\n", ps->host);
	fprintf(f, "    port = %u, tls = %s\n", ps->port,
	    conf_tls_name(ps->tls));
	fprintf(f, "    ports offered: ");
	presetcmd_ports(f, ps);
	fprintf(f, "\n    user: %s\n", ps->user_form);
	if (ps->app_password)
		fprintf(f, "    password: an app password, not the account's "
		    "own\n");
	if (ps->oauth2)
		fprintf(f, "    OAuth2 required: set oauth_flow (or "
		    "token_command)\n");
	if (ps->force_sender)
		fprintf(f, "    sender: only the account (force_sender = yes "
		    "is set)\n");
	if (ps->limit > 0)
		fprintf(f, "    limit: %u messages %s (rate_limit = %u, "
		    "rate_period = %s)\n", ps->limit,
		    presetcmd_period(ps->limit_period, per, sizeof(per)),
		    ps->limit, format_duration(ps->limit_period, dur,
		    sizeof(dur)));
	if (ps->notes != NULL)
		fprintf(f, "    note: %s\n", ps->notes);
}

/* presetcmd_main - print every preset; the exit status */
int
presetcmd_main(FILE *f)
{
	const struct preset	*ps;
	size_t			 i;

	for (i = 0; (ps = preset_at(i)) != NULL; i++) {
		if (i > 0)
			putc('\n', f);
		presetcmd_one(f, ps);
	}
	if (fflush(f) == EOF || ferror(f))
		return EX_IOERR;
	return EX_OK;
}
