"""PostgreSQL restarted under load: clients checking keys and making mutations all along.

While it is down, requests fail with a clear answer; once it is back, the server
answers again without a restart (live updates included), and every mutation is
written whole or not at all. The PostgreSQL server is one of the test's own, so
stopping it disturbs nobody else's tests.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from devportal import migrate
from devportal.app import create_app
from tests.conftest import POSTGRES_URL, make_settings, portal_on
from tests.faults import PostgresCluster, Tally, assert_written_whole
from tests.flows import CREATE_APP, REGISTER, Catalog, Portal
from tests.servers import graphql_websocket, threaded_server
from tests.support import WAIT, Api, LogCounter, SmtpServer, attached, free_port, watching

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="runs with DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)"
    ),
]

VERIFY = "/gateway/verify/weather/v1"
EVENTS = "subscription { registrationEvents { kind registration { status application { name } } } }"
# What a client must never read in an error: how the server failed is for its log.
LEAKS = ("traceback", "errno", "asyncpg", "sqlalchemy", "postgres", "refused", "connect")


@dataclass
class Outage:
    url: str
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)  # neither a success nor a clear refusal
    unhandled: list[str] = field(default_factory=list)  # exceptions that reached uvicorn
    healthz: tuple[int, int] = (0, 0)  # while PostgreSQL is down, once it is back
    readyz: list[dict[str, Any]] = field(default_factory=list)  # before, while down, after
    event: dict[str, Any] = field(default_factory=dict)  # a live event after the restart


def _gateway(client: httpx2.Client, key: str) -> str:
    """ok, refused (503 with the check's JSON body), or what was unclear about it."""
    try:
        response = client.get(VERIFY, headers={"apikey": key})
    except httpx2.TransportError as exc:
        return f"unclear: gateway check cut: {exc!r}"
    if response.status_code == 200:
        return "ok"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 503 and isinstance(body, dict) and set(body) == {"message"}:
        return "refused"
    return f"unclear: gateway check answered {response.status_code} {response.text[:80]!r}"


def _graphql(
    client: httpx2.Client, query: str, variables: dict[str, Any], token: str
) -> tuple[str, dict[str, Any]]:
    """ok and the data, refused (INTERNAL_SERVER_ERROR, nothing leaked), or what was unclear."""
    try:
        response = Api(client).post(query, variables, token)
        payload = response.json()
    except httpx2.TransportError as exc:
        return f"unclear: GraphQL request cut: {exc!r}", {}
    except ValueError:
        return f"unclear: GraphQL {response.status_code} {response.text[:80]!r}", {}
    if not payload.get("errors"):
        return "ok", dict(payload["data"])
    error = payload["errors"][0]
    code, message = error.get("extensions", {}).get("code"), str(error.get("message"))
    if code == "INTERNAL_SERVER_ERROR" and not any(leak in message.lower() for leak in LEAKS):
        return "refused", {}
    return f"unclear: GraphQL {code} {message!r}", {}


Worker = Callable[[httpx2.Client], str]


def _registering(token: str, version_id: str, n: int, outage: Outage) -> Worker:
    """A developer creating applications and asking access for each, one after another."""
    names = (f"load{n}-{i:04}" for i in itertools.count())

    def work(client: httpx2.Client) -> str:
        name = next(names)
        variables: dict[str, Any] = {"input": {"name": name, "referenceId": name}}
        outcome, data = _graphql(client, CREATE_APP, variables, token)
        if outcome == "ok":
            outage.acknowledged.append(("application", name))
            variables = {"app": data["createApplication"]["id"], "version": version_id}
            outcome, _ = _graphql(client, REGISTER, variables, token)
            if outcome == "ok":
                outage.acknowledged.append(("registration", name))
        return outcome

    return work


def _load(
    kind: str, work: Worker, base: str, tally: Tally, outage: Outage, stop: threading.Event
) -> None:
    with httpx2.Client(base_url=base, timeout=WAIT) as client:
        while not stop.is_set():
            outcome = work(client)
            tally.add(f"{kind} {outcome.split(':')[0]}")
            if outcome.startswith("unclear"):
                outage.unclear.append(outcome)


def _failed(counts: Counter[str], kind: str) -> int:
    return counts[f"{kind} refused"] + counts[f"{kind} unclear"]


def _restart_under_load(
    cluster: PostgresCluster, base: str, client: httpx2.Client, portal: Portal
) -> Outage:
    """Stop PostgreSQL while clients check keys and make mutations; start it again."""
    outage = Outage(cluster.url)
    catalog = Catalog(portal)
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    key = catalog.approved_key(dev.token, version).key
    tally, stop = Tally(), threading.Event()
    workers = [("gateway", lambda c: _gateway(c, key))] * 2 + [
        ("mutation", _registering(dev.token, version.id, n, outage)) for n in range(2)
    ]
    threads = [
        threading.Thread(target=_load, args=(kind, work, base, tally, outage, stop))
        for kind, work in workers
    ]
    for thread in threads:
        thread.start()
    try:
        tally.wait_until(lambda c: c["gateway ok"] >= 5 and c["mutation ok"] >= 3)
        outage.readyz.append(_readyz(client))
        with watching("devportal.events", "listening on") as heard:
            cluster.stop()
            down = client.get("/healthz").status_code
            outage.readyz.append(_readyz(client))
            tally.wait_until(lambda c: _failed(c, "gateway") >= 3 and _failed(c, "mutation") >= 3)
            before = tally.counts()
            cluster.start()
            tally.wait_until(
                lambda c: (
                    c["gateway ok"] >= before["gateway ok"] + 5
                    and c["mutation ok"] >= before["mutation ok"] + 3
                ),
                timeout=WAIT * 2,
            )
            assert heard.seen.wait(WAIT * 3), "the event listener did not listen again"
    finally:
        stop.set()
        for thread in threads:
            thread.join(WAIT)
    outage.healthz = (down, client.get("/healthz").status_code)
    outage.readyz.append(_readyz(client))
    outage.event = _live_event(base, portal, dev.token, version.id)
    return outage


def _readyz(client: httpx2.Client) -> dict[str, Any]:
    response = client.get("/readyz")
    return {"status": response.status_code, **response.json()["checks"]}


def _live_event(base: str, portal: Portal, token: str, version_id: str) -> dict[str, Any]:
    """What an admin's subscription hears of a registration made after the restart."""
    with (
        attached("devportal.live", LogCounter("subscriber joined")) as joined,
        graphql_websocket(base, portal.admin) as feed,
    ):
        assert feed.acknowledged()
        feed.subscribe(EVENTS)
        joined.wait_for(1)
        app = Catalog(portal).application(token, "after", name="after")
        portal.api.data(REGISTER, {"app": app, "version": version_id}, token)
        return dict(feed.next_payload()["data"]["registrationEvents"])


@pytest.fixture(scope="module")
def outage() -> Iterator[Outage]:
    """One restart under load, shared by the tests that judge it."""
    cluster = PostgresCluster()
    smtp = SmtpServer(free_port()).start()
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        with (
            watching("uvicorn.error", "Exception in ASGI application") as unhandled,
            threaded_server(create_app(make_settings(cluster.url, smtp.port))) as base,
            httpx2.Client(base_url=base, timeout=WAIT) as client,
        ):
            portal = portal_on(client, smtp)
            result = _restart_under_load(cluster, base, client, portal)
        result.unhandled = [record.getMessage() for record in unhandled.records]
        yield result
    finally:
        smtp.stop()
        cluster.remove()


def test_a_postgres_restart_under_load_heals_without_a_restart_or_half_writes(
    outage: Outage,
) -> None:
    assert outage.healthz == (503, 200)
    ready = {"database": "ok", "migrations": "ok", "eventBus": "ok", "shutdown": "ok"}
    before, down, after = outage.readyz
    assert before == after == {"status": 200, **ready}
    # The event listener may not have noticed yet: the database check has.
    assert (down["status"], down["database"], down["migrations"]) == (503, *["unreachable"] * 2)
    created = {"status": "PENDING", "application": {"name": "after"}}
    assert outage.event == {"kind": "CREATED", "registration": created}
    assert_written_whole(outage.url, outage.acknowledged)


def test_requests_while_postgres_is_down_get_a_clear_answer(outage: Outage) -> None:
    """The gateway check answers 503 with its JSON body (nginx passes it on as a 500, and
    the operator's log shows the cause); GraphQL answers INTERNAL_SERVER_ERROR, no detail;
    no exception reaches uvicorn, so no connection is dropped."""
    assert not outage.unclear, Counter(outage.unclear)
    assert not outage.unhandled, Counter(outage.unhandled)
