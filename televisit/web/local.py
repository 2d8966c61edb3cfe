"""Did a request come straight from this machine? (The dev outbox and /metrics answer such requests.)

A loopback client address and no proxy header: a request relayed by a proxy on this machine (nginx in front of
gunicorn) comes from elsewhere, whatever address the proxy connected from.
"""

from __future__ import annotations

import ipaddress

from flask import request

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host")


def loopback(address: str | None) -> bool:
    """`address` is this machine's (IPv4, IPv6 or IPv4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # a Unix socket, or no address at all
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


def from_this_machine() -> bool:
    """The request came straight from this machine: loopback address, no sign of a proxy in between."""
    return loopback(request.remote_addr) and not any(h in request.headers for h in PROXY_HEADERS)
