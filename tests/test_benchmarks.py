"""``make bench`` keeps working: every workload runs for a second on a tiny portal.

Only that each produced numbers is checked (requests made, every answer the
expected status, every subscriber served), never how fast: that is the
benchmark's own business, and these machines are shared.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks import load
from benchmarks.report import table
from benchmarks.run import SMOKE_SIZES, Options, run
from tests.conftest import POSTGRES_URL
from tests.servers import threaded_server

WORKLOADS = {
    "catalog",
    "my_applications",
    "portal",
    "gateway_allowed",
    "gateway_denied",
    "gateway_unknown",
}


def test_every_workload_produces_numbers() -> None:
    workers = 2 if POSTGRES_URL else 1  # several workers need PostgreSQL
    options = Options(
        database_url=POSTGRES_URL,
        seconds=1,
        rounds=1,
        warmup=0,
        connections=4,  # few enough that slow requests finish within the second
        subscribers=20,
        per_connection=2,
        workers=workers,
        sizes=SMOKE_SIZES,
    )
    outcome = run(options)

    assert outcome.loads.keys() >= WORKLOADS
    if workers > 1:
        assert {f"{name}_2_workers" for name in WORKLOADS if "gateway" in name} <= set(
            outcome.loads
        )
    for name, measured in outcome.loads.items():
        for result in measured:
            assert result.requests > 0, name
            assert result.unexpected == 0, (name, result)
    assert outcome.subscribers is not None
    assert len(outcome.subscribers.many.latencies) == 20
    assert outcome.subscribers.many.connections == 10
    assert len(outcome.subscribers.alone.latencies) == 1
    assert len(outcome.subscribers.bare.latencies) == 20
    assert "loop=" in outcome.uvicorn
    assert table(outcome.rows).count("\n") == len(outcome.loads) + 2 + 1


@pytest.fixture
def varying_app() -> Iterator[tuple[str, set[str]]]:
    """An app that answers 201 to a POST with a body, and records each apikey it saw."""
    seen: set[str] = set()

    async def answer(request: Request) -> JSONResponse:
        seen.add(request.headers["apikey"])
        body = await request.body()
        return JSONResponse({"body": body.decode()}, 201 if body == b'{"q": 1}' else 400)

    with threaded_server(Starlette(routes=[Route("/x", answer, methods=["POST"])])) as url:
        yield url, seen


@pytest.mark.parametrize("tool", ["wrk", "python"])
def test_load_generators_send_the_request_and_count_statuses(
    tool: str, varying_app: tuple[str, set[str]]
) -> None:
    if tool == "wrk" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed (make bench installs it)")
    url, seen = varying_app
    request = load.Request(
        "/x", "POST", {"apikey": "key-"}, '{"q": 1}', expect=201, vary_header="apikey"
    )
    result = load.run(url, request, connections=4, seconds=1, using=tool)

    assert result.requests > 0
    assert result.statuses == {201: result.requests}
    assert result.unexpected == 0
    assert len(seen) >= result.requests  # a new key each request

    wrong = load.run(
        url, load.Request("/x", "POST", {"apikey": "k"}, "{}"), connections=2, seconds=1, using=tool
    )
    assert wrong.unexpected == wrong.requests > 0  # 400s, where 200 was expected
