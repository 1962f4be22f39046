"""Log lines that say which request made them, as text or as one JSON object per line.

``RequestIds`` (ASGI middleware, outermost) gives every HTTP request and WebSocket
connection a request ID: the caller's ``X-Request-ID`` when it is a plausible one
(at most ``MAX_REQUEST_ID`` characters of letters, digits and ``-._:+/=``, so
no header or log line ever echoes arbitrary text), else a new one. It is
returned in the response's ``X-Request-ID`` (the gateway check's too, so a proxy
can pass it to the API behind it) and is on every log line the request causes.
The GraphQL operation's name and the account it runs for are added to the same
``RequestInfo`` as they become known.

``DEVPORTAL_LOG_FORMAT=json`` writes each line as a JSON object: ``time``,
``level``, ``logger``, ``message``, ``request_id``, ``operation``,
``account_id`` (and ``exc_info`` for a traceback). Secrets never reach a log
line in the first place (tokens and keys are hashed before use; uvicorn's
lines have secret query parameters blanked by ``RedactSecrets``).
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

HEADER = "X-Request-ID"
MAX_OPERATION_NAME = 100
ANONYMOUS = "(anonymous)"
"""The operation name of an operation without one."""
MAX_REQUEST_ID = 128
_VALID_ID = re.compile(rf"[A-Za-z0-9\-._:+/=]{{1,{MAX_REQUEST_ID}}}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Query parameters whose values are secrets: mailed links carry one-time tokens.
_SECRET_PARAMETER = re.compile(
    r"([?&](?:token|password|secret|key|apikey|api_key|access_token)=)[^&#\s\"]*", re.IGNORECASE
)


@dataclass
class RequestInfo:
    request_id: str
    operation: str | None = None
    account_id: str | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("devportal_request", default=None)


def current() -> RequestInfo | None:
    """The request (or WebSocket connection) this code runs for, if any."""
    return _current.get()


def note(*, operation: str | None = None, account_id: str | None = None) -> None:
    """Add what became known about the current request to its log lines."""
    info = _current.get()
    if info is None:
        return
    if operation is not None:
        info.operation = operation[:MAX_OPERATION_NAME]
    if account_id is not None:
        info.account_id = account_id


def fork() -> None:
    """One operation of a WebSocket: its own copy, so operations do not overwrite each other."""
    info = _current.get()
    if info is not None:
        _current.set(replace(info))


# A new ID is this process's random prefix and a count: as unique as a uuid4, which cost
# the gateway check about 3 % of its time. A forked child draws a prefix of its own.
_PROCESS = secrets.token_hex(8)
_counter = itertools.count(1)


def _new_process() -> None:
    global _PROCESS, _counter
    _PROCESS, _counter = secrets.token_hex(8), itertools.count(1)


os.register_at_fork(after_in_child=_new_process)


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _VALID_ID.fullmatch(text):
                return text
            break
    return f"{_PROCESS}{next(_counter):016x}"


class RequestIds:
    """Sets the request's ``RequestInfo`` and answers with its ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id_from(scope))
        header = (b"x-request-id", info.request_id.encode())
        token = _current.set(info)

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)


class RequestContext(logging.Filter):
    """Puts the current request's ID, operation and account on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _current.get()
        record.request_id = info.request_id if info else None
        record.operation = info.operation if info else None
        record.account_id = info.account_id if info else None
        return True


class RedactSecrets(logging.Filter):
    """Blanks secret query parameters in uvicorn's lines, which print each request's URL.

    ``GET /reset-password?token=…`` would otherwise leave a usable one-time
    token in the access log. Only the arguments change, so uvicorn's own
    formatters, which read them by position, still work.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PARAMETER.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": ["levelname", "name", "message", "request_id", "operation", "account_id"],
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
    # uvicorn's coloured copy of its message, and anything else a library adds.
    "reserved_attrs": [*RESERVED_ATTRS, "color_message", "taskName"],
}


def logging_config(level: str = "INFO", log_format: str = "text") -> dict[str, Any]:
    """Uvicorn's own logging plus ours; uvicorn applies it in every worker process."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["devportal"] = {"format": TEXT_FORMAT}
    if log_format == "json":
        for name in ("default", "access", "devportal"):
            config["formatters"][name] = dict(JSON_FORMATTER)
    config["handlers"]["devportal"] = {
        "class": "logging.StreamHandler",
        "formatter": "devportal",
        "stream": "ext://sys.stderr",
    }
    for name in ("devportal", "alembic"):
        config["loggers"][name] = {"handlers": ["devportal"], "level": level, "propagate": False}
    config["filters"] = {
        "redact_secrets": {"()": RedactSecrets},
        "request_context": {"()": RequestContext},
    }
    for name in ("uvicorn.access", "uvicorn.error"):  # the error log names WebSocket URLs
        config["loggers"][name]["filters"] = ["redact_secrets"]
    for handler in config["handlers"].values():
        handler["filters"] = ["request_context"]
    if log_format == "json":  # what other libraries log (asyncio, warnings) as JSON too
        config["root"] = {"handlers": ["devportal"], "level": "WARNING"}
    return config
