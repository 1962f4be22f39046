"""Subscriptions over real WebSockets against a real uvicorn server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings
from tests.flows import UNREGISTER, Catalog, Portal
from tests.servers import LEGACY_WS, GraphQLWebSocket, graphql_websocket, threaded_server
from tests.support import WAIT, Api, LogCounter, SmtpServer, attached, counting_statements, watching

EVENTS = """
subscription($app: ID) { registrationEvents(applicationId: $app) {
  kind at registration { id status application { referenceId name }
  serviceVersion { name service { slug } } } } }
"""
DEVELOPERS = "subscription { developerStatusChanged { id email status } }"


@dataclass
class Live:
    url: str
    portal: Portal
    catalog: Catalog
    joined: LogCounter
    settings: Settings
    connections: ExitStack
    app: Starlette

    def subscriber(
        self, token: str | None, protocol: str = "graphql-transport-ws"
    ) -> GraphQLWebSocket:
        return self.connections.enter_context(graphql_websocket(self.url, token, protocol))

    def subscribe(
        self, token: str, query: str = EVENTS, variables: dict[str, Any] | None = None, **kw: Any
    ) -> GraphQLWebSocket:
        """A connection with one subscription that is listening by the time this returns."""
        subscriber = self.subscriber(token, **kw)
        assert subscriber.acknowledged()
        self.expected_joins += 1
        subscriber.subscribe(query, variables)
        self.joined.wait_for(self.expected_joins)
        return subscriber

    expected_joins: int = 0


def serve(settings: Settings, smtp: SmtpServer) -> Iterator[Live]:
    app = create_app(settings)
    with (
        attached("devportal.live", LogCounter("subscriber joined")) as joined,
        threaded_server(app) as url,
        httpx2.Client(base_url=url) as client,
        ExitStack() as connections,
    ):
        portal = Portal(
            Api(client), smtp.inbox, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD
        )
        yield Live(url, portal, Catalog(portal), joined, settings, connections, app)


@pytest.fixture
def live(settings: Settings, smtp: SmtpServer) -> Iterator[Live]:
    yield from serve(settings, smtp)


def _registered(
    live: Live, email: str, reference_id: str, slug: str = "weather"
) -> tuple[Any, str, dict[str, Any]]:
    dev = live.portal.developer(email)
    version = live.catalog.service(slug)
    app_id = live.catalog.application(dev.token, reference_id)
    return dev, app_id, live.catalog.register(dev.token, app_id, version)


def test_a_developer_sees_approval_live_and_nothing_of_others(live: Live) -> None:
    ada, ada_app, registration = _registered(live, "ada@example.com", "ada-app")
    bob = live.portal.developer("bob@example.com")
    ada_feed = live.subscribe(ada.token, variables={"app": ada_app})
    bob_feed = live.subscribe(bob.token)

    live.catalog.decide("approveRegistration", registration["id"])
    event = ada_feed.next_payload(timeout=1.0)["data"]["registrationEvents"]
    assert event["kind"] == "APPROVED"
    assert event["registration"]["id"] == registration["id"]
    assert event["registration"]["status"] == "APPROVED"
    assert event["registration"]["application"]["referenceId"] == "ada-app"
    assert event["registration"]["serviceVersion"] == {"name": "v1", "service": {"slug": "weather"}}

    # Events arrive in order: Bob's first event is his own, so Ada's never reached him.
    bob_app = live.catalog.application(bob.token, "bob-app")
    live.catalog.register(bob.token, bob_app, live.catalog.service("maps"))
    bobs = bob_feed.next_payload()["data"]["registrationEvents"]
    assert bobs["kind"] == "CREATED"
    assert bobs["registration"]["application"]["referenceId"] == "bob-app"
    ada_feed.close()
    bob_feed.close()


def test_admins_see_every_registration_event(live: Live) -> None:
    feed = live.subscribe(live.portal.admin)
    dev, _, registration = _registered(live, "ada@example.com", "ada-app")
    created = feed.next_payload()["data"]["registrationEvents"]
    assert (created["kind"], created["registration"]["status"]) == ("CREATED", "PENDING")
    live.portal.api.data(UNREGISTER, {"id": registration["id"]}, dev.token)
    gone = feed.next_payload()["data"]["registrationEvents"]
    assert gone["kind"] == "UNREGISTERED"
    assert gone["registration"]["application"]["referenceId"] == "ada-app"


def test_an_event_about_a_deleted_application_still_names_it(live: Live) -> None:
    dev, app_id, _ = _registered(live, "ada@example.com", "ada-app")
    feed = live.subscribe(live.portal.admin)
    live.portal.api.data(
        "mutation($id: ID!) { deleteApplication(id: $id) }", {"id": app_id}, dev.token
    )
    event = feed.next_payload()
    assert "errors" not in event, event
    assert event["data"]["registrationEvents"]["kind"] == "UNREGISTERED"
    assert event["data"]["registrationEvents"]["registration"]["application"]["name"] == "My App"


def test_the_older_graphql_ws_protocol_works_too(live: Live) -> None:
    ada, ada_app, registration = _registered(live, "ada@example.com", "ada-app")
    feed = live.subscribe(ada.token, variables={"app": ada_app}, protocol=LEGACY_WS)
    live.catalog.decide("rejectRegistration", registration["id"])
    event = feed.next_payload()["data"]["registrationEvents"]
    assert (event["kind"], event["registration"]["status"]) == ("REJECTED", "REJECTED")


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_missing_or_bad_token_closes_the_connection(live: Live, token: str | None) -> None:
    subscriber = live.subscriber(token)
    with pytest.raises(ConnectionClosed) as closed:
        subscriber.receive()
    assert subscriber.ws.close_code == 4403, closed.value
    legacy = live.subscriber(token, LEGACY_WS)
    assert legacy.receive()["type"] == "connection_error"


def test_another_developers_application_is_an_error_not_a_feed(live: Live) -> None:
    _, ada_app, _ = _registered(live, "ada@example.com", "ada-app")
    bob = live.portal.developer("bob@example.com")
    feed = live.subscriber(bob.token)
    assert feed.acknowledged()
    feed.subscribe(EVENTS, {"app": ada_app})
    message = feed.receive()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


def test_developer_status_changes_are_for_admins(live: Live) -> None:
    feed = live.subscribe(live.portal.admin, DEVELOPERS)
    live.portal.sign_up("new@example.com")
    live.portal.confirm("new@example.com")
    changed = feed.next_payload()["data"]["developerStatusChanged"]
    assert (changed["email"], changed["status"]) == ("new@example.com", "PENDING")
    live.portal.decide("approveDeveloper", changed["id"])
    assert feed.next_payload()["data"]["developerStatusChanged"]["status"] == "APPROVED"

    dev = live.portal.log_in("new@example.com")
    refused = live.subscriber(dev)
    assert refused.acknowledged()
    refused.subscribe(DEVELOPERS)
    message = refused.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def _ended(feed: GraphQLWebSocket) -> str:
    message = feed.receive()
    while message["type"] == "complete":  # what an operation that already ended says last
        message = feed.receive()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return str(errors[0]["extensions"]["code"])


CREATE_APP = """
mutation { createApplication(input: {name: "Late", referenceId: "late"}) { id } }
"""


def _nothing_more_on(feed: GraphQLWebSocket) -> None:
    """The connection outlived its session: no new subscription, query or mutation runs."""
    for n, operation in enumerate((EVENTS, "{ myApplications { totalCount } }", CREATE_APP)):
        feed.subscribe(operation, id=f"after-{n}")
        assert _ended(feed) == "UNAUTHENTICATED", operation


def test_logging_out_ends_the_subscription(live: Live) -> None:
    dev = live.portal.developer("ada@example.com")
    feed = live.subscribe(dev.token)
    live.portal.api.data("mutation { logOut }", token=dev.token)
    assert _ended(feed) == "UNAUTHENTICATED"
    _nothing_more_on(feed)
    again = live.portal.log_in(dev.email)
    assert live.portal.api.data("{ myApplications { totalCount } }", token=again) == {
        "myApplications": {"totalCount": 0}
    }


def test_a_revoked_developers_subscription_is_closed(live: Live) -> None:
    dev = live.portal.developer("ada@example.com")
    feed = live.subscribe(dev.token)
    live.portal.decide("revokeDeveloper", dev.id)
    assert _ended(feed) == "UNAUTHENTICATED"
    _nothing_more_on(feed)


def test_a_failing_session_check_is_an_internal_error_not_silence(live: Live) -> None:
    feed = live.subscriber(live.portal.admin)
    assert feed.acknowledged()
    drop_table(live.settings.database_url, "auth_session")
    # A sign-up writes to the developers, so the server forgets who holds which token.
    live.portal.sign_up("someone@example.com")
    with watching("devportal.graphql", "Traceback|auth_session") as logged:
        feed.subscribe("{ portal { name } }", id="q")
        assert _ended(feed) == "INTERNAL_SERVER_ERROR"
        assert logged.seen.wait(WAIT)


def test_an_expiring_token_ends_the_subscription(database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp.port, session_ttl_seconds=2)
    for live in serve(settings, smtp):
        dev = live.portal.developer("ada@example.com")
        feed = live.subscribe(dev.token)
        assert _ended(feed) == "UNAUTHENTICATED"
        _nothing_more_on(feed)


def test_a_rolled_back_mutation_publishes_nothing(live: Live) -> None:
    pending = live.catalog.service("weather")
    instant = live.catalog.service("maps", auto_approve=True)
    dev = live.portal.developer("ada@example.com")
    app_id = live.catalog.application(dev.token)
    feed = live.subscribe(dev.token)

    drop_table(live.settings.database_url, "outbox_message")
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
        assert _ended(feed) == "RATE_LIMITED"
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


def drop_table(database_url: str, table: str) -> None:
    """Break the database under the running server, from a connection of our own."""

    async def drop() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP TABLE {table}"))
        await engine.dispose()

    asyncio.run(drop())


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
    dev, app_id, _ = _registered(live, "ada@example.com", "ada-app")
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
    dev, app_id, first = _registered(live, "ada@example.com", "ada-app")
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


def test_a_subscription_over_plain_http_is_bad_input_not_a_bug(portal: Portal) -> None:
    """It needs a WebSocket; Strawberry ran it as a query, which failed inside."""
    developer = portal.developer("ada@example.com")
    query = "subscription { registrationEvents { kind } }"
    client, headers = portal.api.client, {"Authorization": f"Bearer {developer.token}"}
    with watching("devportal.graphql", "unexpected") as logged:
        answers = {
            "POST": client.post("/graphql", json={"query": query}, headers=headers),
            "GET": client.get("/graphql", params={"query": query}, headers=headers),
        }
    for method, answer in answers.items():
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == f"subscriptions are not allowed when using {method}"
    assert logged.records == []
