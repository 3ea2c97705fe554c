# SPDX-License-Identifier: GPL-2.0-or-later
"""oracle_model.py - an independent model of doc/input.md, for the oracle.

Owns: what postern must do with the bytes given to `sendmail`, written
from doc/input.md and doc/agent.md only (never from the C code): the
spool form of the message (LF line ends, no NUL, no bare CR, a final LF,
the lone-dot rule, the mbox From_ line, the header rules), the refusals
(exit 65: header section over max_header_size, message over
max_message_size; exit 64: no recipients), and the checks of what
arrives: at the smarthost (CRLF, lines of at most 998 octets, long
header lines folded so that RFC 5322 unfolding gives the submitted
field back, long body lines split on the next line), in `postern show`
(the queued message unchanged), in a DSN (the returned header section
as queued), and at a server without 8BITMIME (7-bit, the same MIME
leaves decoding to the queued ones, or a bounce where doc/input.md says
the message cannot be converted).

Never: runs a program, reads the C sources, or knows a buffer size (the
generator does); the headers postern adds (From, Date, Message-ID, and
one leading Received trace field) are checked for shape, not bytes.
"""

import copy
import email
import email.policy
import email.utils
import re

LINE_MAX = 998          # RFC 5321 4.5.3.1.6, without CRLF
WSP = b" \t"
# Fields removed in every mode (doc/input.md, "Headers")
REMOVED = {b"bcc", b"resent-bcc", b"return-path", b"content-length"}
ADDED = (b"from", b"date", b"message-id")
# The size postern's added fields may take at most, for the
# max_message_size band where either outcome is right (the model cannot
# know the added fields' exact size).
ADDED_SLACK = 1024

FIELD_NAME = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
# postern's trace field, as doc/input.md gives it: "Received: by HOST
# (postern, from userid UID)" folded with "id QID; DATE".
RECEIVED_UID = re.compile(
    rb"^Received: by [^\s()]+ \(postern, from userid (\d+)\)"
    rb"\r?\n?[ \t]+id [0-9A-Za-z]+; [^\r\n]+$")


class Expect:
    """What must happen to one submission."""

    def __init__(self):
        self.rc = 0             # 0, 64 or 65
        self.rc_either = False  # max_message_size band: 0 or 65
        self.fields = []        # [[line, ...], ...] the kept fields
        self.added = []         # lower-case names postern must add
        self.body = []          # body lines (bytes, no LF)
        self.sender = None
        self.rcpts = []
        self.header_size = 0
        self.size = 0           # spool size without the added fields
        self.why = ""

    def spool_lines(self):
        out = []
        for f in self.fields:
            out.extend(f)
        return out

    def has_8bit_header(self):
        return any(any(c >= 0x80 for c in ln) for ln in
                   self.spool_lines())

    def has_8bit(self):
        return any(any(c >= 0x80 for c in ln) for ln in
                   self.spool_lines() + self.body)


def split_lines(data):
    """Input bytes -> lines (no line ends): NUL removed, CRLF, LF and a
    bare CR each end a line, a last line without an end is completed."""
    data = data.replace(b"\0", b"")
    lines = re.split(rb"\r\n|\n|\r", data)
    if lines and lines[-1] == b"":
        lines.pop()             # the input ended with a line end
    return lines


def is_field_start(line):
    return bool(FIELD_NAME.match(line))


def field_name(field):
    return field[0].split(b":", 1)[0].lower()


def model(data, opts, conf):
    """opts: dict t, i, f (sender or None), rcpts, user (login);
    conf: dict max_header_size, max_message_size, domain."""
    e = Expect()
    lines = split_lines(data)
    if not opts["i"]:
        for n, ln in enumerate(lines):
            if ln == b".":
                lines = lines[:n]
                e.why += "lone dot ends the input; "
                break
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
        e.why += "mbox From_ line dropped; "
    # the header section: fields and their continuation lines, up to the
    # blank line (consumed) or the first line that is neither (body)
    head = []
    n = 0
    while n < len(lines):
        ln = lines[n]
        if ln == b"":
            n += 1
            break
        if is_field_start(ln):
            head.append([ln])
        elif ln[:1] in (b" ", b"\t") and head:
            head[-1].append(ln)
        else:
            e.why += "no blank line: first body line at %d; " % n
            break
        n += 1
    body = lines[n:]
    e.header_size = sum(len(ln) + 1 for f in head for ln in f)
    if e.header_size > conf["max_header_size"]:
        e.rc = 65
        e.why += "header section %d > max_header_size %d" % (
            e.header_size, conf["max_header_size"])
        return e
    fields = [f for f in head if field_name(f) not in REMOVED]
    names = {field_name(f) for f in fields}
    e.added = [a.decode() for a in ADDED if a not in names]
    e.fields = fields
    e.body = body
    e.size = sum(len(ln) + 1 for ln in e.spool_lines()) + 1 + \
        sum(len(ln) + 1 for ln in body)
    e.sender = opts["f"] if opts["f"] is not None else \
        "%s@%s" % (opts["user"], conf["domain"])
    if opts["t"]:
        vals = []
        for f in head:      # Bcc too: it names recipients, then goes
            if field_name(f) in (b"to", b"cc", b"bcc"):
                vals.append(b"".join(f[:1] + [x for x in f[1:]])
                            .split(b":", 1)[1].decode("latin-1"))
        e.rcpts = [a for _, a in email.utils.getaddresses(vals) if a]
    else:
        e.rcpts = list(opts["rcpts"])
    if not e.rcpts:
        e.rc = 64
        e.why += "no recipients"
        return e
    maxm = conf["max_message_size"]
    if e.size > maxm:
        e.rc = 65
        e.why += "message %d > max_message_size %d" % (e.size, maxm)
    elif e.size + ADDED_SLACK > maxm and e.added:
        e.rc_either = True
        e.why += "message %d within the added fields' slack of " \
            "max_message_size %d" % (e.size, maxm)
    return e


# ---------------------------------------------------------------- checks

def wire_lines(data, what):
    """CRLF-separated lines of what arrived; problems as strings."""
    probs = []
    if data and not data.endswith(b"\r\n"):
        probs.append("%s: does not end with CRLF" % what)
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for n, ln in enumerate(lines):
        if b"\r" in ln or b"\n" in ln:
            probs.append("%s: line %d has a bare CR or LF on the wire: %r"
                         % (what, n + 1, ln[:60]))
        if len(ln) > LINE_MAX:
            probs.append("%s: line %d is %d octets (over %d) on the wire"
                         % (what, n + 1, len(ln), LINE_MAX))
    return lines, probs


def group_fields(lines):
    fields = []
    for ln in lines:
        if ln[:1] in (b" ", b"\t") and fields:
            fields[-1].append(ln)
        else:
            fields.append([ln])
    return fields


def match_folded(exp, pieces):
    """Does the list of wire lines `pieces` give back the submitted line
    `exp` by RFC 5322 unfolding?  A space the sender never wrote may be
    the first octet of a continuation only when the line before it had
    no white space to fold at.  Returns None or the reason."""
    j = 0
    for pi, p in enumerate(pieces):
        if pi > 0 and p[:1] not in (b" ", b"\t"):
            return "continuation %d does not start with white space" % pi
        k = 0
        if pi > 0 and (j >= len(exp) or exp[j:j + 1] != p[:1]):
            prev = pieces[pi - 1]
            if p[:1] != b" ":
                return "continuation %d starts with an octet the " \
                    "sender did not write" % pi
            if any(c in WSP for c in prev[1 if pi > 1 else 0:]):
                return ("a space the sender never wrote was inserted at "
                        "octet %d of the field, though the line before "
                        "had white space to fold at: ...%r|%r..."
                        % (j, exp[max(0, j - 12):j], exp[j:j + 12]))
            k = 1
        seg = p[k:]
        if exp[j:j + len(seg)] != seg:
            return "differs at octet %d of the field: submitted " \
                "...%r..., arrived ...%r..." % (
                    j, exp[j:j + 40], seg[:40])
        j += len(seg)
    if j != len(exp):
        return "field cut: %d of %d octets arrived" % (j, len(exp))
    return None


def match_field(exp_lines, arr_lines):
    """Each submitted line of a field against the wire lines."""
    pos = 0
    for ln in exp_lines:
        if len(ln) <= LINE_MAX:
            if pos >= len(arr_lines) or arr_lines[pos] != ln:
                got = arr_lines[pos] if pos < len(arr_lines) else None
                return "line changed: submitted %r, arrived %r" % (
                    ln[:80], got[:80] if got is not None else None)
            pos += 1
            continue
        # a long line: take wire lines until it is given back
        best = None
        for end in range(pos + 1, len(arr_lines) + 1):
            why = match_folded(ln, arr_lines[pos:end])
            if why is None:
                best = end
                break
            if why.startswith("field cut"):
                continue
            return "long line (%d octets): %s" % (len(ln), why)
        if best is None:
            return "long line (%d octets) not given back: %s" % (
                len(ln), match_folded(ln, arr_lines[pos:]))
        pos = best
    if pos != len(arr_lines):
        return "extra line(s) in the field: %r" % (arr_lines[pos][:80],)
    return None


def check_added(name, field, sender):
    v = b" ".join(x.strip() for x in field)
    v = v.split(b":", 1)[1].strip() if b":" in v else b""
    if name == "from":
        if sender.encode() not in v:
            return "added From: %r does not name the sender %s" % (
                v[:100], sender)
    elif name == "date":
        try:
            if email.utils.parsedate_to_datetime(v.decode()) is None:
                raise ValueError
        except (ValueError, TypeError, UnicodeDecodeError):
            return "added Date: %r is not an RFC 5322 date" % v[:100]
    elif name == "message-id":
        if not re.match(rb"^<[^<>@\s]+@[^<>@\s]+>$", v):
            return "added Message-ID: %r is not <left@right>" % v[:100]
    return None


def check_header(e, arr_lines, received, uid, sender):
    """The header section that arrived (wire lines, no CRLF) against the
    model.  received: 'optional', 'required' or 'absent'."""
    probs = []
    arr = group_fields(arr_lines)
    if arr and arr_lines and arr_lines[0][:1] in (b" ", b"\t"):
        probs.append("header section starts with a continuation line")
    nexp = len(e.fields) + len(e.added)
    trace = None
    if len(arr) == nexp + 1 and arr and field_name(arr[0]) == b"received":
        trace = arr.pop(0)
    elif received == "required":
        probs.append("no leading Received: field added by postern")
    if trace is not None:
        if received == "absent":
            probs.append("a Received: field was added: %r" % trace[0][:80])
        m = RECEIVED_UID.match(b"\n".join(trace))
        if not m:
            probs.append("added Received: field names no uid: %r"
                         % b"".join(trace)[:200])
        elif int(m.group(1)) != uid:
            probs.append("added Received: names uid %s, the submitter "
                         "is uid %d" % (m.group(1).decode(), uid))
    if len(arr) != nexp:
        probs.append("%d header fields arrived, the model wants %d kept "
                     "+ %d added (%s)" % (len(arr), len(e.fields),
                                           len(e.added),
                                           ", ".join(e.added)))
    bad = 0
    for n, f in enumerate(e.fields):
        if n >= len(arr):
            break
        why = match_field(f, arr[n])
        if why:
            bad += 1
            if bad > 3:
                probs.append("and more header fields differ")
                break
            probs.append("header field %d (%s): %s" % (
                n + 1, field_name(f).decode("latin-1")[:40], why))
    tail = arr[len(e.fields):]
    names = sorted(field_name(f).decode("latin-1") for f in tail)
    if len(arr) >= len(e.fields) and names != sorted(e.added):
        probs.append("added fields %s, the model wants %s" % (
            names, sorted(e.added)))
    else:
        for f in tail:
            why = check_added(field_name(f).decode(), f, sender)
            if why:
                probs.append(why)
    return probs


def check_body(exp, arr):
    """Body lines: each submitted line arrives as itself, or (over 998
    octets) split into consecutive lines that concatenate back to it."""
    pos = 0
    for n, ln in enumerate(exp):
        if len(ln) <= LINE_MAX:
            if pos >= len(arr) or arr[pos] != ln:
                got = arr[pos][:80] if pos < len(arr) else None
                return ["body line %d changed: submitted %r (%d octets), "
                        "arrived %r" % (n + 1, ln[:80], len(ln), got)]
            pos += 1
            continue
        got = b""
        start = pos
        while pos < len(arr) and len(got) < len(ln):
            if arr[pos] == b"":
                break
            got += arr[pos]
            pos += 1
        if got != ln:
            return ["body line %d (%d octets) not given back by its "
                    "split: %d wire lines, %d octets, first difference at "
                    "%d" % (n + 1, len(ln), pos - start, len(got),
                            next((i for i in range(min(len(got), len(ln)))
                                  if got[i] != ln[i]), min(len(got),
                                                          len(ln))))]
    if pos != len(arr):
        return ["%d extra body line(s) arrived: %r" % (
            len(arr) - pos, arr[pos][:80])]
    return []


def split_message(lines):
    """Wire lines -> (header lines, body lines) at the first empty line."""
    for n, ln in enumerate(lines):
        if ln == b"":
            return lines[:n], lines[n + 1:], True
    return lines, [], False


def check_arrival(e, data, meta, received, uid, check_size):
    """Everything about one message that arrived at the smarthost."""
    probs = []
    lines, p = wire_lines(data, "wire")
    probs += p
    head, body, sep = split_message(lines)
    if not sep:
        probs.append("no blank line between header and body")
    probs += check_header(e, head, received, uid, e.sender)
    probs += check_body(e.body, body)
    if (meta.get("mail_from") or "") != e.sender:
        probs.append("envelope sender %r, the model wants %r" % (
            meta.get("mail_from"), e.sender))
    if sorted(a.lower() for a in meta.get("rcpt_tos", [])) != \
            sorted(a.lower() for a in e.rcpts):
        probs.append("envelope recipients %r, the model wants %r" % (
            meta.get("rcpt_tos"), e.rcpts))
    if meta.get("mail_options") is None:
        return probs        # not seen (Postfix's Maildir)
    params = [p.upper() for p in meta.get("mail_options") or []]
    if any(c >= 0x80 for c in data) and "BODY=8BITMIME" not in params:
        probs.append("8-bit data sent without BODY=8BITMIME (RFC 6152)")
    if check_size:
        for p in params:
            if p.startswith("SIZE="):
                try:
                    v = int(p[5:])
                except ValueError:
                    probs.append("SIZE=%s is not a number" % p[5:])
                    continue
                if v < len(data):
                    probs.append("SIZE=%d is less than the %d octets on "
                                 "the wire (RFC 1870: CRLF counted)" % (
                                     v, len(data)))
    return probs


def check_show(e, out, received="optional", uid=None):
    """`postern show --body ID`: the header after "Header:" and the body
    after "Body:" are the queued message, byte for byte (spool form),
    after postern's leading trace field (checked as in check_header)."""
    k = out.find(b"\nHeader:\n")
    if k < 0:
        return ["postern show: no 'Header:' section: %r" % out[:200]]
    rest = out[k + len(b"\nHeader:\n"):]
    k = rest.find(b"\n\nBody:\n")
    if k < 0:
        return ["postern show: no 'Body:' section after the header"]
    head = rest[:k].split(b"\n")
    body = rest[k + len(b"\n\nBody:\n"):]
    probs = []
    if head and head[0][:9].lower() == b"received:":
        n = 1
        while n < len(head) and head[n][:1] in (b" ", b"\t"):
            n += 1
        trace, head = head[:n], head[n:]
        if received == "absent":
            probs.append("postern show: a Received: field was added")
        m = RECEIVED_UID.match(b"\n".join(trace))
        if not m:
            probs.append("postern show: the trace field is not postern's: "
                         "%r" % b"\n".join(trace)[:200])
        elif uid is not None and int(m.group(1)) != uid:
            probs.append("postern show: Received: names uid %s, the "
                         "submitter is uid %d" % (m.group(1).decode(), uid))
    elif received == "required":
        probs.append("postern show: no leading Received: field")
    want = e.spool_lines()
    got = head[:len(want)]
    if got != want:
        for n, (a, b) in enumerate(zip(want, got)):
            if a != b:
                probs.append("postern show: header line %d is %r, queued "
                             "should be %r" % (n + 1, b[:80], a[:80]))
                break
        else:
            probs.append("postern show: %d header lines, want at least %d"
                         % (len(got), len(want)))
    added = group_fields(head[len(want):])
    trace = [f for f in added if field_name(f) == b"received"]
    names = sorted(field_name(f).decode("latin-1") for f in added
                   if field_name(f) != b"received")
    if names != sorted(e.added) or len(trace) > 1:
        probs.append("postern show: added fields %s, want %s" % (
            names, sorted(e.added)))
    wbody = b"".join(ln + b"\n" for ln in e.body)
    if body != wbody:
        n = next((i for i in range(min(len(body), len(wbody)))
                  if body[i] != wbody[i]), min(len(body), len(wbody)))
        probs.append("postern show: body differs at octet %d of %d "
                     "(shown %d octets): shown %r, queued should be %r"
                     % (n, len(wbody), len(body), body[n:n + 40],
                        wbody[n:n + 40]))
    return probs


def returned_header(data):
    """From a DSN (wire bytes): (content type, returned header lines)."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    if not msg.is_multipart():
        return None, None
    b = msg.get_boundary()
    if not b:
        return None, None
    delim = b"\r\n--" + b.encode("latin-1")
    raw = data
    parts = raw.split(delim)
    for part in parts[1:]:
        if part.startswith(b"--"):
            break
        # part: "\r\n" headers "\r\n\r\n" content
        k = part.find(b"\r\n\r\n")
        if k < 0:
            continue
        ph = part[:k].lower()
        m = re.search(rb"content-type:\s*([a-z0-9./+-]+)", ph)
        ctype = m.group(1).decode() if m else ""
        if ctype in ("text/rfc822-headers", "message/rfc822",
                     "message/global", "message/global-headers"):
            content = part[k + 4:]
            if b"content-transfer-encoding" in ph and \
                    re.search(rb"content-transfer-encoding:\s*(base64|"
                              rb"quoted-printable)", ph):
                return ctype, "encoded"
            lines = content.split(b"\r\n")
            out = []
            for ln in lines:
                if ln == b"":
                    break
                out.append(ln)
            return ctype, out
    return None, None


def check_bounce(e, data, meta, received, uid):
    """A DSN for a message the smarthost refused: to the original sender,
    from the null sender, returning the original's header section."""
    probs = []
    _, p = wire_lines(data, "DSN")
    probs += p
    if (meta.get("mail_from") or "<>") != "<>":
        probs.append("DSN from <%s>, not the null sender"
                     % meta.get("mail_from"))
    ctype, head = returned_header(data)
    if ctype is None:
        return probs + ["DSN has no returned message or header part"]
    if head == "encoded":
        return probs + ["DSN returns the header %s-encoded: cannot compare"
                        % ctype]
    probs += ["returned header (%s): %s" % (ctype, x) for x in
              check_header(e, head, received, uid, e.sender)]
    return probs


# The fields the 7-bit conversion may add or change (doc/input.md "On
# the wire": Content-Transfer-Encoding becomes quoted-printable and moves
# to the end of its header section; MIME-Version and Content-Type added)
MIME_FIELDS = {b"mime-version", b"content-type", b"content-transfer-encoding"}
MIME_DEPTH_MAX = 32     # doc/input.md: multiparts nested to 32 levels


def spool_message(e):
    """The queued message (spool form) without the fields postern adds."""
    return b"".join(ln + b"\n" for ln in e.spool_lines()) + b"\n" + \
        b"".join(ln + b"\n" for ln in e.body)


def _eight(v):
    """8-bit octets in bytes, or in a str parsed from bytes (the email
    module keeps them as surrogate escapes)"""
    if isinstance(v, bytes):
        return any(c >= 0x80 for c in v)
    return any("\udc80" <= ch <= "\udcff" or ord(ch) >= 0x80 for ch in v)


def _why_entity(m, depth):
    if depth > 0 and any(_eight(k) or _eight(v) for k, v in m.items()):
        return "8-bit header field"
    if m.is_multipart():
        ct = m.get_content_type()
        if depth >= MIME_DEPTH_MAX:
            return None
        if ct.startswith("multipart/"):
            if m.preamble and _eight(m.preamble):
                return "8-bit data in a multipart preamble"
            if m.epilogue and _eight(m.epilogue):
                return "8-bit data in a multipart epilogue"
        for part in m.get_payload():
            why = _why_entity(part, depth + 1)
            if why:
                return why
        return None
    payload = m.get_payload(decode=False)
    if not isinstance(payload, str) or not _eight(payload):
        return None
    cte = (m.get("content-transfer-encoding") or "7bit").strip().lower()
    if m.get_content_maintype() != "text":
        return "8-bit data in a non-text part (%s)" % m.get_content_type()
    if cte in ("base64", "quoted-printable"):
        return "8-bit data in an encoded text part"
    return None


def why_not_7bit(e):
    """Why doc/input.md says the message cannot be converted to 7 bit for
    a server without 8BITMIME (it is bounced), or None."""
    if e.has_8bit_header():
        return "8-bit header field"
    if not e.has_8bit():
        return None
    msg = email.message_from_bytes(spool_message(e),
                                   policy=email.policy.compat32)
    return _why_entity(msg, 0)


def _leaves(msg):
    """(content type, decoded payload with LF line ends) of every leaf.
    Empty text/plain leaves are left out: Python's parser drops a part of
    zero octets ("--b" at once followed by "--b"), which the conversion
    writes with its MIME fields, as an empty text part."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = (part.get_payload(decode=True) or b"").replace(b"\r\n",
                                                              b"\n")
        if data or part.get_content_type() != "text/plain":
            out.append((part.get_content_type(), data))
    return out


def _without_mime_fields(lines):
    out = []
    for f in group_fields(lines):
        if field_name(f) not in MIME_FIELDS:
            out.extend(f)
    return out


def check_7bit(e, data, received, uid):
    """To a server without 8BITMIME: what arrived is 7-bit with lines of
    at most 998 octets, its header fields are the original's (the MIME
    fields aside), and it has the queued message's MIME structure: the
    same leaves, each decoding (quoted-printable, base64) to the queued
    one's content."""
    probs = []
    lines, p = wire_lines(data, "wire")
    probs += p
    if any(c >= 0x80 for c in data):
        probs.append("8-bit octets sent to a server without 8BITMIME")
        return probs
    head, _, _ = split_message(lines)
    e2 = copy.copy(e)
    e2.fields = [f for f in e.fields if field_name(f) not in MIME_FIELDS]
    probs += ["header: " + x for x in check_header(
        e2, _without_mime_fields(head), received, uid, e.sender)]
    got = _leaves(email.message_from_bytes(data,
                                           policy=email.policy.compat32))
    want = _leaves(email.message_from_bytes(spool_message(e),
                                            policy=email.policy.compat32))
    if [t for t, _ in got] != [t for t, _ in want]:
        probs.append("MIME parts %s arrived, the queued message has %s"
                     % ([t for t, _ in got], [t for t, _ in want]))
        return probs
    for n, ((t, g), (_, w)) in enumerate(zip(got, want)):
        if g != w:
            i = next((i for i in range(min(len(g), len(w)))
                      if g[i] != w[i]), min(len(g), len(w)))
            probs.append("part %d (%s) decodes differently at octet %d: "
                         "got %r, want %r" % (n + 1, t, i, g[i:i + 40],
                                              w[i:i + 40]))
            break
    return probs


# ---------------------------------------------------------------- self-test

def fold_rfc5322(line, limit=LINE_MAX):
    """A reference folding for the self-test: at the last white space
    before the limit, a space inserted only where there is none."""
    out = []
    while len(line) > limit:
        k = max(line.rfind(b" ", 1, limit), line.rfind(b"\t", 1, limit))
        if k <= 0:
            out.append(line[:limit - 1])
            line = b" " + line[limit - 1:]
        else:
            out.append(line[:k])
            line = line[k:]
    out.append(line)
    return out


def self_test():
    """The checks against outputs made by hand: right ones pass, the
    known wrong ones fail.  Returns a list of problems (empty: good)."""
    probs = []
    words = b"X-Long: " + b" ".join(b"w%d" % i for i in range(5000))
    nows = b"X-Long:" + b"x" * 3000
    mixed = b"X-Long: a " + b"y" * 2500 + b" b c"
    for ln in (words, nows, mixed, words[:999], words[:998]):
        pieces = fold_rfc5322(ln)
        if any(len(p) > LINE_MAX for p in pieces):
            probs.append("self-test: the reference folding is wrong")
        why = match_field([ln], pieces)
        if why:
            probs.append("self-test: right folding of a %d-octet line "
                         "refused: %s" % (len(ln), why))
    # issue 9 defect 4: cut at 998 with a space inserted where the line
    # had white space to fold at
    cut = [words[:LINE_MAX], b" " + words[LINE_MAX:]]
    if match_field([words[:LINE_MAX + 500]], [cut[0], cut[1][:501]]) \
            is None:
        probs.append("self-test: an inserted space was not noticed")
    if match_field([words[:998]], [words[:500], b" " + words[500:998]]) \
            is None:
        probs.append("self-test: a line of 998 octets may not be folded")
    body = [b"b" * 20000, b".", b""]
    wire = [b"b" * 998] * 20 + [b"b" * 40, b".", b""]
    if check_body(body, wire):
        probs.append("self-test: a right body split refused: %s"
                     % check_body(body, wire))
    if not check_body(body, [b"b" * 998] * 11 + [b"b" * 830, b".", b""]):
        probs.append("self-test: a cut body line (defect 1) not noticed")
    e = model(b"A: 1\r\nB: 2\rC: 3\n\n.\nx\0y", {"t": False, "i": False,
              "f": None, "rcpts": ["r@x"], "user": "u"},
              {"max_header_size": 1024, "max_message_size": 1 << 20,
               "domain": "example.org"})
    if e.spool_lines() != [b"A: 1", b"B: 2", b"C: 3"] or e.body != [] or \
            e.added != ["from", "date", "message-id"]:
        probs.append("self-test: model of a small message is wrong")
    e = model(b"From x\nA: 1\nbody\n", {"t": False, "i": True, "f": None,
              "rcpts": ["r@x"], "user": "u"},
              {"max_header_size": 1024, "max_message_size": 1 << 20,
               "domain": "example.org"})
    if e.spool_lines() != [b"A: 1"] or e.body != [b"body"]:
        probs.append("self-test: mbox line / no blank line modelled wrong")
    # the 7-bit conversion: a multipart with an 8-bit text part
    opts = {"t": False, "i": True, "f": "s@x", "rcpts": ["r@x"],
            "user": "u"}
    conf = {"max_header_size": 4096, "max_message_size": 1 << 20,
            "domain": "example.org"}
    src = (b"A: 1\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
           b"boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
           b"caf\xc3\xa9 \n--b\nContent-Type: application/x\n\nabc\n--b--\n")
    e = model(src, opts, conf)
    good = (b"A: 1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
            b" boundary=\"b\"\r\nFrom: s@x\r\nDate: Mon, 7 Dec 2026 "
            b"10:00:00 +0000\r\nMessage-ID: <a@b>\r\n\r\n--b\r\n"
            b"Content-Type: text/plain\r\nContent-Transfer-Encoding: "
            b"quoted-printable\r\n\r\ncaf=C3=A9=20\r\n--b\r\n"
            b"Content-Type: application/x\r\n\r\nabc\r\n--b--\r\n")
    if why_not_7bit(e) or check_7bit(e, good, "optional", 0):
        probs.append("self-test: a right 7-bit conversion refused: %s %s"
                     % (why_not_7bit(e), check_7bit(e, good, "optional",
                                                    0)))
    for bad in (good.replace(b"=20", b""), good.replace(b"abc", b"abd"),
                good.replace(b"=C3=A9", b"\xc3\xa9"),
                good.replace(b"A: 1\r\n", b"A: 2\r\n")):
        if not check_7bit(e, bad, "optional", 0):
            probs.append("self-test: a wrong 7-bit conversion passed")
    e = model(src.replace(b"abc", b"ab\xc3\xa9"), opts, conf)
    if not why_not_7bit(e) or "non-text" not in why_not_7bit(e):
        probs.append("self-test: 8-bit application/x is convertible?")
    # postern's own Received: field, before and after it lands
    arr = [b"A: 1", b"From: u@example.org",
           b"Date: Mon, 7 Dec 2026 10:00:00 +0000",
           b"Message-ID: <a@b>"]
    e = model(b"A: 1\n\nx\n", {"t": False, "i": False, "f": None,
              "rcpts": ["r@x"], "user": "u"},
              {"max_header_size": 1024, "max_message_size": 1 << 20,
               "domain": "example.org"})
    rcvd = [b"Received: by host.example.org (postern, from userid 1001)",
            b"\tid 6B16A4B69FE724624130; Mon, 7 Dec 2026 12:21:10 +0000"]
    for mode, lines, uid, good in (
            ("optional", arr, 1001, True),
            ("optional", rcvd + arr, 1001, True),
            ("optional", rcvd + arr, 1002, False),
            ("required", arr, 1001, False),
            ("absent", rcvd + arr, 1001, False),
            ("optional", rcvd + rcvd + arr, 1001, False)):
        got = check_header(e, lines, mode, uid, "u@example.org")
        if bool(got) == good:
            probs.append("self-test: Received: %s, uid %d, %d lines: %s"
                         % (mode, uid, len(lines), got or "accepted"))
    return probs
