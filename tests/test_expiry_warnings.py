"""Expiry warnings: one mail per key, a warning window before it expires, on every process
at most once in all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import (
    POSTGRES_URL,
    MovableClock,
    make_settings,
    portal_on,
)
from tests.flows import Catalog, Portal
from tests.servers import ServerProcess
from tests.support import LogCounter, SmtpServer, attached, body

GENERATE = """
mutation($app: ID!, $name: String, $expiresAt: DateTime) {
  generateCredential(applicationId: $app, name: $name, expiresAt: $expiresAt) {
    key credential { id keyPrefix } } }
"""
SUBJECT = "expires"


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def warnings_queued(database_url: str) -> int:
    """Warning mails in the outbox, sent or not: a duplicate would show here first."""

    async def count() -> int:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                query = "SELECT count(*) FROM outbox_message WHERE subject LIKE '%credential%'"
                return int((await connection.execute(sa.text(query))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.fixture
def quick(database_url: str, smtp: SmtpServer) -> Iterator[Portal]:
    settings = make_settings(database_url, smtp.port, housekeeping_interval_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        yield portal_on(client, smtp)


def test_one_warning_per_key_within_the_window(
    quick: Portal, database_url: str, clock: MovableClock
) -> None:
    dev = quick.developer("ada@example.com")
    app_id = Catalog(quick).application(dev.token, "ada-app", "Ada's dashboard")

    def key(**arguments: str) -> str:
        data = quick.api.data(GENERATE, {"app": app_id, **arguments}, dev.token)
        return str(data["generateCredential"]["credential"]["keyPrefix"])

    rounds = LogCounter("housekeeping round done")
    with attached("devportal.housekeeping", rounds):
        soon = key(name="production", expiresAt=in_days(3))
        later = key(expiresAt=in_days(10))
        key()  # never expires: never warned about
        message = quick.inbox.wait_for("ada@example.com", SUBJECT)
        assert soon in str(message["Subject"])
        text = body(message)
        for named in ("Ada's dashboard", soon, "production"):
            assert named in text
        assert "http://portal.test/applications" in text

        rounds.wait_for(rounds._count + 3)  # three more rounds: no second mail
        assert warnings_queued(database_url) == 1

        clock.advance(timedelta(days=4))  # the later key is now 6 days from expiry
        second = quick.inbox.wait_for("ada@example.com", SUBJECT)
        assert later in str(second["Subject"])
        rounds.wait_for(rounds._count + 3)
        assert warnings_queued(database_url) == 2


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.server_env(DEVPORTAL_HOUSEKEEPING_INTERVAL_SECONDS="0.05")
def test_two_processes_warn_about_each_key_exactly_once(
    two_servers: tuple[ServerProcess, ServerProcess], database_url: str, smtp: SmtpServer
) -> None:
    servers = list(two_servers)
    with httpx2.Client(base_url=servers[0].url) as client:
        portal = portal_on(client, smtp)
        dev = portal.developer("ada@example.com")
        app_id = Catalog(portal).application(dev.token)
        for n in range(8):
            variables = {"app": app_id, "name": f"key {n}", "expiresAt": in_days(2)}
            portal.api.data(GENERATE, variables, dev.token)
        for _ in range(8):
            smtp.inbox.wait_for("ada@example.com", SUBJECT)
    for server in servers:
        server.skip_backlog()
    for server in servers:  # each has had rounds since: none warned again
        for _ in range(3):
            server.wait_for_line("housekeeping round done")
    assert warnings_queued(database_url) == 8
    warned_by = [s for s in servers if any("credentials about to expire" in x for x in s.log)]
    assert warned_by, "no process logged its warnings"
