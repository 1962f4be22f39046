"""ASGI middleware that times GraphQL requests and gateway checks into the metrics, and
counts open WebSockets (on when ``DEVPORTAL_METRICS`` is set).

Label values are bounded: GraphQL operation names are the client's text, so a
process labels at most ``MAX_OPERATIONS`` distinct names, and every later one
counts as ``(other)``. An HTML page (GraphiQL, on a browser's GET of
``/graphql``) is no operation and is not timed.
"""

from __future__ import annotations

import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devportal import logs
from devportal.metrics import GATEWAY_SECONDS, GRAPHQL_SECONDS, WEBSOCKETS

MAX_OPERATIONS = 200
OTHER = "(other)"
INVALID = "(invalid)"  # refused before it ran: no operation to name
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}|\(anonymous\)")

_DECISIONS = {200: "allowed", 401: "unknown_key", 403: "denied", 404: "not_found"}


class OperationNames:
    """The label for an operation's name: the first ``MAX_OPERATIONS`` names, then (other)."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if name is None:
            return INVALID
        if name in self._seen:
            return name
        if len(self._seen) >= self.limit or not _GRAPHQL_NAME.fullmatch(name):
            return OTHER
        self._seen.add(name)
        return name


class Measure:
    """Times GraphQL requests and gateway checks; counts open WebSockets.

    Inside ``RequestIds``, whose ``RequestInfo`` holds the operation's name by the
    time the answer is sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.names = OperationNames()
        self.gateway = {status: GATEWAY_SECONDS.labels(d) for status, d in _DECISIONS.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/graphql" or path.startswith("/gateway/")):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, page = 500, False

        async def noting_status(message: Message) -> None:
            nonlocal status, page
            if message["type"] == "http.response.start":
                status, page = message["status"], _is_html(message)
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            if not page:
                self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        if scope["path"].startswith("/gateway/"):
            child = self.gateway.get(status)
            if child is None:
                child = GATEWAY_SECONDS.labels("unavailable")
            elif status == 401 and not _has_key(scope):
                child = GATEWAY_SECONDS.labels("no_key")
            child.observe(seconds)
            return
        info = logs.current()
        GRAPHQL_SECONDS.labels(self.names.label(info.operation if info else None)).observe(seconds)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                WEBSOCKETS.dec()


def _is_html(start: Message) -> bool:
    return any(
        name == b"content-type" and value.startswith(b"text/html")
        for name, value in start.get("headers", ())
    )


def _has_key(scope: Scope) -> bool:
    credentials = (b"apikey", b"x-api-key", b"authorization")
    return any(name in credentials and value for name, value in scope["headers"])
