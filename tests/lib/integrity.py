#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""integrity.py - inputs of exact sizes for the front end's boundary tests,
and a byte-exact check of what was queued.

Written apart from the C code: it knows only doc/input.md (the header
section is kept byte for byte when From, Date and Message-ID are present
and every address is qualified; a blank separator line is written when the
input has none; the body is kept byte for byte).

  integrity.py make OUT HEADER_SIZE BLANK(0|1) BODY_LINE_LEN
      writes an input whose header section (each line with its LF, no
      blank line) is exactly HEADER_SIZE bytes, then a blank line when
      BLANK is 1, then a body: a line of BODY_LINE_LEN 'b', a line of
      BODY_LINE_LEN 'c', "end".  Writes OUT.want: the message part of the
      queue file that doc/input.md promises.
  integrity.py check QUEUE_FILE WANT
      exit 0 when the message part of QUEUE_FILE (after the envelope's
      blank line) is WANT, byte for byte; leading Received: fields (added
      by the front end for trace) are not part of the comparison.  On a
      difference, says where (offset, lengths, a few bytes around).
"""
import sys

FIXED = (b"From: sender@example.org\n"
         b"To: rcpt@example.net\n"
         b"Date: Mon, 7 Dec 2026 11:00:00 +0000\n"
         b"Message-ID: <integrity@example.org>\n"
         b"Subject: header section of exact size\n")
FILL_LINE = 900         # a filler field line, LF included
FILL_MIN = len(b"X-Fill-000000: \n")


def header(size):
    """header section bytes (LF line ends) of exactly size bytes"""
    if size < len(FIXED) + FILL_MIN:
        raise SystemExit("header size %d too small" % size)
    out = [FIXED]
    left = size - len(FIXED)
    n = 0
    while left > 0:
        take = FILL_LINE if left - FILL_LINE >= FILL_MIN or \
            left == FILL_LINE else left
        if take > left:
            take = left
        name = b"X-Fill-%06d: " % n
        # the value is not white space at its end: nothing trims it
        out.append(name + b"f" * (take - len(name) - 1) + b"\n")
        left -= take
        n += 1
    h = b"".join(out)
    assert len(h) == size, (len(h), size)
    return h


def make(path, size, blank, blen):
    h = header(size)
    body = b"b" * blen + b"\n" + b"c" * blen + b"\nend\n"
    with open(path, "wb") as f:
        f.write(h + (b"\n" if blank else b"") + body)
    with open(path + ".want", "wb") as f:
        f.write(h + b"\n" + body)


def strip_received(msg):
    """drop leading Received: fields with their continuation lines"""
    while msg[:9].lower() == b"received:":
        end = msg.find(b"\n")
        while end != -1 and msg[end + 1:end + 2] in (b" ", b"\t"):
            end = msg.find(b"\n", end + 1)
        if end == -1:
            break
        msg = msg[end + 1:]
    return msg


def check(qfile, want_path):
    data = open(qfile, "rb").read()
    want = open(want_path, "rb").read()
    sep = data.find(b"\n\n")
    if sep == -1:
        print("no envelope separator in %s" % qfile)
        return 1
    got = strip_received(data[sep + 2:])
    if got == want:
        return 0
    i = 0
    while i < min(len(got), len(want)) and got[i] == want[i]:
        i += 1
    print("queued message differs at byte %d: got %d bytes, want %d;"
          " got %r, want %r" % (i, len(got), len(want), got[i:i + 24],
                                 want[i:i + 24]))
    return 1


def main(argv):
    if len(argv) == 6 and argv[1] == "make":
        make(argv[2], int(argv[3]), argv[4] == "1", int(argv[5]))
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
