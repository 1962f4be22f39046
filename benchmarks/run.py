"""``make bench``: devportal under load, each workload next to its bare baseline.

    .venv/bin/python -m benchmarks [--seconds 6] [--subscribers 10000] [--workers 2]
    BENCH_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m benchmarks

Starts ``devportal serve`` (one worker, log level WARNING) on a fresh SQLite
database, or on PostgreSQL from ``--database-url`` / ``BENCH_DATABASE_URL``
(whose ``public`` schema is DROPPED first), seeds it through the GraphQL API,
and loads it with wrk (or benchmarks/loadgen.py where wrk is missing), 32
connections, devportal and its baseline taking turns in rounds. The baselines
run in a separate process with devportal's own uvicorn settings
(benchmarks/baseline.py). Then, with ``--workers 2``
(PostgreSQL only), the gateway check on two workers against one; then one
event to many WebSocket subscribers. Ends with one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx2
import uvloop

from benchmarks import load, report
from benchmarks.baseline import ANSWERS, SETTINGS_LINE
from benchmarks.load import Result
from benchmarks.report import Row
from benchmarks.seed import ADMIN, Sizes, seed
from benchmarks.servers import Process, allow_open_files, reset_postgres
from benchmarks.subscriptions import SubscriberResult, measure
from benchmarks.workloads import Workload, baseline_answers, gateway_workloads, graphql_workloads
from tests.flows import Portal
from tests.support import Api, SmtpServer, free_port

_STARTED = time.monotonic()
# A slow workload's round lasts long enough for each connection to finish this
# many requests (one worker serves them in turn), up to MAX_ROUND_SECONDS.
REQUESTS_PER_CONNECTION = 2
MAX_ROUND_SECONDS = 30
SMOKE_SIZES = Sizes(services=2, versions=3, applications=2, keys=2)


@dataclass(frozen=True)
class Options:
    database_url: str | None = None  # PostgreSQL (reset first); None: a fresh SQLite file
    seconds: int = 6  # measured, per server and workload, over all rounds
    rounds: int = 3  # devportal and its baseline take turns
    warmup: int = 1  # seconds of load before the first round; 0 for none
    connections: int = 32
    subscribers: int = 10_000  # 0: no subscriber benchmark
    per_connection: int = 1  # subscriptions per WebSocket
    workers: int = 1  # > 1: the gateway check again on that many workers (PostgreSQL)
    http: bool = True  # False: the subscriber benchmark only
    sizes: Sizes = field(default_factory=Sizes)
    load_generator: str = "auto"  # wrk, python, or auto: wrk when installed


@dataclass
class Outcome:
    """What was measured: rows for the table, and the numbers behind them."""

    rows: list[Row] = field(default_factory=list)
    loads: dict[str, tuple[Result, Result]] = field(default_factory=dict)  # ours, baseline's
    subscribers: SubscriberResult | None = None
    tool: str = ""
    uvicorn: str = ""
    database: str = ""
    load_average: float = field(default_factory=lambda: os.getloadavg()[0])  # at the start


def run(options: Options) -> Outcome:
    if options.workers > 1 and not options.database_url:
        raise SystemExit("benchmarks: --workers needs PostgreSQL (--database-url)")
    allow_open_files(2 * options.subscribers // max(1, options.per_connection) + 4096)
    outcome = Outcome(tool=load.tool(options.load_generator))
    outcome.database = "PostgreSQL" if options.database_url else "SQLite"
    smtp = SmtpServer(free_port()).start()
    try:
        with tempfile.TemporaryDirectory(prefix="devportal-bench-") as tmp:
            url = options.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
            if options.database_url:
                reset_postgres(url)
            _phases(options, outcome, _devportal_env(url, smtp.port), smtp, Path(tmp))
    finally:
        smtp.stop()
    return outcome


def _phases(
    options: Options, outcome: Outcome, env: dict[str, str], smtp: SmtpServer, tmp: Path
) -> None:
    """One baseline process throughout; devportal for the load (log level WARNING), on
    several workers, then for the subscribers (DEBUG)."""
    first = env if options.http else _subscriber_env(env, options)
    _progress(f"starting servers on {outcome.database}")
    with started(
        ("devportal.cli", ["serve"], first), ("benchmarks.baseline", [], _baseline_env(tmp))
    ) as (devportal, baseline):
        outcome.uvicorn = _uvicorn_settings(baseline)
        if options.http:
            gateway = _load_phase(options, outcome, devportal, baseline, smtp, tmp)
            devportal.stop()
            if options.workers > 1:
                _workers_phase(options, outcome, env, gateway)
        if options.subscribers > 0:
            with ExitStack() as stack:
                if options.http:
                    subscriber_server = Process(
                        "devportal.cli", ["serve"], _subscriber_env(env, options)
                    )
                    devportal = stack.enter_context(running(subscriber_server))
                _subscriber_phase(options, outcome, devportal, baseline, smtp)


def _devportal_env(database_url: str, smtp_port: int) -> dict[str, str]:
    return {
        "DEVPORTAL_DATABASE_URL": database_url,
        "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
        "DEVPORTAL_LOG_LEVEL": "WARNING",
    }


@contextmanager
def running(process: Process) -> Iterator[Process]:
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def started(*commands: tuple[str, list[str], dict[str, str]]) -> Iterator[list[Process]]:
    """Start the processes side by side (each imports for seconds), stop them all after."""
    with ThreadPoolExecutor(len(commands)) as pool, ExitStack() as stack:
        starting = [pool.submit(Process, module, args, env) for module, args, env in commands]
        for future in starting:  # every started one is stopped, even if another failed
            with suppress(Exception):
                stack.enter_context(running(future.result()))
        yield [future.result() for future in starting]


def _portal(client: httpx2.Client, smtp: SmtpServer) -> Portal:
    return Portal(Api(client), smtp.inbox, admin_email=ADMIN[0], admin_password=ADMIN[1])


def _load_phase(
    options: Options,
    outcome: Outcome,
    devportal: Process,
    baseline: Process,
    smtp: SmtpServer,
    tmp: Path,
) -> list[Workload]:
    """Seed, then each workload on the baseline and on devportal; the gateway's workloads."""
    _progress(f"seeding {options.sizes}")
    with httpx2.Client(base_url=devportal.url, timeout=60) as client:
        seeded = seed(_portal(client, smtp), options.sizes)
        answers = baseline_answers(client, seeded)
    (tmp / "answers.json").write_text(json.dumps(answers))
    for workload in graphql_workloads(seeded) + gateway_workloads(seeded):
        theirs, ours = _compare(
            options,
            outcome,
            (baseline.url, workload.baseline),
            (devportal.url, workload.devportal),
        )
        outcome.loads[workload.name] = (ours, theirs)
        outcome.rows.append(report.load_row(workload, ours, theirs))
        _progress(outcome.rows[-1])
    return gateway_workloads(seeded)


def _uvicorn_settings(baseline: Process) -> str:
    """What the baseline logged of the settings devportal serve gave it."""
    return next(
        line.split(SETTINGS_LINE, 1)[1].strip() for line in baseline.log if SETTINGS_LINE in line
    )


def _baseline_env(tmp: Path) -> dict[str, str]:
    return {
        "DEVPORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/baseline.db",  # only migrated
        "DEVPORTAL_LOG_LEVEL": "WARNING",
        ANSWERS: str(tmp / "answers.json"),  # read at the first request, once seeding wrote it
    }


def _workers_phase(
    options: Options, outcome: Outcome, env: dict[str, str], gateway: list[Workload]
) -> None:
    """The gateway check on several workers, against devportal's own one-worker figures."""
    args = ["serve", "--workers", str(options.workers)]
    with running(Process("devportal.cli", args, env, workers=options.workers)) as devportal:
        for workload in gateway:
            (ours,) = _compare(options, outcome, (devportal.url, workload.devportal))
            one_worker = outcome.loads[workload.name][0]
            outcome.loads[f"{workload.name}_{options.workers}_workers"] = (ours, one_worker)
            titled = replace(
                workload,
                title=f"{workload.title}, {options.workers} workers",
                target=f"~{0.9 * options.workers:.1f} on ≥ {2 * options.workers} CPUs",
            )
            outcome.rows.append(report.load_row(titled, ours, one_worker, "1 worker"))
            _progress(outcome.rows[-1])


def _subscriber_env(env: dict[str, str], options: Options) -> dict[str, str]:
    return env | {
        "DEVPORTAL_LOG_LEVEL": "DEBUG",  # "subscriber joined … (N listening)"
        "DEVPORTAL_MAX_SUBSCRIPTIONS_PER_CONNECTION": str(max(20, options.per_connection)),
    }


def _subscriber_phase(
    options: Options, outcome: Outcome, devportal: Process, baseline: Process, smtp: SmtpServer
) -> None:
    _progress(f"{options.subscribers:,} subscribers")
    with httpx2.Client(base_url=devportal.url, timeout=60) as client:
        result = uvloop.run(
            measure(
                devportal,
                _portal(client, smtp),
                baseline,
                options.subscribers,
                options.per_connection,
            )
        )
    outcome.subscribers = result
    outcome.rows += report.subscriber_rows(result)
    _progress(outcome.rows[-2])


def _compare(
    options: Options, outcome: Outcome, *targets: tuple[str, load.Request]
) -> list[Result]:
    """Each (base URL, request) measured in ``options.rounds`` rounds, taking turns, so
    that the load other processes put on a shared machine falls on each alike.

    Each gets a warm-up first; a round lasts long enough for each connection to
    finish a few requests; a request sent alone after each round waits out what
    the server still has in hand, so no round loads the next.
    """
    per_round = max(1, options.seconds // options.rounds)
    lengths = []
    for url, request in targets:
        if options.warmup:
            _run(options, outcome, url, request, options.warmup)
        load.once(url, request)  # waits out what the warm-up left in hand
        alone = load.once(url, request)
        needed = math.ceil(REQUESTS_PER_CONNECTION * options.connections * alone)
        lengths.append(min(MAX_ROUND_SECONDS, max(per_round, needed)))
    rounds: list[list[Result]] = [[] for _ in targets]
    for _ in range(options.rounds):
        for (url, request), seconds, results in zip(targets, lengths, rounds, strict=True):
            results.append(_run(options, outcome, url, request, seconds))
            load.once(url, request)
    return [load.combined(results) for results in rounds]


def _run(
    options: Options, outcome: Outcome, base_url: str, request: load.Request, seconds: int
) -> Result:
    return load.run(
        base_url, request, connections=options.connections, seconds=seconds, using=outcome.tool
    )


def _progress(message: object) -> None:
    if isinstance(message, Row):
        message = f"{message.workload}: {message.devportal} ({message.ratio} of the baseline)"
    elapsed = time.monotonic() - _STARTED
    print(f"bench [{elapsed:5.0f} s]: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="PostgreSQL URL (its public schema is dropped); default: a fresh SQLite file",
    )
    parser.add_argument("--seconds", type=int, default=6, help="measured, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="devportal and baseline alternate")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before the first round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--per-connection", type=int, default=1, help="subscriptions a socket")
    parser.add_argument("--workers", type=int, default=1, help="also the gateway on N workers")
    parser.add_argument(
        "--subscribers-only", action="store_true", help="no HTTP workloads, subscribers only"
    )
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny: one round of 1 s, 4 connections, no warm-up, 20 subscribers",
    )
    args = parser.parse_args(argv)
    options = Options(
        database_url=args.database_url,
        seconds=args.seconds,
        rounds=args.rounds,
        warmup=args.warmup,
        connections=args.connections,
        subscribers=args.subscribers,
        per_connection=args.per_connection,
        workers=args.workers,
        load_generator=args.load_generator,
        http=not args.subscribers_only,
    )
    if args.smoke:
        options = replace(
            options,
            seconds=1,
            rounds=1,
            warmup=0,
            connections=4,
            subscribers=20,
            sizes=SMOKE_SIZES,
        )
    outcome = run(options)
    print(
        f"\n{outcome.database}, one uvicorn worker, {options.connections} connections, "
        f"{options.rounds} rounds of {options.seconds // options.rounds} s or more, taking turns "
        f"({outcome.tool}); {report.machine()}; "
        f"load average {outcome.load_average:.1f} at the start.\n"
        f"uvicorn settings, devportal's and the baselines': {outcome.uvicorn}\n"
    )
    print(report.table(outcome.rows))
