"""The event bus: bounded subscriber queues, the wire format, and PostgreSQL reconnection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from devportal.events import (
    DeveloperStatusChanged,
    InProcessBus,
    RegistrationChanged,
    SessionsEnded,
    SubscriberOverflow,
    decode,
    encode,
)
from devportal.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.flows import DeveloperLogin
from tests.support import LogCounter, SmtpServer, attached
from tests.test_subscriptions import Live, serve

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_a_subscriber_that_falls_behind_is_dropped_not_buffered() -> None:
    async def scenario() -> None:
        bus = InProcessBus(max_queued=3)
        dropped: list[bool] = []
        async with bus.subscribe(lambda: dropped.append(True)) as slow:
            for n in range(10):
                bus.deliver([DeveloperStatusChanged(n, "PENDING", NOW)])
            assert dropped == [True]
            for n in range(3):
                assert (await slow.next()) == DeveloperStatusChanged(n, "PENDING", NOW)
            with pytest.raises(SubscriberOverflow):
                await slow.next()
        assert bus.subscriber_count == 0

    asyncio.run(scenario())


def test_events_cross_processes_unchanged() -> None:
    registration = RegistrationChanged(
        kind="APPROVED",
        registration_id=1,
        service_version_id=2,
        status="APPROVED",
        created_at=NOW,
        updated_at=NOW,
        at=NOW,
        application_id=3,
        developer_id=4,
        application_name="Ada's app",
        application_reference_id="ada-1",
        application_description=None,
        application_created_at=NOW,
        application_updated_at=NOW,
    )
    for event in (
        registration,
        SessionsEnded(token_digest="ab"),
        DeveloperStatusChanged(1, "X", NOW),
    ):
        assert decode(encode(event)) == event


@pytest.fixture
def events_log() -> Iterator[tuple[LogCounter, LogCounter]]:
    with (
        attached("devportal.events", LogCounter("listening on PostgreSQL")) as listening,
        attached("devportal.events", LogCounter("connection to PostgreSQL lost")) as lost,
    ):
        yield listening, lost


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)")
def test_a_lost_listener_connection_comes_back(
    settings: Settings, smtp: SmtpServer, events_log: tuple[LogCounter, LogCounter]
) -> None:
    """...and each outage waits as little as the first did: the back-off starts again."""
    listening, lost = events_log
    with attached("devportal.events", LogCounter(r"retrying in 0\.5 s")) as soon:
        for live in serve(settings, smtp):
            listening.wait_for(1)
            for outage in range(1, 4):
                terminate_listeners(settings.database_url)
                lost.wait_for(outage)
                listening.wait_for(1 + outage)
            soon.wait_for(3, timeout=0)
            dev, app_id = _developer_with_application(live)
            feed = live.subscribe(dev.token)
            live.catalog.register(dev.token, app_id, live.catalog.service(auto_approve=True))
            assert feed.next_payload()["data"]["registrationEvents"]["kind"] == "CREATED"


def _developer_with_application(live: Live) -> tuple[DeveloperLogin, str]:
    dev = live.portal.developer("ada@example.com")
    return dev, live.catalog.application(dev.token)


def terminate_listeners(database_url: str) -> None:
    """Cut the server's LISTEN connection from PostgreSQL's side."""

    async def terminate() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as connection:
            killed = await connection.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'devportal-events' AND datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            )
        await engine.dispose()
        assert killed, "no LISTEN connection found"

    asyncio.run(terminate())
