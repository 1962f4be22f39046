"""``ShedLoad``: how many requests run at once, bounded, per lane.

Gateway checks have a lane of their own, so a flood of GraphQL cannot starve
them, and ``/healthz``, ``/readyz`` and WebSockets have none. A request that
finds its lane full waits, in order, at most ``DEVPORTAL_QUEUE_TIMEOUT_SECONDS``,
then is answered 503 with Retry-After; one whose client hangs up while it waits
is never run. Below the limit a request costs a counter and nothing more: the
gateway check is the hottest path in the product. Pure ASGI, like ``LimitBodies``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from asyncio import FIRST_COMPLETED
from collections import deque
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devportal.metrics import SHED
from devportal.middleware.answers import graphql_error, where

log = logging.getLogger("devportal.http")

QUEUE_PER_SLOT = 16  # a lane queues at most this many requests per slot, then refuses at once


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
            log.info("%s: %d requests already wait; answered 503", where(scope), len(lane.waiting))
            await _busy(lane, scope, receive, send)
            return
        log.debug("%s: waits for a slot (%d ahead)", where(scope), len(lane.waiting))
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
            log.debug("%s: the client hung up while it waited; not run", where(scope))
        elif not granted:
            waited = time.monotonic() - started
            log.info("%s: waited %.1f s for a slot; answered 503", where(scope), waited)
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
