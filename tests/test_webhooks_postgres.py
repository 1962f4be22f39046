"""Webhooks on PostgreSQL with two server processes: each delivery is sent exactly once."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.conftest import ADMIN_EMAIL as ADMIN
from tests.conftest import ADMIN_PASSWORD as PASSWORD
from tests.conftest import POSTGRES_URL
from tests.flows import GENERATE_KEY, REVOKE_KEY, Catalog, Portal
from tests.receiver import Receiver, create_webhook
from tests.servers import ServerProcess
from tests.support import WAIT, Api, SmtpServer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)"),
]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().serving() as serving:
        yield serving


def test_two_processes_send_each_of_200_deliveries_exactly_once(
    database_url: str, smtp: SmtpServer, receiver: Receiver
) -> None:
    env = {
        "DEVPORTAL_DATABASE_URL": database_url,
        "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN,
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
        "DEVPORTAL_WEBHOOK_ALLOW_HTTP": "true",
        "DEVPORTAL_WEBHOOK_ALLOW_PRIVATE": "true",
        "DEVPORTAL_WEBHOOK_POLL_SECONDS": "0.05",  # both look for work all the time
        "DEVPORTAL_LOG_LEVEL": "DEBUG",
    }
    a, b = ServerProcess(env, cwd=ROOT), ServerProcess(env, cwd=ROOT)
    try:
        with httpx2.Client(base_url=a.url) as on_a, httpx2.Client(base_url=b.url) as on_b:
            apis = [Api(on_a), Api(on_b)]
            portal = Portal(apis[0], smtp.inbox, admin_email=ADMIN, admin_password=PASSWORD)
            ada = portal.developer("ada@example.com")
            app = Catalog(portal).application(ada.token)
            events = ["CREDENTIAL_CREATED", "CREDENTIAL_REVOKED"]
            hook = create_webhook(apis[1], portal.admin, receiver.url, events)
            for i in range(100):  # 200 events, made on both processes
                made = apis[i % 2].data(GENERATE_KEY, {"app": app}, ada.token)
                key = made["generateCredential"]["credential"]["id"]
                apis[(i + 1) % 2].data(REVOKE_KEY, {"id": key}, ada.token)
            got = receiver.take(200, timeout=WAIT * 3)
            assert len({request.webhook_id for request in got}) == 200
            sent = _sent_by_each([a, b], 200)
            assert sum(sent) == 200
            assert all(sent), sent  # both took part
            rows = _all_deliveries(apis[0], portal.admin, hook["id"])
            assert len(rows) == 200
            assert {(row["status"], row["attempts"]) for row in rows} == {("DELIVERED", 1)}
            assert receiver.pending() == 0
    finally:
        a.stop()
        b.stop()


def _all_deliveries(api: Api, admin: str, webhook_id: str) -> list[dict[str, Any]]:
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Webhook {
      deliveries(first: 100, after: $after) { pageInfo { endCursor hasNextPage }
      nodes { status attempts } } } } }"""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.data(query, {"id": webhook_id, "after": after}, admin)["node"]["deliveries"]
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def _sent_by_each(processes: list[ServerProcess], count: int) -> list[int]:
    """How many deliveries each process recorded as delivered, once they add up to
    ``count`` (each process logs one line per delivery at DEBUG)."""
    sent = [0] * len(processes)
    deadline = time.monotonic() + WAIT * 6
    while sum(sent) < count:
        for i, process in enumerate(processes):
            with contextlib.suppress(AssertionError):
                process.wait_for_line(r"webhook delivery \d+ delivered", timeout=0.1)
                sent[i] += 1
        assert time.monotonic() < deadline, f"only {sent} delivered"
    return sent
