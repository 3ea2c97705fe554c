# SPDX-License-Identifier: GPL-2.0-or-later
"""oracle_gen.py - the oracle's seeded generator of sendmail submissions.

Owns: one Case per (seed, number), made from random.Random("SEED:N") so
that a case does not depend on how many others run; the boundaries the
cases are sized around (BOUNDARIES below, each with where it comes
from); the token that names a case in its envelope (case-N@example.test,
to-N@, cc-N@, bcc-N@, bounce-N@, sender-N@).

Never: predicts what postern does (oracle_model.py does), or runs
anything.
"""

import random

# ---------------------------------------------------------------- sizes
# Every internal chunk and buffer size on the path, in one place.  A
# case's header section and its whole message are sized at each of these
# -1, 0 and +1 (in the spool's form: LF line ends).  When the C code
# changes a size, change it here.
BOUNDARIES = {
    # src/front/input.h INPUT_READ_SIZE: the front end's read(2) size
    "INPUT_READ_SIZE": 65536,
    # src/front/input.h INPUT_PIECE_MAX: a line longer arrives in pieces
    "INPUT_PIECE_MAX": 8192,
    # src/front/submission.c SUBMISSION_WRITE_CHUNK: flush threshold of
    # the buffer the front end writes to postern-drop through
    "SUBMISSION_WRITE_CHUNK": 65536,
    # src/front/submission.c: that buffer, SUBMISSION_WRITE_CHUNK +
    # INPUT_PIECE_MAX + 2 (the "73.7 KB" of issue 9)
    "SUBMISSION_BUFFER": 65536 + 8192 + 2,
    # src/front/submission.c SUBMISSION_ADDED_MAX: room kept for From,
    # Date, Message-ID
    "SUBMISSION_ADDED_MAX": 4096,
    # src/core/spool.h SPOOL_PIPE_CHUNK_MAX: one "C n" chunk of the pipe
    # protocol to postern-drop
    "SPOOL_PIPE_CHUNK_MAX": 65536,
    # src/core/spool.c SPOOL_READ_CHUNK: spool reads (agent, queue tools)
    "SPOOL_READ_CHUNK": 8192,
    # src/agent/smtp.h SMTP_BODY_CHUNK: the agent's body read per pump
    "SMTP_BODY_CHUNK": 16384,
    # src/agent/dotstuff.c DOTSTUFF_STAGE: dot-stuffing's staging buffer
    "DOTSTUFF_STAGE": 4096,
    # src/agent/bounce.c BOUNCE_READ_CHUNK: a DSN reads the original so
    "BOUNCE_READ_CHUNK": 16384,
    # src/front/queuecmd.c QC_CHUNK: postern show --body copies so
    "QC_CHUNK": 65536,
    # RFC 5321 4.5.3.1.6 (and src/agent/dotstuff.h DOTSTUFF_LINE_MAX)
    "LINE_MAX": 998,
}
# Line lengths (octets, without the line end) every run must see
LINE_LENGTHS = (997, 998, 999, 1000, 20000)
# and, less often, a line across the front end's piece size
PIECE_LENGTHS = (8191, 8192, 8193)


def _line_length(r):
    if r.random() < 0.15:
        return r.choice(PIECE_LENGTHS)
    return r.choice(LINE_LENGTHS)

# The two configurations the cases are submitted with (postern.conf
# keys); "small" makes the header and message limits cheap to cross.
CONFIGS = {
    "main": {"max_header_size": 256 * 1024, "max_message_size": 64 << 20},
    "small": {"max_header_size": 3 * 1024,
              "max_message_size": 96 * 1024},
}


class Case:
    def __init__(self, k):
        self.k = k
        self.world = "main"     # main, small, seven
        self.data = b""
        self.args = []          # sendmail options (not the recipients)
        self.opts = {}          # for the model: t, i, f, rcpts
        self.show = False       # check `postern show` before delivery
        self.bounce = False     # the smarthost refuses it with 550
        self.desc = []

    def argv(self):
        return self.args + ([] if self.opts["t"] else self.opts["rcpts"])


def _text(r, n, eight=False):
    """n octets of words separated by single spaces."""
    out = bytearray()
    w = 0
    while len(out) < n:
        word = b"w%d" % w if not eight or r.random() < 0.7 else \
            "\u00e9t\u00e9".encode()
        w += 1
        out += word + b" "
    out = out[:n]
    if out.endswith(b" ") and n > 1:
        out[-1:] = b"x"
    return bytes(out)


def _size_target(r, maxh, pool):
    """A size: mostly at a boundary -1/0/+1, sometimes between two
    neighbouring boundaries, sometimes anywhere."""
    x = r.random()
    if x < 0.15:
        return r.randint(0, 400)
    if x < 0.25:
        return r.randint(0, maxh + 1)
    if x < 0.4:
        bs = sorted(set(pool))
        i = r.randrange(len(bs))
        lo = bs[i - 1] if i > 0 else 0
        return r.randint(lo, bs[i])
    base = r.choice(pool)
    return max(0, base + r.choice((-1, 0, 1)))


def _long_header(r, n):
    """A header line of exactly n octets: words, or no white space; now
    and then its name starts with a dot (stuffed on the wire, which
    does not count on the line)."""
    name = b"%sX-Long-%d: " % (b"." if r.random() < 0.15 else b"",
                               r.randint(0, 99))
    if r.random() < 0.7:
        return name + _text(r, n - len(name))
    return name.rstrip(b" ") + b"x" * (n - len(name) + 1)


def _fill(lines, target, name=b"X-Oracle-Fill: "):
    """Append identical filler lines (the last shorter) until the lines,
    each with its LF, take target octets; short of room, nothing."""
    size = sum(len(x) + 1 for x in lines)
    full = name + b"f" * (200 - len(name))
    while size < target:
        room = target - size
        if room >= len(full) + 1 + len(name) + 2:
            lines.append(full)
            size += len(full) + 1
        elif room >= len(name) + 2:
            lines.append(name + b"f" * (room - len(name) - 1))
            size = target
        else:
            break
    return lines


def _mime_text_lines(r, eight=True):
    """Lines of a text part: words (8-bit ones too), long lines, lone and
    leading dots, empty lines, trailing white space, "From " lines."""
    out = []
    for _ in range(r.randint(0, 6)):
        x = r.random()
        if x < 0.35:
            out.append(_text(r, r.randint(1, 80), eight=eight))
        elif x < 0.5:
            n = _line_length(r)
            out.append(_text(r, n, eight=eight and r.random() < 0.7))
        elif x < 0.6:
            out.append(b".")
        elif x < 0.65:
            out.append(b"..lead")
        elif x < 0.75:
            out.append(b"")
        elif x < 0.85:
            out.append(_text(r, r.randint(1, 40), eight=eight) +
                       r.choice((b" ", b"\t", b"  ")))
        elif x < 0.9 and out:
            # never first: with mixed line ends the separator before it
            # may merge away, and Python's parser takes "From " for a
            # header line (doc/input.md does not)
            out.append(b"From the body")
        elif x >= 0.9:
            out.append(b"a=b =41 tab\there")
    return out


def _mime_body(r, bnd, depth, desc):
    """A multipart body (lines) with boundary bnd: text parts (8-bit,
    declared 8bit, 7bit, binary or nothing, so converted; or
    quoted-printable with 7-bit text, kept), 7-bit base64 attachments,
    nested multiparts, message/rfc822 parts; rarely a part that cannot be
    converted (8-bit application/octet-stream)."""
    out = []
    if r.random() < 0.5:
        out.append(b"This is a multi-part message in MIME format.")
    for n in range(r.randint(1, 4)):
        out.append(b"--" + bnd)
        x = r.random()
        if x < 0.5:
            ct = r.choice((None, b"text/plain; charset=utf-8",
                           b"text/html; charset=utf-8", b"Text/Plain"))
            cte = r.choice((None, b"8bit", b"7bit", b"binary"))
            if ct:
                out.append(b"Content-Type: " + ct)
            if cte:
                out.append(b"Content-Transfer-Encoding: " + cte)
            out.append(b"")
            out.extend(_mime_text_lines(r))
        elif x < 0.6:
            out.append(b"Content-Type: text/plain; charset=utf-8")
            out.append(b"Content-Transfer-Encoding: quoted-printable")
            out.append(b"")
            out.extend([b"caf=C3=A9 au lait=", b"soft break above",
                        b"end=20"])
        elif x < 0.75:
            out.append(b"Content-Type: application/octet-stream; "
                       b"name=\"a.bin\"")
            out.append(b"Content-Transfer-Encoding: base64")
            out.append(b"")
            out.extend([b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
                        b"ISIjJCUmJygpKissLS4v"])
        elif x < 0.85 and depth < 2:
            inner = bnd + b"-%d" % n
            out.append(b"Content-Type: multipart/alternative; "
                       b"boundary=\"" + inner + b"\"")
            out.append(b"")
            out.extend(_mime_body(r, inner, depth + 1, desc))
        elif x < 0.95:
            out.append(b"Content-Type: message/rfc822")
            out.append(b"")
            out.append(b"Subject: an attached message")
            if r.random() < 0.5:
                out.append(b"MIME-Version: 1.0")
            out.append(b"")
            out.extend(_mime_text_lines(r))
        else:
            # doc/input.md: 8-bit data in a non-text part: a bounce
            out.append(b"Content-Type: application/octet-stream")
            out.append(b"Content-Transfer-Encoding: 8bit")
            out.append(b"")
            out.append("\u00e9t\u00e9 raw".encode())
            desc.append("8-bit application/octet-stream")
    if r.random() < 0.9:
        out.append(b"--" + bnd + b"--")
        if r.random() < 0.3:
            out.append(b"an epilogue")
    else:
        desc.append("no close delimiter")
    return out


def generate(seed, k, seven=False):
    r = random.Random("%s:%d" % (seed, k))
    c = Case(k)
    worlds = ["main"] * 6 + ["small"] * 3 + (["seven"] * 2 if seven else [])
    c.world = r.choice(worlds)
    conf = CONFIGS["small" if c.world == "small" else "main"]
    maxh = conf["max_header_size"]
    t = r.random() < 0.25
    i = r.random() < 0.5
    f = None
    rcpts = ["case-%d@example.test" % k]
    c.bounce = c.world == "main" and r.random() < 0.1
    if c.bounce:
        f = "bounce-%d@example.test" % k
        rcpts = ["reject@example.test"]
        t = False
        if r.random() < 0.5:
            c.args += ["-R", "hdrs"]
            c.desc.append("RET=HDRS")
    elif c.world == "seven":
        f = "sender-%d@example.test" % k
    elif r.random() < 0.3:
        f = "sender-%d@example.test" % k
    if f is not None:
        c.args += ["-f", f]
    if i:
        c.args.append("-i" if r.random() < 0.5 else "-oi")
    if t:
        c.args.append("-t")
    c.show = r.random() < 0.2
    c.desc.append("world=%s t=%d i=%d" % (c.world, t, i))

    # ---- the header section (spool form: lines without line ends)
    head = []
    mime = None
    shape = r.random()
    no_header = shape < 0.05 and not t
    if r.random() < 0.05:
        head.append(b"From sender@example.test Mon Dec  7 10:00:00 2026")
        c.desc.append("mbox From_ line")
    if not no_header:
        if t:
            head.append(b"To: Case %d <to-%d@example.test>" % (k, k))
            if r.random() < 0.5:
                head.append(b"Cc: cc-%d@example.test" % k)
            if r.random() < 0.5:
                head.append(b"Bcc: bcc-%d@example.test" % k)
                c.desc.append("Bcc")
        else:
            head.append(b"To: case-%d@example.test" % k)
            if r.random() < 0.2:
                head.append(b"Bcc: hidden@example.test")
        head.append(b"Subject: oracle case %d" % k)
        for name, p in ((b"From: someone@example.test", 0.3),
                        (b"Date: Mon, 7 Dec 2026 10:00:00 +0000", 0.3),
                        (b"Message-ID: <case-%d@example.test>" % k, 0.3),
                        (b"Return-Path: <rp@example.test>", 0.05),
                        (b"Content-Length: 12", 0.05),
                        (b"Received: from x by y; Mon, 7 Dec 2026 "
                         b"10:00:00 +0000", 0.1),
                        (b"X-Folded: one\n\ttwo\n three", 0.2)):
            if r.random() < p:
                head.extend(name.split(b"\n"))
        if r.random() < (0.1 if c.world == "seven" else 0.15):
            head.append("X-Eight: \u00e9t\u00e9".encode())
            c.desc.append("8-bit header")
        if r.random() < 0.3:
            n = _line_length(r)
            head.append(_long_header(r, n))
            c.desc.append("header line %d" % n)
        if c.world == "seven" and r.random() < 0.5:
            # a MIME message for the 7-bit conversion
            mime = b"=_oracle_%d" % k
            if r.random() < 0.8:
                head.append(b"MIME-Version: 1.0")
            head.append(b"Content-Type: multipart/" +
                        r.choice((b"mixed", b"alternative", b"related")) +
                        b"; boundary=\"" + mime + b"\"")
            c.desc.append("multipart")
        if r.random() < 0.1:
            # a long continuation line of a folded field
            n = _line_length(r)
            head.append(b"X-Cont: start")
            head.append(b" " + _text(r, n - 1))
            c.desc.append("continuation line %d" % n)
        pool = list(BOUNDARIES.values()) + [maxh, maxh - 1, maxh + 1]
        pool = [x for x in pool if x <= maxh + 1]
        target = _size_target(r, maxh, pool)
        _fill(head, target)
        c.desc.append("header %d" % sum(len(x) + 1 for x in head))

    # ---- the body
    body = []
    no_blank = not no_header and mime is None and r.random() < 0.15
    if no_blank:
        c.desc.append("no blank line")
    if mime is not None:
        body = _mime_body(r, mime, 0, c.desc)
    for _ in range(r.randint(0, 8) if mime is None else 0):
        x = r.random()
        if x < 0.15:
            body.append(b".")
        elif x < 0.25:
            body.append(b"." * r.randint(1, 3) + b"lead")
        elif x < (0.45 if c.world == "seven" else 0.35):
            body.append(_text(r, r.randint(1, 80), eight=True))
        elif x < 0.4:
            body.append(b"x\0y")
        elif x < 0.5:
            body.append(b"")
        elif x < 0.55:
            body.append(b"From the body")
        elif x < 0.6:
            body.append(b"Looks-Like: a header")
        elif x < 0.8:
            n = _line_length(r)
            if r.random() < 0.5:
                ln = b"b" * n
            else:
                ln = _text(r, n, eight=r.random() < 0.2)
            if r.random() < 0.15:
                # a dot-led long line: its stuffed dot does not count
                ln = b"." + ln[1:]
                c.desc.append("dot-led")
            body.append(ln)
            c.desc.append("body line %d" % n)
        else:
            body.append(_text(r, r.randint(0, 100)))
    hsize = sum(len(x) + 1 for x in head)
    x = r.random()
    if no_blank and x < 0.3:
        # issue 9 defect 1: a first body line right after the header
        # that ends at a buffer size of the front end, -1/0/+1
        ends = [b - hsize + r.choice((-2, -1, 0)) for b in
                (BOUNDARIES["SUBMISSION_BUFFER"],
                 BOUNDARIES["SUBMISSION_WRITE_CHUNK"],
                 BOUNDARIES["INPUT_PIECE_MAX"])]
        ends = [n for n in ends if 0 < n <= 100000]
        n = r.choice(ends) if ends else _line_length(r)
        body.insert(0, b"b" * n)
        c.desc.append("first body line %d" % n)
    elif no_blank and x < 0.6:
        # a long first body line right after the header
        n = _line_length(r)
        body.insert(0, b"b" * n)
        c.desc.append("first body line %d" % n)
    if no_blank and (not body or body[0] == b"" or b":" in body[0]):
        body.insert(0, b"not a header line")
    if r.random() < 0.5:
        total = _size_target(r, maxh, list(BOUNDARIES.values()) +
                             [conf["max_message_size"] + d for d in
                              (-2048, 0, 1, 4096)
                              if conf["max_message_size"] < 1 << 20])
        _fill(body, total - hsize - (0 if no_blank else 1),
              name=b"filler ")
    if no_header:
        lines = body
        c.desc.append("no header section")
    elif no_blank:
        lines = head + body
    else:
        lines = head + [b""] + body

    # ---- line ends
    style = r.choice(("lf", "lf", "crlf", "cr", "mixed"))
    c.desc.append(style)
    ends = {"lf": [b"\n"], "crlf": [b"\r\n"], "cr": [b"\r"],
            "mixed": [b"\n", b"\r\n", b"\r"]}[style]
    out = bytearray()
    for ln in lines:
        out += ln + r.choice(ends)
    if lines and r.random() < 0.15:
        # no final line end
        while out[-1:] in (b"\n", b"\r"):
            out = out[:-1]
        c.desc.append("no final line end")
    if r.random() < 0.02:
        out = bytearray()
        c.desc.append("empty input")
    c.data = bytes(out)
    c.opts = {"t": t, "i": i, "f": f, "rcpts": rcpts}
    return c
