#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mime-same.py - did a message survive an 8BITMIME downgrade?

Usage: mime-same.py ORIGINAL RECEIVED

ORIGINAL is the message as queued (8-bit), RECEIVED what a server
without 8BITMIME got (LF or CRLF line ends).  Exit 0 when RECEIVED is
7-bit with lines of at most 998 octets, has the same header fields
(other than MIME-Version, Content-Transfer-Encoding and a Content-Type
that was added, and trace fields the server added) and the same tree of MIME parts, each with the same
content type and the same decoded content as in ORIGINAL.  The decoding
is Python's email package, not postern's code.  Otherwise exit 1 with
the first difference on stderr.
"""
import email
import email.policy
import sys

MIME_FIELDS = ("mime-version", "content-transfer-encoding", "content-type")
# what a receiving server adds
TRACE_FIELDS = ("received", "return-path", "delivered-to", "x-original-to",
                "x-peer", "x-mailfrom", "x-rcptto")


def fail(why):
    sys.stderr.write("mime-same: %s\n" % why)
    sys.exit(1)


def leaves(msg, path="1"):
    """(path, content type, decoded bytes, other header fields) per part"""
    out = []
    fields = [(k.lower(), str(v)) for k, v in msg.items()
              if k.lower() not in MIME_FIELDS + TRACE_FIELDS]
    if msg.is_multipart():
        out.append((path, msg.get_content_type(), None, fields))
        for i, part in enumerate(msg.get_payload(), 1):
            out.extend(leaves(part, "%s.%d" % (path, i)))
    else:
        body = msg.get_payload(decode=True)
        if body is None:
            body = b""
        # the line end before a delimiter is the delimiter's (RFC 2046)
        out.append((path, msg.get_content_type(),
                    body.replace(b"\r\n", b"\n"), fields))
    return out


def main():
    orig = open(sys.argv[1], "rb").read()
    got = open(sys.argv[2], "rb").read()
    for n, line in enumerate(got.replace(b"\r\n", b"\n").split(b"\n"), 1):
        if len(line) > 998:
            fail("line %d has %d octets" % (n, len(line)))
        if any(c >= 0x80 for c in line):
            fail("line %d has 8-bit data: %r" % (n, line[:80]))
    a = leaves(email.message_from_bytes(orig, policy=email.policy.compat32))
    b = leaves(email.message_from_bytes(got.replace(b"\r\n", b"\n"),
                                        policy=email.policy.compat32))
    if len(a) != len(b):
        fail("%d parts sent, %d arrived" % (len(a), len(b)))
    for x, y in zip(a, b):
        if x[0] != y[0] or x[1] != y[1]:
            fail("part %s: %s sent, part %s: %s arrived" %
                 (x[0], x[1], y[0], y[1]))
        if x[2] != y[2]:
            fail("part %s (%s): content differs: %r... sent, %r... arrived"
                 % (x[0], x[1], (x[2] or b"")[:60], (y[2] or b"")[:60]))
        if x[3] != y[3]:
            fail("part %s: header fields differ: %r sent, %r arrived" %
                 (x[0], x[3], y[3]))
    print("same: %d parts" % len(a))


main()
