"""The event bus: bounded subscriber queues, the wire format, and PostgreSQL reconnection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from devportal.errors import RateLimited
from devportal.events import (
    DeveloperStatusChanged,
    Event,
    InProcessBus,
    RegistrationChanged,
    SessionsEnded,
    decode,
    encode,
)
from devportal.models import Admin
from devportal.resolvers.accounts import Authenticated
from devportal.resolvers.fanout import Hub
from devportal.resolvers.fanout_groups import SharedGroup
from devportal.resolvers.live import Interest, Readers
from devportal.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.flows import DeveloperLogin
from tests.live import Live, serve
from tests.support import LogCounter, SmtpServer, attached

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


ADMIN = Authenticated(
    Admin(id=1, email="admin@example.com", password_hash="-"), NOW.replace(year=2100), "d"
)


async def _everyone_sees(event: Event) -> Readers:
    return lambda viewer: True


def test_a_subscriber_that_falls_behind_is_dropped_not_buffered() -> None:
    async def scenario() -> None:
        bus = InProcessBus(max_queued=3)
        hub = Hub(bus, _everyone_sees)
        dropped: list[bool] = []
        interest = Interest(DeveloperStatusChanged)
        slow = hub.join_solo(ADMIN, interest, lambda: dropped.append(True))
        for n in range(10):
            bus.deliver([DeveloperStatusChanged(n, "PENDING", NOW)])
        for n in range(3):  # the hub hands them on in a task of its own, all at once
            assert (await slow.next()) == DeveloperStatusChanged(n, "PENDING", NOW)
        assert dropped == [True]
        with pytest.raises(RateLimited):
            await slow.next()
        hub.leave(slow)
        assert (hub.member_count, bus.subscriber_count) == (0, 0)

    asyncio.run(scenario())


def test_members_of_a_group_share_one_execution_and_get_only_later_events() -> None:
    async def scenario() -> None:
        bus = InProcessBus()
        hub = Hub(bus, _everyone_sees)
        executed: list[int] = []

        async def lead(group: SharedGroup) -> None:
            async for event in group.events():
                assert isinstance(event, DeveloperStatusChanged)
                executed.append(event.developer_id)
                group.publish(f"answer {event.developer_id}")

        interest = Interest(DeveloperStatusChanged)
        early = [hub.join_shared(ADMIN, interest, "doc", lead) for _ in range(500)]
        bus.deliver([DeveloperStatusChanged(1, "PENDING", NOW)])
        late = hub.join_shared(ADMIN, interest, "doc", lead)
        bus.deliver([DeveloperStatusChanged(2, "PENDING", NOW)])
        for member in early:
            assert [await member.next(), await member.next()] == ["answer 1", "answer 2"]
        assert await late.next() == "answer 2"  # it joined after the first event
        assert executed == [1, 2]  # once for all 501 of them
        for member in [*early, late]:
            hub.leave(member)
        assert (hub.member_count, bus.subscriber_count) == (0, 0)

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
