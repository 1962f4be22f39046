"""``/metrics`` on a port of its own: the counts of known traffic, one worker or two."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import POSTGRES_URL, portal_on
from tests.flows import Catalog, Portal
from tests.receiver import Receiver, create_webhook
from tests.servers import ServerProcess, graphql_websocket
from tests.support import WAIT, SmtpServer, free_port
from tests.test_operating import ROOT, VERIFY, server_env

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
EVENTS = "subscription { registrationEvents { kind } }"


def scrape(url: str) -> Samples:
    text = httpx2.get(url, timeout=WAIT).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@contextmanager
def metered_server(
    database_url: str, smtp: SmtpServer, *args: str, **extra: str
) -> Iterator[tuple[ServerProcess, str]]:
    port = free_port()
    env = server_env(
        database_url,
        smtp,
        DEVPORTAL_METRICS=f"127.0.0.1:{port}",
        DEVPORTAL_LOG_LEVEL="DEBUG",
        **extra,
    )
    server = ServerProcess(env, ROOT, *args)
    try:
        yield server, f"http://127.0.0.1:{port}/metrics"
    finally:
        server.stop()


def _known_traffic(client: httpx2.Client, smtp: SmtpServer, rounds: int) -> Portal:
    """Each round, each on a connection of its own (so two workers share them): a check
    allowed, one denied, one with an unknown key, one with none, and two named queries."""
    portal = portal_on(client, smtp)
    catalog = Catalog(portal)
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    allowed = catalog.approved_key(dev.token, version).key
    denied = catalog.key(dev.token, catalog.application(dev.token, "other", "Other"))
    base = str(client.base_url)
    for _ in range(rounds):
        for key in (allowed, denied.key, "unknown", None):
            headers = {"apikey": key} if key else {}
            httpx2.get(base + VERIFY, headers=headers, timeout=WAIT)
        for _ in range(2):  # the second answered from memory, and still counted
            httpx2.post(base + "/graphql", json={"query": "query Name { portal { name } }"})
    return portal


def _assert_counts(samples: Samples, rounds: int) -> None:
    count = "devportal_gateway_check_duration_seconds_count"
    for decision in ("allowed", "denied", "unknown_key", "no_key"):
        assert value(samples, count, decision=decision) == rounds, decision
    graphql = "devportal_graphql_request_duration_seconds_count"
    assert value(samples, graphql, operation="Name") == 2 * rounds
    lookups = "devportal_cache_lookups_total"
    assert value(samples, lookups, cache="answers_per_audience", result="hit") >= rounds
    assert value(samples, lookups, cache="gateway_decisions", result="hit") >= 1


def test_metrics_count_known_traffic_and_live_connections(
    database_url: str, smtp: SmtpServer
) -> None:
    with (
        metered_server(database_url, smtp) as (server, metrics),
        httpx2.Client(base_url=server.url, timeout=WAIT) as client,
    ):
        assert client.get("/metrics").status_code == 404  # never on the application's port
        portal = _known_traffic(client, smtp, rounds=3)
        refused = client.post("/graphql", json={"query": "{ pendingDevelopers { totalCount } }"})
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        ide = client.get("/graphql", headers={"Accept": "text/html"})  # GraphiQL: no operation
        assert ide.headers["content-type"].startswith("text/html")
        assert client.post("/graphql", content=b"{").status_code == 400  # refused: (invalid)
        with graphql_websocket(server.url, portal.admin) as feed:
            assert feed.acknowledged()
            feed.subscribe(EVENTS)
            server.wait_for_line("subscriber joined", WAIT)
            samples = scrape(metrics)
            live = (
                value(samples, "devportal_websockets_connected"),
                value(samples, "devportal_subscriptions_active"),
            )
        after = scrape(metrics)
    _assert_counts(samples, rounds=3)
    assert value(samples, "devportal_graphql_errors_total", code="UNAUTHENTICATED") == 1
    graphql = "devportal_graphql_request_duration_seconds_count"
    assert value(samples, graphql, operation="(invalid)") == 1  # the bad body; not the page
    assert live == (1, 1)
    assert value(after, "devportal_websockets_connected") == 0
    assert value(samples, "devportal_event_bus_listening") == 1
    assert ("devportal_outbox_backlog", frozenset()) in samples
    assert ("devportal_db_pool_connections_in_use", frozenset()) in samples


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().serving() as serving:
        yield serving


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="two workers need PostgreSQL")
def test_two_workers_add_up_on_postgresql(database_url: str, smtp: SmtpServer) -> None:
    with (
        metered_server(database_url, smtp, "--workers", "2") as (server, metrics),
        httpx2.Client(base_url=server.url, timeout=WAIT) as client,
    ):
        server.wait_for_line("Application startup complete")  # the second worker
        _known_traffic(client, smtp, rounds=20)
        samples = scrape(metrics)
    _assert_counts(samples, rounds=20)
    assert value(samples, "devportal_db_pool_size") == 2 * 10  # both workers, added up
    assert value(samples, "devportal_event_bus_listening") == 1  # the least of the two


def test_webhook_failures_and_the_failed_backlog_are_counted(
    database_url: str, smtp: SmtpServer, receiver: Receiver
) -> None:
    """A receiver that always answers 500: one retry, then given up on."""
    allow_local_receiver = {
        "DEVPORTAL_WEBHOOK_ALLOW_HTTP": "true",
        "DEVPORTAL_WEBHOOK_ALLOW_PRIVATE": "true",
        "DEVPORTAL_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "DEVPORTAL_WEBHOOK_MAX_ATTEMPTS": "2",
        "DEVPORTAL_METRICS_SAMPLE_SECONDS": "0.1",
    }
    with (
        metered_server(database_url, smtp, **allow_local_receiver) as (server, metrics),
        httpx2.Client(base_url=server.url, timeout=WAIT) as client,
    ):
        portal = portal_on(client, smtp)
        create_webhook(portal.api, portal.admin, receiver.url, ["DEVELOPER_SIGNED_UP"])
        receiver.answer(500, 500)
        portal.sign_up("ada@example.com")
        receiver.take(2)
        server.wait_for_line("failed for good")
        deadline = time.monotonic() + WAIT  # the gauge is sampled every 0.1 s
        while value(samples := scrape(metrics), "devportal_webhook_deliveries_failed") != 1:
            assert time.monotonic() < deadline, "the failed delivery was never sampled"
    failures = "devportal_webhook_delivery_failures_total"
    assert value(samples, failures, final="false") == 1
    assert value(samples, failures, final="true") == 1
    assert value(samples, "devportal_webhook_backlog") == 0
