#!/usr/bin/env python3
"""Print a free TCP port on the loopback interface for a test daemon.

It is drawn at random from below the kernel's ephemeral range
(net.ipv4.ip_local_port_range, 32768-60999 by default): a port from that
range, even one free a moment ago, can be taken by any outgoing connection
of a test running in parallel before our daemon binds it."""
import random
import socket

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        hi = int(f.read().split()[0]) - 1
except (OSError, ValueError, IndexError):
    hi = 32767
lo = max(1024, hi - 15000)
for _ in range(500):
    port = random.randint(lo, hi)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port found")
