#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fault-campaign.py - the messages and the accounting of the fault
campaign (tests/integration/fault-campaign.sh, doc/fault-campaign.md).

  plan  --seed S --n N --dir D
        writes D/plan.tsv ("I<TAB>SENDER<TAB>RCPT,RCPT...") and D/msg/I,
        the message text of each; everything follows from S.  Sender
        fcS-I@example.org is unique per message, so the smarthost can tell
        the message from MAIL FROM alone and a DSN from its recipient.
  check --dir D --smarthost SH --spool SPOOL
        accounts for every recipient of every planned message from what
        the smarthost recorded (SH/NNNN.json, SH/faults.jsonl) and what is
        left in the spool (new/ cur/ failed/ state/); prints the table on
        stdout and writes D/summary ("key value" lines) and D/problems
        (one line per problem found).
  dsn   FILE RCPTS TEXT
        checks one DSN's RFC 3464 structure for exactly RCPTS (comma
        list), each with a Diagnostic-Code that contains TEXT; prints ok
        or the problem.

A recipient's outcome is exactly one of: delivered (once, or more when
every extra copy was stored by the server and then the connection was
dropped before its 250: the only duplicate an SMTP client cannot avoid,
RFC 1047), bounced (named by a DSN to the message's sender, delivered or
still in the spool), still queued (its message in new/ or cur/ and the
recipient pending or deferred with a reason), or LOST.  Anything else
(delivered and bounced, bounced twice, an unexplained duplicate) is a
problem too.  Never: changes the spool or the smarthost's files.
"""

import argparse
import email
import email.policy
import glob
import json
import os
import random
import re
import sys

DOMAIN_FROM = "example.org"
DOMAIN_TO = "example.net"
MARKER_HEADER = "X-Campaign"
WORDS = ("relay", "queue", "spool", "bounce", "retry", "smarthost", "mail",
         "postern", "deferred", "sent", "status", "TLS", "envelope", "dot")


def marker_of(seed, i):
    return "fc%s-%d" % (seed, i)


def sender_of(seed, i):
    return "%s@%s" % (marker_of(seed, i), DOMAIN_FROM)


# ---------------------------------------------------------------- plan

def cmd_plan(a):
    rng = random.Random(a.seed)
    os.makedirs(os.path.join(a.dir, "msg"), exist_ok=True)
    with open(os.path.join(a.dir, "plan.tsv"), "w") as plan:
        for i in range(1, a.n + 1):
            n = rng.randint(1, 3)
            rcpts = ["r%d-%d-%s@%s" % (i, k, marker_of(a.seed, i),
                                      DOMAIN_TO) for k in range(1, n + 1)]
            sender = sender_of(a.seed, i)
            lines = []
            for _ in range(rng.randint(1, 40)):
                w = [rng.choice(WORDS) for _ in range(rng.randint(1, 14))]
                lines.append(" ".join(w))
            if rng.random() < 0.2:
                lines.insert(rng.randrange(len(lines) + 1), ".")
            text = ("From: <%s>\nTo: %s\nSubject: fault campaign %d\n"
                    "Message-ID: <%s@campaign.test>\n%s: %s\n\n%s\n"
                    % (sender, ", ".join(rcpts), i, marker_of(a.seed, i),
                       MARKER_HEADER, marker_of(a.seed, i),
                       "\n".join(lines)))
            with open(os.path.join(a.dir, "msg", str(i)), "w") as f:
                f.write(text)
            plan.write("%d\t%s\t%s\n" % (i, sender, ",".join(rcpts)))
    return 0


def load_plan(d):
    msgs = {}
    with open(os.path.join(d, "plan.tsv")) as f:
        for line in f:
            i, sender, rcpts = line.rstrip("\n").split("\t")
            with open(os.path.join(d, "msg", i)) as m:
                text = m.read()
            msgs[sender.lower()] = {"i": int(i), "sender": sender,
                                    "rcpts": rcpts.split(","),
                                    "body": text.split("\n\n", 1)[1]}
    return msgs


# ---------------------------------------------------------------- DSN

def dsn_problem(raw, want=None, text=None):
    """None when RAW is a well-formed RFC 3464 failure report (for
    exactly the recipients WANT, each Diagnostic-Code holding TEXT, when
    given); else the reason.  Also returns the recipients named."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report" or \
            msg.get_param("report-type") != "delivery-status":
        return "not multipart/report; report-type=delivery-status: %s" \
            % msg.get("Content-Type"), []
    parts = msg.get_payload()
    if not isinstance(parts, list) or not 2 <= len(parts) <= 3:
        return "want 2 or 3 parts", []
    if parts[0].get_content_type() != "text/plain":
        return "first part is %s" % parts[0].get_content_type(), []
    if parts[1].get_content_type() != "message/delivery-status":
        return "second part is %s" % parts[1].get_content_type(), []
    if len(parts) == 3 and parts[2].get_content_type() not in \
            ("message/rfc822", "text/rfc822-headers"):
        return "third part is %s" % parts[2].get_content_type(), []
    if not msg.get("Auto-Submitted", "").startswith("auto-replied"):
        return "no Auto-Submitted: auto-replied", []
    blocks = parts[1].get_payload()
    if not blocks or blocks[0].get("Reporting-MTA") is None:
        return "no per-message block with Reporting-MTA", []
    got = []
    for b in blocks[1:]:
        fr = b.get("Final-Recipient", "")
        if not fr.lower().startswith("rfc822;"):
            return "bad Final-Recipient %r" % fr, got
        got.append(fr.split(";", 1)[1].strip())
        if b.get("Action", "").lower() != "failed":
            return "Action %r" % b.get("Action"), got
        if not re.match(r"^5\.\d{1,3}\.\d{1,3}$", b.get("Status", "")):
            return "Status %r" % b.get("Status"), got
        dc = " ".join(b.get("Diagnostic-Code", "").split())
        if text is not None and text not in dc:
            return "Diagnostic-Code %r lacks %r" % (dc, text), got
    if not got:
        return "no per-recipient block", got
    if want is not None and sorted(got) != sorted(want):
        return "recipients %r, want %r" % (got, want), got
    return None, got


def returned_marker(raw):
    """The X-Campaign value of the message a DSN returns, or None."""
    m = re.search(rb"(?m)^" + MARKER_HEADER.encode() + rb": (\S+)", raw)
    return m.group(1).decode("latin-1") if m else None


def cmd_dsn(a):
    with open(a.file, "rb") as f:
        why, _ = dsn_problem(f.read(), a.rcpts.split(","), a.text)
    print(why or "ok")
    return 0 if why is None else 1


# ---------------------------------------------------------------- spool

def read_queue_file(path):
    """(envelope dict, message bytes) of a queue file, or None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head, sep, body = data.partition(b"\n\n")
    if not sep:
        return None
    env = {"rcpts": [], "sender": None, "qid": os.path.basename(path)}
    for line in head.decode("latin-1").split("\n"):
        if line == "S" or line.startswith("S "):
            env["sender"] = line[2:]
        elif line.startswith("R "):
            env["rcpts"].append(line[2:].split("\t")[0])
    return env, body


def relay_reason(spool):
    """The reasons of the relays that are down (state/relays), or None."""
    try:
        with open(os.path.join(spool, "state", "relays"),
                  encoding="latin-1") as f:
            down = [x.split(" ", 5)[5].strip() for x in f
                    if len(x.split(" ", 5)) == 6 and
                    x.split(" ", 2)[1] == "down"]
    except OSError:
        return None
    return "; ".join(down) or None


def read_state(spool, qid):
    """{index: (state, text)} and the last error of state/QID; a message
    without a state file was never tried (None for the error)."""
    rcpt, err = {}, None
    if not os.path.exists(os.path.join(spool, "state", qid)):
        return rcpt, None
    try:
        with open(os.path.join(spool, "state", qid), encoding="latin-1") \
                as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("r "):
                    p = line.split(" ", 5)
                    rcpt[int(p[1])] = (p[2], p[5] if len(p) > 5 else "")
                elif line.startswith("e "):
                    err = line[2:]
    except OSError:
        pass
    return rcpt, err


# ---------------------------------------------------------------- check

def cmd_check(a):
    msgs = load_plan(a.dir)
    problems = []
    # per (sender, rcpt): copies (record numbers), dsn mentions, queue
    out = {}
    for m in msgs.values():
        for r in m["rcpts"]:
            out[(m["sender"].lower(), r.lower())] = {
                "copies": [], "dsns": [], "queued": None, "failed": False}

    faults = []
    fpath = os.path.join(a.smarthost, "faults.jsonl")
    if os.path.exists(fpath):
        with open(fpath) as f:
            faults = [json.loads(x) for x in f if x.strip()]
    after_dot = {f["record"] for f in faults
                 if f["action"] == "abort-after-dot" and "record" in f}

    # what the smarthost stored
    ndsn = 0
    for jf in sorted(glob.glob(os.path.join(a.smarthost,
                                            "[0-9][0-9][0-9][0-9].json"))):
        meta = json.load(open(jf))
        num = meta["number"]
        with open(jf[:-5] + ".eml", "rb") as f:
            raw = f.read().replace(b"\r\n", b"\n")
        sender = meta["mail_from"]
        if sender in ("<>", ""):
            ndsn += 1
            dst = [x.lower() for x in meta["rcpt_tos"]]
            m = msgs.get(dst[0]) if len(dst) == 1 else None
            if m is None:
                problems.append("record %d: DSN to %r, not one planned "
                                "sender" % (num, meta["rcpt_tos"]))
                continue
            why, named = dsn_problem(raw)
            if why is not None:
                problems.append("record %d: malformed DSN: %s" % (num, why))
            mk = returned_marker(raw)
            if mk is not None and mk != m["sender"].split("@")[0]:
                problems.append("record %d: DSN to %s returns message %s"
                                % (num, m["sender"], mk))
            for r in named:
                k = (m["sender"].lower(), r.lower())
                if k not in out:
                    problems.append("record %d: DSN names %s, not a "
                                    "recipient of %s" % (num, r,
                                                         m["sender"]))
                    continue
                out[k]["dsns"].append(("sent", num))
            continue
        m = msgs.get(sender.lower())
        if m is None:
            problems.append("record %d: unknown sender %r" % (num, sender))
            continue
        head, _, body = raw.decode("latin-1").partition("\n\n")
        if "\n%s: %s\n" % (MARKER_HEADER, sender.split("@")[0]) \
                not in "\n" + head + "\n":
            problems.append("record %d: the marker of %s is missing"
                            % (num, sender))
        if body != m["body"]:
            problems.append("record %d: the body of %s is not intact"
                            % (num, sender))
        for r in meta["rcpt_tos"]:
            k = (sender.lower(), r.lower())
            if k not in out:
                problems.append("record %d: %s is no recipient of %s"
                                % (num, r, sender))
                continue
            out[k]["copies"].append(num)

    # what the spool still holds; a message that was never charged waits
    # for its first attempt or for a relay that is down
    relays_down = relay_reason(a.spool)
    for q in ("new", "cur", "failed"):
        for path in sorted(glob.glob(os.path.join(a.spool, q, "*"))):
            got = read_queue_file(path)
            if got is None:
                problems.append("%s/%s: unreadable" % (q, os.path.basename(
                    path)))
                continue
            env, body = got
            states, err = read_state(a.spool, env["qid"])
            if env["sender"] == "":
                dst = [x.lower() for x in env["rcpts"]]
                m = msgs.get(dst[0]) if len(dst) == 1 else None
                if m is None:
                    problems.append("%s/%s: DSN to %r, not a planned "
                                    "sender" % (q, env["qid"], dst))
                    continue
                why, named = dsn_problem(body)
                if why is not None:
                    problems.append("%s/%s: malformed DSN: %s"
                                    % (q, env["qid"], why))
                for r in named:
                    k = (m["sender"].lower(), r.lower())
                    if k in out:
                        out[k]["dsns"].append((q, env["qid"]))
                continue
            m = msgs.get((env["sender"] or "").lower())
            if m is None:
                problems.append("%s/%s: unknown sender %r"
                                % (q, env["qid"], env["sender"]))
                continue
            for idx, r in enumerate(env["rcpts"]):
                k = (m["sender"].lower(), r.lower())
                if k not in out:
                    continue
                st, text = states.get(idx, ("pending", ""))
                if st in ("pending", "deferred") and q != "failed":
                    has_state = os.path.exists(os.path.join(
                        a.spool, "state", env["qid"]))
                    out[k]["queued"] = text or err or (
                        "" if has_state else relays_down or
                        "waits for its first attempt")
                elif st == "failed":
                    out[k]["failed"] = True
                elif st in ("pending", "deferred"):
                    problems.append("failed/%s: %s is still %s"
                                    % (env["qid"], r, st))

    # one outcome per recipient
    outcome = {}
    for k, o in out.items():
        d, b, q = len(o["copies"]), len(o["dsns"]), o["queued"]
        extra = [n for n in o["copies"] if n not in after_dot]
        dsn_extra = [x for x in o["dsns"]
                     if not (x[0] == "sent" and x[1] in after_dot)]
        if d and b and not extra and len(dsn_extra) <= 1:
            # the server stored a copy and dropped the connection before
            # its 250 (abort-after-dot): the agent, rightly unaware,
            # tried again and that later attempt was refused for good.
            # The same unavoidable window as a duplicate copy.
            oc = "dup"
        elif d and b:
            oc = "both"
        elif q is not None and (b or len(extra) > 0):
            oc = "both"
        elif q is not None:
            oc = "queued"
            if not q.strip():
                problems.append("%s: queued without a reason" % (k[1],))
        elif d:
            oc = "delivered" if d == 1 else "dup"
            if len(extra) > 1:
                oc = "baddup"
        elif b:
            oc = "bounced"
            if len(dsn_extra) > 1:
                oc = "baddup"
        else:
            oc = "lost"
        if oc in ("both", "baddup", "lost"):
            problems.append("%s (message %s): %s: copies %r, DSNs %r, "
                            "queued %r" % (k[1], k[0], oc, o["copies"],
                                           o["dsns"], q))
        if b > 1 and oc == "bounced":
            oc = "dupdsn"
        outcome[k] = oc

    # the table: rows = stage x fault that fired
    def label(f):
        return ("tls mid-session" if f["stage"] == "tls" else f["stage"],
                f["action"])
    rows = {}
    for f in faults:
        row = rows.setdefault(label(f), {"fired": 0, "dsn": 0,
                                         "hit": set()})
        row["fired"] += 1
        s = (f.get("sender") or "").lower()
        if f["stage"] in ("greeting", "ehlo", "starttls", "auth"):
            continue
        if s in ("", "<>"):
            row["dsn"] += 1
            continue
        m = msgs.get(s)
        if m is None:
            continue
        if f["stage"] == "rcpt":
            hit = [f.get("rcpt") or ""]
        elif f["stage"] == "mail" or f["action"] == "abort-at-mail" or \
                not f.get("rcpts"):
            hit = m["rcpts"]
        else:
            hit = f["rcpts"]
        for r in hit:
            if (s, r.lower()) in out:
                row["hit"].add((s, r.lower()))

    cols = ("delivered", "dup", "bounced", "queued", "lost")
    order = [(st, ac) for st in ("greeting", "ehlo", "starttls", "auth",
                                 "mail", "rcpt", "data", "dot")
             for ac in ("4xx", "5xx", "disconnect", "stall", "garbage")]
    order += [("tls mid-session", ac) for ac in
              ("abort-at-mail", "abort-in-data", "garbage-record",
               "abort-after-dot")]
    fmt = "%-16s %-15s %6s %5s %6s %9s %5s %7s %6s %5s"
    lines = [fmt % ("stage", "fault", "fired", "dsns", "rcpts",
                    "delivered", "dup", "bounced", "queued", "lost")]

    def counts(keys):
        c = dict.fromkeys(cols, 0)
        for k in keys:
            oc = outcome[k]
            c["dup" if oc in ("dup", "baddup", "dupdsn") else
              "lost" if oc in ("lost", "both") else oc] += 1
        return c
    session = ("greeting", "ehlo", "starttls", "auth")
    for key in order + sorted(k for k in rows if k not in order):
        if key not in rows:
            continue
        row = rows[key]
        if key[0] in session:
            lines.append(fmt % (key[0], key[1], row["fired"], "-", "-",
                                "-", "-", "-", "-", "-"))
            continue
        c = counts(row["hit"])
        lines.append(fmt % (key[0], key[1], row["fired"], row["dsn"],
                            len(row["hit"]), c["delivered"], c["dup"],
                            c["bounced"], c["queued"], c["lost"]))
    c = counts(out.keys())
    total_fired = sum(r["fired"] for r in rows.values())
    lines.append(fmt % ("TOTAL", "%d msgs" % len(msgs), total_fired,
                        sum(r["dsn"] for r in rows.values()), len(out),
                        c["delivered"], c["dup"], c["bounced"], c["queued"],
                        c["lost"]))
    dsn_failed = sum(1 for o in out.values()
                     if any(x[0] == "failed" for x in o["dsns"]))
    lines += [
        "fired: times the fault fired; dsns: how many of those hit a "
        "DSN's own transaction;",
        "rcpts: recipients whose transaction it hit (a recipient may meet "
        "several faults);",
        "their final outcome: delivered exactly once; dup: a second copy "
        "of the message or",
        "its DSN, each extra copy stored by the server before the "
        "connection dropped ahead",
        "of its 250 (abort-after-dot, RFC 1047), or such a copy and then "
        "a DSN when the",
        "retry was refused for good; bounced: named in a DSN "
        "to the sender",
        "(%d of them in a DSN that was itself refused for good and kept "
        "in failed/: a" % dsn_failed,
        "bounce is never bounced); queued: still in the queue with a "
        "reason; lost: none of these.",
        "Session faults (greeting, ehlo, starttls, auth) end the session "
        "before any transaction:",
        "the relay backs off and the messages wait; no recipient is hit."]
    print("\n".join(lines))
    summary = {
        "messages": len(msgs), "recipients": len(out),
        "faults_fired": total_fired, "rows_fired": len(rows),
        "delivered": c["delivered"], "duplicated": c["dup"],
        "bounced": c["bounced"], "queued": c["queued"],
        "lost": sum(1 for v in outcome.values() if v == "lost"),
        "conflicts": sum(1 for v in outcome.values() if v == "both"),
        "bad_duplicates": sum(1 for v in outcome.values()
                              if v == "baddup"),
        "dsn_records": ndsn, "dsn_failed": dsn_failed,
        "problems": len(problems),
    }
    with open(os.path.join(a.dir, "summary"), "w") as f:
        for k, v in summary.items():
            f.write("%s %s\n" % (k, v))
    with open(os.path.join(a.dir, "problems"), "w") as f:
        for p in problems:
            f.write(p + "\n")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("plan")
    s.add_argument("--seed", required=True)
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--dir", required=True)
    s = sub.add_parser("check")
    s.add_argument("--dir", required=True)
    s.add_argument("--smarthost", required=True)
    s.add_argument("--spool", required=True)
    s = sub.add_parser("dsn")
    s.add_argument("file")
    s.add_argument("rcpts")
    s.add_argument("text", nargs="?")
    a = p.parse_args(argv)
    return {"plan": cmd_plan, "check": cmd_check, "dsn": cmd_dsn}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
