"""What subscriptions cost and how they are bounded: nothing published for a rolled back
mutation, a cap per connection, keep-alives, no database connection held, and as many
reads for an event with one subscriber as with many."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.conftest import make_settings
from tests.faults import sql
from tests.live import DEVELOPERS, EVENTS, Live, ended, registered, serve
from tests.servers import LEGACY_WS, GraphQLWebSocket
from tests.support import WAIT, LogCounter, SmtpServer, attached, counting_statements


def test_a_rolled_back_mutation_publishes_nothing(live: Live) -> None:
    pending = live.catalog.service("weather")
    instant = live.catalog.service("maps", auto_approve=True)
    dev = live.portal.developer("ada@example.com")
    app_id = live.catalog.application(dev.token)
    feed = live.subscribe(dev.token)

    sql(live.settings.database_url, "DROP TABLE outbox_message")
    # Registering for a version that needs an admin mails the admins: that fails now.
    failed = live.portal.api.error(
        "mutation($a: ID!, $v: ID!) { registerApplication(applicationId: $a, "
        "serviceVersionId: $v) { id } }",
        {"a": app_id, "v": pending.id},
        dev.token,
    )
    assert failed.code == "INTERNAL_SERVER_ERROR"
    ok = live.catalog.register(dev.token, app_id, instant)
    event = feed.next_payload()["data"]["registrationEvents"]
    assert event["registration"]["id"] == ok["id"]
    assert event["registration"]["serviceVersion"]["service"]["slug"] == "maps"


def test_subscriptions_per_connection_are_capped(database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp.port, max_subscriptions_per_connection=2)
    for live in serve(settings, smtp):
        feed = live.subscriber(live.portal.admin)
        assert feed.acknowledged()
        for n in range(2):
            feed.subscribe(EVENTS, id=str(n))
        live.joined.wait_for(2)
        feed.subscribe(DEVELOPERS, id="2")
        assert ended(feed) == "RATE_LIMITED"
        assert feed.receive() == {"id": "2", "type": "complete"}
        # Queries on the same connection are not subscriptions: they still run.
        feed.subscribe("{ portal { name } }", id="3")
        assert feed.next_payload()["data"]["portal"]["name"]
        # Ending a subscription frees its place.
        feed.send({"id": "0", "type": "complete"})
        feed.subscribe(DEVELOPERS, id="4")
        live.joined.wait_for(3)


def test_keep_alive_messages_on_the_older_protocol(database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp.port, websocket_keep_alive_seconds=0.05)
    for live in serve(settings, smtp):
        feed = live.subscriber(live.portal.admin, LEGACY_WS)
        raw = [feed.ws.recv(5) for _ in range(3)]
        assert '"ka"' in "".join(str(m) for m in raw)


@contextmanager
def connections_held(live: Live) -> Iterator[set[int]]:
    """The pooled connections that requests and subscriptions hold, as the block runs.

    The app's background workers (mail, housekeeping), in tasks named
    ``devportal-…``, take and return their own: they are not counted.
    """
    held: set[int] = set()

    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith("devportal-"):
            held.add(id(record))

    def checkin(_dbapi: Any, record: Any) -> None:
        held.discard(id(record))

    pool = live.app.state.db.engine.pool
    sa.event.listen(pool, "checkout", checkout)
    sa.event.listen(pool, "checkin", checkin)
    try:
        yield held
    finally:
        sa.event.remove(pool, "checkout", checkout)
        sa.event.remove(pool, "checkin", checkin)


def test_subscriptions_hold_no_database_connection(live: Live) -> None:
    """Subscribing checks the application in a session of its own, closed at once: a
    listening, ended or abandoned subscription holds no pooled connection."""
    dev, app_id, _ = registered(live, "ada@example.com", "ada-app")
    per_feed = live.settings.max_subscriptions_per_connection
    count = 2 * per_feed  # more than the PostgreSQL pool holds (10 + 10 overflow)
    with (
        attached("devportal.live", LogCounter("subscriber left")) as left,
        connections_held(live) as held,
    ):
        feeds = [live.subscriber(dev.token) for _ in range(2)]
        for feed in feeds:
            assert feed.acknowledged()
            for n in range(per_feed):
                feed.subscribe(EVENTS, {"app": app_id}, id=str(n))
        live.joined.wait_for(count)
        assert held == set()
        for n in range(per_feed):
            feeds[0].send({"id": str(n), "type": "complete"})
        left.wait_for(per_feed)
        assert held == set()
        feeds[1].close()  # the rest end with the connection
        left.wait_for(count)
        assert held == set()
    answer = live.portal.api.client.get("/gateway/verify/weather/v1", timeout=WAIT)
    assert answer.status_code == 401


def test_an_event_costs_the_same_reads_for_one_subscriber_as_for_many(live: Live) -> None:
    """What an event's subscribers ask of the catalog is read once per process, not once each."""
    dev, app_id, first = registered(live, "ada@example.com", "ada-app")
    second = live.catalog.register(dev.token, app_id, live.catalog.service("maps"))
    engine = live.app.state.db.engine.sync_engine
    per_feed = live.settings.max_subscriptions_per_connection
    warm_up = (
        "{ myApplications { nodes { registrations { serviceVersion { service { slug } } } } } }"
    )
    live.portal.api.data(warm_up, token=dev.token)

    def reads_for(feeds: list[tuple[GraphQLWebSocket, int]], registration: dict[str, Any]) -> int:
        """Statements run while ``registration`` is approved and each feed gets its events."""
        with counting_statements(engine) as statements:
            live.catalog.decide("approveRegistration", registration["id"])
            for feed, events in feeds:
                for _ in range(events):
                    assert "errors" not in feed.next_payload()
        return len(statements)

    one = live.subscribe(dev.token, variables={"app": app_id})
    alone = reads_for([(one, 1)], first)
    many = [live.subscriber(dev.token) for _ in range(2)]
    for feed in many:
        assert feed.acknowledged()
        for n in range(per_feed):
            feed.subscribe(EVENTS, {"app": app_id}, id=str(n))
    live.joined.wait_for(1 + 2 * per_feed)
    crowd = reads_for([(one, 1)] + [(feed, per_feed) for feed in many], second)
    assert crowd == alone
