"""SQL statements per request do not grow with lists: each list level is one batch.

A portal is seeded through the public API with one item in every list, every
list field is queried and the statements the server runs are counted; then
every list grows and the same queries are counted again. The counts must be
equal, so no list is resolved one parent at a time.

Lists grow to 50, except where each item is expensive to seed or capped:
developers cost an Argon2 hash each (20 pending, 10 approved with an
application), and an application holds at most 20 keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import fresh_database, make_settings, portal_on
from tests.flows import CREATE_VERSION, ENABLE, Catalog, DeveloperLogin, Portal, Version
from tests.support import SmtpServer, counting_statements, forget_caches, free_port


@dataclass(frozen=True)
class Sizes:
    services: int  # published, each with a version v1 open for registration
    versions: int  # of the first service
    applications: int  # ada's, each registered for one service's v1 and holding a key
    registrations: int  # of ada's first application, one per version of the first service
    keys: int  # of ada's first application
    approved: int  # developers, each with an application registered for the first service
    pending: int  # developers waiting for approval


SMALL = Sizes(1, 1, 1, 1, 1, 1, 1)
LARGE = Sizes(50, 50, 50, 50, 20, 10, 20)


class World:
    """The seeded portal, grown through the public API."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.catalog = Catalog(portal)
        self.ada = portal.developer("ada@example.com")
        self.services: list[Version] = []
        self.versions: list[Version] = []  # of the first service, v1 included
        self.applications: list[str] = []
        self.registrations = 0  # of the first application
        self.keys = 0  # of the first application
        self.approved: list[DeveloperLogin] = []
        self.pending = 0

    @property
    def first_application(self) -> str:
        return self.applications[0]

    def grow(self, size: Sizes) -> None:
        token = self.ada.token
        while len(self.services) < size.services:
            self.services.append(self.catalog.service(f"s{len(self.services)}"))
        self.versions = self.versions or [self.services[0]]
        while len(self.versions) < size.versions:
            self.versions.append(self._version(self.services[0], f"v{len(self.versions) + 1}"))
        while len(self.applications) < size.applications:
            i = len(self.applications)
            self.applications.append(self.catalog.application(token, f"app-{i}"))
            self.catalog.register(token, self.applications[i], self.services[i])
            self.catalog.key(token, self.applications[i])
        self.registrations, self.keys = self.registrations or 1, self.keys or 1
        for version in self.versions[self.registrations : size.registrations]:
            self.catalog.register(token, self.first_application, version)
            self.registrations += 1
        for _ in range(self.keys, size.keys):
            self.catalog.key(token, self.first_application)
            self.keys += 1
        while len(self.approved) < size.approved:
            name = f"approved-{len(self.approved)}"
            developer = self.portal.developer(f"{name}@example.com")
            application = self.catalog.application(developer.token, f"{name}-app")
            self.catalog.register(developer.token, application, self.services[0])
            self.approved.append(developer)
        for i in range(self.pending, size.pending):
            self.portal.sign_up(f"pending-{i}@example.com")
            self.portal.confirm(f"pending-{i}@example.com")
            self.pending += 1

    def _version(self, service: Version, name: str) -> Version:
        api, admin = self.portal.api, self.portal.admin
        variables = {"serviceId": service.service_id, "name": name}
        created = api.data(CREATE_VERSION, variables, admin)["createServiceVersion"]
        api.data(ENABLE, {"id": created["id"], "autoApprove": False}, admin)
        return Version(service.service_id, service.slug, created["id"], name)


@dataclass(frozen=True)
class Case:
    """A query over list fields, who asks it, and how long the list it grows is."""

    query: str
    as_admin: bool
    items: Callable[[dict[str, Any]], int]


def nodes(*path: str) -> Callable[[dict[str, Any]], int]:
    """How many items the list at ``path`` holds, summed over every list on the way."""

    def count(data: Any, rest: tuple[str, ...] = path) -> int:
        if isinstance(data, list):
            return sum(count(item, rest) for item in data)
        if not rest:
            return 1
        return count(data[rest[0]], rest[1:])

    return count


CASES = {
    "catalog": Case(
        "{ catalog(first: 50) { totalCount edges { cursor node { id versions { id } } } } }",
        as_admin=False,
        items=nodes("catalog", "edges"),
    ),
    "services": Case(
        "{ services(first: 50) { totalCount nodes { id versions { id service { slug } } } } }",
        as_admin=True,
        items=nodes("services", "nodes"),
    ),
    "Service.versions": Case(
        '{ service(slug: "s0") { versions { id service { versions { name } } } } }',
        as_admin=False,
        items=nodes("service", "versions"),
    ),
    "myApplications": Case(
        """{ myApplications(first: 50) { totalCount nodes {
            id owner { email } registrations { status } credentials { keyPrefix } } } }""",
        as_admin=False,
        items=nodes("myApplications", "nodes"),
    ),
    "Application.registrations": Case(
        """query($app: ID!) { application(id: $app) { registrations {
            id application { name } serviceVersion { name service { slug } } } } }""",
        as_admin=False,
        items=nodes("application", "registrations"),
    ),
    "Application.credentials": Case(
        "query($app: ID!) { application(id: $app) { credentials { keyPrefix } } }",
        as_admin=False,
        items=nodes("application", "credentials"),
    ),
    "Developer.applications": Case(
        """{ me { ... on Developer { applications(first: 50) { totalCount
            pageInfo { hasNextPage endCursor } nodes { id registrations { id } } } } } }""",
        as_admin=False,
        items=nodes("me", "applications", "nodes"),
    ),
    "developers": Case(
        """{ developers(first: 50) { totalCount nodes { id applications(first: 5) {
            totalCount pageInfo { hasNextPage } edges { cursor node {
              id owner { id } registrations { id } credentials { id } } } } } } }""",
        as_admin=True,
        items=nodes("developers", "nodes"),
    ),
    "pendingDevelopers": Case(
        """{ pendingDevelopers(first: 50) { totalCount nodes {
            email applications { totalCount nodes { id } } } } }""",
        as_admin=True,
        items=nodes("pendingDevelopers", "nodes"),
    ),
    "registrations": Case(
        """{ registrations(first: 50) { totalCount nodes {
            id application { owner { applications(first: 3) { nodes { id } } } }
            serviceVersion { service { versions { id } } } } } }""",
        as_admin=True,
        items=nodes("registrations", "nodes"),
    ),
    "pendingRegistrations": Case(
        """{ pendingRegistrations(first: 50) { totalCount nodes {
            id application { name registrations { id } credentials { id } }
            serviceVersion { name } } } }""",
        as_admin=True,
        items=nodes("pendingRegistrations", "nodes"),
    ),
    # myApplications -> owner -> applications -> owner -> applications: N parents a level.
    "fan-out, a developer": Case(
        """{ myApplications(first: 50) { nodes { owner { applications(first: 3) { nodes {
            owner { applications(first: 3) { totalCount nodes { id } } } } } } } } }""",
        as_admin=False,
        items=nodes("myApplications", "nodes"),
    ),
    "fan-out, an admin": Case(
        """{ developers(first: 50) { nodes { applications(first: 3) { nodes {
            owner { applications(first: 3) { nodes { id registrations { id } } } } } } } } }""",
        as_admin=True,
        items=nodes("developers", "nodes", "applications", "nodes"),
    ),
}


@dataclass(frozen=True)
class Counted:
    statements: list[str]
    items: int


def _count_all(world: World, app: Any) -> dict[str, Counted]:
    """Each query's statements, every per-process cache emptied first (as any write
    to every table would), so a small and a large world are counted alike: cold."""
    counted = {}
    for name, case in CASES.items():
        token = world.portal.admin if case.as_admin else world.ada.token
        variables = {"app": world.first_application}
        forget_caches(app)
        with counting_statements(app.state.db.engine.sync_engine) as statements:
            data = world.portal.api.data(case.query, variables, token)
        counted[name] = Counted(statements, case.items(data))
    return counted


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Counted, Counted]]:
    """Each case counted with one item in every list, then with many.

    Seeding is slow enough (Argon2 hashes) to be done once for the module; the
    server is gone before the tests look at what it counted.
    """
    url = fresh_database(tmp_path_factory.mktemp("statement-counts"))
    smtp = SmtpServer(free_port()).start()
    try:
        with TestClient(create_app(make_settings(url, smtp.port))) as client:
            portal = portal_on(client, smtp)
            app = client.app
            world = World(portal)
            world.grow(SMALL)
            small = _count_all(world, app)
            world.grow(LARGE)
            large = _count_all(world, app)
    finally:
        smtp.stop()
    return {name: (small[name], large[name]) for name in CASES}


@pytest.mark.parametrize("case", list(CASES))
def test_statements_do_not_grow_with_the_list(
    counts: dict[str, tuple[Counted, Counted]], case: str
) -> None:
    small, large = counts[case]
    assert small.items < large.items, "the list did not grow: the test would prove nothing"
    assert len(large.statements) == len(small.statements), (
        f"{len(small.statements)} statements for {small.items} items, "
        f"{len(large.statements)} for {large.items}:\n" + "\n\n".join(large.statements)
    )


PAGES = "query($first: Int, $after: String) { %s }"
PAGE = """applications(first: $first, after: $after) { totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } } }"""


def test_batched_pages_are_the_pages_of_each_list(portal: Portal, catalog: Catalog) -> None:
    """An admin's ``developers { applications }`` (one batch for all developers) pages
    each developer's list exactly as that developer's ``myApplications`` does."""
    ada, bob, eve = (portal.developer(f"{name}@example.com") for name in ("ada", "bob", "eve"))
    for i in range(5):  # interleaved, so each list's rows are scattered among the others'
        catalog.application(ada.token, f"ada-{i}", f"Ada {i}")
        if i < 2:
            catalog.application(bob.token, f"bob-{i}", f"Bob {i}")
    everyone = PAGES % f"developers {{ nodes {{ email {PAGE} }} }}"
    own = PAGES % PAGE.replace("applications", "myApplications", 1)
    ada_cursors = [e["cursor"] for e in _own_pages(portal, own, ada.token, {})["edges"]]
    bob_first = _own_pages(portal, own, bob.token, {"first": 1})["pageInfo"]["endCursor"]

    for variables in (
        {},
        {"first": 2},
        {"first": 0},
        {"first": 2, "after": ada_cursors[1]},
        {"first": 2, "after": ada_cursors[-1]},  # past the end: no items, the total stays
        {"first": 100, "after": bob_first},  # one list's cursor in the others' lists
    ):
        batched = portal.api.data(everyone, variables, portal.admin)["developers"]["nodes"]
        pages = {developer["email"]: developer["applications"] for developer in batched}
        for developer in (ada, bob, eve):
            expected = _own_pages(portal, own, developer.token, variables)
            assert pages[developer.email] == expected, (developer.email, variables)


def _own_pages(portal: Portal, query: str, token: str, variables: dict[str, Any]) -> Any:
    return portal.api.data(query, variables, token)["myApplications"]


def test_bad_page_arguments_of_a_nested_list_are_bad_user_input(portal: Portal) -> None:
    portal.developer("ada@example.com")
    for arguments in ('after: "not a cursor"', "first: -1"):
        query = f"{{ developers {{ nodes {{ applications({arguments}) {{ totalCount }} }} }} }}"
        payload = portal.api.post(query, token=portal.admin).json()
        assert payload["errors"], payload
        assert {e["extensions"]["code"] for e in payload["errors"]} == {"BAD_USER_INPUT"}
