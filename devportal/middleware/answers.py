"""How the middleware and the app answer what they refuse, as GraphQL over HTTP would.

Also the handlers for a database that cannot be reached: one log line and a 503
on every route, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import sqlalchemy as sa
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler, Scope
from starlette.websockets import WebSocket

log = logging.getLogger("devportal.http")


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
    log.warning("%s: database unreachable (%s); answered 503", where(request.scope), exc)
    if isinstance(request, WebSocket):
        await request.close(code=1011)
        return None
    retry = {"Retry-After": "5"}
    if request.url.path.startswith("/gateway/"):
        body = {"message": "Service temporarily unavailable"}
        return JSONResponse(body, status_code=503, headers=retry)
    message = "The portal cannot reach its database just now; try again shortly."
    return graphql_error(message, "INTERNAL_SERVER_ERROR", 503, **retry)


def where(scope: Scope) -> str:
    """Method and path for a log line: never the query string, which may hold a token."""
    return f"{scope.get('method', 'WebSocket')} {scope['path']}"
