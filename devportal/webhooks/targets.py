"""Where a webhook may go: the URL's rules, and the addresses its host resolves to.

Checked when an endpoint is created or changed, and again before every attempt,
after resolving the name: the request then goes to the address that was checked
(``pinned``), so a name that resolves to a public address when checked and to
127.0.0.1 a moment later (DNS rebinding) cannot steer a delivery inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL = 2000
RESOLVE_SECONDS = 5.0


class RefusedTarget(Exception):
    """A URL or address a webhook may not be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the rules, split into what a request needs."""

    scheme: str
    host: str  # as written, without brackets
    port: int
    netloc: str  # the Host header
    path: str  # path and query

    def pinned(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address``, to connect to it and no other."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse(url: str, *, allow_http: bool) -> Target:
    """The URL's syntax and scheme: https://, or http:// where the operator allows it."""
    if len(url) > MAX_URL:
        raise RefusedTarget(f"The URL must be at most {MAX_URL} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise RefusedTarget("The URL is not a valid URL.") from None
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes:
        allowed = "https:// or http://" if allow_http else "https://"
        raise RefusedTarget(f"The URL must start with {allowed}.")
    if not parts.hostname or any(c.isspace() or ord(c) < 32 for c in url):
        raise RefusedTarget("The URL must name a host, with no spaces or control characters.")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("The URL cannot hold a user name or password.")
    return _target(parts, port)


def _target(parts: SplitResult, port: int | None) -> Target:
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme,
        host=parts.hostname or "",
        port=port or (443 if parts.scheme == "https" else 80),
        netloc=parts.netloc,
        path=path,
    )


def refusal(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    kinds = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    )
    return next((kind for kind, matches in kinds if matches), None)


async def resolve(target: Target, *, allow_private: bool) -> list[IPAddress]:
    """Every address the host resolves to; refused if any of them is not public.

    All must pass, not one: a name answering with a public and a private address
    could otherwise be steered to the private one by whichever is tried first.
    """
    addresses = await _addresses(target)
    if not allow_private:
        for address in addresses:
            kind = refusal(address)
            if kind is not None:
                shown = "" if str(address) == target.host else f" resolves to {address},"
                raise RefusedTarget(
                    f"{target.host}{shown} a {kind} address: webhooks go to public addresses only."
                )
    return addresses


async def _addresses(target: Target) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(target.host)]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
    except (OSError, TimeoutError, UnicodeError):
        raise RefusedTarget(f"{target.host} cannot be resolved.") from None
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedTarget(f"{target.host} cannot be resolved.")
    return found


async def check(url: str, *, allow_http: bool, allow_private: bool) -> Target:
    """The whole check: syntax, scheme, and where the host resolves to now."""
    target = parse(url, allow_http=allow_http)
    await resolve(target, allow_private=allow_private)
    return target
