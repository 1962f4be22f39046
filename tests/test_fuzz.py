"""Fuzzing the GraphQL API from its own schema: no answer is a bug.

hypothesis-graphql writes valid queries and mutations from the live SDL
(``devportal.schema.sdl()``); each is sent over HTTP to the real app, as the
admin and as an approved developer. Every answer must be HTTP 200, 400 or 413
with a JSON body; every error must carry a contract code and none may be
``INTERNAL_SERVER_ERROR``; and the server must log no traceback (no record
with ``exc_info`` on the ``devportal`` or ``uvicorn.error`` loggers).

Stateful: each test first seeds a small world (the developer, their
application, its registration for a service version, a key) and ``ID``
arguments are drawn from those real global IDs mixed with garbage (other
types' IDs, malformed base64, unknown objects), so runs reach real objects and
change them. The world is seeded once per test function, and ``@given`` wraps
an inner function that closes over it, so no fixture is reused across
examples behind Hypothesis's back.

Each root field is fuzzed in a run of its own, so every one is covered. The
mutations that destroy (revoke a key, unregister, delete, revoke the developer)
run last, each after those that still need what it destroys; refusals that
follow are answers too. Excluded: ``logOut``, which would end the caller's
session and turn every later example into an ``UNAUTHENTICATED`` refusal.
Nothing else a caller can do ends their own session: the developer cannot
revoke themselves, and the admin's run never uses the developer's token.

Deterministic and bounded: ``derandomize=True``, a fixed ``max_examples``,
no example database (nothing written under ``.hypothesis``).
"""

from __future__ import annotations

import base64
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis_graphql import mutations, nodes, queries

from devportal.schema import sdl
from tests.flows import ME, Catalog, Portal
from tests.support import Api, attached

# Hypothesis caches charmaps and constants even without an example database: not in the repo.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "devportal-hypothesis")
EXAMPLES = 8  # per root field (and ID pool), kind of operation and actor
# Each of these hashes a password (argon2, on purpose slow): fewer examples.
HASHING = {
    "logIn": 3,
    "adminLogIn": 3,
    "signUp": 4,
    "resetPassword": 4,
    "changePassword": 4,
    "deleteMyAccount": 4,
    "requestEmailChange": 4,
    "acceptAdminInvitation": 4,
}
SCHEMA = graphql.build_schema(sdl())
QUERY_FIELDS = sorted(SCHEMA.query_type.fields) if SCHEMA.query_type else []
# Run last, in this order: each undoes what the mutations before it need to meet real objects.
DESTRUCTIVE = [
    "revokeCredential",
    "unregisterApplication",
    "rejectRegistration",
    "deleteRegistration",
    "disableAppRegistration",
    "rejectDeveloper",
    "revokeDeveloper",
    "deleteApplication",
    "deleteDeveloper",
]
MUTATION_FIELDS = [
    *sorted(
        set(SCHEMA.mutation_type.fields if SCHEMA.mutation_type else ()) - {"logOut", *DESTRUCTIVE}
    ),
    *DESTRUCTIVE,
]
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Tracebacks(logging.Handler):
    """Every record that carries an exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@dataclass
class World:
    admin: str
    developer: str
    ids: list[str]


def seed(portal: Portal, catalog: Catalog) -> World:
    """A developer with an application registered for a version, a key; their IDs."""
    developer = portal.developer("fuzz@example.test")
    version = catalog.service("weather", "v1")
    application = catalog.application(developer.token)
    registration = catalog.register(developer.token, application, version)
    key = catalog.key(developer.token, application)
    admin_id = portal.api.data(ME, token=portal.admin)["me"]["id"]
    ids = [developer.id, admin_id, version.service_id, version.id, application]
    return World(portal.admin, developer.token, [*ids, registration["id"], key.id])


def typename(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[0]


def id_pools(root: graphql.GraphQLObjectType, name: str, real: list[str]) -> list[list[str]]:
    """The real IDs to fuzz field ``name`` with, one run per pool.

    Those whose type the field or its arguments name (``revokeCredential(id)``,
    ``registerApplication(applicationId, serviceVersionId)``), in one run; an ``ID``
    argument of no named type (``node(id)``) gets a run per real ID, so each object is
    surely met; a field without an ``ID`` argument, one run.
    """
    arguments = root.fields[name].args
    words = " ".join([name, *arguments]).lower()
    named = [each for each in real if typename(each).lower() in words]
    takes_id = any(graphql.get_named_type(arg.type).name == "ID" for arg in arguments.values())
    return [named] if named or not takes_id else [[each] for each in real]


def global_ids(real: list[str]) -> st.SearchStrategy[graphql.ValueNode]:
    """Three times in four a real ID; otherwise garbage a client could send."""

    def encoded(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    garbage = st.one_of(
        st.text(max_size=20),
        st.builds(
            lambda t, n: encoded(f"{t}:{n}"), st.sampled_from(list(map(typename, real))), st.text()
        ),
        st.builds(lambda n: encoded(f"Developer:{n}"), st.integers()),
        st.sampled_from(real).map(lambda each: each[:-2]),
    )
    known = st.sampled_from(real)
    return st.one_of(known, known, known, garbage).map(nodes.String)


DATE_TIMES = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.text(max_size=30),
).map(nodes.String)


def fuzz(
    api: Api, token: str, operations: st.SearchStrategy[str], real: list[str], examples: int
) -> int:
    """Send each operation with ``token``; fail on a bug-shaped answer or a logged traceback.

    Returns how many answers were data without errors for an operation naming a real ID.
    """
    handler = Tracebacks()
    reached = 0

    @settings(FUZZ, max_examples=examples)
    @given(operations)
    def check(query: str) -> None:
        nonlocal reached
        handler.records.clear()
        response = api.post(query, token=token)
        assert response.status_code in (200, 400, 413), (query, response.text)
        payload = response.json()
        for error in payload.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code, (query, error)
            assert code != "INTERNAL_SERVER_ERROR", (query, error)
        assert not handler.records, (query, [r.getMessage() for r in handler.records])
        if payload.get("data") and not payload.get("errors"):
            reached += any(each in query for each in real)

    with attached("devportal", handler), attached("uvicorn.error", handler):
        check()
    return reached


Operations = Callable[..., st.SearchStrategy[str]]
KINDS: dict[str, tuple[Operations, graphql.GraphQLObjectType | None, list[str]]] = {
    "queries": (queries, SCHEMA.query_type, QUERY_FIELDS),
    "mutations": (mutations, SCHEMA.mutation_type, MUTATION_FIELDS),
}


@pytest.mark.timeout(120)
# The server's mail worker draws on the global `random` (email.utils.make_msgid) in its own
# thread; Hypothesis sees that change during a draw and blames the strategy. Not ours.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
@pytest.mark.parametrize("actor", ["admin", "developer"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fuzzed_operations_get_contract_answers(
    portal: Portal, catalog: Catalog, kind: str, actor: str
) -> None:
    """Each root field in turn, so every one is fuzzed; some answers reach real objects."""
    world = seed(portal, catalog)
    strategy, root, fields = KINDS[kind]
    assert root is not None
    reached = 0
    for name in fields:
        for pool in id_pools(root, name, world.ids):
            scalars = {"ID": global_ids(pool), "DateTime": DATE_TIMES}
            operations = strategy(SCHEMA, fields=[name], custom_scalars=scalars)
            examples = HASHING.get(name, EXAMPLES)
            reached += fuzz(portal.api, getattr(world, actor), operations, world.ids, examples)
    assert reached, "no operation reached a seeded object"
