#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""oauthsrv.py - a local OAuth2 authorization server for postern's tests.

Owns: one HTTPS port on 127.0.0.1 (the test CA's server certificate),
the token endpoints the way Microsoft identity platform v2.0 and Google
answer them, and a directory DIR:
  DIR/clients.json   the registered clients (read at every request):
                     {"CLIENT_ID": {"secret": S, "tenant": T,
                      "secret_expired": bool, "consent": bool,
                      "rotate": bool, "refresh_tokens": [R, ...]}}
  DIR/refresh/       the refresh tokens it issued or was given (one
                     file each, named by the token's SHA-256)
  DIR/live/          the access tokens still alive: one file each, named
                     by the SHA-256 of the token, holding its expiry and
                     client; tests/lib/smarthost.py --oauth-live DIR/live
                     accepts XOAUTH2/OAUTHBEARER only with one of them
  DIR/requests.jsonl one line per token request (grant, client, answer;
                     never a secret)
  DIR/fault          when present, its first word is the error every
                     request gets (e.g. AADSTS7000222, invalid_grant,
                     unauthorized_client, slow:SECONDS, 500)
Endpoints: POST /TENANT/oauth2/v2.0/token (Microsoft: client_credentials
with a secret or a certificate's signed assertion ("cert": PEM path;
x5t, RS256 signature, aud, iss/sub, time checked with python3-jwt),
refresh_token; refresh tokens rotate) and POST /token (Google:
refresh_token, and the service account's JWT bearer grant: clients.json
keyed by client_email with "public_key", "domain" (of sub) and
"delegation" (the scopes granted domain-wide)).
Error bodies as those services send them: "error",
"error_description" starting with "AADSTSnnnn: " and ending with a
"\\r\\nTrace ID" line, "error_codes", for Microsoft; "error" and
"error_description" for Google.
The login flows: POST /TENANT/oauth2/v2.0/devicecode (RFC 8628; the
scripted user approves with POST /devicelogin user_code=CODE), the
device_code grant; GET /o/oauth2/v2/auth (Google's authorization
endpoint: a 302 to the loopback redirect with code and state) and the
authorization_code grant, which checks the PKCE verifier (S256).
Never: listens beyond 127.0.0.1, outlives its parent, logs a secret.
Prints "ready PORT" once listening (and writes --ready-file).
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

MS_ERRORS = {
    90002: (400, "invalid_request", "Tenant '{tenant}' not found. Check "
            "to make sure you have the correct tenant ID and are signing "
            "into the correct cloud."),
    700016: (400, "unauthorized_client", "Application with identifier "
             "'{client}' was not found in the directory '{tenant}'."),
    7000215: (401, "invalid_client", "Invalid client secret provided. "
              "Ensure the secret being sent in the request is the client "
              "secret value, not the client secret ID."),
    7000222: (401, "invalid_client", "The provided client secret keys "
              "for app '{client}' are expired."),
    70000: (400, "invalid_grant", "The provided value for the input "
            "parameter 'refresh_token' or 'assertion' is not valid."),
    700082: (400, "invalid_grant", "The refresh token has expired due to "
             "inactivity."),
    65001: (400, "invalid_grant", "The user or administrator has not "
            "consented to use the application with ID '{client}'."),
    700027: (401, "invalid_client", "Client assertion failed signature "
             "validation."),
    700024: (400, "invalid_client", "Client assertion is not within its "
             "valid time range."),
    70011: (400, "invalid_scope", "The provided value for the input "
            "parameter 'scope' is not valid."),
}
GOOGLE_ERRORS = {
    "invalid_grant": (400, "Token has been expired or revoked."),
    "invalid_grant:signature": (400, "Invalid JWT Signature."),
    "invalid_grant:time": (400, "Invalid JWT: Token must be a short-lived "
                           "token (60 minutes) and in a reasonable "
                           "timeframe. Check your iat and exp values in "
                           "the JWT claim."),
    "invalid_grant:sub": (400, "Invalid email or User ID"),
    "unauthorized_client": (401, "Client is unauthorized to retrieve "
                            "access tokens using this method, or client "
                            "not authorized for any of the scopes "
                            "requested."),
    "invalid_client": (401, "The OAuth client was not found."),
}
EXO_SCOPE = "https://outlook.office365.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def verify_ms_assertion(client, cid, token, aud):
    """A Microsoft certificate credential: the registered certificate's
    thumbprint in x5t, its key's RS256 signature, aud the token URL,
    iss = sub = the client id, a valid time.  The AADSTS code, or 0."""
    with open(client["cert"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    thumb = b64url(cert.fingerprint(hashes.SHA1()))
    try:
        hdr = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return 700027
    if hdr.get("x5t") != thumb or hdr.get("alg") != "RS256":
        return 700027
    try:
        claims = jwt.decode(token, cert.public_key(), algorithms=["RS256"],
                            audience=aud, leeway=0,
                            options={"require": ["exp", "nbf", "iss",
                                                 "sub", "aud"]})
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        return 700024
    except jwt.PyJWTError:
        return 700027
    if claims["iss"] != cid or claims["sub"] != cid:
        return 700027
    return 0


def verify_google_assertion(clients, token, aud):
    """A service account's assertion: (client, None) or (None, error)."""
    try:
        iss = jwt.decode(token, options={"verify_signature": False})["iss"]
    except (jwt.PyJWTError, KeyError):
        return None, "invalid_grant:signature"
    c = clients.get(iss)
    if c is None or "public_key" not in c:
        return None, "invalid_client"
    with open(c["public_key"], "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=aud,
                            options={"require": ["exp", "iat", "iss",
                                                 "aud", "scope"]})
    except jwt.InvalidSignatureError:
        return None, "invalid_grant:signature"
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        return None, "invalid_grant:time"
    except jwt.PyJWTError:
        return None, "invalid_grant:signature"
    if claims["exp"] - claims["iat"] > 3600:
        return None, "invalid_grant:time"
    sub = claims.get("sub", "")
    if not sub.endswith("@" + c.get("domain", "")):
        return None, "invalid_grant:sub"
    if any(sc not in c.get("delegation", []) for sc in
           claims["scope"].split()):
        return None, "unauthorized_client"
    return c, None


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


class State:
    def __init__(self, args):
        self.args = args
        self.devices = {}       # device_code -> {user_code, client, state}
        self.codes = {}         # authorization code -> its request
        self.dir = args.dir
        self.lock = threading.Lock()
        for d in ("refresh", "live"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)

    def clients(self):
        try:
            with open(os.path.join(self.dir, "clients.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def fault(self):
        try:
            with open(os.path.join(self.dir, "fault")) as f:
                w = f.read().split()
                return w[0] if w else None
        except FileNotFoundError:
            return None

    def note(self, rec):
        with self.lock, open(os.path.join(self.dir, "requests.jsonl"),
                             "a") as f:
            f.write(json.dumps(rec) + "\n")

    def refresh_ok(self, client, tok):
        if tok in client.get("refresh_tokens", []):
            return True
        return os.path.exists(os.path.join(self.dir, "refresh", sha(tok)))

    def issue(self, client_id, rotate):
        tok = "at-" + secrets.token_urlsafe(24)
        life = self.args.token_life
        with open(os.path.join(self.dir, "live", sha(tok)), "w") as f:
            json.dump({"expires": time.time() + life,
                       "client": client_id}, f)
        body = {"token_type": "Bearer", "expires_in": life,
                "ext_expires_in": life, "access_token": tok}
        if rotate:
            rt = "rt-" + secrets.token_urlsafe(24)
            open(os.path.join(self.dir, "refresh", sha(rt)), "w").close()
            body["refresh_token"] = rt
        return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):     # no secrets, no noise
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def ms_error(self, code, tenant="", client=""):
        st, err, text = MS_ERRORS[code]
        desc = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\n" \
            "Timestamp: %s" % (code, text.format(tenant=tenant,
                                                 client=client),
                               secrets.token_hex(8), secrets.token_hex(8),
                               time.strftime("%Y-%m-%d %H:%M:%SZ",
                                             time.gmtime()))
        return st, {"error": err, "error_description": desc,
                    "error_codes": [code], "timestamp": "",
                    "trace_id": "", "correlation_id": ""}

    def google_error(self, err):
        st, text = GOOGLE_ERRORS[err]
        return st, {"error": err.split(":")[0], "error_description": text}

    def token_url(self):
        return "https://%s%s" % (self.headers.get("Host", ""),
                                 urllib.parse.urlparse(self.path).path)

    def do_GET(self):
        """Google's authorization endpoint, as a browser meets it after
        the user signed in and consented: 302 to the loopback redirect
        with the code and the state, or with error=access_denied when
        DIR/fault says so."""
        st = self.server.state
        u = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.path != "/o/oauth2/v2/auth":
            return self.send_json(404, {"error": "not_found"})
        c = st.clients().get(q.get("client_id", ""))
        redirect = q.get("redirect_uri", "")
        ok = (c is not None and q.get("response_type") == "code" and
              q.get("code_challenge_method") == "S256" and
              len(q.get("code_challenge", "")) == 43 and
              redirect.startswith("http://127.0.0.1:") and q.get("state"))
        st.note({"path": u.path, "grant": "authorize",
                 "client": q.get("client_id"), "scope": q.get("scope"),
                 "status": 302 if ok else 400, "time": time.time()})
        if not ok:
            return self.send_json(400, {"error": "invalid_request"})
        if st.fault() == "access_denied":
            args = {"error": "access_denied", "state": q["state"]}
        else:
            code = "4/" + secrets.token_urlsafe(24)
            st.codes[code] = {"client": q["client_id"],
                              "challenge": q["code_challenge"],
                              "redirect": redirect}
            args = {"state": q["state"], "code": code,
                    "scope": q.get("scope", "")}
        self.send_response(302)
        self.send_header("Location",
                         redirect + "?" + urllib.parse.urlencode(args))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(),
                                     keep_blank_values=True)
        f = {k: v[0] for k, v in form.items()}
        path = urllib.parse.urlparse(self.path).path
        fault = st.fault()
        if fault and fault.startswith("slow:"):
            time.sleep(float(fault[5:]))
            fault = None
        if path == "/devicelogin":
            code, body = self.approve(st, f)
        elif path.endswith("/oauth2/v2.0/devicecode"):
            code, body = self.devicecode(st, f, path.split("/")[1])
        elif path == "/token":
            code, body = self.google(st, f, fault)
        elif path.endswith("/oauth2/v2.0/token"):
            code, body = self.microsoft(st, f, path.split("/")[1], fault)
        else:
            code, body = 404, {"error": "not_found"}
        st.note({"path": path, "grant": f.get("grant_type"),
                 "client": f.get("client_id"), "scope": f.get("scope"),
                 "status": code, "error": body.get("error"),
                 "rotated": "refresh_token" in body,
                 "assertion": "client_assertion" in f or "assertion" in f,
                 "time": time.time()})
        self.send_json(code, body)

    def microsoft(self, st, f, tenant, fault):
        cid = f.get("client_id", "")
        if fault and fault.startswith("AADSTS"):
            return self.ms_error(int(fault[6:]), tenant, cid)
        if fault == "500":
            return 500, {"error": "temporarily_unavailable"}
        clients = st.clients()
        c = clients.get(cid)
        if not any(x.get("tenant") == tenant for x in clients.values()):
            return self.ms_error(90002, tenant, cid)
        if c is None or c.get("tenant") != tenant:
            return self.ms_error(700016, tenant, cid)
        grant = f.get("grant_type")
        if "client_assertion" in f:
            if f.get("client_assertion_type") != JWT_ASSERTION or \
                    "cert" not in c:
                return self.ms_error(700027, tenant, cid)
            err = verify_ms_assertion(c, cid, f["client_assertion"],
                                      self.token_url())
            if err:
                return self.ms_error(err, tenant, cid)
        elif grant == "client_credentials" or "client_secret" in f:
            if f.get("client_secret") != c.get("secret"):
                return self.ms_error(7000215, tenant, cid)
            if c.get("secret_expired"):
                return self.ms_error(7000222, tenant, cid)
        if grant == "client_credentials":
            if f.get("scope") != EXO_SCOPE:
                return self.ms_error(70011, tenant, cid)
            if not c.get("consent", True):
                return self.ms_error(65001, tenant, cid)
            return 200, st.issue(cid, False)
        if grant == "refresh_token":
            if not st.refresh_ok(c, f.get("refresh_token", "")):
                return self.ms_error(70000, tenant, cid)
            return 200, st.issue(cid, c.get("rotate", True))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self.device_grant(st, f, tenant, cid, c)
        return 400, {"error": "unsupported_grant_type"}

    def devicecode(self, st, f, tenant):
        """Microsoft's device authorization endpoint (RFC 8628 3.2)."""
        cid = f.get("client_id", "")
        c = st.clients().get(cid)
        if c is None or c.get("tenant") != tenant:
            return self.ms_error(700016, tenant, cid)
        dc = secrets.token_urlsafe(32)
        uc = secrets.token_hex(4).upper()
        st.devices[dc] = {"user_code": uc, "client": cid,
                          "state": "pending"}
        uri = "https://%s/devicelogin" % self.headers.get("Host", "")
        return 200, {"device_code": dc, "user_code": uc,
                     "verification_uri": uri, "expires_in": 900,
                     "interval": 1,
                     "message": "To sign in, use a web browser to open "
                     "the page %s and enter the code %s to "
                     "authenticate." % (uri, uc)}

    def approve(self, st, f):
        """The scripted user at the verification page: user_code and
        "decision" (approve or decline)."""
        for d in st.devices.values():
            if d["user_code"] == f.get("user_code"):
                d["state"] = "approved" if f.get("decision") != \
                    "decline" else "declined"
                return 200, {"ok": True}
        return 404, {"error": "unknown user_code"}

    def device_grant(self, st, f, tenant, cid, c):
        d = st.devices.get(f.get("device_code", ""))
        if d is None or d["client"] != cid:
            return 400, {"error": "invalid_grant",
                         "error_description": "AADSTS70000: bad device "
                         "code"}
        if d["state"] == "pending":
            return 400, {"error": "authorization_pending",
                         "error_description": "AADSTS70016: OAuth 2.0 "
                         "device flow error. Authorization is pending. "
                         "Continue polling.", "error_codes": [70016]}
        if d["state"] == "declined":
            return 400, {"error": "authorization_declined",
                         "error_description": "AADSTS70018: the user "
                         "declined", "error_codes": [70018]}
        del st.devices[f["device_code"]]
        return 200, st.issue(cid, True)

    def google(self, st, f, fault):
        if fault in GOOGLE_ERRORS:
            return self.google_error(fault)
        if f.get("grant_type") == JWT_BEARER:
            c, err = verify_google_assertion(st.clients(),
                                             f.get("assertion", ""),
                                             self.token_url())
            if err:
                return self.google_error(err)
            return 200, st.issue(c.get("client_email", "sa"), False)
        c = st.clients().get(f.get("client_id", ""))
        if c is None or f.get("client_secret") != c.get("secret"):
            return self.google_error("invalid_client")
        if f.get("grant_type") == "refresh_token":
            if not st.refresh_ok(c, f.get("refresh_token", "")):
                return self.google_error("invalid_grant")
            return 200, st.issue(f["client_id"], c.get("rotate", False))
        if f.get("grant_type") == "authorization_code":
            # RFC 7636 4.6: BASE64URL(SHA256(verifier)) == challenge
            req = st.codes.pop(f.get("code", ""), None)
            v = f.get("code_verifier", "")
            if req is None or req["client"] != f["client_id"] or \
                    req["redirect"] != f.get("redirect_uri") or \
                    b64url(hashlib.sha256(v.encode()).digest()) != \
                    req["challenge"]:
                return 400, {"error": "invalid_grant",
                             "error_description": "Bad Request"}
            return 200, st.issue(f["client_id"], True)
        return self.google_error("unauthorized_client")


def watch_parent(ppid):
    while os.getppid() == ppid:
        time.sleep(0.5)
    os._exit(0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token-life", type=int, default=3600,
                   help="seconds an access token lives")
    p.add_argument("--ready-file")
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    threading.Thread(target=watch_parent, args=(os.getppid(),),
                     daemon=True).start()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.ready_file + ".tmp", args.ready_file)
    print("ready %d" % port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
