#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""oauthuser.py - a scripted user for `postern oauth login`.

Runs the login command given after "--", reads what it prints, and does
what a person would: for the device code flow, enters the code it shows
at the verification page of tests/lib/oauthsrv.py (POST /devicelogin,
approve or --decline); for the loopback redirect, opens the printed URL
like a browser (the authorization endpoint answers with a redirect to
http://127.0.0.1:PORT/...; nothing is fetched there) and pastes the
address it ends on (or --paste TEXT instead).  Echoes the command's
output, exits with its status.  Never: talks to anything but the test
server, waits more than --timeout seconds.
"""

import argparse
import http.client
import re
import ssl
import subprocess
import sys
import threading
import urllib.parse


def https(ca, url, method="GET", body=None):
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                    timeout=10)
    path = u.path + ("?" + u.query if u.query else "")
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"} \
        if body else {}
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    r.read()
    return r.status, r.getheader("Location")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ca", required=True)
    p.add_argument("--decline", action="store_true")
    p.add_argument("--paste", help="paste this instead of the redirect")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("cmd", nargs="+")
    a = p.parse_args()
    child = subprocess.Popen(a.cmd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, bufsize=1)
    timer = threading.Timer(a.timeout, child.kill)
    timer.start()
    for line in child.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = re.search(r"open (https://\S+) in a web browser.*enter the "
                      r"code (\S+)", line)
        if m:
            body = urllib.parse.urlencode(
                {"user_code": m.group(2),
                 "decision": "decline" if a.decline else "approve"})
            https(a.ca, m.group(1), "POST", body)
        elif line.startswith("https://"):
            if a.paste is not None:
                pasted = a.paste
            else:
                status, loc = https(a.ca, line.strip())
                pasted = loc if status == 302 and loc else ""
            child.stdin.write(pasted + "\n")
            child.stdin.flush()
    rc = child.wait()
    timer.cancel()
    return rc


if __name__ == "__main__":
    sys.exit(main())
