#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""smtpclient.py - a small SMTP client for postern's test-server self-tests.

Owns: sending one message with STARTTLS or implicit TLS (verified against
a CA, hostname localhost) and AUTH PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,
SCRAM-SHA-256 (RFC 5802, with server signature check) or XOAUTH2, printing
every server reply as "<- CODE TEXT".  Exit status: 0 sent; 1 the server
refused something (the last line says which step and the reply); 2 a
connection, TLS or protocol failure.

Why not swaks: Debian's swaks does TLS only with Net::SSLeay and SASL
beyond PLAIN/LOGIN/CRAM-MD5 only with Authen::SASL; both are optional
dependencies, so tests use this client when they need them.
Never: reads stdin, or talks to anything but the host/port it is given.
"""

import argparse
import base64
import hashlib
import hmac
import os
import smtplib
import ssl
import sys


class Scram:
    """smtplib authobject for SCRAM-SHA-1 / SCRAM-SHA-256 (no channel
    binding)."""

    def __init__(self, hashname, user, password):
        self.h = hashname
        self.user = user.replace("=", "=3D").replace(",", "=2C")
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.step = 0
        self.server_sig = None
        self.bare = "n=%s,r=%s" % (self.user, self.nonce)

    def _hmac(self, key, msg):
        return hmac.new(key, msg, self.h).digest()

    def __call__(self, challenge=None):
        if self.step == 0:
            self.step = 1
            return "n,," + self.bare
        if self.step == 1:
            self.step = 2
            sfirst = challenge.decode()
            f = dict(kv.split("=", 1) for kv in sfirst.split(","))
            if not f["r"].startswith(self.nonce):
                raise smtplib.SMTPException("SCRAM: server nonce mismatch")
            salted = hashlib.pbkdf2_hmac(self.h, self.password,
                                         base64.b64decode(f["s"]),
                                         int(f["i"]))
            ckey = self._hmac(salted, b"Client Key")
            stored = hashlib.new(self.h, ckey).digest()
            noproof = "c=biws,r=" + f["r"]
            msg = ("%s,%s,%s" % (self.bare, sfirst, noproof)).encode()
            csig = self._hmac(stored, msg)
            proof = bytes(a ^ b for a, b in zip(ckey, csig))
            self.server_sig = self._hmac(self._hmac(salted, b"Server Key"),
                                         msg)
            return noproof + ",p=" + base64.b64encode(proof).decode()
        # step 2: server-final-message "v=..."
        final = challenge.decode()
        if not final.startswith("v=") or \
                base64.b64decode(final[2:]) != self.server_sig:
            raise smtplib.SMTPException("SCRAM: bad server signature")
        self.step = 3
        return ""


def show(code, msg):
    text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
    lines = text.split("\n") or [""]
    for i, line in enumerate(lines):
        sep = " " if i == len(lines) - 1 else "-"
        print("<- %s%s%s" % (code, sep, line))


def fail(step, code, msg):
    show(code, msg)
    print("FAILED at %s: %s %s" % (step, code, msg.decode("latin-1")
                                   if isinstance(msg, bytes) else msg))
    return 1


def run(a):
    ctx = None
    if a.starttls or a.implicit_tls:
        ctx = ssl.create_default_context(cafile=a.ca)
        if a.no_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if a.client_cert:
            ctx.load_cert_chain(a.client_cert, a.client_key)
    if a.implicit_tls:
        class NamedSSL(smtplib.SMTP_SSL):
            def _get_socket(self, host, port, timeout):
                self._host = a.servername
                return super()._get_socket(host, port, timeout)
        s = NamedSSL(timeout=a.timeout, context=ctx, local_hostname=a.ehlo)
        code, msg = s.connect(a.host, a.port)
    else:
        s = smtplib.SMTP(timeout=a.timeout, local_hostname=a.ehlo)
        code, msg = s.connect(a.host, a.port)
    show(code, msg)
    if code != 220:
        return fail("greeting", code, msg)
    code, msg = s.ehlo()
    show(code, msg)
    if code != 250:
        return fail("ehlo", code, msg)
    if a.starttls:
        if not s.has_extn("starttls"):
            print("FAILED at starttls: not offered")
            return 1
        s._host = a.servername     # the name checked in the certificate
        try:
            code, msg = s.starttls(context=ctx)
        except smtplib.SMTPResponseException as e:
            return fail("starttls", e.smtp_code, e.smtp_error)
        show(code, msg)
        if code != 220:
            return fail("starttls", code, msg)
        code, msg = s.ehlo()
        show(code, msg)
        if code != 250:
            return fail("ehlo", code, msg)
    if a.auth:
        mech = a.auth.upper()
        if mech.startswith("SCRAM-"):
            obj = Scram(mech[6:].replace("-", "").lower(), a.user,
                        a.password)
        elif mech == "XOAUTH2":
            tok = "user=%s\x01auth=Bearer %s\x01\x01" % (a.user, a.password)
            state = {"n": 0}

            def obj(challenge=None):
                state["n"] += 1
                return tok if state["n"] == 1 else ""
        else:
            s.user, s.password = a.user, a.password
            obj = getattr(s, "auth_" + mech.lower().replace("-", "_"))
        try:
            code, msg = s.auth(mech, obj)
        except smtplib.SMTPAuthenticationError as e:
            return fail("auth", e.smtp_code, e.smtp_error)
        show(code, msg)
    code, msg = s.mail(a.mail_from, a.mail_option)
    show(code, msg)
    if code != 250:
        return fail("mail", code, msg)
    accepted = 0
    for r in a.to:
        code, msg = s.rcpt(r, a.rcpt_option)
        show(code, msg)
        if code in (250, 251):
            accepted += 1
        elif not a.partial:
            return fail("rcpt", code, msg)
    if accepted == 0:
        return fail("rcpt", code, msg)
    if a.data_file:
        with open(a.data_file, "rb") as f:
            data = f.read()
    else:
        data = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n%s\r\n"
                % (a.mail_from, a.to[0], a.subject, a.body)).encode()
    try:
        code, msg = s.data(data)
    except smtplib.SMTPDataError as e:
        return fail("data", e.smtp_code, e.smtp_error)
    show(code, msg)
    if code != 250:
        return fail("data", code, msg)
    try:
        code, msg = s.quit()
        show(code, msg)
    except smtplib.SMTPServerDisconnected:
        pass
    print("SENT")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--ca", help="CA file to verify the server against")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--servername", default="localhost",
                   help="name the certificate must match")
    p.add_argument("--client-cert")
    p.add_argument("--client-key")
    p.add_argument("--auth", help="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 "
                   "SCRAM-SHA-256 XOAUTH2")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--from", dest="mail_from", default="sender@example.org")
    p.add_argument("--to", action="append", default=[])
    p.add_argument("--mail-option", action="append", default=[])
    p.add_argument("--rcpt-option", action="append", default=[])
    p.add_argument("--partial", action="store_true",
                   help="go on when some recipients are refused")
    p.add_argument("--subject", default="test")
    p.add_argument("--body", default="hello")
    p.add_argument("--data-file", help="message bytes (CRLF) to send")
    p.add_argument("--ehlo", default="client.test")
    p.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args(argv)
    if not a.to:
        a.to = ["rcpt@example.net"]
    try:
        return run(a)
    except (OSError, smtplib.SMTPException, ValueError) as e:
        print("ERROR: %s: %s" % (type(e).__name__, e))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
