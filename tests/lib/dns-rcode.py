#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# dns-rcode.py ADDRESS READY-FILE RCODE - a broken name server for the
# tests: on ADDRESS, UDP port 53, it answers every question with the
# response code RCODE (SERVFAIL, REFUSED, ...) and no records, so a test
# sees how postern tells a failing server from a silent one.  Writes
# READY-FILE once it listens.  Loopback only; runs until killed.
import socket
import sys

from dnslib import RCODE, DNSRecord


def main():
    addr, ready, rcode = sys.argv[1], sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    with open(ready, "w") as f:
        f.write("ready\n")
    while True:
        data, peer = s.recvfrom(4096)
        try:
            reply = DNSRecord.parse(data).reply()
        except Exception:
            continue
        reply.header.rcode = getattr(RCODE, rcode)
        s.sendto(reply.pack(), peer)


if __name__ == "__main__":
    main()
