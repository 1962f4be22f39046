"""Subscribers that share one execution per event: same reads for many, nothing leaks.

Subscriptions with the same document, variables and audience (all admins, or one
developer) get one execution of each event and the same bytes; the rest of
them each get their own. Over real WebSockets against a real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from devportal.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.live import EVENTS, Live, registered, serve
from tests.servers import LEGACY_WS, GraphQLWebSocket
from tests.support import SmtpServer, counting_statements

# Each execution of this reads the application's owner and keys from the database.
READING = """
subscription($app: ID) { registrationEvents(applicationId: $app) {
  kind registration { id application { referenceId owner { email } credentials { keyPrefix } } } } }
"""


def _event(feed: GraphQLWebSocket) -> dict[str, Any]:
    payload = feed.next_payload()
    assert "errors" not in payload, payload
    event: dict[str, Any] = payload["data"]["registrationEvents"]
    return event


def _feeds(
    live: Live, token: str, count: int, query: str, variables: Any, counted_by: Live | None = None
) -> list[tuple[Any, str]]:
    """``count`` subscriptions on as few connections as the per-connection cap allows.

    ``counted_by``: the server whose join counter sees this one's joins too (two
    servers in one test process log to the same logger)."""
    per_feed = live.settings.max_subscriptions_per_connection
    feeds: list[tuple[Any, str]] = []
    while len(feeds) < count:
        connection = live.subscriber(token)
        assert connection.acknowledged()
        for n in range(min(per_feed, count - len(feeds))):
            connection.subscribe(query, variables, id=str(n))
            feeds.append((connection, str(n)))
    counter = counted_by or live
    counter.expected_joins += count
    counter.joined.wait_for(counter.expected_joins)
    return feeds


def _each_got(feeds: list[tuple[Any, str]], registration_id: str) -> None:
    """Every subscription got the event, in a ``next`` message of its own id."""
    wanted: dict[Any, set[str]] = {}
    for connection, id in feeds:
        wanted.setdefault(connection, set()).add(id)
    for connection, ids in wanted.items():
        got: set[str] = set()
        while len(got) < len(ids):
            message = connection.receive()
            assert message["type"] == "next", message
            event = message["payload"]["data"]["registrationEvents"]
            assert event["registration"]["id"] == registration_id
            got.add(message["id"])
        assert got == ids


def test_an_event_costs_the_same_reads_for_one_subscriber_as_for_many(live: Live) -> None:
    """Many subscribers of one document, variables and developer cost one execution."""
    dev, app_id, first = registered(live, "ada@example.com", "ada-app")
    second = live.catalog.register(dev.token, app_id, live.catalog.service("maps"))
    engine = live.app.state.db.engine.sync_engine
    variables = {"app": app_id}

    def reads_for(feeds: list[tuple[Any, str]], registration: dict[str, Any]) -> list[str]:
        with counting_statements(engine) as statements:
            live.catalog.decide("approveRegistration", registration["id"])
            _each_got(feeds, registration["id"])
        return statements

    alone = reads_for(_feeds(live, dev.token, 1, READING, variables), first)
    crowd = reads_for(_feeds(live, dev.token, 40, READING, variables), second)
    assert any("credential" in statement for statement in alone), alone  # it does read
    assert len(crowd) == len(alone), (alone, crowd)


def test_developers_sharing_a_document_never_see_each_others_events(live: Live) -> None:
    ada, _, ada_registration = registered(live, "ada@example.com", "ada-app")
    bob, _, bob_registration = registered(live, "bob@example.com", "bob-app", "maps")
    ada_feeds = [live.subscribe(ada.token, READING) for _ in range(3)]
    bob_feeds = [live.subscribe(bob.token, READING) for _ in range(3)]
    admin_feed = live.subscribe(live.portal.admin, READING)

    live.catalog.decide("approveRegistration", ada_registration["id"])
    live.catalog.decide("rejectRegistration", bob_registration["id"])
    for feed in ada_feeds:
        event = _event(feed)
        assert event["registration"]["id"] == ada_registration["id"]
        assert event["registration"]["application"]["owner"]["email"] == "ada@example.com"
    for feed in bob_feeds:  # Bob's first event is his own: Ada's never reached him
        event = _event(feed)
        assert event["registration"]["id"] == bob_registration["id"]
        assert event["registration"]["application"]["owner"]["email"] == "bob@example.com"
    assert [_event(admin_feed)["kind"] for _ in range(2)] == ["APPROVED", "REJECTED"]


def test_different_variables_get_different_answers(live: Live) -> None:
    ada, first_app, first = registered(live, "ada@example.com", "ada-app")
    second_app = live.catalog.application(ada.token, "ada-second")
    second = live.catalog.register(ada.token, second_app, live.catalog.service("maps"))
    first_feed = live.subscribe(ada.token, READING, {"app": first_app})
    second_feed = live.subscribe(ada.token, READING, {"app": second_app})
    every_feed = live.subscribe(ada.token, READING)

    live.catalog.decide("approveRegistration", first["id"])
    live.catalog.decide("approveRegistration", second["id"])
    assert _event(first_feed)["registration"]["id"] == first["id"]
    assert _event(second_feed)["registration"]["id"] == second["id"]  # not the first's
    assert [_event(every_feed)["registration"]["id"] for _ in range(2)] == [
        first["id"],
        second["id"],
    ]


def test_a_shared_feed_goes_on_when_some_of_its_subscribers_leave(live: Live) -> None:
    ada, app_id, registration = registered(live, "ada@example.com", "ada-app")
    staying = live.subscribe(ada.token, EVENTS, {"app": app_id})
    legacy = live.subscribe(ada.token, EVENTS, {"app": app_id}, protocol=LEGACY_WS)
    leaving = live.subscribe(ada.token, EVENTS, {"app": app_id})
    leaving.send({"id": "1", "type": "complete"})
    leaving.close()

    live.catalog.decide("approveRegistration", registration["id"])
    assert _event(staying)["kind"] == "APPROVED"
    assert _event(legacy)["kind"] == "APPROVED"  # the older protocol's "data", same answer
    staying.close()
    legacy.close()
    # With everyone gone, the group is gone; a new subscriber starts it again.
    again = live.subscribe(ada.token, EVENTS, {"app": app_id})
    live.catalog.decide("rejectRegistration", registration["id"])
    assert _event(again)["kind"] == "REJECTED"


def _reads_on_each(
    workers: tuple[Live, Live], token: str, app_id: str, count: int, registration: dict[str, Any]
) -> list[int]:
    """Statements on each server while ``count`` more subscribers on each get an event."""
    variables = {"app": app_id}
    feeds = [_feeds(w, token, count, READING, variables, workers[0]) for w in workers]
    with ExitStack() as counting:
        statements = [
            counting.enter_context(counting_statements(w.app.state.db.engine.sync_engine))
            for w in workers
        ]
        workers[0].catalog.decide("approveRegistration", registration["id"])
        for each in feeds:
            _each_got(each, registration["id"])
    assert any("credential" in statement for statement in statements[1]), statements
    return [len(each) for each in statements]


@pytest.fixture
def second_worker(settings: Settings, smtp: SmtpServer) -> Iterator[Live]:
    """Another server on the same database: its own engine, event listener, subscribers."""
    yield from serve(settings, smtp)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)")
def test_on_two_workers_each_reads_the_same_for_one_subscriber_as_for_many(
    live: Live, second_worker: Live
) -> None:
    """A change made through one server, heard by subscribers on it and on the other."""
    dev, app_id, first = registered(live, "ada@example.com", "ada-app")
    second = live.catalog.register(dev.token, app_id, live.catalog.service("maps"))
    workers = (live, second_worker)
    alone = _reads_on_each(workers, dev.token, app_id, 1, first)
    crowd = _reads_on_each(workers, dev.token, app_id, 20, second)
    assert crowd == alone
