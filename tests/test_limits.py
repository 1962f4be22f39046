"""Query limits: linear in the document whatever its shape, and a cost limit on list fan-out
(validation, cached and without suggestions: test_limits_validation)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.schema import DevportalSchema
from devportal.schema.cost import FULL_INTROSPECTION
from devportal.settings import Settings
from tests.flows import Catalog, Portal
from tests.servers import threaded_server
from tests.support import WAIT, Api, watching

PORTAL_NAME = "{ portal { name } }"


def fragment_bomb(leaf: str, *, levels: int = 11, fan: int = 4, close: str | None = None) -> str:
    """Each fragment spreads the next ``fan`` times: ``fan ** levels`` leaves, once expanded.

    ``close``, if given, is spread by the last fragment (``F0`` makes a cycle).
    """
    parts = ["{ ...F0 }"]
    for level in range(levels - 1):
        spreads = " ".join([f"...F{level + 1}"] * fan)
        parts.append(f"fragment F{level} on Query {{ {spreads} }}")
    last = f"{leaf} ...{close}" if close else leaf
    parts.append(f"fragment F{levels - 1} on Query {{ {last} }}")
    return "\n".join(parts)


def deep_bomb(levels: int = 6, fan: int = 4) -> str:
    """Fields nest three levels per fragment, each level spread ``fan`` times."""
    parts = ["{ me { ... on Developer { ...D0 } } }"]
    for level in range(levels):
        inner = " ".join([f"...D{level + 1}"] * fan) if level + 1 < levels else "id"
        nested = f"applications {{ nodes {{ owner {{ {inner} }} }} }}"
        parts.append(f"fragment D{level} on Developer {{ {nested} }}")
    return "\n".join(parts)


def chain_bomb(length: int = 60) -> str:
    """Each fragment spreads the next two: expanded, the chain grows like Fibonacci numbers."""
    parts = ["{ ...C0 }"]
    for link in range(length):
        parts.append(f"fragment C{link} on Query {{ ...C{link + 1} ...C{link + 2} }}")
    parts += [f"fragment C{length} on Query {{ portal {{ name }} }}"]
    parts += [f"fragment C{length + 1} on Query {{ portal {{ name }} }}"]
    return "\n".join(parts)


SHAPES = [
    pytest.param(fragment_bomb("portal { name }"), "QUERY_TOO_COMPLEX", "costs", id="fields"),
    pytest.param(fragment_bomb("a: __typename"), "QUERY_TOO_COMPLEX", "aliases", id="aliases"),
    pytest.param(
        fragment_bomb("__typename @include(if: true)"),
        "QUERY_TOO_COMPLEX",
        "directives",
        id="directives",
    ),
    pytest.param(deep_bomb(), "QUERY_TOO_COMPLEX", "depth", id="depth"),
    pytest.param(chain_bomb(), "QUERY_TOO_COMPLEX", "costs", id="chain"),
    # A cycle (refused by validation) must not loop; its fan-out is refused first.
    pytest.param(
        fragment_bomb("portal { name }", close="F0"), "QUERY_TOO_COMPLEX", "costs", id="cycle"
    ),
    # No expansion here, but graphql-core compares same-named fields pairwise.
    pytest.param(
        "{ " + "portal { name } " * 490 + "}", "QUERY_TOO_COMPLEX", "aborted", id="repeats"
    ),
    pytest.param(
        "{ "
        + " ".join(f"...A{i}" for i in range(150))
        + " }\n"
        + "\n".join(f"fragment A{i} on Query {{ portal {{ name }} }}" for i in range(150)),
        "QUERY_TOO_COMPLEX",
        "aborted",
        id="side by side",
    ),
]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def timed_post(api: Api, query: str) -> tuple[float, httpx2.Response]:
    return timed(lambda: api.post(query))


def refused(response: httpx2.Response) -> tuple[str, str]:
    """The code and message of the one error a refused request answers."""
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]["extensions"]["code"], errors[0]["message"]


def schema_of(client: TestClient) -> DevportalSchema:
    """The schema the app serves (the GraphQL view's), to read its validation cache."""
    route = next(r for r in client.app.routes if isinstance(r, Route) and r.path == "/graphql")  # type: ignore[attr-defined]
    schema = getattr(route.endpoint, "schema", None)
    assert isinstance(schema, DevportalSchema)
    return schema


# --- linear in the document -----------------------------------------------------------------------


@pytest.mark.parametrize(("query", "code", "says"), SHAPES)
def test_every_shape_is_answered_at_once_with_one_error_and_one_log_line(
    api: Api, query: str, code: str, says: str
) -> None:
    assert len(query) < 8000  # a few kilobytes, within the token limit
    # A document as long, but of comments, is the baseline. Every text is new, so no
    # cache helps; the best of three attempts is kept, so a stalled one does not count.
    padded = "#\n" * 1900 + PORTAL_NAME
    baseline = statistics.median(timed_post(api, f"# {n}\n{padded}")[0] for n in range(5))
    with watching("devportal.graphql") as log:
        attempts = [timed_post(api, f"# {n}\n{query}") for n in range(3)]
    for _, response in attempts:
        got, message = refused(response)
        assert (got, says in message) == (code, True), message
    # Expanded, these documents hold millions of fields; measured, a few hundred.
    elapsed = min(seconds for seconds, _ in attempts)
    assert elapsed < 20 * baseline + 0.25, (elapsed, baseline)
    assert len(log.records) == len(attempts), [r.getMessage() for r in log.records]
    assert not [r for r in log.records if r.exc_info]


@contextmanager
def bombarding(url: str, make_query: Callable[[int], str]) -> Iterator[list[httpx2.Response]]:
    """Posts bombs (each a new text, so no cache helps) until the block ends."""
    answers: list[httpx2.Response] = []
    stop = threading.Event()
    started = threading.Event()

    def run() -> None:
        with httpx2.Client(base_url=url, timeout=60) as client:
            number = 0
            while not stop.is_set():
                started.set()
                answers.append(client.post("/graphql", json={"query": make_query(number)}))
                number += 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert started.wait(WAIT)
        yield answers
    finally:
        stop.set()
        thread.join(60)


def test_a_fragment_bomb_does_not_hold_up_a_concurrent_health_check(settings: Settings) -> None:
    def typical_health_check(client: httpx2.Client) -> float:
        """The median of ten: one check slowed by a noisy machine must not decide the test."""
        times = []
        for _ in range(10):
            elapsed, response = timed(lambda: client.get("/healthz"))
            assert response.status_code == 200
            times.append(elapsed)
        return statistics.median(times)

    def bomb(number: int) -> str:
        return f"# bomb {number}\n" + fragment_bomb("portal { name }")

    with (
        threaded_server(create_app(settings)) as url,
        httpx2.Client(base_url=url, timeout=60) as client,
    ):
        alone = typical_health_check(client)
        with bombarding(url, bomb) as answers:
            during = typical_health_check(client)
    assert during < 20 * alone + 0.5, (during, alone)
    assert answers
    assert {refused(answer)[0] for answer in answers} == {"QUERY_TOO_COMPLEX"}


# --- cost -----------------------------------------------------------------------------------------

FAN_OUT = """
query($n: Int) { myApplications(first: $n) { nodes { owner {
  applications(first: $n) { nodes { owner {
    applications(first: $n) { nodes { id } } } } } } } } }
"""
MY_APPLICATIONS = """
query($first: Int) { myApplications(first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id name referenceId description createdAt updatedAt
    registrations { id status createdAt updatedAt
      serviceVersion { id name appRegistrationEnabled autoApprove authStrategy
        service { id slug name description published } } }
    credentials { id keyPrefix createdAt lastUsedAt } } } }
"""
CATALOG = """
query($first: Int) { catalog(first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id slug name description published
    versions { id name appRegistrationEnabled autoApprove authStrategy } } } } }
"""


def test_cost_refuses_nested_fan_out_and_lets_what_a_portal_asks_for_pass(
    api: Api, portal: Portal, catalog: Catalog
) -> None:
    developer = portal.developer("ada@example.com")
    version = catalog.service("weather")
    catalog.approved_key(developer.token, version)

    # Within the depth limit, but up to 100 x 100 x 100 applications.
    for variables in ({"n": 100}, {"n": 40}):
        code, message = refused(api.post(FAN_OUT, variables, developer.token))
        assert code == "QUERY_TOO_COMPLEX", message
        assert "the limit is 50000" in message
    literal = FAN_OUT.replace("query($n: Int)", "query").replace("$n", "100")
    assert refused(api.post(literal, token=developer.token))[0] == "QUERY_TOO_COMPLEX"
    # The same document with small pages is fine.
    fanned = api.data(FAN_OUT, {"n": 5}, developer.token)
    assert fanned["myApplications"]["nodes"][0]["owner"]["applications"]["nodes"]

    for first in (None, 50, 100):
        mine = api.data(MY_APPLICATIONS, {"first": first}, developer.token)
        assert mine["myApplications"]["nodes"][0]["registrations"][0]["serviceVersion"]
        services = api.data(CATALOG, {"first": first}, developer.token)
        assert services["catalog"]["edges"][0]["node"]["versions"]


def test_introspection_has_a_budget_that_graphiqls_query_fits(api: Api) -> None:
    full = FULL_INTROSPECTION
    assert api.data(full)["__schema"]["types"]
    # Fifteen aliased copies (as many as aliases allow) would be fifteen full introspections.
    operation, fragments = full[: full.index("fragment")], full[full.index("fragment") :]
    schema_field = operation[operation.index("{") + 1 : operation.rindex("}")].strip()
    copies = " ".join(f"s{i}: {schema_field}" for i in range(15))
    code, message = refused(api.post(f"{{ {copies} }}\n{fragments}"))
    assert code == "QUERY_TOO_COMPLEX"
    assert "introspection" in message
