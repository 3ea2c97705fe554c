/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.c - unit tests for postern.conf parsing and the secrets file: the
 * shipped example loads; every error path gives its exact message; presets,
 * origins and conf_dump; secrets-file permission and format checks.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "preset.h"
#include "tap.h"
#include "util.h"

#define ERR_MAX		65536

static char	tmpdir[] = "/tmp/conft.XXXXXX";
static char	conf_path[256], secrets_path[256];
static char	got[ERR_MAX];
static uid_t	chown_to = (uid_t)-1;	/* secrets file owner, as root */

/* write_file - content into path with mode */
static void
write_file(const char *path, const char *content, mode_t mode)
{
	int	fd;
	size_t	n = strlen(content);

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, content, n) != (ssize_t)n ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		printf("Bail out! cannot write %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
}

/* replace_path - got with every occurrence of path replaced by "F" */
static void
replace_path(const char *in, const char *path)
{
	size_t		 pl = strlen(path), n = 0;
	const char	*s = in;

	while (*s != '\0' && n + 2 < sizeof(got)) {
		if (strncmp(s, path, pl) == 0) {
			got[n++] = 'F';
			s += pl;
		} else
			got[n++] = *s++;
	}
	got[n] = '\0';
}

/* load - load content as a config; errors (path shown as F) in got */
static int
load(const char *content, bool need_relay, struct conf *c)
{
	struct buf	err;
	int		rc;

	write_file(conf_path, content, 0644);
	buf_init(&err, ERR_MAX);
	rc = conf_load(c, conf_path, need_relay, &err);
	replace_path(buf_cstr(&err), conf_path);
	if ((rc == 0) != (err.len == 0))
		printf("# rc %d but errors '%s'\n", rc, buf_cstr(&err));
	buf_free(&err);
	return rc;
}

/* bad - content must fail with exactly want */
static void
bad(const char *content, bool need_relay, const char *want, const char *what)
{
	struct conf	c;
	int		rc = load(content, need_relay, &c);

	if (rc == 0) {
		ok(0, "%s (loaded without error)", what);
		conf_free(&c);
		return;
	}
	is_str(got, want, what);
}

/* good - content must load; c is left for the caller to inspect */
static int
good(const char *content, bool need_relay, struct conf *c, const char *what)
{
	int	rc = load(content, need_relay, c);

	if (!ok(rc == 0, "%s", what))
		printf("#   errors: %s\n", got);
	return rc;
}

#define RELAY	"[relay]\nhost = smtp.example.com\n"

static void
test_example(void)
{
	struct conf	 c;
	struct buf	 err, text;
	const char	*name, *sect;
	char		 pat[128];
	size_t		 i, missing = 0;
	FILE		*fp;
	char		 chunk[4096];
	size_t		 n;

	buf_init(&err, ERR_MAX);
	if (!ok(conf_load(&c, EXAMPLE_CONF, true, &err) == 0,
	    "the example file loads with need_relay"))
		printf("#   %s\n", buf_cstr(&err));
	else {
		is_int((long long)c.nrelays, 1, "example: one relay");
		is_str(c.relays[0].host, "smtp.example.com", "example: host");
		is_int(c.relays[0].port, 587, "example: port 587 by starttls");
		is_str(c.relays[0].user, "alerts@example.com", "example: user");
		is_str(c.spool_dir, SPOOLDIR, "example: spool_dir default");
		conf_free(&c);
	}
	buf_free(&err);

	/* every key of the table is documented in the example */
	buf_init(&text, 1 << 20);
	if ((fp = fopen(EXAMPLE_CONF, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			FIXTURE(buf_append(&text, chunk, n));
		fclose(fp);
	}
	for (i = 0; (name = conf_key_name(i, &sect)) != NULL; i++) {
		snprintf(pat, sizeof(pat), "\n# %s = ", name);
		if (strstr(buf_cstr(&text), pat) == NULL) {
			snprintf(pat, sizeof(pat), "\n%s = ", name);
			if (strstr(buf_cstr(&text), pat) == NULL) {
				diag("[%s] %s not in the example", sect, name);
				missing++;
			}
		}
	}
	ok(i > 50 && missing == 0, "all %zu keys appear in the example", i);
	buf_free(&text);
}

static void
test_defaults(void)
{
	static const struct conf	zero;
	struct conf			c;
	bool				zeroed;

	if (good("", false, &c, "an empty file loads without need_relay"))
		return;
	is_str(c.spool_dir, SPOOLDIR, "spool_dir default");
	is_str(c.secrets_file, CONFDIR "/secrets", "secrets_file default");
	is_str(c.aliases, "/etc/aliases", "aliases default");
	is_str(c.drop_program, SBINDIR "/postern-drop", "drop_program default");
	is_str(c.agent_program, SBINDIR "/posternd", "agent_program default");
	ok(c.domain != NULL && c.domain[0] != '\0', "domain defaults to "
	    "the machine name (%s)", c.domain ? c.domain : "NULL");
	ok(c.hostname != NULL && strcmp(c.hostname, c.domain) == 0,
	    "hostname defaults to the same name");
	is_str(c.admin, "", "admin default empty");
	ok(c.masquerade_domain == NULL && !c.masquerade_from,
	    "masquerading off");
	is_int((long long)c.max_message_size, 64LL << 20, "max_message_size");
	is_int((long long)c.max_header_size, 256LL << 10, "max_header_size");
	is_int(c.system_uid_max, 1000, "system_uid_max");
	is_int(c.log, CONF_LOG_SYSLOG, "log syslog");
	ok(!c.debug, "debug off");
	is_int((long long)c.retry_min, 60, "retry_min 1m");
	is_int((long long)c.retry_max, 3600, "retry_max 1h");
	is_int((long long)c.max_age, 5 * 86400, "max_age 5d");
	is_int((long long)c.failed_keep, 7 * 86400, "failed_keep 7d");
	is_int((long long)c.scan_interval, 300, "scan_interval 5m");
	is_int((long long)c.tmp_max_age, 36 * 3600, "tmp_max_age 36h");
	is_int(c.concurrency, 2, "concurrency 2");
	is_int(c.session_max_messages, 100, "session_max_messages 100");
	is_int((long long)c.session_idle, 10, "session_idle 10s");
	is_int(c.rate_limit, 0, "rate_limit 0");
	is_int((long long)c.rate_period, 60, "rate_period 1m");
	ok(c.t_connect == 30 && c.t_greeting == 300 && c.t_ehlo == 300 &&
	    c.t_starttls == 120 && c.t_auth == 120 && c.t_mail == 300 &&
	    c.t_rcpt == 300 && c.t_data == 120 && c.t_data_block == 180 &&
	    c.t_data_end == 600 && c.t_rset == 120 && c.t_quit == 60,
	    "timeouts follow RFC 5321 4.5.3.2");
	is_int((long long)c.nrelays, 0, "no relays");
	conf_free(&c);

	conf_defaults(&c);
	is_str(c.spool_dir, SPOOLDIR, "conf_defaults fills spool_dir");
	ok(c.domain == NULL, "conf_defaults leaves domain to conf_load");
	conf_free(&c);
	zeroed = memcmp(&c, &zero, sizeof(c)) == 0;
	conf_free(&c);
	ok(zeroed && memcmp(&c, &zero, sizeof(c)) == 0,
	    "conf_free leaves every field zero, and a second free too");
}

static void
test_values(void)
{
	struct conf	c;

	if (good("[postern]\n  domain = example.org ; comment\n"
	    "\thostname = mx.example.org   # comment\n"
	    "debug = ON\nmasquerade_from = 1\nlog = both\naliases =\n"
	    "masquerade_domain =\nmax_message_size = 10mb\n"
	    "[queue]\nretry_min = 30\nsession_idle = 0s\n"
	    "[timeouts]\nconnect = 1s\n"
	    RELAY "port = 2525\ntls = implicit\ntls_verify = off\n"
	    "auth_mechanisms = plain, login,PLAIN\n"
	    "tls_pin = sha256:" "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:"
	    "A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\n"
	    "tls_pin = pubkey-sha256:" "0000000000000000000000000000000000000000"
	    "000000000000000000000000, sha256:" "11111111111111111111111111"
	    "11111111111111111111111111111111111111\n"
	    "user = me@example.com\n"
	    "[relay]\nhost = 192.0.2.1\ntls = none\n",
	    true, &c, "a file with many forms loads"))
		return;
	is_str(c.domain, "example.org", "indented key with ; comment");
	is_str(c.hostname, "mx.example.org", "tab-indented key with # comment");
	ok(c.debug && c.masquerade_from, "bool ON and 1");
	is_int(c.log, CONF_LOG_BOTH, "log = both");
	is_str(c.aliases, "", "aliases = (empty) disables");
	ok(c.masquerade_domain == NULL, "empty optional is unset");
	is_int((long long)c.max_message_size, 10LL << 20, "size 10mb");
	is_int((long long)c.retry_min, 30, "plain seconds");
	is_int((long long)c.session_idle, 0, "session_idle 0s");
	is_int((long long)c.t_connect, 1, "a 1s timeout is allowed");
	is_int((long long)c.nrelays, 2, "two relays");
	is_int(c.relays[0].port, 2525, "explicit port");
	is_int(c.relays[0].tls, CONF_TLS_IMPLICIT, "tls implicit");
	ok(!c.relays[0].tls_verify, "tls_verify off");
	is_str(c.relays[0].auth_mechanisms, "PLAIN LOGIN",
	    "mechanisms normalised, duplicates dropped");
	is_int((long long)c.relays[0].tls_npins, 3, "three pins from two lines");
	is_str(c.relays[0].tls_pins[0], "sha256:9f86d081884c7d659a2feaa0c55a"
	    "d015a3bf4f1b2b0b822cd15d6c15b0f00a08", "pin normalised");
	is_str(c.relays[0].tls_pins[1], "pubkey-sha256:0000000000000000000000"
	    "000000000000000000000000000000000000000000", "pubkey pin");
	is_str(c.relays[0].name, "smtp.example.com:2525", "relay name");
	is_str(c.relays[1].name, "192.0.2.1:25", "tls none gives port 25");
	is_str(conf_tls_name(c.relays[1].tls), "none", "conf_tls_name");
	is_str(conf_log_name(c.log), "both", "conf_log_name");
	conf_free(&c);

	if (good(RELAY "tls = implicit\n", true, &c, "implicit relay") == 0) {
		is_int(c.relays[0].port, 465, "implicit gives port 465");
		conf_free(&c);
	}
	if (good(RELAY "user = u\ntoken_command = /bin/tok\n", true, &c,
	    "token relay") == 0) {
		is_str(c.relays[0].auth_mechanisms, "XOAUTH2 OAUTHBEARER",
		    "token_command changes the mechanism default");
		conf_free(&c);
	}
	if (good(RELAY "user = u\ntls = none\nallow_plaintext_auth = yes\n",
	    true, &c, "plaintext AUTH allowed explicitly") == 0)
		conf_free(&c);
	if (good("[relay]\n", false, &c, "relay without host is accepted "
	    "without need_relay") == 0) {
		ok(c.nrelays == 1 && c.relays[0].host == NULL, "host NULL");
		is_str(c.relays[0].name, "relay 1", "name of a hostless relay");
		conf_free(&c);
	}
}

static void
test_errors(void)
{
	char	big[1024], *p;
	size_t	i;

	bad("[postern]\ndebug = maybe\n", false,
	    "F:2: [postern] debug: bad value 'maybe': expected yes or no "
	    "(or true/false, on/off, 1/0)\n", "bad bool");
	bad("[queue]\nconcurrency = 17\n", false,
	    "F:2: [queue] concurrency: value '17' out of range: expected a "
	    "whole number from 1 to 16\n", "uint out of range");
	bad("[queue]\nconcurrency = 0\n", false,
	    "F:2: [queue] concurrency: value '0' out of range: expected a "
	    "whole number from 1 to 16\n", "uint below range");
	bad("[queue]\nconcurrency = two\n", false,
	    "F:2: [queue] concurrency: bad value 'two': expected a whole "
	    "number from 1 to 16\n", "uint not a number");
	bad("[postern]\nsystem_uid_max = 99999999999999999999999\n", false,
	    "F:2: [postern] system_uid_max: value '99999999999999999999999' "
	    "out of range: expected a whole number from 0 to 2147483647\n",
	    "uint overflow");
	bad("[queue]\nretry_min = 5x\n", false,
	    "F:2: [queue] retry_min: bad value '5x': expected a duration like "
	    "30s, 5m, 2h or 5d, from 1s to 1d\n", "bad duration");
	bad("[queue]\nretry_min = 99999999999999999999d\n", false,
	    "F:2: [queue] retry_min: value '99999999999999999999d' out of "
	    "range: expected a duration like 30s, 5m, 2h or 5d, from 1s to "
	    "1d\n", "duration overflow");
	bad("[queue]\nmax_age = 300000000000000d\n", false,
	    "F:2: [queue] max_age: value '300000000000000d' out of range: "
	    "expected a duration like 30s, 5m, 2h or 5d, from 1s to 60d\n",
	    "duration unit overflow");
	bad("[timeouts]\nconnect = 2h\n", false,
	    "F:2: [timeouts] connect: value '2h' out of range: expected a "
	    "duration like 30s, 5m, 2h or 5d, from 1s to 1h\n",
	    "duration above range");
	bad("[timeouts]\nquit = 0s\n", false,
	    "F:2: [timeouts] quit: value '0s' out of range: expected a "
	    "duration like 30s, 5m, 2h or 5d, from 1s to 1h\n",
	    "zero timeout refused");
	bad("[postern]\nmax_message_size = 64Q\n", false,
	    "F:2: [postern] max_message_size: bad value '64Q': expected a "
	    "size like 512K, 10M or 1G, from 1K to 4G\n", "bad size");
	bad("[postern]\nmax_message_size = 99999999999999999999\n", false,
	    "F:2: [postern] max_message_size: value '99999999999999999999' "
	    "out of range: expected a size like 512K, 10M or 1G, from 1K to "
	    "4G\n", "size overflow");
	bad("[postern]\nmax_message_size = 100\n", false,
	    "F:2: [postern] max_message_size: value '100' out of range: "
	    "expected a size like 512K, 10M or 1G, from 1K to 4G\n",
	    "size below range");
	bad(RELAY "tls = startls\n", true,
	    "F:3: [relay] tls: bad value 'startls': expected starttls, "
	    "implicit or none (did you mean 'starttls'?)\n", "bad enum");
	bad("[postern]\nlog = file\n", false,
	    "F:2: [postern] log: bad value 'file': expected syslog, stderr "
	    "or both\n", "bad enum without suggestion");
	bad("[postern]\nspool_dir = var/spool/postern\n", false,
	    "F:2: [postern] spool_dir: bad value 'var/spool/postern': "
	    "expected an absolute path starting with /\n",
	    "path not absolute");
	bad("[postern]\ndomain = exa mple.org\n", false,
	    "F:2: [postern] domain: bad value 'exa mple.org': expected a host "
	    "name like smtp.example.com\n", "bad host name");
	bad("[postern]\ndomain =\n", false,
	    "F:2: [postern] domain: empty value: write a value or remove the "
	    "line to get the default\n", "empty required value");
	bad(RELAY "tls_pin = sha256:abcd\n", true,
	    "F:3: [relay] tls_pin: bad value 'sha256:abcd': expected "
	    "sha256:HEX (certificate) or pubkey-sha256:HEX (public key) with "
	    "64 hex digits, colons between pairs allowed\n", "short pin");
	bad(RELAY "tls_pin = md5:" "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	    "2b0b822cd15d6c15b0f00a08\n", true,
	    "F:3: [relay] tls_pin: bad value 'md5:9f86d081884c7d659a2feaa0c55ad"
	    "015a3bf4f1b2b0b822cd15d6c15b0f00a08': expected sha256:HEX "
	    "(certificate) or pubkey-sha256:HEX (public key) with 64 hex "
	    "digits, colons between pairs allowed\n", "pin with bad prefix");
	bad(RELAY "tls_pin = sha256:9:f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	    "2b0b822cd15d6c15b0f00a08\n", true,
	    "F:3: [relay] tls_pin: bad value 'sha256:9:f86d081884c7d659a2feaa0"
	    "c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08': expected sha256:HEX "
	    "(certificate) or pubkey-sha256:HEX (public key) with 64 hex "
	    "digits, colons between pairs allowed\n", "pin colon inside a pair");
	p = big;
	p += snprintf(p, sizeof(big), RELAY);
	for (i = 0; i < 9; i++)
		p += snprintf(p, sizeof(big) - (size_t)(p - big),
		    "tls_pin = sha256:%064zx\n", i);
	bad(big, true, "F:11: [relay] tls_pin: too many pins (at most 8 per "
	    "relay)\n", "too many pins");
	bad(RELAY "auth_mechanisms = SCRAM-SHA-265 PLAIN\n", true,
	    "F:3: [relay] auth_mechanisms: unknown mechanism 'SCRAM-SHA-265': "
	    "expected some of SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, "
	    "LOGIN, XOAUTH2 and OAUTHBEARER (did you mean 'SCRAM-SHA-256'?)\n",
	    "unknown mechanism");
	bad(RELAY "auth_mechanisms = , ,\n", true,
	    "F:3: [relay] auth_mechanisms: empty list: expected some of "
	    "SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, XOAUTH2 and "
	    "OAUTHBEARER\n", "empty mechanism list");
	bad("[queue]\nretry_mni = 5m\n", false,
	    "F:2: [queue] retry_mni: unknown key (did you mean 'retry_min'?)\n",
	    "unknown key with suggestion");
	bad("[queue]\nfrobnicate = 5m\n", false,
	    "F:2: [queue] frobnicate: unknown key: see postern.conf(5) for the "
	    "keys of [queue]\n", "unknown key without suggestion");
	bad("[postern]\nretry_min = 5m\n", false,
	    "F:2: [postern] retry_min: unknown key here: it belongs in "
	    "[queue]\n", "key in the wrong section");
	bad("domain = example.org\n", false,
	    "F:1: domain: key before any [section]: put it under [postern]\n",
	    "key before any section");
	bad("\n\n\n\n\n\n\n\n[relais]\nhost = x\n", false,
	    "F:9: [relais]: unknown section (did you mean 'relay'?)\n",
	    "unknown section");
	bad("[postern]\ndomain = a.example\ndomain = b.example\n", false,
	    "F:3: [postern] domain: duplicate key (first set at line 2)\n",
	    "duplicate key");
	bad("[postern]\ndomain = a.example\n[queue]\n[postern]\n"
	    "domain = b.example\n", false,
	    "F:5: [postern] domain: duplicate key (first set at line 2)\n",
	    "duplicate key across a repeated section");
	p = big;
	for (i = 0; i < 9; i++)
		p += snprintf(p, sizeof(big) - (size_t)(p - big),
		    "[relay]\nhost = r%zu.example\n", i);
	bad(big, true, "F:17: [relay]: too many relays (at most 8): remove "
	    "this one\n", "too many relays");
	bad("[postern]\n\n[relay]\nport = 25\n", true,
	    "F:3: [relay] host: missing: every [relay] section needs host = "
	    "NAME\n", "missing relay host");
	bad("[postern]\n", true,
	    "F: no [relay] section: add one with host = NAME (your provider's "
	    "submission server) or preset = NAME\n", "no relay at all");
	bad(RELAY "user = me\ntls = none\n", true,
	    "F:4: [relay] tls: none with user set: AUTH would send the "
	    "password in clear: use tls = starttls or implicit, or set "
	    "allow_plaintext_auth = yes if the path to smtp.example.com is "
	    "trusted\n", "AUTH without TLS refused");
	bad(RELAY "tls_key_file = /k.pem\n", true,
	    "F:3: [relay] tls_key_file: set without tls_cert_file: add "
	    "tls_cert_file = /path/to/cert.pem or remove tls_key_file\n",
	    "key without certificate");
	bad(RELAY "tls_cert_file = /c.pem\n", true,
	    "F:3: [relay] tls_cert_file: set without tls_key_file: add "
	    "tls_key_file = /path/to/key.pem or remove tls_cert_file\n",
	    "certificate without key");
	bad(RELAY "token_command = /bin/tok\n", true,
	    "F:3: [relay] token_command: needs user: add user = ADDRESS (the "
	    "account the token belongs to)\n", "token_command without user");
	bad(RELAY "user = u\ntoken_command = /bin/tok\nauth_mechanisms = "
	    "PLAIN\n", true,
	    "F:5: [relay] auth_mechanisms: has neither XOAUTH2 nor OAUTHBEARER, "
	    "so token_command would never be used: add one of them\n",
	    "token_command with mechanisms that cannot use it");
	bad(RELAY "tls = none\ntls_pin = sha256:" "9f86d081884c7d659a2feaa0c55a"
	    "d015a3bf4f1b2b0b822cd15d6c15b0f00a08\n", true,
	    "F:4: [relay] tls_pin: set with tls = none: pins need TLS: use "
	    "tls = starttls or implicit\n", "pins without TLS");
	bad("[queue]\nretry_min = 2h\n", false,
	    "F:2: [queue] retry_min: 2h is more than retry_max (1h): make "
	    "retry_min <= retry_max\n", "retry_min above retry_max");
	bad("[monitoring]\nprometheus_textfile = /var/lib/prometheus/postern"
	    ".txt\n", false, "F:2: [monitoring] prometheus_textfile: "
	    "'/var/lib/prometheus/postern.txt' does not end in .prom: "
	    "node_exporter's textfile collector reads only *.prom files (for "
	    "example /var/lib/prometheus/node-exporter/postern.prom)\n",
	    "prometheus_textfile not a .prom file");
	bad("[monitoring]\nprometheus_textfile = /var/lib/.prom\n", false,
	    "F:2: [monitoring] prometheus_textfile: '/var/lib/.prom' does not "
	    "end in .prom: node_exporter's textfile collector reads only "
	    "*.prom files (for example "
	    "/var/lib/prometheus/node-exporter/postern.prom)\n",
	    "prometheus_textfile: a hidden .prom, no name");
	bad("[monitoring]\nalert_timeout = 11m\n", false,
	    "F:2: [monitoring] alert_timeout: value '11m' out of range: "
	    "expected a duration like 30s, 5m, 2h or 5d, from 1s to 10m\n",
	    "alert_timeout above 10m");
	bad("[monitoring]\nprometheus_textfile = postern.prom\n", false,
	    "F:2: [monitoring] prometheus_textfile: bad value 'postern.prom': "
	    "expected an absolute path starting with /\n",
	    "prometheus_textfile relative");
	{
		struct conf	mc;

		if (good("[monitoring]\nprometheus_textfile = /var/lib/"
		    "prometheus/node-exporter/postern.prom\n", false, &mc,
		    "prometheus_textfile: a .prom path loads") == 0) {
			is_str(mc.prometheus_textfile, "/var/lib/prometheus/"
			    "node-exporter/postern.prom",
			    "prometheus_textfile: the path kept");
			conf_free(&mc);
		}
		if (good("", false, &mc, "no [monitoring]: loads") == 0) {
			is_str(mc.prometheus_textfile, "",
			    "prometheus_textfile: empty (off) by default");
			ok(mc.alert_command == NULL && mc.alert_timeout == 30,
			    "alert_command unset (off), alert_timeout 30s by "
			    "default");
			conf_free(&mc);
		}
		if (good("[monitoring]\nalert_command = /usr/local/bin/page "
		    "--to ops\nalert_timeout = 2m\n", false, &mc,
		    "alert_command and alert_timeout load") == 0) {
			is_str(mc.alert_command, "/usr/local/bin/page --to ops",
			    "alert_command: the text kept");
			ok(mc.alert_timeout == 120, "alert_timeout: 2m");
			conf_free(&mc);
		}
	}
	bad("[postern]\nmax_header_size = 1M\nmax_message_size = 512K\n",
	    false, "F:2: [postern] max_header_size: 1M is more than "
	    "max_message_size (512K): lower it\n", "header above message size");
	bad("[postern]\nthis is not a key\n[queue\n", false,
	    "F:2: syntax error: expected key = value, a [section] header or a "
	    "# comment\n"
	    "F:3: section header without ']': write [postern], [queue], "
	    "[timeouts] or [relay]\n", "syntax errors, all reported");
	memset(big, 'x', sizeof(big));
	memcpy(big, "[postern]\nadmin = ", 18);
	big[300] = '\n';
	memcpy(big + 301, "debug = x\n", 11);
	bad(big, false,
	    "F:2: line too long (more than 197 characters): shorten it\n"
	    "F:3: [postern] debug: bad value 'x': expected yes or no (or "
	    "true/false, on/off, 1/0)\n", "overlong line, then the next line");
	bad("[postern]\ndebug = maybe\nretry_min = 1m\n[queue]\nretry_mni = 1\n"
	    "concurrency = 99\n[relais]\n[relay]\ntls = startls\n", true,
	    "F:2: [postern] debug: bad value 'maybe': expected yes or no (or "
	    "true/false, on/off, 1/0)\n"
	    "F:3: [postern] retry_min: unknown key here: it belongs in "
	    "[queue]\n"
	    "F:5: [queue] retry_mni: unknown key (did you mean 'retry_min'?)\n"
	    "F:6: [queue] concurrency: value '99' out of range: expected a "
	    "whole number from 1 to 16\n"
	    "F:7: [relais]: unknown section (did you mean 'relay'?)\n"
	    "F:9: [relay] tls: bad value 'startls': expected starttls, "
	    "implicit or none (did you mean 'starttls'?)\n"
	    "F:8: [relay] host: missing: every [relay] section needs host = "
	    "NAME\n", "several errors in one file, all reported in order");
	bad(RELAY "preset = gmial\n", true,
	    "F:3: [relay] preset: bad value 'gmial': no such preset (did you "
	    "mean 'gmail'?): postern config --presets lists them\n",
	    "unknown preset");
}

static void
test_error_cap(void)
{
	struct buf	text;
	struct conf	c;
	size_t		i, lines = 0;
	const char	*s;

	buf_init(&text, 1 << 16);
	FIXTURE(buf_puts(&text, "[queue]\n"));
	for (i = 0; i < 60; i++)
		FIXTURE(buf_puts(&text, "concurrency = x\n"));
	ok(load(buf_cstr(&text), false, &c) == -1, "60 errors fail");
	for (s = got; (s = strchr(s, '\n')) != NULL; s++)
		lines++;
	is_int((long long)lines, 51, "50 error lines and a last one");
	ok(strstr(got, "\nF: too many errors, stopping here\n") != NULL,
	    "the last line says the list stops");
	buf_free(&text);
}

static void
test_open_error(void)
{
	struct conf	c;
	struct buf	err;
	char		path[300];

	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	buf_init(&err, ERR_MAX);
	ok(conf_load(&c, path, true, &err) == -1, "missing file fails");
	replace_path(buf_cstr(&err), path);
	is_str(got, "F: cannot open: No such file or directory: create it "
	    "from postern.conf.example or pass the right path\n",
	    "missing file message");
	buf_free(&err);
}

/*
 * test_every_preset - each preset in the table is a value the
 * configuration accepts (preset_names in table order), and loads as a
 * complete relay with exactly the table's host, port and TLS mode
 */
static void
test_every_preset(void)
{
	const struct preset	*ps;
	struct conf		 c;
	char			 text[128], what[160], host[256];
	size_t			 i;

	ok(preset_count() > 0 && preset_at(preset_count()) == NULL &&
	    preset_names[preset_count()] == NULL,
	    "the preset table and its name list end together");
	ok(preset_find("gmial") == NULL && preset_find("") == NULL,
	    "an unknown preset is not found");
	for (i = 0; (ps = preset_at(i)) != NULL; i++) {
		snprintf(what, sizeof(what), "preset %s", ps->name);
		ok(strcmp(preset_names[i], ps->name) == 0 &&
		    preset_find(ps->name) == ps, "%s: listed and found", what);
		snprintf(text, sizeof(text), "[relay]\npreset = %s\n%s",
		    ps->name, ps->region ? "ses_region = eu-west-1\n" : "");
		ok(ps->ports[0].port == ps->port &&
		    ps->ports[0].tls == ps->tls && ps->title != NULL &&
		    ps->user_form != NULL && (ps->limit == 0) ==
		    (ps->limit_period == 0) && ps->region ==
		    (strstr(ps->host, PRESET_REGION_MARK) != NULL),
		    "%s: its own port first in ports[], rules complete", what);
		if (preset_host(ps, "eu-west-1", host, sizeof(host)) == NULL ||
		    good(text, true, &c, what) != 0)
			continue;
		ok(c.relays[0].host != NULL &&
		    strcmp(c.relays[0].host, host) == 0 &&
		    c.relays[0].port == ps->port && c.relays[0].tls == ps->tls &&
		    c.relays[0].force_sender == ps->force_sender,
		    "%s: the relay is %s:%u with the preset's TLS mode and "
		    "force_sender", what, host, ps->port);
		conf_free(&c);
	}
}

/* test_ses_region - preset = ses with its region, and every misuse */
static void
test_ses_region(void)
{
	struct conf	c, c2;

	if (good("[relay]\npreset = ses\nses_region = eu-west-1\n", true,
	    &c, "ses in eu-west-1") == 0) {
		is_str(c.relays[0].host, "email-smtp.eu-west-1.amazonaws.com",
		    "ses: the region goes into the host");
		conf_free(&c);
	}
	if (good("[relay]\npreset = ses\nses_region = us-gov-west-1\n",
	    true, &c, "ses in us-gov-west-1") == 0) {
		is_str(c.relays[0].host,
		    "email-smtp.us-gov-west-1.amazonaws.com",
		    "ses: a three-word region");
		conf_free(&c);
	}
	bad("[relay]\npreset = ses\n", true, "F:1: [relay] ses_region: "
	    "missing: preset = ses needs ses_region = REGION, the AWS region "
	    "of your SES account (for example eu-west-1)\n",
	    "ses without a region");
	bad("[relay]\npreset = ses\nses_region = eu-west\n", true,
	    "F:3: [relay] ses_region: bad value 'eu-west': expected an AWS "
	    "region like eu-west-1 or us-east-1 (the part after "
	    "email-smtp. in the SES SMTP endpoint)\n", "region without its "
	    "number");
	bad("[relay]\npreset = ses\nses_region = EU-WEST-1\n", true,
	    "F:3: [relay] ses_region: bad value 'EU-WEST-1': expected an AWS "
	    "region like eu-west-1 or us-east-1 (the part after "
	    "email-smtp. in the SES SMTP endpoint)\n", "upper-case region");
	bad("[relay]\npreset = ses\nses_region = eu-west-1.evil.example\n",
	    true, "F:3: [relay] ses_region: bad value "
	    "'eu-west-1.evil.example': expected an AWS region like eu-west-1 "
	    "or us-east-1 (the part after email-smtp. in the SES SMTP "
	    "endpoint)\n", "a region cannot smuggle a host name");
	bad("[relay]\npreset = gmail\nses_region = eu-west-1\n", true,
	    "F:3: [relay] ses_region: set without preset = ses: add preset "
	    "= ses or remove ses_region\n", "ses_region with another preset");
	ok(preset_region_ok("eu-west-1") && preset_region_ok("ap-south-2") &&
	    !preset_region_ok("") && !preset_region_ok("1") &&
	    !preset_region_ok("eu-1") && !preset_region_ok("-eu-west-1") &&
	    !preset_region_ok("eu--west-1") && !preset_region_ok("eu-west-1a"),
	    "preset_region_ok: boundaries");
	if (good("[relay]\npreset = ses-us-east-1\n", true, &c,
	    "the old spelling") == 0) {
		is_str(c.relays[0].host, "email-smtp.us-east-1.amazonaws.com",
		    "ses-us-east-1 still works");
		conf_free(&c);
	}
	if (good("[relay]\npreset = office365\nforce_sender = no\n", true, &c,
	    "force_sender written") == 0 && good("[relay]\npreset = zoho\n",
	    true, &c2, "zoho") == 0) {
		ok(!c.relays[0].force_sender && c2.relays[0].force_sender,
		    "the file's force_sender wins; a preset's rule sets it");
		conf_free(&c);
		conf_free(&c2);
	}
}

static void
test_presets(void)
{
	struct conf			 c;
	const struct conf_origin	*o;
	char				 w[300];

	if (good("[relay]\npreset = gmail\n", true, &c, "gmail preset") == 0) {
		is_str(c.relays[0].host, "smtp.gmail.com", "gmail host");
		is_int(c.relays[0].port, 587, "gmail port");
		is_int(c.relays[0].tls, CONF_TLS_STARTTLS, "gmail tls");
		o = conf_origin_of(&c, "relay", "host", 0);
		is_str(conf_origin_format(o, w, sizeof(w)), "preset gmail",
		    "host origin is the preset");
		conf_free(&c);
	}
	if (good("[relay]\npreset = fastmail\n", true, &c, "fastmail") == 0) {
		ok(c.relays[0].port == 465 && c.relays[0].tls ==
		    CONF_TLS_IMPLICIT, "fastmail: 465 implicit");
		conf_free(&c);
	}
	if (good("[relay]\nport = 2525\npreset = ses-us-east-1\n"
	    "host = other.example\n", true, &c, "explicit keys win") == 0) {
		is_str(c.relays[0].host, "other.example", "explicit host wins");
		is_int(c.relays[0].port, 2525, "explicit port wins");
		o = conf_origin_of(&c, "relay", "port", 0);
		replace_path(conf_origin_format(o, w, sizeof(w)), conf_path);
		is_str(got, "F:2", "port origin is the file");
		o = conf_origin_of(&c, "relay", "tls", 0);
		is_str(conf_origin_format(o, w, sizeof(w)),
		    "preset ses-us-east-1", "tls origin is the preset");
		conf_free(&c);
	}
	if (good("[relay]\npreset = gmail\ntls = implicit\n", true, &c,
	    "explicit tls with a preset") == 0) {
		is_int(c.relays[0].port, 465, "port follows the explicit tls");
		conf_free(&c);
	}
	test_every_preset();
	test_ses_region();
}

/*
 * test_oauth - oauth_flow: the presets fill endpoint and scope (by flow),
 * Microsoft's endpoint from authority and tenant, explicit keys win,
 * the mechanisms default to XOAUTH2 OAUTHBEARER, and each missing or
 * unsafe piece is an error naming the fix
 */
static void
test_oauth(void)
{
	struct conf	c;
	char		w[300];

	if (good("[relay]\npreset = office365\nuser = a@contoso.com\n"
	    "oauth_flow = client_credentials\noauth_tenant = contoso\n"
	    "oauth_client_id = cid\n", true, &c, "office365 app") == 0) {
		is_str(c.relays[0].oauth_token_endpoint, "https://login."
		    "microsoftonline.com/contoso/oauth2/v2.0/token",
		    "office365: endpoint from authority and tenant");
		is_str(c.relays[0].oauth_scope,
		    "https://outlook.office365.com/.default",
		    "office365 client_credentials: Exchange Online's scope");
		is_str(c.relays[0].auth_mechanisms, "XOAUTH2 OAUTHBEARER",
		    "oauth_flow: XOAUTH2 OAUTHBEARER by default");
		is_str(conf_origin_format(conf_origin_of(&c, "relay",
		    "oauth_scope", 0), w, sizeof(w)), "preset office365",
		    "the scope's origin is the preset");
		conf_free(&c);
	}
	if (good("[relay]\npreset = office365\nuser = a@contoso.com\n"
	    "oauth_flow = refresh_token\noauth_tenant = contoso\n"
	    "oauth_authority = login.microsoftonline.us\n"
	    "oauth_client_id = cid\n", true, &c, "office365 delegated") ==
	    0) {
		is_str(c.relays[0].oauth_token_endpoint, "https://login."
		    "microsoftonline.us/contoso/oauth2/v2.0/token",
		    "a national cloud's authority");
		is_str(c.relays[0].oauth_scope, "https://outlook.office.com/"
		    "SMTP.Send offline_access", "delegated: SMTP.Send");
		is_str(c.relays[0].oauth_login_endpoint, "https://login."
		    "microsoftonline.us/contoso/oauth2/v2.0/devicecode",
		    "delegated: the device code endpoint for the login");
		conf_free(&c);
	}
	if (good("[relay]\npreset = gmail\nuser = me@gmail.example\n"
	    "oauth_flow = refresh_token\noauth_client_id = cid\n", true, &c,
	    "gmail refresh") == 0) {
		is_str(c.relays[0].oauth_token_endpoint,
		    "https://oauth2.googleapis.com/token", "gmail endpoint");
		is_str(c.relays[0].oauth_scope, "https://mail.google.com/",
		    "gmail scope");
		is_str(c.relays[0].oauth_login_endpoint, "https://accounts."
		    "google.com/o/oauth2/v2/auth", "gmail login endpoint");
		conf_free(&c);
	}
	if (good("[relay]\npreset = gmail\nuser = me@gmail.example\n",
	    true, &c, "gmail without oauth_flow") == 0) {
		ok(c.relays[0].oauth_token_endpoint == NULL &&
		    c.relays[0].oauth_scope == NULL,
		    "no oauth_flow: the preset fills no OAuth2 key");
		conf_free(&c);
	}
	bad(RELAY "user = u\noauth_flow = client_credentials\n"
	    "oauth_tenant = t\n", true, "F:4: [relay] oauth_client_id: "
	    "missing: oauth_flow needs the application (client) id\n",
	    "oauth_flow without client id");
	bad(RELAY "user = u\noauth_flow = refresh_token\noauth_client_id = c"
	    "\noauth_scope = s\noauth_token_endpoint = http://x/token\n",
	    true, "F:7: [relay] oauth_token_endpoint: 'http://x/token' is "
	    "not an https:// URL: secrets are only sent over TLS\n",
	    "http endpoint refused");
	bad(RELAY "oauth_flow = client_credentials\noauth_client_id = c\n"
	    "oauth_tenant = t\n", true, "F:3: [relay] oauth_flow: needs "
	    "user: add user = ADDRESS (the mailbox the token is for)\n",
	    "oauth_flow without user");
	bad(RELAY "user = u\noauth_flow = refresh_token\noauth_client_id = c"
	    "\n", true, "F:4: [relay] oauth_token_endpoint: missing: set "
	    "oauth_tenant (Microsoft), a preset, or oauth_token_endpoint = "
	    "https://...\nF:4: [relay] oauth_scope: missing: set oauth_scope, "
	    "or a preset that knows it\n", "no endpoint, no scope");
}

static void
test_dump(void)
{
	struct conf			 c;
	struct buf			 out;
	const struct conf_origin	*o;
	char				 w[300];

	if (good("[postern]\ndomain = example.org\n[queue]\nretry_max = 2h\n"
	    "[relay]\npreset = gmail\nuser = me@gmail.com\ntls_pin = sha256:"
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
	    "[relay]\nhost = backup.example\n", true, &c, "dump input") != 0)
		return;
	buf_init(&out, 1 << 20);
	ok(conf_dump(&c, &out) == 0, "conf_dump succeeds");
	replace_path(buf_cstr(&out), conf_path);
	ok(strstr(got, "\n[postern]\n") != NULL, "dump has [postern]");
	ok(strstr(got, "\ndomain = example.org  # F:2\n") != NULL,
	    "dump: file origin");
	ok(strstr(got, "\nretry_min = 1m  # default\n") != NULL,
	    "dump: default origin");
	ok(strstr(got, "\nretry_max = 2h  # F:4\n") != NULL, "dump: duration");
	ok(strstr(got, "\nmax_message_size = 64M  # default\n") != NULL,
	    "dump: size");
	ok(strstr(got, "\nhost = smtp.gmail.com  # preset gmail\n") != NULL,
	    "dump: preset origin");
	ok(strstr(got, "\ntls = starttls  # preset gmail\n") != NULL,
	    "dump: enum");
	ok(strstr(got, "\ntls_pin = sha256:9f86d081884c7d659a2feaa0c55ad015a3b"
	    "f4f1b2b0b822cd15d6c15b0f00a08  # F:8\n") != NULL, "dump: pin");
	ok(strstr(got, "\n[relay]  # F:5, tried 1 of 2\n") != NULL &&
	    strstr(got, "\n[relay]  # F:9, tried 2 of 2\n") != NULL,
	    "dump: relays in order");
	ok(strstr(got, "\nhost = backup.example  # F:10\n") != NULL,
	    "dump: second relay");
	ok(strstr(got, "\ntls_verify = yes  # default\n") != NULL,
	    "dump: bool");
	ok(strstr(got, "password") == NULL || strstr(got, "password_command")
	    != NULL, "dump names no password value");
	o = conf_origin_of(&c, "queue", "retry_max", 0);
	ok(o != NULL && o->line == 4, "conf_origin_of global key");
	ok(conf_origin_of(&c, "relay", "host", 2) == NULL,
	    "conf_origin_of: relay index out of range");
	ok(conf_origin_of(&c, "queue", "nope", 0) == NULL,
	    "conf_origin_of: unknown key");
	is_str(conf_origin_format(NULL, w, sizeof(w)), "default",
	    "origin_format of NULL");
	buf_free(&out);
	buf_init(&out, 100);
	ok(conf_dump(&c, &out) == -1, "conf_dump into a small buffer fails");
	buf_free(&out);

	/* the dump loads again and dumps the same values */
	write_file(secrets_path, "", 0600);
	{
		struct buf	out1, out2, err;
		struct conf	c2;
		char		dumped[300];

		buf_init(&out1, 1 << 20);
		buf_init(&out2, 1 << 20);
		buf_init(&err, ERR_MAX);
		conf_dump(&c, &out1);
		snprintf(dumped, sizeof(dumped), "%s/dumped.conf", tmpdir);
		write_file(dumped, buf_cstr(&out1), 0644);
		if (ok(conf_load(&c2, dumped, true, &err) == 0,
		    "the dump is a valid configuration")) {
			conf_dump(&c2, &out2);
			ok(out2.len > 0, "second dump");
			conf_free(&c2);
		} else
			diag("%s", buf_cstr(&err));
		unlink(dumped);
		buf_free(&out1);
		buf_free(&out2);
		buf_free(&err);
	}
	conf_free(&c);
}

/*
 * test_dump_long - found by fuzzing (tests/fuzz/conf.c): a value that
 * fits the 197-character line limit in the file no longer fit once the
 * dump added " = " and "  # FILE:LINE", so `postern config` wrote a file
 * that did not load again.  The dump now drops the comment, then the
 * blanks, when a line would be too long.
 */
static void
test_dump_long(void)
{
	struct conf	c, c2;
	struct buf	out, err;
	char		cfg[512], val[200], dumped[300];
	size_t		n;

	/* "spool_dir=/" plus 186 more: exactly the 197-character limit */
	memset(val, 'd', sizeof(val));
	val[0] = '/';
	n = 197 - strlen("spool_dir=");
	val[n] = '\0';
	snprintf(cfg, sizeof(cfg), "[postern]\nspool_dir=%s\n"
	    "domain = example.org\n[relay]\nhost = h.example\n", val);
	if (good(cfg, true, &c, "a 197-character line loads") != 0)
		return;
	buf_init(&out, 1 << 20);
	buf_init(&err, ERR_MAX);
	ok(conf_dump(&c, &out) == 0, "long value: conf_dump succeeds");
	snprintf(cfg, sizeof(cfg), "\nspool_dir=%s\n", val);
	ok(strstr(buf_cstr(&out), cfg) != NULL,
	    "long value: dumped without comment and blanks");
	snprintf(dumped, sizeof(dumped), "%s/dumped-long.conf", tmpdir);
	write_file(dumped, buf_cstr(&out), 0644);
	if (ok(conf_load(&c2, dumped, true, &err) == 0,
	    "long value: the dump loads again")) {
		is_str(c2.spool_dir, val, "long value: same value");
		conf_free(&c2);
	} else
		diag("%s", buf_cstr(&err));
	unlink(dumped);
	buf_free(&out);
	buf_free(&err);
	conf_free(&c);
}

/*
 * test_dump_hash - found by fuzzing (tests/fuzz/conf.c): "admin =#x"
 * loads the value "#x", but the dump wrote "admin = #x", which loads as
 * an empty value (a '#' after a blank starts a comment).  The dump now
 * writes no blank before a value that starts with '#' or ';'.
 */
static void
test_dump_hash(void)
{
	struct conf	c, c2;
	struct buf	out, err;
	char		dumped[300];

	if (good("[postern]\nadmin =#root@example.org\ndomain = example.org\n"
	    "[relay]\nhost = h.example\n", true, &c,
	    "a value starting with '#' loads") != 0)
		return;
	is_str(c.admin, "#root@example.org", "leading '#': kept in the value");
	buf_init(&out, 1 << 20);
	buf_init(&err, ERR_MAX);
	ok(conf_dump(&c, &out) == 0, "leading '#': conf_dump succeeds");
	snprintf(dumped, sizeof(dumped), "%s/dumped-hash.conf", tmpdir);
	write_file(dumped, buf_cstr(&out), 0644);
	if (ok(conf_load(&c2, dumped, true, &err) == 0,
	    "leading '#': the dump loads again")) {
		is_str(c2.admin, "#root@example.org",
		    "leading '#': same value after the round trip");
		conf_free(&c2);
	} else
		diag("%s", buf_cstr(&err));
	unlink(dumped);
	buf_free(&out);
	buf_free(&err);
	conf_free(&c);
}

/* secrets - load a config and a secrets file; errors in got */
static int
secrets(const char *config, const char *content, mode_t mode,
    struct conf *c)
{
	struct buf	err;
	char		full[4096];
	int		rc;

	snprintf(full, sizeof(full), "[postern]\nsecrets_file = %s\n%s",
	    secrets_path, config);
	if (load(full, true, c) != 0) {
		printf("#   config failed: %s\n", got);
		return -2;
	}
	if (content != NULL) {
		write_file(secrets_path, content, mode);
		if (chown_to != (uid_t)-1 &&
		    chown(secrets_path, chown_to, (gid_t)-1) == -1)
			printf("# chown: %s\n", strerror(errno));
	} else
		unlink(secrets_path);
	buf_init(&err, ERR_MAX);
	rc = conf_load_secrets(c, &err);
	replace_path(buf_cstr(&err), secrets_path);
	buf_free(&err);
	return rc;
}

static void
test_secrets(void)
{
	struct conf	 c;
	struct passwd	*pw = getpwuid(geteuid());
	char		 want[1024], me[64];
	int		 rc;

	/* getpwnam() below reuses getpwuid()'s storage */
	snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "?");

	rc = secrets("[relay]\nhost = smtp.example.com\nuser = a\n"
	    "[relay]\nhost = smtp.example.com\nport = 2525\nuser = b\n"
	    "[relay]\nhost = mx.example\n"
	    "[relay]\nhost = cmd.example\nuser = c\npassword_command = /bin/p\n",
	    "# relay passwords\n\n  # indented comment\n"
	    "SMTP.example.com  pa ss#w;o rd \n"
	    "smtp.example.com:2525\tsecond;pw\r\n"
	    "unrelated.example x\n", 0600, &c);
	if (is_int(rc, 0, "good secrets file loads")) {
		is_str(c.relays[0].password, "pa ss#w;o rd ",
		    "password with spaces, # and ; kept intact");
		is_str(c.relays[1].password, "second;pw",
		    "host:port line wins for that port; CRLF stripped");
		ok(c.relays[2].password == NULL, "relay without user: none");
		ok(c.relays[3].password == NULL, "password_command: none");
	} else
		diag("%s", got);
	if (rc != -2)
		conf_free(&c);

	rc = secrets(RELAY "user = a\n", "smtp.example.com pw\n", 0640, &c);
	snprintf(want, sizeof(want), "F: mode 0640 lets the group read the "
	    "relay passwords: chmod 600 F\n");
	ok(rc == -1, "group-readable secrets refused");
	is_str(got, want, "group-readable message");
	if (rc != -2)
		conf_free(&c);
	rc = secrets(RELAY "user = a\n", "smtp.example.com pw\n", 0604, &c);
	ok(rc == -1, "world-readable secrets refused");
	is_str(got, "F: mode 0604 lets every user read the relay passwords: "
	    "chmod 600 F\n", "world-readable message");
	if (rc != -2)
		conf_free(&c);

	if (geteuid() == 0 && getpwnam("nobody") != NULL) {
		chown_to = getpwnam("nobody")->pw_uid;
		rc = secrets(RELAY "user = a\n", "smtp.example.com pw\n", 0600,
		    &c);
		chown_to = (uid_t)-1;
		ok(rc == -1, "secrets owned by another user refused");
		snprintf(want, sizeof(want), "F: owned by nobody, not by %s "
		    "who reads it: chown %s F\n", me, me);
		is_str(got, want, "wrong owner message");
		if (rc != -2)
			conf_free(&c);
	} else {
		printf("ok %d # SKIP wrong owner: needs root to chown\n",
		    ++tap_n);
		printf("ok %d # SKIP wrong owner message\n", ++tap_n);
	}

	rc = secrets(RELAY "user = a\n", NULL, 0, &c);
	ok(rc == -1, "missing secrets file");
	snprintf(want, sizeof(want), "F: cannot open: No such file or "
	    "directory: create it with one line \"HOST[:PORT] PASSWORD\" per "
	    "relay, owned by %s with mode 600\n", me);
	is_str(got, want, "missing secrets file message");
	if (rc != -2)
		conf_free(&c);

	rc = secrets(RELAY "user = a\n", "other.example pw\n"
	    "smtp.example.com:2525 pw\n", 0600, &c);
	ok(rc == -1, "no line for the relay");
	is_str(got, "F: no password for relay smtp.example.com:587 (user a): "
	    "add a line \"smtp.example.com PASSWORD\" to F, or set "
	    "password_command in its [relay]\n", "missing line message");
	ok(c.relays[0].password == NULL, "no password filled on error");
	if (rc != -2)
		conf_free(&c);

	rc = secrets(RELAY "user = a\n", "hunter2\nsmtp.example.com a\n"
	    "smtp.example.com b\n", 0600, &c);
	ok(rc == -1, "malformed and duplicate lines");
	is_str(got, "F:1: expected HOST[:PORT] PASSWORD on one line\n"
	    "F:3: second password for smtp.example.com (first at line 2): "
	    "keep one\n", "messages never quote a password");
	if (rc != -2)
		conf_free(&c);

	rc = secrets(RELAY, NULL, 0, &c);
	is_int(rc, 0, "no relay needs a password: the file is not opened");
	if (rc != -2)
		conf_free(&c);
}

/* test_no_names - CONF_NO_NAMES: no lookup, unset names stay NULL */
static void
test_no_names(void)
{
	struct conf	c;
	struct buf	err;

	write_file(conf_path, RELAY, 0644);
	buf_init(&err, ERR_MAX);
	ok(conf_load_flags(&c, conf_path, CONF_NO_NAMES | CONF_NEED_RELAY,
	    &err) == 0, "CONF_NO_NAMES loads: %s", buf_cstr(&err));
	ok(c.domain == NULL && c.hostname == NULL,
	    "CONF_NO_NAMES: domain and hostname left unset");
	conf_free(&c);
	write_file(conf_path, "[postern]\ndomain = example.org\n" RELAY,
	    0644);
	ok(conf_load_flags(&c, conf_path, CONF_NO_NAMES, &err) == 0,
	    "CONF_NO_NAMES with a domain loads");
	ok(c.domain != NULL && strcmp(c.domain, "example.org") == 0 &&
	    c.hostname == NULL, "CONF_NO_NAMES: the file's domain kept");
	conf_free(&c);
	write_file(conf_path, RELAY, 0644);
	ok(conf_load_flags(&c, conf_path, 0, &err) == 0 &&
	    c.domain != NULL && c.hostname != NULL && c.domain[0] != '\0',
	    "without it the machine's name fills both");
	conf_free(&c);
	buf_free(&err);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/postern.conf", tmpdir);
	snprintf(secrets_path, sizeof(secrets_path), "%s/secrets", tmpdir);

	test_example();
	test_defaults();
	test_values();
	test_errors();
	test_error_cap();
	test_open_error();
	test_presets();
	test_oauth();
	test_dump();
	test_dump_long();
	test_dump_hash();
	test_secrets();
	test_no_names();

	unlink(conf_path);
	unlink(secrets_path);
	rmdir(tmpdir);
	return done_testing();
}
