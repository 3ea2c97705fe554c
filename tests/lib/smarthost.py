#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""smarthost.py - a scriptable, fault-injecting SMTP server for postern's tests.

Owns: one listening port on 127.0.0.1, and on ::1 too where the loopback
has IPv6 (plain+STARTTLS or implicit TLS): a client that names "localhost"
reaches it whichever address that resolves to (Debian's usual /etc/hosts
gives ::1 and 127.0.0.1);
AUTH PLAIN/LOGIN (aiosmtpd built-ins) plus CRAM-MD5, XOAUTH2 and OAUTHBEARER
(here), a fault plan applied per SMTP stage, and the record of what arrived:
OUTDIR/NNNN.eml (the exact DATA bytes after dot-unstuffing, CRLF as sent),
OUTDIR/NNNN.json (envelope, raw ESMTP parameters, TLS, AUTH user),
OUTDIR/NNNN.rcpt (the envelope's recipients, one a line, for the shell) and
OUTDIR/transcript.log ("PORT C: line" for every command received, "PORT S:"
for every reply line, "PORT --" for events).  The .json is written last and
atomically, so counting *.json counts complete messages.

Never: listens beyond the loopback addresses, relays anything, outlives its parent (it
exits when its parent process goes away or after --max-lifetime), or
reads stdin.  It prints "ready PORT" on stdout once listening.

aiosmtpd 1.4 notes: it never advertises PIPELINING but handles pipelined
commands (a buffered reader), so PIPELINING is added to EHLO here unless
--no-pipelining; with --no-pipelining a client that pipelines anyway is
logged as "-- pipelined" in the transcript.  DSN (RFC 3461) parameters are
not understood by aiosmtpd: with --dsn they are removed before aiosmtpd
sees them and recorded raw.  aiosmtpd cannot tell that an implicit-TLS
connection is encrypted, so AUTH is always allowed there.

Random faults (--fault-rate P --fault-seed S, for the fault campaign):
with probability P each new connection gets one session fault (greeting,
ehlo, starttls or auth x 4xx, 5xx, disconnect, stall, garbage), and each
transaction (at MAIL) one transaction fault: mail, rcpt#K (K in 1..3;
it fires only when the K-th RCPT comes), data or dot x the same five, or
a TLS failure mid-session (stage "tls"): abort-at-mail (the TLS
connection dropped without close_notify between transactions),
abort-in-data (dropped after 354, while the client sends the body),
garbage-record (a non-TLS record written under TLS instead of the reply
to the end of data) and abort-after-dot (the message stored, then the
connection dropped before the 250 could go out: the one fault after
which a client must send the message again, RFC 1047).  The explicit
--fault plan, when one matches, comes first.  Every random fault that
fires is one JSON line in OUTDIR/faults.jsonl (seq, stage, action, conn,
sender, rcpts the transaction holds, and for abort-after-dot the record
number of the stored copy).  SIGUSR1 turns random faults off, SIGUSR2
on again.  The draws come from one random.Random(S): the same seed gives
the same sequence of draws, though which transaction meets which draw
depends on the client's timing.
RFCs: 5321 (SMTP), 3207 (STARTTLS), 4954 (AUTH), 2195 (CRAM-MD5),
7628 (OAUTHBEARER), 3461 (DSN), 1870 (SIZE), 6152 (8BITMIME), 2920.
"""

import argparse
import asyncio
import base64
import errno
import hashlib
import hmac
import json
import logging
import os
import random
import re
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, MISSING

STAGES = ("greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
          "dot", "tls")
SIMPLE_ACTIONS = ("disconnect", "stall", "garbage", "oversized", "endless",
                  "dribble",
                  "abort-at-mail", "abort-in-data", "garbage-record",
                  "abort-after-dot")
# the random mode's catalogue (--fault-rate)
RANDOM_ACTIONS = ("4xx", "5xx", "disconnect", "stall", "garbage")
RANDOM_SESSION_STAGES = ("greeting", "ehlo", "starttls", "auth")
RANDOM_TXN_STAGES = ("mail", "rcpt", "data", "dot")
RANDOM_TLS_ACTIONS = ("abort-at-mail", "abort-in-data", "garbage-record",
                      "abort-after-dot")
RANDOM_RCPT_MAX = 3
# the stage at which each TLS action of stage "tls" fires
TLS_TRIGGER = {"abort-at-mail": "mail", "abort-in-data": "data",
               "garbage-record": "dot", "abort-after-dot": "dot"}
# The reply code an "oversized" or "endless" reply carries at each stage.
STAGE_CODE = {"greeting": "220", "ehlo": "250", "starttls": "220",
              "auth": "235", "mail": "250", "rcpt": "250", "data": "354",
              "dot": "250", "tls": "250"}
OVERSIZED_LEN = 100 * 1024
ENDLESS_INTERVAL = 0.01     # seconds between two lines of an endless reply
HOSTNAME = "smarthost.test"
DSN_MAIL_PARAMS = ("RET", "ENVID")
DSN_RCPT_PARAMS = ("NOTIFY", "ORCPT")

log = logging.getLogger("smarthost")


def peer_uid(port):
    """The uid owning the local client socket bound to PORT (loopback
    clients only: /proc/net/tcp lists both ends), or None."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 7 and int(f[1].split(":")[1], 16) == port:
                return int(f[7])
    return None


def oauth_live(livedir, token):
    """Is token one that tests/lib/oauthsrv.py issued and that has not
    expired (its file in livedir, named by its SHA-256)?"""
    if not token:
        return False
    name = hashlib.sha256(token).hexdigest()
    try:
        with open(os.path.join(livedir, name)) as f:
            return json.load(f)["expires"] > time.time()
    except (OSError, ValueError, KeyError):
        return False


class Fault:
    """One --fault STAGE[#N|=ADDR]:ACTION[:COUNT] entry."""

    def __init__(self, spec):
        m = re.match(r"^([a-z]+)(?:#(\d+)|=([^:]+))?:(.+)$", spec, re.S)
        if not m or m.group(1) not in STAGES:
            raise ValueError("bad --fault %r: want STAGE:ACTION[:COUNT], "
                             "STAGE one of %s" % (spec, ", ".join(STAGES)))
        self.stage = m.group(1)
        self.rcpt_n = int(m.group(2)) if m.group(2) else None
        self.rcpt_addr = m.group(3).lower() if m.group(3) else None
        if (self.rcpt_n or self.rcpt_addr) and self.stage != "rcpt":
            raise ValueError("bad --fault %r: #N and =ADDR are for rcpt only"
                             % spec)
        action = m.group(4)
        self.remaining = None   # None: always
        cm = re.match(r"^(.*):(\d+)$", action, re.S)
        if cm:
            action, self.remaining = cm.group(1), int(cm.group(2))
        if (self.stage == "tls") != (action in TLS_TRIGGER):
            raise ValueError("bad --fault %r: stage tls takes %s, and only "
                             "it" % (spec, ", ".join(TLS_TRIGGER)))
        if action in SIMPLE_ACTIONS:
            self.reply = None
        elif re.match(r"^[2-5]\d\d[ -]", action):
            # "\n" in the text separates the lines of a multi-line reply.
            self.reply = action.replace("\\n", "\r\n")
        else:
            raise ValueError("bad --fault %r: ACTION must be a reply "
                             "('451 4.3.0 text') or one of %s"
                             % (spec, ", ".join(SIMPLE_ACTIONS)))
        self.action = action
        self.kind = action      # the campaign's label (4xx, 5xx, ...)
        self.random = False

    def fires_at(self):
        """The stage at which this fault fires."""
        return TLS_TRIGGER[self.action] if self.stage == "tls" \
            else self.stage

    def matches(self, stage, rcpt_n=None, rcpt_addr=None):
        if stage != self.fires_at() or self.remaining == 0:
            return False
        if self.rcpt_n is not None and self.rcpt_n != rcpt_n:
            return False
        if self.rcpt_addr is not None and \
                (rcpt_addr or "").lower() != self.rcpt_addr:
            return False
        return True


class Plan:
    """The fault plan; counts are global across connections."""

    def __init__(self, specs):
        self.faults = [Fault(s) for s in specs]

    def peek(self, stage, **sel):
        for f in self.faults:
            if f.matches(stage, **sel):
                return f
        return None

    @staticmethod
    def consume(f):
        if f.remaining is not None:
            f.remaining -= 1


def random_fault(stage, kind, rcpt_n=None):
    """A one-shot Fault for the random mode."""
    if kind == "4xx":
        action = "451 4.3.0 campaign fault %s 4xx" % stage
    elif kind == "5xx":
        action = "554 5.7.1 campaign fault %s 5xx" % stage
    else:
        action = kind
    sel = "#%d" % rcpt_n if rcpt_n else ""
    f = Fault("%s%s:%s:1" % (stage, sel, action))
    f.kind = kind
    f.random = True
    return f


class State:
    """Process-wide: options, plan, message numbering, output files."""

    def __init__(self, args):
        self.args = args
        self.plan = Plan(args.fault)
        self.count = 0
        self.outdir = args.outdir
        self.transcript = None
        self.protocols = set()
        self.rng = random.Random(args.fault_seed)
        self.random_on = args.fault_rate > 0 or args.session_fault_rate > 0
        self.fault_seq = 0
        self.faultlog = None
        if self.outdir:
            os.makedirs(self.outdir, exist_ok=True)
            self.transcript = open(os.path.join(self.outdir,
                                                "transcript.log"),
                                   "a", encoding="latin-1", buffering=1)
            if self.random_on:
                self.faultlog = open(os.path.join(self.outdir,
                                                  "faults.jsonl"),
                                     "a", encoding="utf-8", buffering=1)

    def note(self, conn, kind, text):
        if self.transcript:
            for line in text.split("\r\n"):
                self.transcript.write("%s %s %s\n" % (conn, kind, line))

    def draw_session(self):
        """A random session fault, or None."""
        rate = self.args.session_fault_rate
        if not self.random_on or self.rng.random() >= rate:
            return None
        return random_fault(self.rng.choice(RANDOM_SESSION_STAGES),
                            self.rng.choice(RANDOM_ACTIONS))

    def draw_transaction(self):
        """A random transaction fault, or None."""
        if not self.random_on or self.rng.random() >= self.args.fault_rate:
            return None
        pick = self.rng.randrange(len(RANDOM_TXN_STAGES) *
                                  len(RANDOM_ACTIONS) +
                                  len(RANDOM_TLS_ACTIONS))
        if pick >= len(RANDOM_TXN_STAGES) * len(RANDOM_ACTIONS):
            action = RANDOM_TLS_ACTIONS[pick - len(RANDOM_TXN_STAGES) *
                                        len(RANDOM_ACTIONS)]
            return random_fault("tls", action)
        stage = RANDOM_TXN_STAGES[pick // len(RANDOM_ACTIONS)]
        kind = RANDOM_ACTIONS[pick % len(RANDOM_ACTIONS)]
        k = self.rng.randint(1, RANDOM_RCPT_MAX) if stage == "rcpt" else None
        return random_fault(stage, kind, k)

    def fault_fired(self, f, conn, **what):
        """Log a random fault that fired (faults.jsonl)."""
        if not f.random or self.faultlog is None:
            return
        self.fault_seq += 1
        rec = {"seq": self.fault_seq, "stage": f.stage, "action": f.kind,
               "conn": conn, "time": time.time()}
        rec.update(what)
        self.faultlog.write(json.dumps(rec, sort_keys=True) + "\n")

    def record(self, meta, data):
        if not self.outdir:
            return
        self.count += 1
        base = os.path.join(self.outdir, "%04d" % self.count)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".eml.tmp", base + ".eml")
        meta["number"] = self.count
        with open(base + ".rcpt", "w", encoding="utf-8") as f:
            f.write("".join(r + "\n" for r in meta.get("rcpt_tos", [])))
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
        os.rename(base + ".json.tmp", base + ".json")


class TranscriptHandler(logging.Handler):
    """aiosmtpd logs every command line as '%r >> %r' (peer, bytes)."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def emit(self, record):
        if record.msg == "%r >> %r" and len(record.args) == 2:
            peer, line = record.args
            if isinstance(line, bytes):
                line = line.decode("latin-1")
            port = peer[1] if isinstance(peer, tuple) else peer
            self.state.note(port, "C:", str(line))


def auth_verdict(server, mechanism, login, good):
    """The AuthResult for a finished exchange, after the fault plan."""
    state = server.state
    f = server.fault_peek("auth")
    if f is not None and f.reply is not None:
        server.fault_take(f)
        if f.reply.startswith("421"):
            server.close_after_reply = True
        return AuthResult(success=f.reply.startswith("2"), handled=False,
                          message=f.reply,
                          auth_data=LoginPassword(login, b""))
    if good:
        return AuthResult(success=True, handled=False,
                          auth_data=LoginPassword(login, b""))
    return AuthResult(success=False, handled=False)


def credentials_ok(args, login, password):
    if args.user is None:
        return True
    return login == args.user.encode() and \
        password == (args.password or "").encode()


def authenticator(server, session, envelope, mechanism, auth_data):
    """aiosmtpd authenticator for PLAIN and LOGIN."""
    good = credentials_ok(server.state.args, auth_data.login,
                          auth_data.password)
    return auth_verdict(server, mechanism, auth_data.login, good)


class Handler:
    """aiosmtpd handler: EHLO keywords, the dot stage, extra mechanisms."""

    def __init__(self, state):
        self.state = state

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        args = self.state.args
        session.host_name = hostname
        words = [r[4:] for r in responses]
        out = [words[0]]
        for w in words[1:]:
            key = w.split(" ")[0].upper()
            if key == "HELP":
                continue
            if key == "8BITMIME" and args.no_8bitmime:
                continue
            if key == "AUTH":
                if args.no_auth_offer or not args.auth:
                    continue
                w = "AUTH " + " ".join(args.auth)
            out.append(w)
        if not args.no_pipelining:
            out.append("PIPELINING")
        if args.dsn:
            out.append("DSN")
        out.extend(args.ehlo_keyword)
        out.append("HELP")
        return ["250-" + w for w in out[:-1]] + ["250 " + out[-1]]

    async def handle_DATA(self, server, session, envelope):
        state = self.state
        if state.args.dot_delay:
            # a server that takes its time to store the message
            await asyncio.sleep(state.args.dot_delay)
        f = server.fault_peek("dot")
        reply = "250 2.0.0 OK: queued as %04d" % (state.count + 1)
        after = f is not None and f.action == "abort-after-dot"
        if f is not None and not after:
            server.fault_take(f)
            if f.reply is None:
                await server.do_action(f, "dot")
                return None
            if not f.reply.startswith("2"):
                if f.reply.startswith("421"):
                    server.close_after_reply = True
                return f.reply
            reply = f.reply
        data = envelope.original_content
        tls = server.tls_info()
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": server.raw_mail_params,
            "rcpt_options": server.raw_rcpt_params,
            "size": len(data),
            "data": data.decode("latin-1"),
            "data_b64": base64.b64encode(data).decode("ascii"),
            "helo": session.host_name,
            "peer": list(session.peer) if session.peer else None,
            "tls": tls is not None,
            "tls_info": tls,
            "auth_user": session.login_data.decode("latin-1")
            if isinstance(session.login_data, bytes) else None,
        }
        state.record(meta, data)
        if after:
            # stored, but the client never hears the 250 (RFC 1047)
            server.fault_take(f, record=state.count)
            await server.do_action(f, "dot")
            return None
        return reply

    # Mechanisms beyond aiosmtpd's PLAIN/LOGIN; "__" maps to "-".
    async def auth_CRAM__MD5(self, server, args):
        challenge = "<%d.%d@%s>" % (random.randrange(1 << 30),
                                    int(time.time()), HOSTNAME)
        resp = await server.challenge_auth(challenge)
        if resp is MISSING:
            return AuthResult(success=False, handled=True)
        login, _, digest = resp.rpartition(b" ")
        a = self.state.args
        good = True
        if a.user is not None:
            want = hmac.new((a.password or "").encode(), challenge.encode(),
                            hashlib.md5).hexdigest().encode()
            good = login == a.user.encode() and \
                hmac.compare_digest(digest.lower(), want)
        return auth_verdict(server, "CRAM-MD5", login, good)

    async def _auth_bearer(self, server, args, mechanism):
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        fields = {}
        parts = blob.split(b"\x01")
        for p in parts[1:] if mechanism == "OAUTHBEARER" else parts:
            k, _, v = p.partition(b"=")
            fields[k] = v
        if mechanism == "OAUTHBEARER":
            gs2 = parts[0].split(b",")
            login = gs2[1][2:] if len(gs2) > 1 and \
                gs2[1].startswith(b"a=") else b""
        else:
            login = fields.get(b"user", b"")
        token = fields.get(b"auth", b"")
        token = token[7:] if token.lower().startswith(b"bearer ") else b""
        a = self.state.args
        if a.oauth_live:
            good = (a.user is None or login == a.user.encode()) and \
                oauth_live(a.oauth_live, token)
        else:
            good = a.user is None or (login == a.user.encode() and
                                      token == (a.password or "").encode())
        if not good:
            # RFC 7628 3.2.2: an error challenge, the client answers with
            # an empty line (XOAUTH2 does the same), then the final reply.
            err = json.dumps({"status": "invalid_token",
                              "schemes": "bearer", "scope": "mail"})
            resp = await server.challenge_auth(err)
            if resp is MISSING:
                return AuthResult(success=False, handled=True)
        return auth_verdict(server, mechanism, login, good)

    async def auth_XOAUTH2(self, server, args):
        return await self._auth_bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._auth_bearer(server, args, "OAUTHBEARER")


class FaultSMTP(SMTP):
    """aiosmtpd's SMTP with the fault plan wrapped around each command."""

    def __init__(self, state, **kwargs):
        self.state = state
        self.conn = "?"
        self.greeted = False
        self.refused = False
        self.close_after_reply = False
        self.rcpt_n = 0
        self.raw_mail_params = []
        self.raw_rcpt_params = []
        self.rfault_session = None      # random faults not yet fired
        self.rfault_txn = None
        self.txn_sender = None
        super().__init__(Handler(state), **kwargs)
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._wrap(name, method)

    # -- connection bookkeeping
    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first:
            peer = transport.get_extra_info("peername")
            self.conn = peer[1] if peer else "?"
            self.state.protocols.add(self)
            self.rfault_session = self.state.draw_session()
            self.state.note(self.conn, "--", "connect from %s tls=%s"
                            % (peer, self.tls_info() is not None))
            uid = peer_uid(peer[1]) if peer else None
            if uid is not None:
                self.state.note(self.conn, "--", "client uid %d" % uid)
        else:
            self.state.note(self.conn, "--", "tls %s"
                            % json.dumps(self.tls_info()))

    def connection_lost(self, error):
        self.state.protocols.discard(self)
        self.state.note(self.conn, "--", "closed")
        super().connection_lost(error)

    def tls_info(self):
        t = self.transport
        obj = t.get_extra_info("ssl_object") if t is not None else None
        if obj is None:
            return None
        info = {"version": obj.version(), "cipher": obj.cipher()[0],
                "resumed": obj.session_reused, "client_cert": None}
        cert = obj.getpeercert()
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        info["client_cert"] = v
        return info

    # -- faults
    def fault_peek(self, stage, **sel):
        """The fault for STAGE: the explicit plan first, then random."""
        f = self.state.plan.peek(stage, **sel)
        if f is not None:
            return f
        for r in (self.rfault_session, self.rfault_txn):
            if r is not None and r.matches(stage, **sel):
                return r
        return None

    def fault_take(self, f, **what):
        """Consume F, which fires now; log it when it is a random one."""
        if f is self.rfault_session:
            self.rfault_session = None
        elif f is self.rfault_txn:
            self.rfault_txn = None
        else:
            self.state.plan.consume(f)
            return
        ctx = {"sender": self.txn_sender,
               "rcpts": list(self.envelope.rcpt_tos)
               if self.txn_sender is not None else []}
        ctx.update(what)
        self.state.fault_fired(f, self.conn, **ctx)

    def tls_abort(self):
        """Drop the connection at once: under TLS, no close_notify."""
        t = self._original_transport or self.transport
        self.state.note(self.conn, "--", "abort (tls=%s)"
                        % (self.tls_info() is not None))
        if t is not None:
            t.abort()

    # -- replies
    async def push(self, status):
        if status is None:      # handle_DATA after a non-reply fault
            return
        if not self.greeted:
            self.greeted = True
            if await self.greeting():
                return
            if self.state.args.banner is not None:
                status = "220 " + self.state.args.banner
        if isinstance(status, bytes):
            text = status.decode("latin-1")
        else:
            text = status
        self.state.note(self.conn, "S:", text)
        try:
            await super().push(status)
        except (ConnectionError, RuntimeError):
            await self.hang()

    async def greeting(self):
        """Greeting delay and faults; True when the greeting was replaced."""
        a = self.state.args
        if a.greeting_delay:
            await asyncio.sleep(a.greeting_delay)
        f = self.fault_peek("greeting")
        if f is None:
            return False
        self.fault_take(f)
        if f.reply is None:
            await self.do_action(f, "greeting")
            return True
        await self.push(f.reply)
        if f.reply.startswith("421"):
            await self.close_now()
        elif not f.reply.startswith("2"):
            self.refused = True     # RFC 5321 3.1: wait for QUIT
        return True

    async def hang(self):
        """Wait for the end (the connection is gone or going)."""
        self._timeout_handle.cancel()
        await asyncio.sleep(self.state.args.stall_seconds)
        if self.transport is not None:
            self.transport.close()
        await asyncio.sleep(3600)

    async def close_now(self):
        self.state.note(self.conn, "--", "server closes")
        if self.transport is not None:
            self.transport.close()
        await self.hang()

    async def do_action(self, f, stage):
        """Perform a non-reply ACTION at STAGE."""
        self.state.note(self.conn, "--", "fault %s:%s" % (stage, f.action))
        code = STAGE_CODE[stage]
        if f.action == "disconnect":
            await self.close_now()
        elif f.action == "stall":
            await self.hang()
        elif f.action == "garbage":
            junk = bytes(random.randrange(14, 256) for _ in range(48))
            self._writer.write(b"*** this is not SMTP \x00\x01" + junk +
                               b"\r\n")
            await self._writer.drain()
        elif f.action == "oversized":
            await self.push("%s %s" % (code, "x" * OVERSIZED_LEN))
        elif f.action in ("abort-at-mail", "abort-after-dot"):
            self.tls_abort()
            await self.hang()
        elif f.action == "abort-in-data":
            # the client is sending the body when the connection dies
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            try:
                await asyncio.wait_for(self._reader.readline(), 10)
            except (asyncio.TimeoutError, ConnectionError):
                pass
            self.tls_abort()
            await self.hang()
        elif f.action == "garbage-record":
            # bytes that are no TLS record, under TLS, then the end
            raw = self._original_transport or self.transport
            if raw is not None:
                raw.write(b"\x17\x03\x03\xff\xff*** not a TLS record "
                          b"\x00\x01\x02")
            await asyncio.sleep(0.05)
            self.tls_abort()
            await self.hang()
        elif f.action == "dribble":
            # a reply that never ends, one byte every --dribble-interval
            # seconds: each read gets a byte, no stage ever completes
            self._timeout_handle.cancel()
            i = 0
            try:
                while self.transport is not None and \
                        not self.transport.is_closing():
                    line = ("%s-dribble %d\r\n" % (code, i)).encode()
                    for b in line:
                        self._writer.write(bytes([b]))
                        await self._writer.drain()
                        await asyncio.sleep(self.state.args.dribble_interval)
                    i += 1
            except ConnectionError:
                pass
            finally:
                self.state.note(self.conn, "--", "dribble: %d lines sent"
                                % i)
            await self.hang()
        elif f.action == "endless":
            self._timeout_handle.cancel()
            i = 0
            try:
                while self.transport is not None and \
                        not self.transport.is_closing():
                    i += 1
                    self._writer.write(("%s-endless line %d\r\n"
                                        % (code, i)).encode())
                    await self._writer.drain()
                    await asyncio.sleep(ENDLESS_INTERVAL)
            finally:
                self.state.note(self.conn, "--", "endless: %d lines sent"
                                % i)
            await self.hang()

    async def apply(self, f, stage):
        """Apply fault F (already consumed) at STAGE."""
        if f.reply is None:
            await self.do_action(f, stage)
            return
        self.state.note(self.conn, "--", "fault %s:reply" % stage)
        await self.push(f.reply)
        if f.reply.startswith("421"):
            await self.close_now()

    # -- command dispatch
    def _wrap(self, name, method):
        async def wrapped(arg):
            await self.dispatch(name, method, arg)
        return wrapped

    async def dispatch(self, name, method, arg):
        a = self.state.args
        if a.no_pipelining and len(self._reader._buffer) > 0 and \
                name not in ("QUIT",):
            self.state.note(self.conn, "--",
                            "pipelined after %s without PIPELINING" % name)
        if self.refused and name != "QUIT":
            await self.push("503 5.5.1 Error: this server refused you")
            return
        stage = None
        if name in ("EHLO", "HELO"):
            stage = "ehlo"
            self.rcpt_n = 0
        elif name == "STARTTLS":
            stage = "starttls"
        elif name == "MAIL":
            stage = "mail"
            self.rcpt_n = 0
            self.rfault_txn = self.state.draw_transaction()
            self.txn_sender = None
            if arg is not None:
                self.txn_sender = self.split_params("FROM:", arg,
                                                    DSN_MAIL_PARAMS)[0]
            self.raw_mail_params = []
            self.raw_rcpt_params = []
        elif name == "RSET":
            self.rcpt_n = 0
        elif name == "DATA" and self.envelope.rcpt_tos:
            stage = "data"
        if stage is not None:
            f = self.fault_peek(stage)
            if f is not None:
                self.fault_take(f)
                await self.apply(f, stage)
                return
        if name == "AUTH":
            f = self.fault_peek("auth")
            if f is not None and f.reply is None:
                self.fault_take(f)
                await self.apply(f, "auth")
                return
        if name == "MAIL" and arg is not None:
            arg = await self.mail_params(arg)
            if arg is None:
                return
        if name == "RCPT" and arg is not None:
            self.rcpt_n += 1
            addr, params, arg = self.split_params("TO:", arg,
                                                  DSN_RCPT_PARAMS)
            f = self.fault_peek("rcpt", rcpt_n=self.rcpt_n, rcpt_addr=addr)
            if f is not None:
                self.fault_take(f, rcpt=addr)
                await self.apply(f, "rcpt")
                return
            before = len(self.envelope.rcpt_tos)
            await method(arg)
            if len(self.envelope.rcpt_tos) > before:
                self.raw_rcpt_params.append([addr, params])
            return
        await method(arg)
        if self.close_after_reply:
            await self.close_now()

    def split_params(self, keyword, arg, dsn_keys):
        """(address, raw params, arg for aiosmtpd without DSN params)."""
        rest = self._strip_command_keyword(keyword, arg)
        if rest is None:
            return None, [], arg
        addr, params = self._getaddr(rest)
        if addr is None or params is None:
            return addr, [], arg
        raw = params.split()
        if not self.state.args.dsn:
            return addr, raw, arg
        head = rest[:len(rest) - len(params)] if params else rest
        kept = [p for p in raw
                if p.split("=", 1)[0].upper() not in dsn_keys]
        return addr, raw, keyword + head.rstrip() + \
            ("" if not kept else " " + " ".join(kept))

    async def mail_params(self, arg):
        addr, raw, newarg = self.split_params("FROM:", arg, DSN_MAIL_PARAMS)
        if self.state.args.no_8bitmime and \
                any(p.upper() == "BODY=8BITMIME" for p in raw):
            await self.push("555 5.5.4 BODY=8BITMIME: 8BITMIME was not "
                            "offered")
            return None
        self.raw_mail_params = raw
        return newarg


def tls_context(args):
    if not args.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        ctx.load_verify_locations(args.tls_client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


async def listen(loop, factory, args, ssl_ctx):
    """Listen on 127.0.0.1:PORT and, where the loopback has IPv6, on
    [::1]:PORT (the same port).  With --port 0 a port free on both is
    picked (another try when ::1 has the one 127.0.0.1 got).  Returns the
    two servers, the second None without IPv6 on the loopback."""
    tries = 20 if args.port == 0 else 1
    for n in range(tries):
        server = await loop.create_server(factory, host="127.0.0.1",
                                          port=args.port, ssl=ssl_ctx)
        port = server.sockets[0].getsockname()[1]
        try:
            server6 = await loop.create_server(factory, host="::1",
                                               port=port, ssl=ssl_ctx)
            return server, server6
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                # no IPv6 on the loopback (EADDRNOTAVAIL, EAFNOSUPPORT)
                return server, None
            server.close()
            await server.wait_closed()
            if n + 1 == tries:
                raise


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="fault-injecting SMTP server for postern's tests")
    p.add_argument("--port", type=int, default=0,
                   help="port on 127.0.0.1 and ::1 (0: pick one, printed)")
    p.add_argument("--ready-file", help="write the port here when ready")
    p.add_argument("--outdir", help="record messages and transcript here")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-client-ca",
                   help="request client certificates signed by this CA")
    p.add_argument("--starttls", action="store_true", help="offer STARTTLS")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (port 465 style)")
    p.add_argument("--auth", default="",
                   help="mechanisms offered, e.g. PLAIN,LOGIN (also "
                   "CRAM-MD5, XOAUTH2, OAUTHBEARER)")
    p.add_argument("--user", help="the only valid user (none: any)")
    p.add_argument("--password", help="its password (or bearer token)")
    p.add_argument("--oauth-live", metavar="DIR",
                   help="XOAUTH2/OAUTHBEARER accept only a live token of "
                   "tests/lib/oauthsrv.py (its DIR/live)")
    p.add_argument("--auth-require-tls", choices=("yes", "no"),
                   default="yes",
                   help="offer/accept AUTH only after STARTTLS")
    p.add_argument("--auth-required", action="store_true",
                   help="MAIL/RCPT/DATA need AUTH first (530)")
    p.add_argument("--no-auth-offer", action="store_true",
                   help="do not list AUTH in EHLO (AUTH still works)")
    p.add_argument("--size", type=int, default=0,
                   help="advertise and enforce SIZE N")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--no-8bitmime", action="store_true",
                   help="do not offer 8BITMIME; reject BODY=8BITMIME")
    p.add_argument("--smtputf8", action="store_true", help="offer SMTPUTF8")
    p.add_argument("--dsn", action="store_true",
                   help="offer DSN, accept RET/ENVID/NOTIFY/ORCPT")
    p.add_argument("--ehlo-keyword", action="append", default=[],
                   help="extra EHLO keyword line (repeatable)")
    p.add_argument("--banner", help="greeting text after '220 '")
    p.add_argument("--greeting-delay", type=float, default=0.0)
    p.add_argument("--dot-delay", type=float, default=0.0,
                   help="seconds to wait after the end of data before "
                   "storing the message and replying")
    p.add_argument("--max-line", type=int, default=1001,
                   help="longest accepted line incl. CRLF and dot (1001)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="idle timeout per command")
    p.add_argument("--stall-seconds", type=float, default=3600.0)
    p.add_argument("--dribble-interval", type=float, default=0.5,
                   help="seconds between two bytes of a dribble fault")
    p.add_argument("--max-lifetime", type=float, default=1800.0,
                   help="exit after this many seconds whatever happens")
    p.add_argument("--fault", action="append", default=[],
                   metavar="STAGE:ACTION[:COUNT]",
                   help="STAGE: " + " ".join(STAGES) +
                   " (rcpt#N, rcpt=ADDR); ACTION: a reply ('451 4.3.0 "
                   "text', '\\n' between lines) or " +
                   " ".join(SIMPLE_ACTIONS) + "; COUNT: times (default "
                   "always)")
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="random faults: the probability that a "
                   "transaction gets one (see the module's docstring)")
    p.add_argument("--session-fault-rate", type=float, default=None,
                   help="the same for a connection (default: "
                   "--fault-rate)")
    p.add_argument("--fault-seed", type=int, default=None,
                   help="seed of the random faults (default: random)")
    args = p.parse_args(argv)
    if args.session_fault_rate is None:
        args.session_fault_rate = args.fault_rate
    for r in (args.fault_rate, args.session_fault_rate):
        if not 0.0 <= r <= 1.0:
            p.error("fault rates are probabilities, 0 to 1")
    args.auth = [m.strip().upper() for m in args.auth.split(",")
                 if m.strip()]
    if (args.starttls or args.implicit_tls or args.require_starttls) and \
            not (args.tls_cert and args.tls_key):
        p.error("--starttls/--implicit-tls need --tls-cert and --tls-key")
    if args.implicit_tls and args.starttls:
        p.error("--implicit-tls and --starttls exclude each other")
    if args.require_starttls:
        args.starttls = True
    return args


async def watchdog(stop, args):
    ppid = os.getppid()
    deadline = time.monotonic() + args.max_lifetime
    while not stop.is_set():
        if ppid != 1 and os.getppid() != ppid:
            log.warning("parent %d went away; exiting", ppid)
            stop.set()
        if time.monotonic() > deadline:
            log.warning("--max-lifetime reached; exiting")
            stop.set()
        await asyncio.sleep(0.5)


async def serve(args, state):
    loop = asyncio.get_running_loop()
    ctx = tls_context(args)
    mechs = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER")
    for m in args.auth:
        if m not in mechs:
            raise SystemExit("smarthost: unknown AUTH mechanism %s "
                             "(have %s)" % (m, " ".join(mechs)))
    FaultSMTP.line_length_limit = args.max_line

    def factory():
        return FaultSMTP(
            state,
            hostname=HOSTNAME,
            ident="ESMTP postern-test-smarthost",
            data_size_limit=args.size or None,
            enable_SMTPUTF8=args.smtputf8,
            tls_context=ctx if args.starttls else None,
            require_starttls=args.require_starttls,
            timeout=args.timeout,
            authenticator=authenticator,
            auth_required=args.auth_required,
            auth_require_tls=(args.auth_require_tls == "yes" and
                              not args.implicit_tls),
            auth_exclude_mechanism=[m for m in mechs if m not in args.auth],
            loop=loop)

    server, server6 = await listen(loop, factory, args,
                                   ctx if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)

    def random_switch(on):
        state.random_on = on
        state.note("-", "--", "random faults %s" % ("on" if on else "off"))
    loop.add_signal_handler(signal.SIGUSR1, random_switch, False)
    loop.add_signal_handler(signal.SIGUSR2, random_switch, True)
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.ready_file + ".tmp", args.ready_file)
    print("ready %d" % port, flush=True)
    wd = asyncio.ensure_future(watchdog(stop, args))
    await stop.wait()
    wd.cancel()
    server.close()
    if server6 is not None:
        server6.close()
    for proto in list(state.protocols):
        if proto.transport is not None:
            proto.transport.abort()
    await asyncio.sleep(0)


def main(argv):
    args = parse_args(argv)
    state = State(args)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="smarthost: %(name)s: %(message)s")
    maillog = logging.getLogger("mail.log")
    maillog.setLevel(logging.INFO)
    maillog.propagate = False
    maillog.addHandler(TranscriptHandler(state))
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.WARNING)
    maillog.addHandler(errors)
    try:
        asyncio.run(serve(args, state))
    except OSError as e:
        print("smarthost: cannot listen on 127.0.0.1:%d: %s"
              % (args.port, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
