"""Events through PostgreSQL's event log: any size, in spite of out-of-order commits, and
not lost while a process cannot listen; read once per process, however many subscribe."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col
from websockets.exceptions import ConnectionClosed

from devportal.db import Database
from devportal.models import EventLogEntry
from devportal.models.base import utcnow
from devportal.pgbus import CHANNEL, LogCursor, PostgresBus
from devportal.resolvers.housekeeping import prune
from devportal.settings import Settings
from tests.conftest import POSTGRES_URL, make_settings
from tests.event_log import (
    CUT_LISTENERS,
    Heard,
    OtherProcess,
    email_in,
    refusing_new_connections,
    status_changed,
)
from tests.flows import CREATE_APP
from tests.live import DEVELOPERS, Live, serve
from tests.servers import GraphQLWebSocket
from tests.support import WAIT, LogCounter, SmtpServer

postgres_only = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)"
)


@pytest.fixture
def other(database_url: str) -> Iterator[OtherProcess]:
    process = OtherProcess(database_url)
    yield process
    process.close()


DESCRIBED = """
subscription { registrationEvents { registration { id application { description } } } }
"""


@pytest.mark.postgres
@postgres_only
def test_an_event_longer_than_notify_takes_commits_and_arrives(live: Live) -> None:
    description = ("東京の天気予報、" * 250)[:2000]  # the longest an application takes
    assert len(json.dumps(description)) > 8000  # NOTIFY's limit, in bytes
    dev = live.portal.developer("ada@example.com")
    version = live.catalog.service(auto_approve=True)
    app = {"name": "Forecasts", "referenceId": "forecasts", "description": description}
    app_id = live.portal.api.data(CREATE_APP, {"input": app}, dev.token)["createApplication"]["id"]
    feed = live.subscribe(dev.token, DESCRIBED)

    registration = live.catalog.register(dev.token, app_id, version)  # 12 kB of JSON
    event = feed.next_payload()["data"]["registrationEvents"]["registration"]
    assert event == {"id": registration["id"], "application": {"description": description}}


@pytest.mark.postgres
@postgres_only
def test_an_event_that_commits_after_a_later_one_still_arrives(
    live: Live, other: OtherProcess
) -> None:
    feed = live.subscribe(live.portal.admin, DEVELOPERS)
    held = other.hold(status_changed("late@example.com"))
    live.portal.sign_up("early@example.com")
    live.portal.confirm("early@example.com")
    assert email_in(feed) == "early@example.com"
    assert other.newest_id() > held  # a later id committed, and was read, first
    other.commit_held()
    assert email_in(feed) == "late@example.com"


@pytest.mark.postgres
@postgres_only
def test_an_awaited_event_is_looked_for_even_without_a_notification(
    live: Live, other: OtherProcess
) -> None:
    feed = live.subscribe(live.portal.admin, DEVELOPERS)
    other.hold(status_changed("quiet@example.com"), notify=False)
    other.publish(status_changed("loud@example.com"))
    assert email_in(feed) == "loud@example.com"
    other.commit_held()
    assert email_in(feed) == "quiet@example.com"  # found by the listener's periodic look


@pytest.mark.postgres
@postgres_only
def test_events_committed_while_the_listener_is_cut_arrive_once_it_is_back(
    settings: Settings,
    smtp: SmtpServer,
    other: OtherProcess,
    events_log: tuple[LogCounter, LogCounter],
) -> None:
    listening, lost = events_log
    for live in serve(settings, smtp):
        listening.wait_for(1)
        heard = Heard()
        live.app.state.db.bus.observe(heard)
        feed = live.subscribe(live.portal.admin, DEVELOPERS)
        with refusing_new_connections(other):
            assert other.sql(CUT_LISTENERS)[0] == 1
            lost.wait_for(1)
            other.publish(status_changed("missed@example.com"))
            lost.wait_for(2)  # a try to connect again was refused
        listening.wait_for(2)
        assert email_in(feed) == "missed@example.com"
        # Caches trusted nothing from the cut until what it missed was read.
        assert heard.told == [True, False, "missed@example.com", True]


def told_to_subscribe_again(feed: GraphQLWebSocket) -> bool:
    """Dropped as a subscriber that fell behind: an error, or the socket closed as too slow."""
    try:
        message = feed.receive()
    except ConnectionClosed:
        return feed.ws.close_code == 1008
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return bool(errors[0]["extensions"]["code"] == "RATE_LIMITED")


@pytest.mark.postgres
@postgres_only
def test_a_process_that_missed_too_much_tells_subscribers_to_start_again(
    settings: Settings,
    smtp: SmtpServer,
    other: OtherProcess,
    events_log: tuple[LogCounter, LogCounter],
) -> None:
    listening, lost = events_log
    for live in serve(settings, smtp):
        listening.wait_for(1)
        feed = live.subscribe(live.portal.admin, DEVELOPERS)
        with refusing_new_connections(other):
            assert other.sql(CUT_LISTENERS)[0] == 1
            lost.wait_for(1)
            other.sql(
                "INSERT INTO event_log (payload, created_at) "
                "SELECT '[]', now() FROM generate_series(1, 1001)"
            )
        listening.wait_for(2)
        assert told_to_subscribe_again(feed)
        # And it reads on from there.
        again = live.subscribe(live.portal.admin, DEVELOPERS)
        other.publish(status_changed("after@example.com"))
        assert email_in(again) == "after@example.com"


@pytest.mark.postgres
@postgres_only
def test_a_process_deaf_for_longer_than_the_log_keeps_tells_subscribers_to_start_again(
    database_url: str, smtp: SmtpServer, events_log: tuple[LogCounter, LogCounter]
) -> None:
    listening, lost = events_log
    settings = make_settings(
        database_url, smtp.port, event_log_keep_seconds=1, event_gap_seconds=0.9
    )
    for live in serve(settings, smtp):
        listening.wait_for(1)
        feed = live.subscribe(live.portal.admin, DEVELOPERS)
        other = OtherProcess(database_url)
        try:
            assert other.sql(CUT_LISTENERS)[0] == 1
        finally:
            other.close()
        lost.wait_for(1)
        listening.wait_for(2)  # at least the 0.5 s back-off later: longer than 1 - 0.9 s
        assert told_to_subscribe_again(feed)


@pytest.mark.postgres
@postgres_only
def test_each_event_is_read_once_per_process_however_many_subscribe(
    live: Live, other: OtherProcess
) -> None:
    dev = live.portal.developer("ada@example.com")
    version = live.catalog.service(auto_approve=True)
    app_id = live.catalog.application(dev.token)
    feeds = [live.subscribe(dev.token) for _ in range(50)]
    reads: list[str] = []
    listener = live.app.state.db.bus.connection
    listener.add_query_logger(lambda record: reads.append(record.query))
    before = other.newest_id()

    registration = live.catalog.register(dev.token, app_id, version)
    for feed in feeds:
        event = feed.next_payload()["data"]["registrationEvents"]
        assert event["registration"]["id"] == registration["id"]
    log_reads = len([query for query in reads if "event_log" in query])
    logged = other.newest_id() - before  # this transaction's, and any mail marked sent
    assert 1 <= log_reads <= logged < 5, (log_reads, logged)


@pytest.mark.postgres
@postgres_only
def test_a_notification_as_the_server_stops_does_not_keep_it_listening(
    settings: Settings,
) -> None:
    """The listener is cancelled in the same instant a notification wakes it. On Python
    3.11 ``asyncio.wait_for`` then swallowed the cancellation, the listener ran on and the
    server's shutdown waited for it forever."""

    async def scenario() -> None:
        db = Database(settings.database_url)
        bus = db.bus
        assert isinstance(bus, PostgresBus)
        await bus.start()
        assert bus.hearing
        bus._on_notification(None, 0, CHANNEL, "0")  # as asyncpg calls it
        stopping = asyncio.create_task(bus.stop())
        stopped, _ = await asyncio.wait({stopping}, timeout=WAIT)
        if not stopped:
            bus._task.cancel()  # type: ignore[union-attr]  # end the test, then fail it
        await stopping
        await db.dispose()
        assert stopped, "the listener ran on after it was cancelled"

    asyncio.run(scenario())


def test_a_gap_is_awaited_for_a_while_then_given_up() -> None:
    cursor = LogCursor(gap_seconds=60)
    cursor.start(10, [11, 14], now=0.0)
    assert (cursor.last, cursor.wanted(now=1.0)) == (14, [12, 13])
    cursor.advance([13, 15], now=2.0)
    assert cursor.wanted(now=59.0) == [12]
    assert [cursor.unread(row_id) for row_id in ("12", "13", "16")] == [True, False, True]
    assert cursor.wanted(now=60.0) == []
    assert not cursor.awaiting


def test_housekeeping_prunes_old_events_but_the_newest(settings: Settings) -> None:
    start = utcnow() - timedelta(days=1)

    async def scenario() -> tuple[int, list[int]]:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                session.add_all(
                    EventLogEntry(payload="[]", created_at=start + timedelta(minutes=n))
                    for n in range(3)
                )
            async with db.transaction() as session:
                pruned = await prune(
                    session=session, now=start + timedelta(hours=2), keep_events=timedelta(hours=1)
                )
            async with db.session() as session:
                kept = await session.scalars(
                    sa.select(col(EventLogEntry.created_at)).where(
                        col(EventLogEntry.created_at) < start + timedelta(hours=1)
                    )
                )
                minutes = [int((at - start).total_seconds() // 60) for at in kept]
            return pruned.events, minutes
        finally:
            await db.dispose()

    # On SQLite the newest of the three stays. On PostgreSQL the transactions' own events
    # (written now, a day later) are newer still, and all three go.
    expected = (3, []) if POSTGRES_URL else (2, [2])
    assert asyncio.run(scenario()) == expected
