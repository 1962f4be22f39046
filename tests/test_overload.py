"""Bounded input and shed load, against a real server: no client can stall or swamp it."""

from __future__ import annotations

import json
import logging
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from graphql import get_introspection_query
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings
from tests.flows import ADMIN_LOG_IN, CREATE_SERVICE, PASSWORD, SIGN_UP
from tests.servers import LEGACY_WS, TRANSPORT_WS, graphql_websocket, threaded_server
from tests.support import WAIT, Api, SmtpServer, watching

PORTAL_NAME = json.dumps({"query": "{ portal { name } }"}).encode()
SERVICES = "{ services { totalCount } }"
JSON = {"Content-Type": "application/json"}


@dataclass
class Served:
    url: str
    api: Api

    def admin(self) -> str:
        data = self.api.data(ADMIN_LOG_IN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        return str(data["adminLogIn"]["token"])


@contextmanager
def serving(settings: Settings) -> Iterator[Served]:
    with (
        threaded_server(create_app(settings)) as url,
        httpx2.Client(base_url=url, timeout=WAIT) as client,
    ):
        yield Served(url, Api(client))


def settings_with(database_url: str, smtp: SmtpServer, **overrides: object) -> Settings:
    return make_settings(database_url, smtp.port, **overrides)


# --- raw HTTP, for what an HTTP client library will not send --------------------------------------


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname
    assert parts.port
    return socket.create_connection((parts.hostname, parts.port), timeout=WAIT)


def head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: portal.test", *headers, "", ""]
    return "\r\n".join(lines).encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the next response (Content-Length framed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = raw_head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


@contextmanager
def slot_holder(url: str) -> Iterator[socket.socket]:
    """A request that is running, and waits for a body it has not got yet.

    ``Expect: 100-continue`` makes the server say when the app first reads
    the body: from then on the request holds its slot, until the body is sent.
    """
    with closing(connect(url)) as sock:
        sock.sendall(
            head(
                "/graphql",
                "Content-Type: application/json",
                f"Content-Length: {len(PORTAL_NAME)}",
                "Expect: 100-continue",
            )
        )
        status, _, _ = read_response(sock)
        assert status == 100
        yield sock


def release(holder: socket.socket) -> None:
    holder.sendall(PORTAL_NAME)
    status, _, body = read_response(holder)
    assert status == 200, body


# --- request size ---------------------------------------------------------------------------------


def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = settings_with(database_url, smtp)
    with serving(settings) as served, closing(connect(served.url)) as sock:
        sock.sendall(head("/graphql", "Content-Type: application/json", "Content-Length: 31457280"))
        status, _, body = read_response(sock)  # not a byte of the 30 MB was sent
    assert status == 413
    [error] = json.loads(body)["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(settings.max_body_bytes) in error["message"]


def test_a_chunked_body_is_cut_at_the_limit(database_url: str, smtp: SmtpServer) -> None:
    limit = 16 * 1024
    settings = settings_with(database_url, smtp, max_body_bytes=limit)
    chunk = b"x" * 1024

    def chunked(size: int) -> bytes:
        return f"{size:x}\r\n".encode() + b"x" * size + b"\r\n"

    with serving(settings) as served:
        # Up to the limit, a body streams in as usual.
        padded = {"query": "{ portal { name } }", "padding": "x" * (limit - 100)}
        assert served.api.client.post("/graphql", json=padded).status_code == 200
        with closing(connect(served.url)) as sock:
            sock.sendall(
                head("/graphql", "Content-Type: application/json", "Transfer-Encoding: chunked")
            )
            for _ in range(limit // len(chunk)):
                sock.sendall(chunked(len(chunk)))
            sock.sendall(chunked(1))  # one byte over, and the body is not even finished
            status, _, body = read_response(sock)
    assert status == 413, body


def test_a_websocket_message_too_big_closes_the_socket(database_url: str, smtp: SmtpServer) -> None:
    limit = 64 * 1024
    settings = settings_with(database_url, smtp, max_body_bytes=limit)
    with serving(settings) as served:
        token = served.admin()
        with graphql_websocket(served.url, token, TRANSPORT_WS) as subscriber:
            assert subscriber.acknowledged()
            padding = "#" * limit  # a comment: a valid query, of more bytes than allowed
            subscriber.subscribe(padding + "\nsubscription { developerStatusChanged { id } }")
            with pytest.raises(ConnectionClosed):
                subscriber.receive()
            assert subscriber.ws.close_code == 1009


def test_a_huge_email_costs_no_more_than_reading_it(database_url: str, smtp: SmtpServer) -> None:
    """email-validator took 9.5 s on a 30 MB address, stalling every other request."""
    huge = "a" * 30_000_000 + "@example.com"
    settings = settings_with(database_url, smtp, max_body_bytes=64 * 1024 * 1024)

    def timed(query: str) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        variables = {"input": {"email": huge, "fullName": "Ada", "password": PASSWORD}}
        answer = served.api.post(query, variables)
        return time.perf_counter() - started, answer.json()

    with serving(settings) as served:
        # Baseline: the same body, refused by the parser, before anything reads the email.
        # The best of two of each, for a machine busy with other things.
        baseline = min(timed(SIGN_UP.replace("signUp", "signUp("))[0] for _ in range(2))
        (elapsed, refused), (again, _) = timed(SIGN_UP), timed(SIGN_UP)
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "longer than" in error["message"]
    assert min(elapsed, again) < 4 * baseline + 1.0, (elapsed, again, baseline)


# --- shedding load --------------------------------------------------------------------------------


def test_a_request_waiting_too_long_is_answered_503_and_other_lanes_go_on(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = settings_with(
        database_url, smtp, max_concurrent_requests=1, queue_timeout_seconds=0.5
    )
    with serving(settings) as served, slot_holder(served.url) as holder:
        client = served.api.client
        started = time.perf_counter()
        busy = client.post("/graphql", content=PORTAL_NAME, headers=JSON)
        assert time.perf_counter() - started < WAIT
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # The gateway check has a lane of its own, and /healthz none.
        assert client.get("/gateway/verify/weather/v1").status_code == 401
        assert client.get("/healthz").status_code == 200
        release(holder)
        assert served.api.data("{ portal { name } }") == {"portal": {"name": "Developer Portal"}}


def test_a_request_whose_client_left_while_it_waited_is_not_run(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = settings_with(
        database_url, smtp, max_concurrent_requests=1, queue_timeout_seconds=WAIT * 3
    )
    with serving(settings) as served:
        token = served.admin()
        mutation = {
            "query": CREATE_SERVICE,
            "variables": {"input": {"slug": "never", "name": "Never", "description": ""}},
        }
        body = json.dumps(mutation).encode()
        with (
            watching("devportal.http", "waits for a slot") as queued,
            watching("devportal.http", "hung up while it waited") as gone,
            slot_holder(served.url) as holder,
        ):
            with closing(connect(served.url)) as leaving:
                leaving.sendall(
                    head(
                        "/graphql",
                        "Content-Type: application/json",
                        f"Authorization: Bearer {token}",
                        f"Content-Length: {len(body)}",
                    )
                    + body
                )
                assert queued.seen.wait(WAIT)
            assert gone.seen.wait(WAIT)
            release(holder)
        # Whatever waited behind the slot holder has had its turn by now.
        assert served.api.data(SERVICES, token=token) == {"services": {"totalCount": 0}}


def test_a_client_that_hangs_up_mid_body_is_one_quiet_line(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = settings_with(database_url, smtp)
    with (
        serving(settings) as served,
        watching("uvicorn.error") as server_log,
        watching("devportal.http", "hung up before its request was whole") as ours,
    ):
        with closing(connect(served.url)) as sock:
            sock.sendall(head("/graphql", "Content-Type: application/json", "Content-Length: 100"))
            sock.sendall(b'{"query": ')
        assert ours.seen.wait(WAIT)
    assert [r.getMessage() for r in server_log.records if r.exc_info] == []
    assert all(r.exc_info is None for r in ours.records)


def test_a_websocket_client_gone_mid_answer_leaves_no_traceback(
    database_url: str, smtp: SmtpServer
) -> None:
    """Answers blocked on a client that reads nothing, then the client vanishes.

    On graphql-ws each answer still on its way was a "Task exception was never
    retrieved" traceback (graphql-transport-ws cancels them first).
    """
    big = {"query": get_introspection_query()}  # about 70 KB an answer
    with (
        serving(settings_with(database_url, smtp)) as served,
        watching("") as everything,
        watching("devportal.graphql", "went away before its answer") as quiet,
    ):
        token = served.admin()
        with graphql_websocket(served.url, token, LEGACY_WS) as connection:
            connection.ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            assert connection.acknowledged()
            for n in range(60):  # megabytes of answers: the server's sends block
                connection.send({"id": str(n), "type": "start", "payload": big})
            assert connection.next_payload()["data"]["__schema"]
            # Gone at once, unread answers and all: a reset, not a close handshake.
            linger = struct.pack("ii", 1, 0)
            connection.ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            connection.ws.socket.close()
        assert quiet.seen.wait(WAIT)
        # The server has moved on: what the lost connection left behind has run its course.
        assert served.api.client.get("/healthz").status_code == 200
    server_side = ("devportal", "strawberry", "asyncio", "uvicorn")
    failures = [
        f"{r.name}: {r.getMessage()}"
        for r in everything.records
        if r.name.startswith(server_side) and (r.exc_info or r.levelno >= logging.ERROR)
    ]
    assert failures == []
