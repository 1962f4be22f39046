"""ASGI middleware that keeps what one client sends, and how many wait, bounded.

``LimitBodies`` bounds what a client may send: a request body longer than
``DEVPORTAL_MAX_BODY_BYTES`` is answered 413 (at once when its Content-Length
says so, else as soon as the bytes streamed in pass the limit), and a longer
WebSocket message closes the socket with 1009. A client that hangs up before
its request is whole is one DEBUG line, not a traceback.

``ShedLoad`` bounds how many requests run at once, per lane: gateway checks
have a lane of their own, so a flood of GraphQL cannot starve them, and
``/healthz``, ``/readyz`` and WebSockets have none. A request that finds its lane full
waits, in order, at most ``DEVPORTAL_QUEUE_TIMEOUT_SECONDS``, then is answered
503 with Retry-After; one whose client hangs up while it waits is never run.
Below the limit a request costs a counter and nothing more: the gateway
check is the hottest path in the product.

Both are pure ASGI (no BaseHTTPMiddleware): they see the body as it streams.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from asyncio import FIRST_COMPLETED
from collections import deque
from typing import Any, cast

import sqlalchemy as sa
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from devportal.cors import GraphQLCORS
from devportal.drain import CloseOnDrain, Drain
from devportal.logs import RequestIds
from devportal.metrics import SHED, Measure
from devportal.settings import Settings

log = logging.getLogger("devportal.http")

MESSAGE_TOO_BIG = 1009  # WebSocket close code
QUEUE_PER_SLOT = 16  # a lane queues at most this many requests per slot, then refuses at once


def guards(settings: Settings, drain: Drain, *, measure: bool = False) -> list[Middleware]:
    """The middleware of ``create_app``, outermost first; ``measure``: metrics are on."""
    return [
        Middleware(RequestIds),
        *([Middleware(Measure)] if measure else []),
        Middleware(GraphQLCORS, origins=settings.cors_origins),
        Middleware(CloseOnDrain, drain=drain),
        Middleware(LimitBodies, max_bytes=settings.max_body_bytes),
        Middleware(
            ShedLoad,
            limit=settings.max_concurrent_requests,
            timeout=settings.queue_timeout_seconds,
        ),
    ]


def graphql_error(message: str, code: str, status: int, **headers: str) -> JSONResponse:
    """An answer shaped as GraphQL over HTTP shapes a request error."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


UNREACHABLE = (sa.exc.DBAPIError, sa.exc.TimeoutError, OSError)
"""What a request raises when the database cannot be reached (or the pool is exhausted)."""


def exception_handlers() -> dict[Any, ExceptionHandler]:
    """For ``create_app``: the database unreachable is a clear 503 on every route."""
    # Starlette types HTTP and WebSocket handlers apart; this one serves both.
    handler = cast(ExceptionHandler, database_unreachable)
    return dict.fromkeys(UNREACHABLE, handler)


async def database_unreachable(request: HTTPConnection, exc: Exception) -> Response | None:
    """One log line and a clear 503, not a traceback and a dropped connection.

    The gateway check keeps its own body (nginx turns any status but 2xx, 401
    and 403 into a refusal); everything else answers as GraphQL answers errors.
    A WebSocket is closed with 1011 (unexpected condition): its client reconnects.
    """
    log.warning("%s: database unreachable (%s); answered 503", _where(request.scope), exc)
    if isinstance(request, WebSocket):
        await request.close(code=1011)
        return None
    retry = {"Retry-After": "5"}
    if request.url.path.startswith("/gateway/"):
        body = {"message": "Service temporarily unavailable"}
        return JSONResponse(body, status_code=503, headers=retry)
    message = "The portal cannot reach its database just now; try again shortly."
    return graphql_error(message, "INTERNAL_SERVER_ERROR", 503, **retry)


def _where(scope: Scope) -> str:
    """Method and path for a log line: never the query string, which may hold a token."""
    return f"{scope.get('method', 'WebSocket')} {scope['path']}"


# --- request size --------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a body passes the limit, and answered 413.

    Every route reads its body before it answers, so the answer has not begun.
    """


class LimitBodies:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        received = -1  # the Content-Length is looked at on the first read, if any

        async def limited_receive() -> Message:
            nonlocal received
            if received < 0:
                if _declared_length(scope) > limit:
                    raise BodyTooLarge
                received = 0
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            log.info("%s: refused a body of more than %d bytes (413)", _where(scope), limit)
            message = f"The request body is larger than the limit of {limit} bytes."
            await graphql_error(message, "BAD_USER_INPUT", 413)(scope, receive, send)
        except ClientDisconnect:
            log.debug("%s: the client hung up before its request was whole", _where(scope))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and _size(message) > limit:
                log.info("%s: a message of more than %d bytes; closed", _where(scope), limit)
                closed = True
                await send({"type": "websocket.close", "code": MESSAGE_TOO_BIG, "reason": ""})
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:  # the app learns of the close only on its next receive
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:  # the server refuses these before the app sees them
                return 0
    return 0


def _size(message: Message) -> int:
    text = message.get("text")
    if text is not None:
        return len(text.encode())
    return len(message.get("bytes") or b"")


# --- load shedding -------------------------------------------------------------------------------


class Lane:
    """At most ``limit`` requests at once; the others wait their turn, first come first in."""

    def __init__(self, name: str, limit: int, timeout: float) -> None:
        self.name = name
        self.limit = limit
        self.timeout = timeout
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    def leave(self) -> None:
        """Hand the slot to the first in line, or free it."""
        if self.waiting:
            self.waiting.popleft().set_result(None)
        else:
            self.running -= 1

    def give_up(self, turn: asyncio.Future[None]) -> None:
        """Leave the line; a turn that came meanwhile goes to the next in line."""
        if turn.done():
            self.leave()
        else:
            turn.cancel()
            self.waiting.remove(turn)

    @property
    def full(self) -> bool:
        return len(self.waiting) >= self.limit * QUEUE_PER_SLOT


class ShedLoad:
    def __init__(self, app: ASGIApp, *, limit: int, timeout: float) -> None:
        self.app = app
        self.gateway = Lane("gateway", limit, timeout)
        self.main = Lane("main", limit, timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self._lane(scope)
        if lane is None:
            await self.app(scope, receive, send)
        elif lane.running < lane.limit and not lane.waiting:  # the hot path: a counter
            lane.running += 1
            try:
                await self.app(scope, receive, send)
            finally:
                lane.leave()
        else:
            await self._wait_then_run(lane, scope, receive, send)

    def _lane(self, scope: Scope) -> Lane | None:
        if scope["type"] != "http":
            return None  # WebSockets live long: the limits per connection hold them
        path: str = scope["path"]
        if path.startswith("/gateway/"):
            return self.gateway
        return None if path in ("/healthz", "/readyz") else self.main

    async def _wait_then_run(self, lane: Lane, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a slot, reading the body meanwhile so a client that hangs up is seen."""
        if lane.full:
            log.info("%s: %d requests already wait; answered 503", _where(scope), len(lane.waiting))
            await _busy(lane, scope, receive, send)
            return
        log.debug("%s: waits for a slot (%d ahead)", _where(scope), len(lane.waiting))
        started = time.monotonic()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane.waiting.append(turn)
        early: list[Message] = []
        reader = asyncio.create_task(_read_until_gone(receive, early))
        try:
            await asyncio.wait({turn, reader}, timeout=lane.timeout, return_when=FIRST_COMPLETED)
            reader.cancel()
            await asyncio.wait({reader})  # never two reads at once: the app reads next
        except BaseException:
            reader.cancel()
            lane.give_up(turn)
            raise
        reader_ended, granted = not reader.cancelled(), turn.done()
        if reader_ended or not granted:
            lane.give_up(turn)
        if reader_ended:
            reader.result()  # raises BodyTooLarge, for LimitBodies to answer
            log.debug("%s: the client hung up while it waited; not run", _where(scope))
        elif not granted:
            waited = time.monotonic() - started
            log.info("%s: waited %.1f s for a slot; answered 503", _where(scope), waited)
            await _busy(lane, scope, receive, send)
        else:
            try:
                await self.app(scope, _replay(early, receive), send)
            finally:
                lane.leave()


async def _read_until_gone(receive: Receive, into: list[Message]) -> None:
    """Read the body into ``into``; return when the client hangs up (cancelled if it stays)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        into.append(message)


def _replay(early: list[Message], receive: Receive) -> Receive:
    pending = deque(early)

    async def replayed() -> Message:
        return pending.popleft() if pending else await receive()

    return replayed


async def _busy(lane: Lane, scope: Scope, receive: Receive, send: Send) -> None:
    SHED.labels(lane.name).inc()
    retry = str(math.ceil(lane.timeout))
    message = f"The server is busy: try again in {retry} seconds."
    response: JSONResponse
    if lane.name == "gateway":  # the gateway check's own shape: {"message": ...}
        body: dict[str, Any] = {"message": message}
        response = JSONResponse(body, status_code=503, headers={"Retry-After": retry})
    else:
        response = graphql_error(message, "RATE_LIMITED", 503, **{"Retry-After": retry})
    await response(scope, receive, send)
