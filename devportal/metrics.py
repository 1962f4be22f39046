"""Prometheus metrics: what a platform team watches (see the README's "Operating").

Off unless ``DEVPORTAL_METRICS`` names an address: then ``devportal serve``
serves ``/metrics`` there, on a port of its own, away from anything a gateway
forwards (``serve_metrics``). Under ``serve --workers N`` the workers write their
values to files in a directory of our own (prometheus-client's multi-process
mode) and the serving process adds them up.

Counters and histograms count as things happen; gauges of things each process
holds (WebSockets, subscriptions) move as they open and close; what needs a
look at the database (outbox backlog, event-bus lag, pool use) is sampled by
``Sampler`` every ``DEVPORTAL_METRICS_SAMPLE_SECONDS``.

``middleware.measure.Measure`` times requests into these metrics, with label
values bounded: GraphQL operation names are the client's text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import Counter, Gauge, Histogram
from sqlmodel import col

from devportal.db import Database
from devportal.events import Event
from devportal.models import MailStatus, OutboxMessage
from devportal.models.base import utcnow

log = logging.getLogger("devportal.metrics")

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

GRAPHQL_SECONDS = Histogram(
    "devportal_graphql_request_duration_seconds",
    "GraphQL requests over HTTP, by operation name, from the first byte in to the last out.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GATEWAY_SECONDS = Histogram(
    "devportal_gateway_check_duration_seconds",
    "Gateway checks (/gateway/verify), by decision: allowed, denied, unknown_key, no_key, "
    "not_found, unavailable (503: database down or too busy).",
    ["decision"],
    buckets=_FAST,
)
CACHE_LOOKUPS = Counter(
    "devportal_cache_lookups_total",
    "Lookups in per-process caches, by cache and result (hit, miss).",
    ["cache", "result"],
)
GRAPHQL_ERRORS = Counter(
    "devportal_graphql_errors_total",
    "Errors answered to GraphQL operations, by contract code (RATE_LIMITED: refused by a limit).",
    ["code"],
)
SHED = Counter(
    "devportal_requests_shed_total",
    "Requests answered 503 because their lane was full for too long, by lane (gateway, main).",
    ["lane"],
)
MAIL_FAILURES = Counter(
    "devportal_mail_delivery_failures_total",
    "Failed mail deliveries; final=true when the message was given up on.",
    ["final"],
)
WEBSOCKETS = Gauge(
    "devportal_websockets_connected",
    "Open WebSocket connections.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "devportal_subscriptions_active",
    "GraphQL subscriptions running.",
    multiprocess_mode="livesum",
)
BUS_LISTENING = Gauge(
    "devportal_event_bus_listening",
    "1 while this process hears every change (PostgreSQL: its LISTEN connection holds).",
    multiprocess_mode="livemin",
)
BUS_LAG = Gauge(
    "devportal_event_bus_lag_events",
    "Event-log rows committed but not yet read by this process (PostgreSQL; sampled).",
    multiprocess_mode="livemax",
)
OUTBOX_BACKLOG = Gauge(
    "devportal_outbox_backlog",
    "Mail waiting to be sent, retries included (sampled).",
    multiprocess_mode="livemax",
)
OUTBOX_OLDEST = Gauge(
    "devportal_outbox_oldest_age_seconds",
    "Age of the oldest mail waiting to be sent; 0 when none waits (sampled).",
    multiprocess_mode="livemax",
)
WEBHOOK_BACKLOG = Gauge(
    "devportal_webhook_backlog",
    "Webhook deliveries waiting to be sent, retries included (sampled).",
    multiprocess_mode="livemax",
)
WEBHOOK_OLDEST = Gauge(
    "devportal_webhook_oldest_age_seconds",
    "Age of the oldest webhook delivery waiting; 0 when none waits (sampled).",
    multiprocess_mode="livemax",
)
WEBHOOK_FAILED = Gauge(
    "devportal_webhook_deliveries_failed",
    "Webhook deliveries given up on (FAILED) and kept, until redelivered (sampled).",
    multiprocess_mode="livemax",
)
WEBHOOK_FAILURES = Counter(
    "devportal_webhook_delivery_failures_total",
    "Failed webhook attempts; final=true when the delivery was given up on.",
    ["final"],
)
POOL_IN_USE = Gauge(
    "devportal_db_pool_connections_in_use",
    "Database connections checked out of the pool (sampled).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "devportal_db_pool_size",
    "Connections the pool keeps; it may open as many again for a burst.",
    multiprocess_mode="livesum",
)


class BusState:
    """An observer of the event bus: whether this process hears every change."""

    def on_event(self, event: Event) -> None:
        pass

    def on_hearing(self, hearing: bool) -> None:
        BUS_LISTENING.set(1 if hearing else 0)


class Sampler:
    """Reads, every ``interval`` seconds, what is only known by asking."""

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.db.bus.observe(BusState())
        task = asyncio.create_task(self._run(), name="devportal-metrics-sampler")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.wait({task})
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    async def _run(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception as exc:  # the database may be down: the next sample says so
                log.debug("metrics: could not sample: %s", exc)
            await asyncio.sleep(self.interval)  # sampling period, not a wait for an event

    async def sample(self) -> None:
        # Imported here: the webhook worker counts its failures in this module.
        from devportal.resolvers.webhooks import backlog as webhook_backlog

        pool = self.db.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if checked_out is not None:
            POOL_IN_USE.set(checked_out())
            POOL_SIZE.set(pool.size())  # type: ignore[attr-defined]
        async with self.db.session() as session:
            count, oldest = (
                await session.execute(
                    sa.select(sa.func.count(), sa.func.min(col(OutboxMessage.created_at))).where(
                        col(OutboxMessage.status) == MailStatus.PENDING
                    )
                )
            ).one()
            hooks = await webhook_backlog(session)
            position = getattr(self.db.bus, "position", None)
            newest = None
            if position is not None:
                newest = await session.scalar(sa.text("SELECT max(id) FROM event_log"))
        OUTBOX_BACKLOG.set(count)
        age = (utcnow() - oldest) if oldest is not None else timedelta(0)
        OUTBOX_OLDEST.set(max(age.total_seconds(), 0.0))
        WEBHOOK_BACKLOG.set(hooks.pending)
        WEBHOOK_OLDEST.set(hooks.oldest_seconds)
        WEBHOOK_FAILED.set(hooks.failed)
        if position is not None and newest is not None:
            BUS_LAG.set(max(int(newest) - int(position), 0))
