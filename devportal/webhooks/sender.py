"""One attempt: sign the body as Standard Webhooks says, POST it to the checked address.

No redirect is followed (a 3xx is a failed attempt), no proxy from the environment
is used, the whole attempt (resolving included) has ``TIMEOUT_SECONDS``, and the
response's body is never read: only its status counts.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
from standardwebhooks import Webhook as Signer

from devportal.webhooks import targets

log = logging.getLogger("devportal.webhooks")

TIMEOUT_SECONDS = 10.0
USER_AGENT = "devportal-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    url: str
    secret: str
    event_id: str
    payload: str


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: int | None = None  # the receiver's HTTP status, if it answered
    error: str | None = None  # why it failed, in a few words


def signed_headers(attempt: Attempt, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers; the timestamp is this attempt's."""
    signature = Signer(attempt.secret).sign(attempt.event_id, now, attempt.payload)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": attempt.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


class Sender:
    def __init__(self, *, allow_http: bool, allow_private: bool) -> None:
        self._allow_http = allow_http
        self._allow_private = allow_private
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()
        return self._tls

    async def send(self, attempt: Attempt) -> Outcome:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                status = await self._post(attempt)
        except targets.RefusedTarget as exc:
            return Outcome(False, error=str(exc))
        except TimeoutError:
            return Outcome(False, error=f"no answer within {TIMEOUT_SECONDS:g} s")
        except httpx2.HTTPError as exc:
            return Outcome(False, error=_short(exc))
        if 200 <= status < 300:
            return Outcome(True, status=status)
        return Outcome(False, status=status, error=f"HTTP {status}")

    async def _post(self, attempt: Attempt) -> int:
        target = targets.parse(attempt.url, allow_http=self._allow_http)
        addresses = await targets.resolve(target, allow_private=self._allow_private)
        # The wall clock, never the portal's (tests move that): receivers check the
        # timestamp against their own clocks.
        headers = {**signed_headers(attempt, datetime.now(UTC)), "host": target.netloc}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        # A client per attempt: a pooled connection, verified for one host name, must
        # never carry a request for another name that resolved to the same address.
        async with (
            httpx2.AsyncClient(
                verify=self._tls_context(),
                trust_env=False,
                follow_redirects=False,
                timeout=TIMEOUT_SECONDS,
            ) as client,
            client.stream(
                "POST",
                target.pinned(addresses[0]),
                content=attempt.payload.encode(),
                headers=headers,
                extensions=extensions,
            ) as response,
        ):
            return response.status_code  # the body is left unread, and the connection closed


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
