"""Test helpers: a GraphQL client over HTTP, a real SMTP server, waiting on log lines."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import queue
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx2
from aiosmtpd.controller import Controller
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.testclient import TestClient

from devportal.db import Database
from devportal.events import TablesChanged

WAIT = 10.0  # seconds: a generous upper bound, never a sleep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """Collects what an aiosmtpd server receives."""

    def __init__(self) -> None:
        self._messages: queue.Queue[EmailMessage] = queue.Queue()
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._messages.put(message)
        return "250 OK"

    def next(self, timeout: float = WAIT) -> EmailMessage:
        message = self._messages.get(timeout=timeout)
        self.received.append(message)
        return message

    def wait_for(self, to: str, subject: str | None = None, timeout: float = WAIT) -> EmailMessage:
        """The next message to ``to`` (with ``subject`` in its subject, if given)."""
        for earlier in self.received:
            if _matches(earlier, to, subject):
                self.received.remove(earlier)
                return earlier
        while True:
            message = self._messages.get(timeout=timeout)
            if _matches(message, to, subject):
                return message
            self.received.append(message)

    def drain(self) -> list[EmailMessage]:
        while True:
            try:
                self.received.append(self._messages.get_nowait())
            except queue.Empty:
                return self.received


def _matches(message: EmailMessage, to: str, subject: str | None) -> bool:
    return message["To"] == to and (subject is None or subject in str(message["Subject"]))


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def token_from(message: EmailMessage) -> str:
    found = re.search(r"token=([A-Za-z0-9_\-]+)", body(message))
    assert found, body(message)
    return found.group(1)


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class LogWatch(logging.Handler):
    """Lets a test wait for a log line instead of sleeping."""

    def __init__(self, pattern: str) -> None:
        super().__init__(level=logging.DEBUG)
        self._pattern = re.compile(pattern)
        self.seen = threading.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self._pattern.search(record.getMessage()):
            self.records.append(record)
            self.seen.set()


H = TypeVar("H", bound=logging.Handler)


@contextmanager
def attached(logger_name: str, handler: H) -> Iterator[H]:
    """``handler`` on ``logger_name`` at every level, for the block's length."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def watching(logger_name: str, pattern: str = "") -> AbstractContextManager[LogWatch]:
    """Collect the records of ``logger_name`` (and below) matching ``pattern``."""
    return attached(logger_name, LogWatch(pattern))


class LogCounter(logging.Handler):
    """Counts log lines that match, and lets a test wait until there are enough."""

    def __init__(self, pattern: str) -> None:
        super().__init__(level=logging.DEBUG)
        self._pattern = re.compile(pattern)
        self._count = 0
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        if self._pattern.search(record.getMessage()):
            with self._changed:
                self._count += 1
                self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._count >= count, timeout):
                raise AssertionError(f"saw {self._count} lines, waited for {count}")


@dataclass
class GraphQLError:
    code: str
    message: str


class Api:
    """GraphQL over HTTP against the real app."""

    def __init__(self, client: httpx2.Client) -> None:
        self.client = client

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = self.post(query, variables, token)
        payload = response.json()
        assert not payload.get("errors"), payload["errors"]
        assert response.status_code == 200, payload
        return dict(payload["data"])

    def error(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> GraphQLError:
        payload = self.post(query, variables, token).json()
        errors = payload.get("errors")
        assert errors, payload
        assert len(errors) == 1, errors
        assert "extensions" in errors[0], errors
        return GraphQLError(errors[0]["extensions"]["code"], errors[0]["message"])


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements that requests send to ``engine`` while the block runs.

    All but those of the app's background workers (mail, housekeeping, the event
    listener, the gateway's key index and use recorder), which run in tasks of
    their own named ``devportal-…``.
    """
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith("devportal-"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def forget_caches(app: Any) -> None:
    """Empty every per-process cache of ``app``, as a write to every table would.

    For counting statements: a cache warmed by an earlier request must not make
    one count smaller than another.
    """
    app.state.db.bus.deliver([TablesChanged(tuple(SQLModel.metadata.tables))])


def app_database(client: TestClient) -> Database:
    """The database of the app a TestClient runs: to use from the app's event loop."""
    app = client.app
    assert isinstance(app, Starlette)
    db = app.state.db
    assert isinstance(db, Database)
    return db
