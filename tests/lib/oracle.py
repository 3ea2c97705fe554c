#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""oracle.py - the whole-path oracle of issue 9: sendmail -> postern-drop
-> spool -> posternd -> smarthost, checked against oracle_model.py.

Usage: oracle.py BUILDDIR WORKDIR N   (TAP on stdout)
Environment:
  ORACLE_SEED=S       the seed (default: random; always printed)
  ORACLE_CASE=K       run case K of the seed only
  ORACLE_BATCH=B      cases submitted before one delivery run (100)
  ORACLE_RUN_AS=USER  run sendmail and posternd as USER (when root)
  ORACLE_RECEIVED=required|optional|absent   postern's Received: field
                      (default required)
  ORACLE_CHECK_SIZE=0 do not check SIZE= against the wire size
  ORACLE_POSTFIX=PORT:MAILDIR  every fifth case that fits goes to the
                      Postfix listening there (no TLS, no AUTH), which
                      delivers into MAILDIR (tests/lib/postfix.sh)
  ORACLE_7BIT=0|1     cases to a server without 8BITMIME too (issue 9
                      defect 5: the agent converts to quoted-printable or
                      bounces; 2 in 11 cases, half of them multipart);
                      on by default, 0 turns it off (the cases of a seed
                      differ between the two)
  ORACLE_SHRINK_SECONDS=T  time for shrinking all failures (30)
  ORACLE_SAVE=DIR     write each shrunk input to DIR/seed-S-case-K-*.in
  ORACLE_REPORT=FILE  append every failure to FILE (case, kind, why)
  ORACLE_SENDMAIL, ORACLE_POSTERN, ORACLE_DROP, ORACLE_POSTERND
                      the programs (default: BUILDDIR/src/...; sendmail
                      is a link named sendmail to src/postern)
  ORACLE_TAP_FIRST=N, ORACLE_TAP_STATE=FILE   number the test points
                      from N and write "LAST FAILED" to FILE instead of
                      the plan (the shell test prints the plan)

Owns: the private worlds (spool, postern.conf, one smarthost each), the
submissions, the delivery runs (posternd --once until the queue is
empty), matching arrivals to cases by the number in their envelope
addresses, the TAP points (one per group of cases and kind of check),
and the shrinker.

Never: kills a process it did not start, sleeps to assert a time, or
touches a spool or configuration outside WORKDIR.
"""

import json
import os
import pwd
import random
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_gen as gen            # noqa: E402
import oracle_model as om           # noqa: E402

TOKEN = re.compile(r"^[a-z]+-(\d+)@example\.test$", re.I)
REJECT = "reject@example.test"
KINDS = ("exit", "arrival", "show", "bounce", "size", "7bit", "postfix")
KIND_TITLE = {
    "exit": "exit status, and queued or not, as the model says",
    "arrival": "what arrived is the model's message",
    "show": "postern show prints the queued message unchanged",
    "bounce": "DSNs return the original header as queued",
    "size": "SIZE= covers the octets on the wire",
    "7bit": "to a server without 8BITMIME: 7-bit, decodes to the original",
    "postfix": "what arrived at Postfix is the model's message",
}


# The programs, as in production; ORACLE_SENDMAIL etc. replace them (the
# valgrind wrappers of tests/lib/valgrind.sh)
PROGS = {}


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


def env_flag(name, default):
    return os.environ.get(name, default)


class World:
    """A spool, a configuration and a smarthost (or a Postfix)."""

    def __init__(self, name, root, build, as_user, smarthost_flags,
                 postfix=None):
        self.name = name
        self.dir = os.path.join(root, name)
        self.spool = os.path.join(self.dir, "spool")
        self.shdir = os.path.join(self.dir, "sh")
        self.build = build
        self.as_user = as_user
        for d in ("tmp", "new", "cur", "failed", "state"):
            os.makedirs(os.path.join(self.spool, d), exist_ok=True)
        os.makedirs(self.shdir, exist_ok=True)
        if as_user:
            for d, _, fs in os.walk(self.spool):
                os.chown(d, as_user.pw_uid, as_user.pw_gid)
        self.seen = 0           # smarthost records already read
        self.postfix = postfix
        self.sh = None
        if postfix:
            self.port, self.maildir = postfix
            self.pf_seen = set()
            self.confs = {"main": self.write_conf("main",
                                                  gen.CONFIGS["main"])}
            return
        ready = os.path.join(self.shdir, "ready")
        here = os.path.dirname(os.path.abspath(__file__))
        # --size: the server announces SIZE (RFC 1870), so the agent
        # sends SIZE=, which is checked against the octets on the wire
        self.shout = open(os.path.join(self.shdir, "server.out"), "wb")
        self.sh = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(here, "smarthost.py"),
             "--port", "0", "--outdir", self.shdir, "--ready-file", ready,
             "--fault", "rcpt=%s:550 5.1.1 <%s>: no such user" %
             (REJECT, REJECT), "--size", str(1 << 30)] + smarthost_flags,
            stdin=subprocess.DEVNULL,
            stdout=self.shout,
            stderr=subprocess.STDOUT)
        for _ in range(400):
            if os.path.exists(ready) and slurp(ready).strip():
                break
            if self.sh.poll() is not None:
                raise SystemExit("Bail out! smarthost %s did not start: %s"
                                 % (name, slurp(os.path.join(
                                     self.shdir, "server.out")).decode(
                                     "latin-1")))
            time.sleep(0.025)
        else:
            raise SystemExit("Bail out! smarthost %s did not start" % name)
        self.port = int(slurp(ready))
        self.confs = {}
        for cname, c in gen.CONFIGS.items():
            self.confs[cname] = self.write_conf(cname, c)

    def write_conf(self, cname, c):
        path = os.path.join(self.dir, "postern-%s.conf" % cname)
        with open(path, "w") as f:
            f.write("[postern]\nspool_dir = %s\n" % self.spool)
            f.write("drop_program = %s\n" % PROGS["drop"])
            f.write("agent_program = %s\n" % PROGS["posternd"])
            f.write("domain = example.org\nhostname = host.example.org\n")
            f.write("admin = admin@example.org\nlog = stderr\n")
            f.write("aliases = %s/aliases\n" % self.dir)
            f.write("max_header_size = %d\n" % c["max_header_size"])
            f.write("max_message_size = %d\n" % c["max_message_size"])
            f.write("[queue]\nconcurrency = 1\nretry_min = 1h\n")
            f.write("[timeouts]\ndata_block = 60s\ndata_end = 60s\n")
            f.write("[relay]\nhost = 127.0.0.1\nport = %d\ntls = none\n"
                    % self.port)
        open(os.path.join(self.dir, "aliases"), "w").close()
        os.chmod(path, 0o644)
        return path

    def prefix(self):
        if not self.as_user:
            return []
        return ["setpriv", "--reuid=%d" % self.as_user.pw_uid,
                "--regid=%d" % self.as_user.pw_gid, "--init-groups", "--"]

    def queued(self):
        return set(os.listdir(os.path.join(self.spool, "new"))) | \
            set(os.listdir(os.path.join(self.spool, "cur")))

    def submit(self, case):
        conf = self.confs["small" if case.world == "small" else "main"]
        before = self.queued()
        p = subprocess.run(self.prefix() + [self.sendmail, "-C", conf] +
                           case.argv(), input=case.data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        after = self.queued()
        tmp = os.listdir(os.path.join(self.spool, "tmp"))
        return p.returncode, p.stderr, sorted(after - before), tmp

    def show(self, qid):
        p = subprocess.run([PROGS["postern"], "show", "-C",
                            self.confs["main"], "--body", qid],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        return p.returncode, p.stdout + (b"" if p.returncode == 0 else
                                         p.stderr)

    def deliver(self):
        """posternd --once until new/ and cur/ are empty (DSNs need a
        second run); returns the agent's stderr."""
        log = b""
        for _ in range(4):
            if not self.queued():
                break
            p = subprocess.run(self.prefix() + [
                PROGS["posternd"], "--once", "-C",
                self.confs["main"]], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, timeout=600)
            log += p.stderr
        return log

    def arrivals(self):
        """The smarthost's new records: [(meta, data)]."""
        if self.postfix:
            return self.postfix_arrivals()
        out = []
        while True:
            base = os.path.join(self.shdir, "%04d" % (self.seen + 1))
            if not os.path.exists(base + ".json"):
                break
            self.seen += 1
            meta = json.loads(slurp(base + ".json"))
            meta.pop("data", None)
            meta.pop("data_b64", None)
            out.append((meta, slurp(base + ".eml")))
        return out

    def postfix_wait(self, n, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            have = 0
            for sub in ("new", "cur"):
                d = os.path.join(self.maildir, sub)
                if os.path.isdir(d):
                    have += len(set(os.listdir(d)) - self.pf_seen)
            if have >= n:
                return
            time.sleep(0.05)

    def postfix_arrivals(self):
        """Postfix's Maildir: each new file, its own trace fields (the
        virtual agent's Return-Path, Delivered-To, X-Original-To and
        smtpd's Received) taken off, LF made CRLF again."""
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if name in self.pf_seen:
                    continue
                self.pf_seen.add(name)
                raw = slurp(os.path.join(d, name))
                lines = raw.split(b"\n")
                if lines and lines[-1] == b"":
                    lines.pop()
                meta = {"mail_options": None, "rcpt_tos": []}
                fields = om.group_fields(
                    lines[:lines.index(b"")] if b"" in lines else lines)
                drop = 0
                for f in fields:
                    nm = om.field_name(f)
                    v = b" ".join(f).split(b":", 1)[1].strip().decode(
                        "latin-1")
                    if nm == b"return-path":
                        meta["mail_from"] = v.strip("<>")
                    elif nm in (b"delivered-to", b"x-original-to"):
                        if nm == b"x-original-to" or not meta["rcpt_tos"]:
                            meta["rcpt_tos"] = [v]
                    elif not (nm == b"received" and b"(Postfix)" in
                              b" ".join(f)):
                        break
                    drop += len(f)
                data = b"".join(ln + b"\r\n" for ln in lines[drop:])
                out.append((meta, data))
        return out

    def stop(self):
        if self.sh is None:
            return
        self.shout.close()
        if self.sh.poll() is None:
            self.sh.terminate()
            try:
                self.sh.wait(10)
            except subprocess.TimeoutExpired:
                self.sh.kill()
                self.sh.wait()


class Oracle:
    def __init__(self, build, workdir):
        self.build = build
        self.work = workdir
        user = os.environ.get("ORACLE_RUN_AS")
        if not user and os.getuid() == 0:
            # the agent would drop to its own user and set aside queue
            # files of group root: run as a user, as in production
            raise SystemExit("Bail out! as root, set ORACLE_RUN_AS=USER "
                             "(tests/integration/oracle.sh does)")
        self.as_user = pwd.getpwnam(user) if user else None
        self.uid = self.as_user.pw_uid if self.as_user else os.getuid()
        self.login = pwd.getpwuid(self.uid).pw_name
        self.received = env_flag("ORACLE_RECEIVED", "required")
        self.check_size = env_flag("ORACLE_CHECK_SIZE", "1") == "1"
        self.seven = env_flag("ORACLE_7BIT", "1") == "1"
        pf = os.environ.get("ORACLE_POSTFIX")
        self.postfix = None
        if pf:
            port, maildir = pf.split(":", 1)
            self.postfix = (int(port), maildir)
        self.sendmail = PROGS["sendmail"]
        if self.sendmail is None:
            bindir = os.path.join(workdir, "bin")
            os.makedirs(bindir, exist_ok=True)
            self.sendmail = os.path.join(bindir, "sendmail")
            if not os.path.exists(self.sendmail):
                os.symlink(os.path.join(build, "src/postern"),
                           self.sendmail)
        self.worlds = {}

    def world(self, name):
        key = name if name in ("seven", "postfix") else "main"
        if key not in self.worlds:
            flags = ["--no-8bitmime"] if key == "seven" else []
            w = World(key, self.work, self.build, self.as_user, flags,
                      self.postfix if key == "postfix" else None)
            w.sendmail = self.sendmail
            self.worlds[key] = w
        return self.worlds[key]

    def expect(self, case):
        conf = dict(gen.CONFIGS["small" if case.world == "small"
                                else "main"])
        conf["domain"] = "example.org"
        opts = dict(case.opts)
        opts["user"] = self.login
        return om.model(case.data, opts, conf)

    def run_batch(self, cases):
        """Submit, show, deliver, check; {k: [(kind, problem)]}."""
        fails = {}

        def fail(k, kind, why):
            fails.setdefault(k, []).append((kind, why))

        pending = {}
        refused = set()     # wrongly accepted: their arrivals are noise
        for c in cases:
            e = self.expect(c)
            w = self.world(c.world)
            rc, err, new, tmp = w.submit(c)
            if tmp:
                fail(c.k, "exit", "tmp/ not empty after the submission: %s"
                     % tmp)
            ok_rc = {e.rc, 0 if e.rc_either else e.rc}
            if e.rc_either:
                ok_rc.add(65)
            if rc not in ok_rc:
                fail(c.k, "exit", "exit %d, the model wants %s (%s); "
                     "stderr: %s" % (rc, "/".join(map(str, sorted(ok_rc))),
                                     e.why or "accept", err.decode(
                                         "latin-1").strip()[:300]))
            if rc == 0 and len(new) != 1:
                fail(c.k, "exit", "exit 0 but %d messages queued" % len(new))
            if rc != 0 and new:
                fail(c.k, "exit", "exit %d but %d messages queued"
                     % (rc, len(new)))
            if rc == 65 and not err.strip():
                fail(c.k, "exit", "exit 65 without a message")
            if rc != 0 or len(new) != 1 or rc not in ok_rc:
                refused.add(c.k)
                continue
            if c.show:
                src, out = w.show(new[0])
                if src != 0:
                    fail(c.k, "show", "postern show exit %d: %r"
                         % (src, out[-300:]))
                else:
                    for p in om.check_show(e, out, self.received,
                                             self.uid):
                        fail(c.k, "show", p)
            pending[c.k] = (c, e)
        for w in self.worlds.values():
            log = w.deliver()
            if w.postfix:
                # Postfix delivers on its own time: wait (bounded) until
                # its Maildir holds as many new messages as were sent
                want = sum(1 for c, _ in pending.values()
                           if c.world == "postfix")
                w.postfix_wait(want, 60)
            got = {}
            for meta, data in w.arrivals():
                ks = set()
                for a in meta.get("rcpt_tos", []):
                    m = TOKEN.match(a)
                    if m:
                        ks.add(int(m.group(1)))
                if len(ks) != 1:
                    fail(0, "arrival", "an arrival names no single case: "
                         "%r" % meta.get("rcpt_tos"))
                    continue
                got.setdefault(ks.pop(), []).append((meta, data))
            for k, (c, e) in pending.items():
                if self.world(c.world) is not w:
                    continue
                arr = got.pop(k, [])
                why7 = om.why_not_7bit(e) if c.world == "seven" else None
                if why7:
                    # cannot be made 7-bit: bounced (issue 9 defect 5);
                    # the DSN itself is 8-bit, so may not arrive either
                    for meta, data in arr:
                        if (meta.get("mail_from") or "<>") != "<>":
                            fail(k, "7bit", "a message that cannot be "
                                 "converted (%s) was sent to a server "
                                 "without 8BITMIME, not bounced" % why7)
                        elif any(x >= 0x80 for x in data):
                            fail(k, "7bit", "its DSN was sent 8-bit to a "
                                 "server without 8BITMIME")
                    # a 7-bit header section: the DSN (header only) can
                    # be sent, and must be
                    if not e.has_8bit_header() and not any(
                            (m.get("mail_from") or "<>") == "<>"
                            for m, _ in arr):
                        fail(k, "7bit", "cannot be converted (%s), but no "
                             "DSN arrived; agent log: %s"
                             % (why7, self.log_for(log)))
                    continue
                kind = "bounce" if c.bounce else "arrival"
                if len(arr) != 1:
                    fail(k, kind, "%d arrivals, want 1; agent log: %s"
                         % (len(arr), self.log_for(log)))
                    continue
                meta, data = arr[0]
                if c.bounce:
                    for p in om.check_bounce(e, data, meta, self.received,
                                             self.uid):
                        fail(k, "bounce", p)
                    continue
                if c.world == "seven" and e.has_8bit():
                    for p in om.check_7bit(e, data, self.received,
                                           self.uid):
                        fail(k, "7bit", p)
                    continue
                for p in om.check_arrival(e, data, meta, self.received,
                                          self.uid, self.check_size):
                    fail(k, "size" if p.startswith("SIZE=") else
                         "postfix" if c.world == "postfix" else
                         "arrival", p)
            for k, arr in got.items():
                if k in refused:
                    continue
                fail(k, "arrival", "%d unexpected arrival(s)" % len(arr))
            for q in w.queued():
                fail(0, "arrival", "left in the queue after delivery: %s"
                     % q)
                self.purge(w)
        return fails

    @staticmethod
    def log_for(log):
        s = log.decode("latin-1")
        return " | ".join(s.strip().splitlines()[-3:])[:400]

    def purge(self, w):
        for d in ("new", "cur", "state", "failed"):
            p = os.path.join(w.spool, d)
            for f in os.listdir(p):
                if d != "state" or not f.startswith("relay"):
                    os.unlink(os.path.join(p, f))

    def stop(self):
        for w in self.worlds.values():
            w.stop()


# ---------------------------------------------------------------- shrink

def raw_lines(data):
    return re.findall(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$", data)


def signature(kind, why):
    """What kind of failure, without its numbers and quoted octets (the
    shrinker keeps a failure of the same signature)."""
    s = why.split("; stderr")[0]
    s = re.sub(r"\([^()]*\)", "", s)
    s = re.sub(r"b'[^']*'|b\"[^\"]*\"", "B", s)
    s = re.sub(r"\[[^]]*\]", "[...]", s)
    s = re.sub(r"\d{3,}" if kind == "exit" else r"\d+", "N", s)
    return "%s: %s" % (kind, s[:90])


def shrink(oracle, case, sigs, deadline):
    """A smaller input that still fails with one of the signatures."""
    tries = [0]

    def fails(data):
        tries[0] += 1
        c = gen.Case(case.k)
        c.__dict__.update({k: v for k, v in case.__dict__.items()
                           if k != "data"})
        c.data = data
        f = oracle.run_batch([c])
        return any(signature(kd, why) in sigs for kd, why in
                   f.get(case.k, []))

    lines = raw_lines(case.data)
    # LF line ends first: the shrunk input reads better and folds
    cand = [re.sub(rb"(\r\n|\r)$", b"\n", x) for x in lines]
    if cand != lines and fails(b"".join(cand)):
        lines = cand
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        # remove runs of lines, large first
        n = len(lines) // 2
        while n >= 1 and time.monotonic() < deadline:
            i = 0
            while i < len(lines) and time.monotonic() < deadline:
                cand = lines[:i] + lines[i + n:]
                if cand != lines and fails(b"".join(cand)):
                    lines = cand
                    progress = True
                else:
                    i += n
            n //= 2
        # halve long lines
        for i in range(len(lines)):
            if time.monotonic() >= deadline:
                break
            ln = lines[i]
            m = re.match(rb"^(.*?)((?:\r\n|\n|\r)?)$", ln, re.S)
            text, end = m.group(1), m.group(2)
            for frac in (2, 4, 16, 64):
                while len(text) >= frac and time.monotonic() < deadline:
                    cut = text[:len(text) - len(text) // frac]
                    cand = lines[:i] + [cut + end] + lines[i + 1:]
                    if fails(b"".join(cand)):
                        lines = cand
                        text = cut
                        progress = True
                    else:
                        break
        # LF line ends instead of CRLF or CR
        cand = [re.sub(rb"(\r\n|\r)$", b"\n", x) for x in lines]
        if cand != lines and time.monotonic() < deadline and \
                fails(b"".join(cand)):
            lines = cand
            progress = True
    return b"".join(lines), tries[0]


def compact(data):
    """A Python expression for data, runs and repeated lines folded."""
    parts = []
    for ln in raw_lines(data):
        segs = []
        for m in re.finditer(rb"(.)\1{15,}|(?:(?!(.)\2{15,}).)+", ln,
                             re.S):
            s = m.group(0)
            if len(s) >= 16 and s == s[:1] * len(s):
                segs.append("%r*%d" % (s[:1], len(s)))
            else:
                segs.append(repr(s))
        expr = "+".join(segs) if segs else "b''"
        if parts and parts[-1][0] == expr:
            parts[-1][1] += 1
        else:
            parts.append([expr, 1])
    out = []
    for expr, n in parts:
        out.append(expr if n == 1 else "(%s)*%d" % (expr, n))
    return "b''.join([\n  " + ",\n  ".join(out) + "])" if out else "b''"


# ---------------------------------------------------------------- main

POSTFIX_HEADER_MAX = 96 * 1024  # Postfix's header_size_limit is 100 KiB


def postfix_sample(oracle, case):
    """Every fifth case that Postfix can take as it is (main limits, one
    recipient, not refused, a header section under Postfix's
    header_size_limit) goes to the private Postfix instead."""
    if oracle.postfix is None or case.k % 5 != 3 or \
            case.world != "main" or case.opts["t"] or case.bounce:
        return case
    e = oracle.expect(case)
    if e.rc != 0 or e.header_size > POSTFIX_HEADER_MAX:
        return case
    case.world = "postfix"
    case.desc.append("to Postfix")
    return case


def main(argv):
    build, workdir, n = argv[0], argv[1], int(argv[2])
    for name, env, rel in (("sendmail", "ORACLE_SENDMAIL", None),
                           ("postern", "ORACLE_POSTERN", "src/postern"),
                           ("drop", "ORACLE_DROP", "src/postern-drop"),
                           ("posternd", "ORACLE_POSTERND", "src/posternd")):
        PROGS[name] = os.environ.get(env) or \
            (os.path.join(build, rel) if rel else None)
    tapn = int(os.environ.get("ORACLE_TAP_FIRST", "1")) - 1
    tapfailed = 0
    tapfile = os.environ.get("ORACLE_TAP_STATE")
    seed = os.environ.get("ORACLE_SEED") or str(random.randrange(1 << 31))
    only = os.environ.get("ORACLE_CASE")
    batch = int(os.environ.get("ORACLE_BATCH", "100"))
    shrink_s = float(os.environ.get("ORACLE_SHRINK_SECONDS", "30"))
    save = os.environ.get("ORACLE_SAVE")
    report = os.environ.get("ORACLE_REPORT")
    print("# oracle: ORACLE_SEED=%s N=%d%s" % (
        seed, n, " ORACLE_CASE=%s" % only if only else ""), flush=True)
    probs = om.self_test()
    tapn += 1
    tapfailed += 1 if probs else 0
    print("%sok %d - the model's checks pass right outputs and catch "
          "known wrong ones" % ("not " if probs else "", tapn))
    for p in probs:
        print("#   " + p)
    oracle = Oracle(build, workdir)
    seven = oracle.seven
    ks = [int(only)] if only else list(range(1, n + 1))
    t0 = time.monotonic()
    failed_cases = {}
    counts = {}
    try:
        for b in range(0, len(ks), batch):
            cases = [postfix_sample(oracle, gen.generate(seed, k, seven))
                     for k in ks[b:b + batch]]
            for c in cases:
                kinds = {"exit"}
                if c.show:
                    kinds.add("show")
                kinds.add("bounce" if c.bounce else
                          "7bit" if c.world == "seven" else
                          "postfix" if c.world == "postfix" else "arrival")
                for kd in kinds:
                    counts[kd] = counts.get(kd, 0) + 1
            fails = oracle.run_batch(cases)
            lo, hi = cases[0].k, cases[-1].k
            for kind in KINDS:
                if kind == "7bit" and not seven or \
                        kind == "postfix" and not oracle.postfix:
                    continue
                bad = sorted(k for k, fs in fails.items()
                             if any(kd == kind for kd, _ in fs))
                tapn += 1
                tapfailed += 1 if bad else 0
                print("%sok %d - cases %d-%d: %s" % (
                    "not " if bad else "", tapn, lo, hi, KIND_TITLE[kind]))
                for k in bad[:5]:
                    for kd, why in [f for f in fails[k] if f[0] == kind][:4]:
                        print("#   case %d: %s" % (k, why[:300]))
                if len(bad) > 5:
                    print("#   ... and %d more cases: %s" % (
                        len(bad) - 5, " ".join(map(str, bad[5:40]))))
            for k, fs in fails.items():
                failed_cases.setdefault(k, []).extend(fs)
            if report:
                with open(report, "a") as f:
                    for k, fs in sorted(fails.items()):
                        for kd, why in fs:
                            f.write("%d\t%s\t%s\n" % (k, kd, why))
            sys.stdout.flush()
        elapsed = time.monotonic() - t0
        print("# oracle: %d cases in %.1f s (%.1f ms per case); checks: %s"
              % (len(ks), elapsed, 1000 * elapsed / max(1, len(ks)),
                 ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        # shrink the first failure of each signature, within the time
        sigs = {}
        for k in sorted(failed_cases):
            for kd, why in failed_cases[k]:
                ks = sigs.setdefault(signature(kd, why), [])
                if k and k not in ks:
                    ks.append(k)
        print("# oracle: %d kinds of failure:" % len(sigs))
        for sig, cases in sorted(sigs.items(), key=lambda x: x[1][:1]):
            print("#   %s -- %d case(s): %s" % (
                sig, len(cases), " ".join(map(str, cases[:20]))))
        # one shrink per signature, the rarest first (a failure every
        # case has must not take the time, nor stand for a rarer one)
        stop_at = time.monotonic() + shrink_s
        shown = set()   # signatures a shrunk input already shows
        for sig, cases in sorted(sigs.items(), key=lambda x: len(x[1])):
            if not cases or sig in shown:
                continue
            k, ksigs = cases[0], {sig}
            left = stop_at - time.monotonic()
            if left <= 1:
                print("# (no time left to shrink the rest: "
                      "ORACLE_SHRINK_SECONDS)")
                break
            case = postfix_sample(oracle, gen.generate(seed, k, seven))
            print("# ---- case %d (ORACLE_SEED=%s ORACLE_CASE=%d): "
                  "%s; args %s" % (k, seed, k, "; ".join(case.desc),
                                   case.argv()))
            for kd, why in [f for f in failed_cases[k]
                            if signature(*f) in ksigs][:8]:
                print("#   %s: %s" % (kd, why[:300]))
            small, tries = shrink(oracle, case, ksigs, time.monotonic() +
                                  min(left, max(10.0, shrink_s / 4)))
            e = oracle.expect(case)
            print("#   shrunk in %d runs from %d to %d octets:" % (
                tries, len(case.data), len(small)))
            shown_lines = compact(small).splitlines()
            for ln in shown_lines[:40]:
                print("#     " + ln[:2000])
            if len(shown_lines) > 40:
                print("#     ... %d more lines (ORACLE_SAVE=DIR keeps "
                      "the input)" % (len(shown_lines) - 40))
            c2 = gen.Case(k)
            c2.__dict__.update(case.__dict__)
            c2.data = small
            again = oracle.run_batch([c2]).get(k, [])
            shown |= {signature(kd, why) for kd, why in again}
            for kd, why in again[:8]:
                print("#   shrunk case %s: %s" % (kd, why[:300]))
            e = oracle.expect(c2)
            print("#   model: rc %d%s, %d kept fields + added %s, %d body "
                  "lines; %s" % (e.rc, " or 65" if e.rc_either else "",
                                 len(e.fields), e.added, len(e.body),
                                 e.why))
            if save:
                os.makedirs(save, exist_ok=True)
                p = os.path.join(save, "seed-%s-case-%d-%s.in" % (
                    seed, k, re.sub(r"\W+", "-", sig)[:40].strip("-")))
                with open(p, "wb") as f:
                    f.write(small)
                print("#   saved %s" % p)
    finally:
        oracle.stop()
        if tapfile:
            with open(tapfile, "w") as f:
                f.write("%d %d\n" % (tapn, tapfailed))
        else:
            print("1..%d" % tapn)
    return 1 if tapfailed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
