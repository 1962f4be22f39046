"""Per-process caches answer from memory, and never from a memory that a change made stale.

The gateway check, who holds a token, and answers for a whole audience (the
catalog, the portal's settings).

Every change that alters an answer is seen on the next call by the process that
made it (the in-process tests in test_gateway.py make each change and check at
once), and within a second by every other process (PostgreSQL, below); unknown
keys and repeated checks cost no query; a process that cannot hear events asks
the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.flows import DISABLE, ENABLE, REVOKE_KEY, UNREGISTER
from tests.gateway import (
    BAD_KEY,
    DELETE_APPLICATION,
    DELETE_REGISTRATION,
    DENIED,
    Setup,
    assert_refused,
    verify,
)
from tests.support import WAIT, LogCounter, attached, counting_statements, watching
from tests.test_events import terminate_listeners

postgres_only = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)"
)

STALE_FOR_AT_MOST = 1.0  # seconds another process may answer as before a change


def _engine(client: httpx2.Client) -> Any:
    """The engine of the app behind a TestClient."""
    app: Any = getattr(client, "app")  # noqa: B009
    return app.state.db.engine.sync_engine


def test_repeated_checks_and_unknown_keys_cost_no_query(setup: Setup) -> None:
    setup.assert_allowed(setup.check())  # read once
    assert_refused(verify(setup.client, ("maps", "v1"), setup.key.key), 404, "Not found")
    with counting_statements(_engine(setup.client)) as statements:
        for n in range(50):
            setup.assert_allowed(setup.check())
            assert_refused(setup.check(f"dpk_guess-{n}"), 401, BAD_KEY)
            assert_refused(verify(setup.client, ("maps", "v1"), setup.key.key), 404, "Not found")
    assert statements == []


def test_a_new_key_passes_at_once_though_unknown_keys_are_refused_from_memory(
    setup: Setup,
) -> None:
    assert_refused(setup.check("dpk_not-yet"), 401, BAD_KEY)
    fresh = setup.catalog.key(setup.dev.token, setup.app_id)
    setup.assert_allowed(setup.check(fresh.key))


def test_disabling_the_version_and_revoking_the_developer_hold_at_once(setup: Setup) -> None:
    version = {"id": setup.version.id}
    setup.assert_allowed(setup.check())
    setup.api.data(DISABLE, version, setup.portal.admin)
    assert_refused(setup.check(), 403, DENIED)
    setup.api.data(ENABLE, version | {"autoApprove": False}, setup.portal.admin)
    setup.assert_allowed(setup.check())
    setup.portal.decide("revokeDeveloper", setup.dev.id)
    assert_refused(setup.check(), 403, DENIED)


def test_a_bounded_cache_still_answers_right(settings: Settings, setup: Setup) -> None:
    """With room for one decision, answers for two keys take turns evicting each other."""
    second = setup.catalog.key(setup.dev.token, setup.app_id)
    small = settings.model_copy(update={"gateway_cache_entries": 1})
    with TestClient(create_app(small)) as client:
        for _ in range(3):
            setup.assert_allowed(verify(client, setup.version, setup.key.key))
            setup.assert_allowed(verify(client, setup.version, second.key))
        assert len(client.app.state.gateway.cache) == 1  # type: ignore[attr-defined]


# --- other processes, through PostgreSQL's LISTEN/NOTIFY -----------------------------------


@pytest.fixture
def other_process(settings: Settings) -> Iterator[TestClient]:
    """Another server process on the same database."""
    with TestClient(create_app(settings)) as client:
        yield client


def eventually(answer: Callable[[], httpx2.Response], status: int) -> float:
    """Ask until the answer has ``status``; how long that took. Fails after a second."""
    start = time.perf_counter()
    while (response := answer()).status_code != status:
        assert time.perf_counter() - start < STALE_FOR_AT_MOST, response.text
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "change",
    [
        "reject",
        "unregister",
        "delete registration",
        "delete application",
        "revoke key",
        "disable version",
        "revoke developer",
    ],
)
@pytest.mark.postgres
@postgres_only
def test_every_change_reaches_other_processes_within_a_second(
    setup: Setup, other_process: TestClient, change: str
) -> None:
    other = other_process
    setup.assert_allowed(verify(other, setup.version, setup.key.key))
    setup.assert_allowed(verify(other, setup.version, setup.key.key))  # from memory now
    make_change(setup, change)
    expected = 401 if change in ("delete application", "revoke key") else 403
    eventually(lambda: verify(other, setup.version, setup.key.key), expected)


def make_change(setup: Setup, change: str) -> None:
    api, admin, dev = setup.api, setup.portal.admin, setup.dev.token
    if change == "reject":
        setup.catalog.decide("rejectRegistration", setup.registration_id)
    elif change == "unregister":
        api.data(UNREGISTER, {"id": setup.registration_id}, dev)
    elif change == "delete registration":
        api.data(DELETE_REGISTRATION, {"id": setup.registration_id}, admin)
    elif change == "delete application":
        api.data(DELETE_APPLICATION, {"id": setup.app_id}, dev)
    elif change == "revoke key":
        api.data(REVOKE_KEY, {"id": setup.key.id}, dev)
    elif change == "disable version":
        api.data(DISABLE, {"id": setup.version.id}, admin)
    elif change == "revoke developer":
        setup.portal.decide("revokeDeveloper", setup.dev.id)
    else:
        raise AssertionError(change)


@pytest.mark.postgres
@postgres_only
def test_a_key_made_on_another_process_passes_there_within_a_second(
    setup: Setup, other_process: TestClient
) -> None:
    fresh = setup.catalog.key(setup.dev.token, setup.app_id)
    eventually(lambda: verify(other_process, setup.version, fresh.key), 200)


@pytest.mark.postgres
@postgres_only
def test_a_process_that_cannot_hear_events_asks_the_database(
    settings: Settings, setup: Setup, other_process: TestClient
) -> None:
    """Its LISTEN connection cut, the other process trusts nothing it holds: its next
    check is a query, and a change made meanwhile is seen."""
    other = other_process
    setup.assert_allowed(verify(other, setup.version, setup.key.key))
    with counting_statements(_engine(other)) as statements:
        setup.assert_allowed(verify(other, setup.version, setup.key.key))
    assert statements == []

    # Both processes log into this one: wait for both, or the other may not have noticed yet.
    with attached("devportal.events", LogCounter("connection to PostgreSQL lost")) as lost:
        terminate_listeners(settings.database_url)
        lost.wait_for(2)
    with counting_statements(_engine(other)) as statements:
        setup.assert_allowed(verify(other, setup.version, setup.key.key))
    assert statements, "a process that may have missed events answered from memory"
    setup.catalog.decide("rejectRegistration", setup.registration_id)
    eventually(lambda: verify(other, setup.version, setup.key.key), 403)


# --- who holds a token -----------------------------------------------------------------------


def test_a_known_token_costs_no_query_and_a_log_out_holds_at_once(setup: Setup) -> None:
    token = setup.dev.token
    query = "{ myApplications { totalCount } }"
    setup.api.data(query, token=token)  # read once
    with counting_statements(_engine(setup.client)) as statements:
        setup.api.data(query, token=token)
    assert not [s for s in statements if "auth_session" in s], statements
    setup.api.data("mutation { logOut }", token=token)
    assert setup.api.error(query, token=token).code == "UNAUTHENTICATED"


# --- answers for a whole audience ------------------------------------------------------------

CATALOG = "{ catalog { nodes { slug name versions { name } } } portal { name public } }"


def test_the_catalog_costs_no_query_the_second_time_and_a_change_shows_at_once(
    setup: Setup,
) -> None:
    token = setup.dev.token
    first = setup.api.data(CATALOG, token=token)
    with counting_statements(_engine(setup.client)) as statements:
        assert setup.api.data(CATALOG, token=token) == first
    assert statements == []
    setup.catalog.service("maps")
    setup.portal.settings(name="Renamed")
    now = setup.api.data(CATALOG, token=token)
    assert [s["slug"] for s in now["catalog"]["nodes"]] == ["weather", "maps"]
    assert now["portal"]["name"] == "Renamed"


def test_audiences_never_see_each_others_answers(setup: Setup) -> None:
    """A private portal's catalog, cached for developers, is still refused to strangers;
    a query that also asks who is asking is never shared."""
    setup.portal.settings(public=False)
    assert setup.api.data(CATALOG, token=setup.dev.token)["catalog"]["nodes"]
    assert setup.api.error(CATALOG).code == "UNAUTHENTICATED"
    setup.portal.settings(public=True)
    assert setup.api.data(CATALOG)["catalog"]["nodes"]

    who = "{ portal { name } me { ... on Developer { email } ... on Admin { email } } }"
    bob = setup.portal.developer("bob@example.com")
    for _ in range(2):
        assert setup.api.data(who, token=setup.dev.token)["me"]["email"] == setup.dev.email
        assert setup.api.data(who, token=bob.token)["me"]["email"] == bob.email
        assert setup.api.data(who, token=setup.portal.admin)["me"]["email"] != bob.email
        assert setup.api.data(who)["me"] is None


@pytest.mark.postgres
@postgres_only
def test_a_catalog_change_reaches_other_processes_within_a_second(
    setup: Setup, other_process: TestClient
) -> None:
    def slugs() -> list[str]:
        response = other_process.post(
            "/graphql",
            json={"query": CATALOG},
            headers={"Authorization": f"Bearer {setup.dev.token}"},
        )
        return [s["slug"] for s in response.json()["data"]["catalog"]["nodes"]]

    assert slugs() == slugs() == ["weather"]
    setup.catalog.service("maps")
    start = time.perf_counter()
    while slugs() != ["weather", "maps"]:
        assert time.perf_counter() - start < STALE_FOR_AT_MOST


# --- answers for one account -------------------------------------------------------------------

MINE = "{ myApplications { nodes { name credentials { keyPrefix lastUsedAt } } } }"


def test_my_applications_cost_no_query_the_second_time_and_stay_mine(setup: Setup) -> None:
    token = setup.dev.token
    first = setup.api.data(MINE, token=token)
    with counting_statements(_engine(setup.client)) as statements:
        assert setup.api.data(MINE, token=token) == first
    assert statements == []
    bob = setup.portal.developer("bob@example.com")
    setup.catalog.application(bob.token, "bob-app", "Bob's app")
    assert [
        a["name"] for a in setup.api.data(MINE, token=bob.token)["myApplications"]["nodes"]
    ] == ["Bob's app"]
    assert setup.api.data(MINE, token=token) == first


def test_my_applications_show_a_change_at_once_and_a_use_of_a_key(setup: Setup) -> None:
    token = setup.dev.token

    def keys() -> list[dict[str, Any]]:
        return list(setup.api.data(MINE, token=token)["myApplications"]["nodes"][0]["credentials"])

    assert [k["lastUsedAt"] for k in keys()] == [None]
    setup.catalog.key(token, setup.app_id)
    assert len(keys()) == 2
    with watching("devportal.gateway", "recorded the use of 1 keys") as recorded:
        setup.assert_allowed(setup.check())
        assert recorded.seen.wait(WAIT)
    assert keys()[0]["lastUsedAt"] is not None
