"""Who may call what: every root field of the schema by every kind of caller.

``CASES`` holds, for each query, mutation and subscription, an operation on
real objects of one seeded world, and what each actor must get: data
(``OK``), a null answer (``NULL``), or an error code. A root field without a
row fails ``test_every_root_field_has_a_row``; each (row, actor) cell is a test
of its own, named ``field[case]-actor``.

The actors:

- ``anonymous``: no Authorization header; ``garbage``: ``Bearer not-a-token``.
- ``unconfirmed`` (signed up, never confirmed) and ``pending`` (confirmed, not
  approved) cannot log in, so they never hold a session. They carry the only
  secret they have, their confirmation link's token (unused, and spent), as a
  bearer token: it must count for nothing, so they are anonymous callers.
- ``owner``: an approved developer who owns the world's application,
  registration and key; ``other``: another approved developer.
- ``revoked``: logged in while approved, then revoked by an admin: that token.
- ``admin``.

One world is seeded per module. A row whose operation changes something gets
a new target (a pending developer, an application, a key, a registration, a
session) for each actor it must let through, and one target shared by all the
actors it must refuse: each of them meets it untouched, unless the server let
an earlier one through, which fails that earlier cell. So no cell's outcome
depends on which cells ran before it while the server is right.
Subscriptions run over a real WebSocket: refused at ``connection_init``
(close code 4403), an error as the first message, or started (the server logs
"subscriber joined").

The rows are in tests/authorization_cases.py, the world in tests/authorization_world.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import graphql
import httpx2
import pytest
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.schema import sdl
from tests.authorization_cases import ACTORS, CASES, NULL, OK, REFUSED, STARTS, Case
from tests.authorization_world import SHARED, World, seed
from tests.conftest import fresh_database, make_settings, portal_on
from tests.flows import LOG_IN, PASSWORD
from tests.servers import GraphQLWebSocket, graphql_websocket, threaded_server
from tests.support import WAIT, LogCounter, SmtpServer, attached, free_port


def _cells(kind: str) -> list[Any]:
    return [
        pytest.param(case, actor, id=f"{case.name}-{actor}")
        for case in CASES
        if (case.root[0] == "subscription") == (kind == "subscription")
        for actor in ACTORS
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = fresh_database(tmp_path_factory.mktemp("authorization"))
    smtp = SmtpServer(free_port()).start()
    try:
        # Webhooks may go to 127.0.0.1, where nothing listens: no request leaves the machine.
        settings = make_settings(
            url, smtp.port, webhook_allow_http=True, webhook_allow_private=True
        )
        app = create_app(settings)
        with (
            attached("devportal.live", LogCounter("subscriber joined")) as joined,
            threaded_server(app) as base_url,
            httpx2.Client(base_url=base_url, timeout=WAIT) as client,
        ):
            portal = portal_on(client, smtp)
            yield seed(base_url, portal, joined)
    finally:
        smtp.stop()


def test_every_root_field_has_a_row() -> None:
    schema = graphql.build_schema(sdl())
    fields = {
        (kind, name)
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        if root is not None
        for name in root.fields
    }
    rows = {case.root for case in CASES}
    assert fields - rows == set(), "root fields without a row in CASES"
    assert rows - fields == set(), "rows for fields the schema does not have"
    for case in CASES:
        errors = graphql.validate(schema, graphql.parse(case.document))
        assert errors == [], (case.name, errors)
        assert set(case.expected) == set(ACTORS), case.name


def test_the_developers_without_a_session_cannot_log_in(world: World) -> None:
    """So the unconfirmed and pending never hold a session token (their cells carry their
    email link's), and the revoked one has only the token from before."""
    for email, code in (
        ("unconfirmed@matrix.test", "EMAIL_NOT_CONFIRMED"),
        ("pending@matrix.test", "ACCOUNT_PENDING_APPROVAL"),
        ("revoked@matrix.test", "ACCOUNT_DISABLED"),
    ):
        assert world.api.error(LOG_IN, {"email": email, "password": PASSWORD}).code == code


@pytest.mark.parametrize(("case", "actor"), _cells("http"))
def test_query_or_mutation(world: World, case: Case, actor: str) -> None:
    token = world.session(actor) if case.own_session else world.tokens[actor]
    variables = case.variables(world, _who(case, actor))
    payload = world.api.post(case.document, variables, token).json()
    got = _outcome(payload, case.root[1])
    assert got == case.expected[actor], f"{case.name} as {actor}: {payload}"
    if got == OK and case.root[0] == "query" and "id" in variables:
        assert payload["data"][case.root[1]]["id"] == variables["id"], "another object"


@pytest.mark.parametrize(("case", "actor"), _cells("subscription"))
def test_subscription(world: World, case: Case, actor: str) -> None:
    variables = case.variables(world, _who(case, actor))
    with graphql_websocket(world.url, world.tokens[actor]) as feed:
        try:
            first = feed.receive()
        except ConnectionClosed:
            got = REFUSED if feed.ws.close_code == 4403 else f"closed {feed.ws.close_code}"
        else:
            assert first["type"] == "connection_ack", first
            feed.subscribe(case.document, variables)
            got = _subscription_outcome(world, feed, case.expected[actor])
    assert got == case.expected[actor], f"{case.name} as {actor}"


def _who(case: Case, actor: str) -> str:
    """Whom the row's targets are made for: the actor, or ``SHARED`` if it must be refused."""
    return actor if case.expected[actor] in (OK, NULL, STARTS) else SHARED


def _outcome(payload: dict[str, Any], field_name: str) -> str:
    errors = payload.get("errors")
    if errors:
        return "+".join(sorted({str(e.get("extensions", {}).get("code")) for e in errors}))
    return OK if payload["data"][field_name] is not None else NULL


def _subscription_outcome(world: World, feed: GraphQLWebSocket, expected: str) -> str:
    """What became of a subscription: waits on what ``expected`` says happens first (the join,
    or a message), then on the other, so only a cell that fails takes a timeout's time."""
    joined = world.joins + 1
    if expected == STARTS:
        try:
            world.joined.wait_for(joined)
        except AssertionError:
            pass
        else:
            world.joins = joined
            return STARTS
    try:
        message = feed.receive()
    except TimeoutError:
        try:
            world.joined.wait_for(joined, timeout=0)
        except AssertionError:
            return "nothing"
        world.joins = joined
        return STARTS
    if message["type"] == "error":
        return _outcome({"errors": message["payload"]}, "")
    payload = message.get("payload") or {}
    return _outcome(payload, "") if payload.get("errors") else f"a message: {message}"
