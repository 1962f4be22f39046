"""A clean stop on SIGTERM: WebSockets told "going away", requests in flight finished.

uvicorn, on SIGTERM, stops accepting, lets requests in flight finish (up to
``DEVPORTAL_SHUTDOWN_TIMEOUT_SECONDS``, then cancels them) and runs the
lifespan's shutdown (the last uses of keys written, the mail in hand sent). But
it closes WebSockets with 1012 ("service restart") at once, while their
clients should hear 1001 ("going away": reconnect, to another process). So
``Drain.on_signals`` steps in first: it marks the process not ready
(``/readyz``), closes every WebSocket with 1001 and waits (a little) for their
handlers to end, then hands the signal to uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from asyncio import FIRST_COMPLETED
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("devportal.drain")

GOING_AWAY = 1001
WEBSOCKETS_CLOSE_SECONDS = 5.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Drain:
    """One app's open WebSockets, and whether its process has begun to stop."""

    def __init__(self) -> None:
        self.begun = False
        self._stop = asyncio.Event()
        self._sockets: set[asyncio.Task[Any]] = set()

    async def close_websockets(self) -> None:
        """Close every WebSocket with 1001 and wait, a few seconds at most, for them to end."""
        self.begun = True
        self._stop.set()
        sockets = set(self._sockets)
        log.info("shutting down: closing %d WebSockets (1001)", len(sockets))
        if sockets:
            await asyncio.wait(sockets, timeout=WEBSOCKETS_CLOSE_SECONDS)

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        """On SIGTERM (or SIGINT), drain first, then let uvicorn's handler have the signal.

        Only in the main thread (``devportal serve``); elsewhere (tests' servers in a
        thread), signals are not ours to take.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        previous = {number: signal.getsignal(number) for number in SIGNALS}
        tasks: set[asyncio.Task[None]] = set()

        def handler(number: int, frame: FrameType | None) -> None:
            then = previous[signal.Signals(number)]
            if self.begun:  # a second signal: uvicorn's own answer (force quit on ^C twice)
                _call(then, number, frame)
                return
            self.begun = True
            loop.call_soon_threadsafe(lambda: tasks.add(loop.create_task(drain(then, number))))

        async def drain(then: Any, number: int) -> None:
            await self.close_websockets()
            _call(then, number, None)

        for number in SIGNALS:
            signal.signal(number, handler)
        try:
            yield
        finally:
            for number, then in previous.items():
                if signal.getsignal(number) is handler:
                    signal.signal(number, then)


def _call(
    then: Callable[[int, FrameType | None], Any] | int | None, number: int, frame: FrameType | None
) -> None:
    if callable(then):
        then(number, frame)
    elif then == signal.SIG_DFL:
        signal.raise_signal(number)


class CloseOnDrain:
    """ASGI middleware: when the process begins to stop, each WebSocket closes with 1001.

    The app's next (or pending) receive reads a disconnect, so its handler ends the
    connection's subscriptions as if the client had left; what it sends after the
    close is dropped.
    """

    def __init__(self, app: ASGIApp, *, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        drain, closed = self.drain, False

        async def drained_receive() -> Message:
            nonlocal closed
            if not closed:
                receiving = asyncio.ensure_future(receive())
                stopping = asyncio.ensure_future(drain._stop.wait())
                done, _ = await asyncio.wait({receiving, stopping}, return_when=FIRST_COMPLETED)
                stopping.cancel()
                if receiving in done:
                    return receiving.result()
                receiving.cancel()
                closed = True
                await send({"type": "websocket.close", "code": GOING_AWAY, "reason": "going away"})
            return {"type": "websocket.disconnect", "code": GOING_AWAY}

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        task = asyncio.current_task()
        assert task is not None
        drain._sockets.add(task)
        try:
            await self.app(scope, drained_receive, guarded_send)
        finally:
            drain._sockets.discard(task)
