"""Subscribers against a real uvicorn server (the ``live`` fixture of conftest): the app
served in a thread, WebSocket connections to it, and what ends a subscription."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.applications import Starlette

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import portal_on
from tests.flows import Catalog, Portal
from tests.servers import GraphQLWebSocket, graphql_websocket, threaded_server
from tests.support import LogCounter, SmtpServer, attached

EVENTS = """
subscription($app: ID) { registrationEvents(applicationId: $app) {
  kind at registration { id status application { referenceId name }
  serviceVersion { name service { slug } } } } }
"""
DEVELOPERS = "subscription { developerStatusChanged { id email status } }"


@dataclass
class Live:
    """The served app, its portal and catalog flows, and the subscribers opened on it
    (closed when the fixture ends)."""

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
        portal = portal_on(client, smtp)
        yield Live(url, portal, Catalog(portal), joined, settings, connections, app)


def registered(
    live: Live, email: str, reference_id: str, slug: str = "weather"
) -> tuple[Any, str, dict[str, Any]]:
    dev = live.portal.developer(email)
    version = live.catalog.service(slug)
    app_id = live.catalog.application(dev.token, reference_id)
    return dev, app_id, live.catalog.register(dev.token, app_id, version)


def ended(feed: GraphQLWebSocket) -> str:
    """The error code a subscription (or an operation on its connection) ended with."""
    message = feed.receive()
    while message["type"] == "complete":  # what an operation that already ended says last
        message = feed.receive()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return str(errors[0]["extensions"]["code"])
