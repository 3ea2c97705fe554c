/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buf.c - unit tests for the bounded growable buffer */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf	b;
	char		big[300];
	char		*s;

	buf_init(&b, 10);
	is_str(buf_cstr(&b), "", "empty buffer reads as empty string");
	ok(buf_append(&b, "hello", 5) == 0, "append within limit");
	ok(buf_puts(&b, "world") == 0, "append up to the limit exactly");
	is_int((long long)b.len, 10, "length is 10");
	errno = 0;
	ok(buf_putc(&b, '!') == -1 && errno == EMSGSIZE,
	    "append past the limit fails with EMSGSIZE");
	is_str(buf_cstr(&b), "helloworld", "contents intact after failure");
	is_int(buf_error(&b), EMSGSIZE, "the failure is recorded");
	buf_consume(&b, 5);
	is_str(buf_cstr(&b), "world", "consume drops a prefix");
	buf_truncate(&b, 3);
	is_str(buf_cstr(&b), "wor", "truncate shortens");
	buf_consume(&b, 100);
	is_int((long long)b.len, 0, "consume past the end empties");
	errno = 0;
	ok(buf_putc(&b, 'x') == -1 && errno == EMSGSIZE && b.len == 0,
	    "sticky: after a failure an append that fits fails too");
	is_int(buf_error(&b), EMSGSIZE, "consume and truncate keep the error");
	buf_reset(&b);
	is_int(buf_error(&b), 0, "reset clears it");
	ok(buf_printf(&b, "%d-%s", 42, "x") == 0, "printf appends");
	is_str(buf_cstr(&b), "42-x", "printf result");
	ok(buf_printf(&b, "%s", "0123456789") == -1 && errno == EMSGSIZE,
	    "printf past the limit fails");
	is_str(buf_cstr(&b), "42-x", "printf failure leaves contents");
	ok(b.len == 4 && strlen(b.data) == 4,
	    "printf failure puts the NUL back");
	ok(buf_printf(&b, "%s", "y") == -1 && buf_puts(&b, "z") == -1 &&
	    buf_append(&b, "z", 1) == -1 && b.len == 4,
	    "sticky: printf, puts and append fail after a printf failure");
	errno = 0;
	ok(buf_steal(&b) == NULL && errno == EMSGSIZE && b.len == 4,
	    "steal refuses a buffer whose build failed");
	buf_free(&b);
	is_int(buf_error(&b), 0, "free clears the error");

	/* buf_printf formats into the spare capacity when it fits */
	buf_init(&b, 1000);
	ok(buf_puts(&b, "abc") == 0 && b.cap > 3, "room to spare (%zu)",
	    b.cap);
	ok(buf_printf(&b, "%0*d", (int)(b.cap - b.len - 1), 7) == 0,
	    "printf filling the spare capacity exactly");
	ok(b.len == b.cap - 1 && b.data[b.len] == '\0' &&
	    b.data[b.len - 1] == '7' && memcmp(b.data, "abc000", 6) == 0,
	    "its result, NUL-terminated");
	ok(buf_printf(&b, "%s-%d", "grow", 12) == 0 && b.data != NULL,
	    "printf one byte past the capacity grows");
	is_str(b.data + b.len - 7, "grow-12", "its result");
	while (b.len < 990)
		FIXTURE(buf_putc(&b, 'a'));
	ok(buf_printf(&b, "%s", "0123456789X") == -1 && errno == EMSGSIZE,
	    "printf past the maximum with room allocated fails");
	ok(b.len == 990 && strlen(b.data) == 990,
	    "contents and NUL intact after that failure");
	buf_truncate(&b, 0);
	ok(buf_error(&b) == EMSGSIZE, "the error outlives a truncate");
	buf_reset(&b);
	while (b.len < 990)
		FIXTURE(buf_putc(&b, 'a'));
	ok(buf_printf(&b, "%s", "0123456789") == 0 && b.len == 1000,
	    "printf up to the maximum exactly");
	buf_free(&b);
	buf_init(&b, 100);
	ok(buf_printf(&b, "%s", "") == 0 && b.len == 0,
	    "empty printf into an unallocated buffer");
	ok(buf_printf(&b, "x%c", 'y') == 0, "printf into a fresh buffer");
	is_str(buf_cstr(&b), "xy", "its result");
	buf_free(&b);

	buf_init(&b, 1000);
	memset(big, 'a', sizeof(big));
	ok(buf_append(&b, big, sizeof(big)) == 0 &&
	    buf_append(&b, big, sizeof(big)) == 0 &&
	    buf_append(&b, big, sizeof(big)) == 0, "growth across reallocs");
	ok(b.cap <= 1001, "capacity never exceeds max+1 (%zu)", b.cap);
	ok(buf_append(&b, big, sizeof(big)) == -1, "fourth block refused");
	is_int((long long)b.len, 900, "length after refused block");
	ok(buf_append(&b, "\0x", 2) == -1 && b.len == 900,
	    "a block that would fit is refused after that: nothing is cut "
	    "out of the middle");
	buf_reset(&b);
	ok(buf_append(&b, big, sizeof(big)) == 0 &&
	    buf_append(&b, "\0x", 2) == 0 && b.data[300] == '\0' &&
	    b.data[301] == 'x', "NUL bytes are data");
	s = buf_steal(&b);
	ok(s != NULL && memcmp(s, big, sizeof(big)) == 0 && s[301] == 'x',
	    "steal hands over the storage");
	ok(b.data == NULL && b.len == 0, "stolen buffer is empty");
	free(s);
	s = buf_steal(&b);
	is_str(s, "", "steal of an empty buffer gives an empty string");
	free(s);
	buf_reset(&b);
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0 && buf_error(&b) == 0,
	    "a freed buffer holds nothing");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0 && buf_error(&b) == 0,
	    "a second free leaves it so (nothing freed twice)");
	ok(buf_puts(&b, "again") == 0 && b.len == 5 &&
	    strcmp(buf_cstr(&b), "again") == 0,
	    "a freed buffer can be used again, with its maximum");
	buf_free(&b);

	buf_init(&b, 0);
	ok(buf_append(&b, "", 0) == 0, "zero-length append to zero buffer");
	ok(buf_putc(&b, 'x') == -1, "zero-max buffer refuses a byte");
	buf_free(&b);

	/* the chained pattern: build freely, check once */
	buf_init(&b, 8);
	ok((buf_puts(&b, "abc") | buf_puts(&b, "defgh") |
	    buf_puts(&b, "i")) != 0 && buf_error(&b) == EMSGSIZE &&
	    b.len == 8, "three appends, the last one over: one check sees it");
	buf_free(&b);

	/* buf_note: diagnostics are cut visibly, never data */
	buf_init(&b, 10);
	buf_note(&b, "%s", "abc");
	buf_note(&b, "%d", 42);
	is_str(buf_cstr(&b), "abc42", "notes append");
	buf_note(&b, "%s", "0123456789");
	is_str(buf_cstr(&b), "abc4201...", "a note too long ends in '...' "
	    "at the maximum");
	buf_note(&b, "x");
	is_str(buf_cstr(&b), "abc4201...", "nothing after a cut note");
	is_int(buf_error(&b), 0, "a note never sets the error");
	buf_reset(&b);
	buf_note(&b, "%s", "0123456789");
	is_str(buf_cstr(&b), "0123456789", "a note of exactly the maximum "
	    "is whole");
	buf_reset(&b);
	FIXTURE(buf_puts(&b, "12345678"));
	buf_note(&b, "%s", "xyz");
	is_str(buf_cstr(&b), "12345678", "no room even for the mark: "
	    "nothing");
	buf_free(&b);

	/* the sticky family: no result, the error tells, nothing half in */
	buf_init(&b, 8);
	buf_sputs(&b, "abc");
	buf_sputc(&b, 'd');
	buf_sprintf(&b, "%d", 12);
	is_int(buf_error(&b), 0, "sticky appends within the limit: no error");
	is_str(buf_cstr(&b), "abcd12", "their result");
	buf_sprintf(&b, "%s", "xyz");
	is_int(buf_error(&b), EMSGSIZE, "a sticky printf past the limit sets "
	    "the error");
	is_str(buf_cstr(&b), "abcd12", "and leaves the contents as they were: "
	    "no part of \"xyz\"");
	buf_sputc(&b, 'e');
	buf_sappend(&b, "f", 1);
	buf_sputs(&b, "g");
	ok(b.len == 6 && strcmp(b.data, "abcd12") == 0,
	    "after the failure, appends that would fit add nothing");
	errno = 0;
	ok(buf_putc(&b, 'h') == -1 && errno == EMSGSIZE,
	    "a checked append fails too, with the same errno");
	errno = 0;
	ok(buf_steal(&b) == NULL && errno == EMSGSIZE && b.len == 6,
	    "the incomplete contents cannot be stolen");
	buf_reset(&b);
	buf_sappend(&b, "12345678", 8);
	is_int(buf_error(&b), 0, "sticky append of exactly the maximum");
	buf_sputs(&b, "9");
	ok(buf_error(&b) == EMSGSIZE && b.len == 8 && b.data[8] == '\0',
	    "one byte past it: error set, contents and NUL intact");
	buf_reset(&b);
	buf_sputs(&b, "ab");
	buf_sputs(&b, "cdefghi");
	ok(buf_error(&b) == EMSGSIZE && strcmp(b.data, "ab") == 0,
	    "a sticky puts that does not fit goes in not at all, not cut");
	buf_free(&b);
	buf_init(&b, 0);
	buf_sputc(&b, 'x');
	ok(buf_error(&b) == EMSGSIZE && b.len == 0 &&
	    strcmp(buf_cstr(&b), "") == 0, "zero-max buffer: sticky putc "
	    "sets the error, holds nothing");
	buf_free(&b);
	return done_testing();
}
