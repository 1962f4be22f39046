"""Which address a request comes from, for limits that count per client."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Sequence[Network]
) -> str:
    """The client's address: the peer's, or behind trusted proxies, the forwarded one.

    ``X-Forwarded-For`` lists every hop, each proxy appending the address it
    received the request from. Only what trusted proxies wrote can be believed:
    reading from the right, the first address that is not a trusted proxy is the
    client. Anything left of it could have been written by the client itself.
    """
    address = _parse(peer)
    if address is None:
        return peer or "unknown"
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        if not any(address in network for network in trusted_proxies):
            break
        forwarded = _parse(hop)
        if forwarded is None:
            break  # a trusted proxy passed on something unreadable: stop at that proxy
        address = forwarded
    return str(address)


def _parse(value: str | None) -> Address | None:
    """An IP address, without brackets or a port, and IPv4-mapped IPv6 as IPv4."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
