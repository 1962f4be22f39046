"""``LimitBodies``: what one client may send, bounded.

A request body longer than ``DEVPORTAL_MAX_BODY_BYTES`` is answered 413 (at once
when its Content-Length says so, else as soon as the bytes streamed in pass the
limit), and a longer WebSocket message closes the socket with 1009. A client
that hangs up before its request is whole is one DEBUG line, not a traceback.
Pure ASGI (no BaseHTTPMiddleware): it sees the body as it streams.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devportal.middleware.answers import graphql_error, where

log = logging.getLogger("devportal.http")

MESSAGE_TOO_BIG = 1009  # WebSocket close code


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
            log.info("%s: refused a body of more than %d bytes (413)", where(scope), limit)
            message = f"The request body is larger than the limit of {limit} bytes."
            await graphql_error(message, "BAD_USER_INPUT", 413)(scope, receive, send)
        except ClientDisconnect:
            log.debug("%s: the client hung up before its request was whole", where(scope))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and _size(message) > limit:
                log.info("%s: a message of more than %d bytes; closed", where(scope), limit)
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
