"""What the people who run devportal see: readiness, request IDs, JSON logs, metrics, drain."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed

from devportal.health import newest_migration
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, portal_on
from tests.faults import sql
from tests.flows import ASK_RESET_PASSWORD, PASSWORD, Catalog, Portal
from tests.servers import ServerProcess, graphql_websocket
from tests.support import WAIT, Api, SmtpServer, body, token_from

ROOT = Path(__file__).resolve().parent.parent
VERIFY = "/gateway/verify/weather/v1"
RESET_PASSWORD = """
mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }
"""


def server_env(database_url: str, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        "DEVPORTAL_DATABASE_URL": database_url,
        "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "DEVPORTAL_PUBLIC_URL": "http://portal.test",
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **extra,
    }


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def test_readyz_is_ready_with_the_newest_schema_and_says_what_is_not(
    client: TestClient, database_url: str
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "eventBus": "ok", "shutdown": "ok"},
    }
    head = newest_migration()
    sql(database_url, "UPDATE alembic_version SET version_num = '0001'")
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["checks"]["migrations"] == f"at 0001, code expects {head}"
    assert client.get("/healthz").status_code == 200  # alive all the same
    sql(database_url, "UPDATE alembic_version SET version_num = :head", head=head)
    assert client.get("/readyz").status_code == 200


def _secrets_in(value: Any, found: set[str]) -> None:
    """Every token and key an answer holds."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in ("token", "key") and isinstance(item, str):
                found.add(item)
            _secrets_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _secrets_in(item, found)


def _whole_flow(client: httpx2.Client, smtp: SmtpServer) -> set[str]:
    """Sign-up to gateway check and a password reset; the secrets it used."""
    portal = portal_on(client, smtp)
    catalog = Catalog(portal)
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    key = catalog.approved_key(dev.token, version)
    assert client.get(VERIFY, headers={"apikey": key.key}).status_code == 200
    portal.api.data(ASK_RESET_PASSWORD, {"email": "ada@example.com"})
    reset = token_from(smtp.inbox.wait_for("ada@example.com", "password"))
    assert client.get("/reset-password", params={"token": reset}).status_code == 200
    new_password = "a brand new password"
    portal.api.data(RESET_PASSWORD, {"token": reset, "password": new_password})
    portal.log_in("ada@example.com", new_password)
    mailed = {token_from(message) for message in smtp.inbox.drain() if "token=" in body(message)}
    return {ADMIN_PASSWORD, PASSWORD, new_password, reset, key.key, *mailed}


def test_json_logs_carry_request_ids_operations_accounts_and_no_secret(
    database_url: str, smtp: SmtpServer
) -> None:
    env = {**server_env(database_url, smtp), "DEVPORTAL_LOG_FORMAT": "json"}
    server = ServerProcess(env, cwd=ROOT)
    secrets: set[str] = set()
    try:
        with httpx2.Client(base_url=server.url, timeout=WAIT) as client:
            client.event_hooks["response"] = [lambda r: _secrets_in(_json(r.read()), secrets)]
            secrets |= _whole_flow(client, smtp)
            dev = Portal(Api(client), smtp.inbox, admin_email="", admin_password="")
            token = dev.log_in("ada@example.com", "a brand new password")
            refused = client.post(
                "/graphql",
                json={"query": "query Pending { pendingDevelopers { totalCount } }"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-1.a:b"},
            )
            assert refused.headers["X-Request-ID"] == "trace-1.a:b"
            gateway = client.get(VERIFY, headers={"apikey": "nope", "X-Request-ID": "x" * 129})
            generated = gateway.headers["X-Request-ID"]
            assert re.fullmatch("[0-9a-f]{32}", generated)  # too long to echo: a new one
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.all_lines()]  # every line is JSON
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[-1])
    text = "\n".join(server.log)
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked
    assert len(secrets) >= 9  # three passwords, a key, tokens: admin, developer, two mailed
    traced = [line for line in lines if line["request_id"] == "trace-1.a:b"]
    assert {line["logger"] for line in traced} == {"devportal.graphql", "uvicorn.access"}
    developer = next(line for line in traced if line["logger"] == "devportal.graphql")
    assert developer["operation"] == "Pending"
    assert developer["account_id"].startswith("Developer:")
    assert "FORBIDDEN" in developer["message"]
    assert any(line["request_id"] == generated for line in lines)


def _slow_request(port: int, body: bytes) -> socket.socket:
    """A request whose body the test holds back: once the server answers ``100 Continue``,
    the app is running it and waits for the body."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    head = (
        "POST /graphql HTTP/1.1\r\nHost: portal.test\r\nContent-Type: application/json\r\n"
        f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode())
    assert connection.recv(100).startswith(b"HTTP/1.1 100 Continue")
    return connection


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_closes_websockets_going_away_and_lets_a_request_in_flight_finish(
    database_url: str, smtp: SmtpServer
) -> None:
    server = ServerProcess(server_env(database_url, smtp, DEVPORTAL_LOG_LEVEL="DEBUG"), ROOT)
    body = json.dumps({"query": "{ portal { name } }"}).encode()
    try:
        with httpx2.Client(base_url=server.url, timeout=WAIT) as client:
            admin = portal_on(client, smtp).admin
        with graphql_websocket(server.url, admin) as feed, _slow_request(server.port, body) as slow:
            assert feed.acknowledged()
            feed.subscribe("subscription { registrationEvents { kind } }")
            server.wait_for_line("subscriber joined")
            server.terminate()
            with pytest.raises(ConnectionClosed) as closed:
                feed.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1001
            server.wait_for_line("Waiting for connections to close")
            with pytest.raises(ConnectionRefusedError):  # no longer accepting
                socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
            slow.sendall(body)
            answer = _read_all(slow)
        assert answer.startswith(b"HTTP/1.1 200 OK"), answer
        assert b'"portal":{"name":' in answer
    finally:
        server.stop()


def test_sigterm_cancels_a_request_that_outlasts_the_shutdown_timeout(
    database_url: str, smtp: SmtpServer
) -> None:
    env = server_env(database_url, smtp, DEVPORTAL_SHUTDOWN_TIMEOUT_SECONDS="1")
    server = ServerProcess(env, ROOT)
    try:
        with _slow_request(server.port, b"{}" * 10) as stuck:
            server.terminate()
            server.wait_for_line("timeout graceful shutdown exceeded")
            answer = _read_all(stuck)  # cut, not left hanging
            assert answer.startswith(b"HTTP/1.1 500 Internal Server Error"), answer
    finally:
        server.stop()  # within its bound: a shutdown of a few seconds
