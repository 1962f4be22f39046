"""Delivering queued webhooks in the background, with retries and exponential back-off.

Deliveries are claimed row by row before they are sent: a claim sets
``claimed_until`` in one conditional UPDATE (on PostgreSQL over rows picked with
``FOR UPDATE SKIP LOCKED``), so several processes share the queue and never send
one delivery at the same time; a process that dies mid-send lets its claim run
out, and the delivery is tried again. Up to ``DEVPORTAL_WEBHOOK_CONCURRENCY``
attempts run at once per process, so one slow receiver does not hold up the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from devportal.db import Database, execute_update
from devportal.models import DeliveryStatus, Webhook, WebhookDelivery
from devportal.models.base import utcnow
from devportal.settings import Settings
from devportal.webhooks.sender import TIMEOUT_SECONDS, Attempt, Outcome, Sender

log = logging.getLogger("devportal.webhooks")

CLAIM_SECONDS = 60  # longer than an attempt can last (TIMEOUT_SECONDS)


def retry_delay(attempts: int, base: float) -> float:
    """Seconds to wait after ``attempts`` failed tries: ``base``, doubling each time."""
    return float(base * 2.0 ** min(max(attempts - 1, 0), 60))


def waiting() -> sa.ColumnElement[bool]:
    """A delivery still to be sent, of an enabled endpoint.

    A disabled endpoint's deliveries wait, unclaimed, until it is enabled again."""
    enabled = sa.select(col(Webhook.id)).where(col(Webhook.enabled))
    return sa.and_(
        col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        col(WebhookDelivery.webhook_id).in_(enabled),
    )


def due_clause(now: datetime) -> sa.ColumnElement[bool]:
    """A delivery that may be claimed now: waiting, due, and nobody else's claim."""
    claimed_until = col(WebhookDelivery.claimed_until)
    return sa.and_(
        waiting(),
        col(WebhookDelivery.next_attempt_at) <= now,
        sa.or_(claimed_until.is_(None), claimed_until < now),
    )


class WebhookWorker:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._sender = Sender(
            allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private
        )
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run in the background; on exit, let the attempts in hand finish, then stop."""
        self._stopping = False
        task = asyncio.create_task(self._run(), name="devportal-webhook-worker")
        try:
            yield
        finally:
            self._stopping = True
            self._db.webhooks_queued.set()
            await asyncio.wait({task})
            if self._in_flight:
                _, late = await asyncio.wait(self._in_flight, timeout=TIMEOUT_SECONDS + 5)
                for straggler in late:  # its claim runs out; another try will come
                    straggler.cancel()

    async def _run(self) -> None:
        wakeup = self._db.webhooks_queued
        while not self._stopping:
            wakeup.clear()
            try:
                delay = await self._start_due()
            except Exception:
                log.exception("webhook worker: unexpected error; trying again shortly")
                delay = self._settings.webhook_poll_seconds
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wakeup.wait()

    async def _start_due(self) -> float:
        """Claim what fits in the free slots and start sending it; return how long to
        wait before looking again (a finished attempt wakes the loop sooner)."""
        free = self._settings.webhook_concurrency - len(self._in_flight)
        if free <= 0:
            return self._settings.webhook_poll_seconds
        attempts = await self._claim(free)
        for attempt_id, attempt in attempts:
            task = asyncio.create_task(self._deliver(attempt_id, attempt), name="devportal-webhook")
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        if len(attempts) == free:
            return 0.0
        return await self._until_next_due()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook attempt failed unexpectedly", exc_info=task.exception())
        self._db.webhooks_queued.set()

    async def _claim(self, limit: int) -> list[tuple[int, Attempt]]:
        now = utcnow()
        # A read first: an idle poll writes nothing (no lock, no event about the table).
        async with self._db.session() as session:
            due = await session.scalar(
                sa.select(col(WebhookDelivery.id)).where(due_clause(now)).limit(1)
            )
        if due is None:
            return []
        picked = (
            sa.select(col(WebhookDelivery.id))
            .where(due_clause(now))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._db.transaction() as session:
            claimed = await session.scalars(
                sa.update(WebhookDelivery)
                .where(col(WebhookDelivery.id).in_(picked))
                .where(due_clause(now))
                .values(
                    attempts=col(WebhookDelivery.attempts) + 1,
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                )
                .returning(col(WebhookDelivery.id)),
                execution_options={"synchronize_session": False},
            )
            ids = list(claimed)
            if not ids:
                return []
            rows = await session.execute(
                sa.select(
                    col(WebhookDelivery.id),
                    col(WebhookDelivery.event_id),
                    col(WebhookDelivery.payload),
                    col(Webhook.url),
                    col(Webhook.secret),
                )
                .join(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
                .where(col(WebhookDelivery.id).in_(ids))
            )
            return [
                (row.id, Attempt(row.url, row.secret, row.event_id, row.payload)) for row in rows
            ]

    async def _until_next_due(self) -> float:
        poll = self._settings.webhook_poll_seconds
        async with self._db.session() as session:
            upcoming = await session.scalar(
                sa.select(sa.func.min(col(WebhookDelivery.next_attempt_at))).where(
                    waiting(), col(WebhookDelivery.claimed_until).is_(None)
                )
            )
        if upcoming is None:
            return poll
        return max(0.0, min(poll, (upcoming - utcnow()).total_seconds()))

    async def _deliver(self, delivery_id: int, attempt: Attempt) -> None:
        outcome = await self._sender.send(attempt)
        async with self._db.transaction() as session:
            attempts = await session.scalar(
                sa.select(col(WebhookDelivery.attempts)).where(
                    col(WebhookDelivery.id) == delivery_id
                )
            )
            if attempts is None:
                return  # its endpoint was deleted meanwhile
            values = self._result(attempts, outcome)
            await execute_update(
                session,
                sa.update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == delivery_id)
                .values(**values),
            )
        # Told once committed: whoever reads the line then finds the row as it says.
        self._report(delivery_id, attempts, outcome, values.get("status"))

    def _result(self, attempts: int, outcome: Outcome) -> dict[str, object]:
        values: dict[str, object] = {"claimed_until": None, "last_error": outcome.error}
        if outcome.status is not None:
            values["response_status"] = outcome.status
        if outcome.delivered:
            return {
                **values,
                "status": DeliveryStatus.DELIVERED,
                "delivered_at": utcnow(),
                "next_attempt_at": None,
            }
        if attempts >= self._settings.webhook_max_attempts:
            return {**values, "status": DeliveryStatus.FAILED, "next_attempt_at": None}
        delay = retry_delay(attempts, self._settings.webhook_retry_base_seconds)
        return {**values, "next_attempt_at": utcnow() + timedelta(seconds=delay)}

    def _report(self, delivery_id: int, attempts: int, outcome: Outcome, status: object) -> None:
        """The log line and the failure count of an attempt, by the ``status`` that
        ``_result`` recorded (None: to be tried again)."""
        if status == DeliveryStatus.DELIVERED:
            log.debug("webhook delivery %s delivered (HTTP %s)", delivery_id, outcome.status)
            return
        final = status == DeliveryStatus.FAILED
        _count_failure(final=final)
        if final:
            log.warning(
                "webhook delivery %s failed for good after %d attempts: %s",
                delivery_id,
                attempts,
                outcome.error,
            )
            return
        log.info(
            "webhook delivery %s not delivered (%s); attempt %d of %d, next in %.1fs",
            delivery_id,
            outcome.error,
            attempts,
            self._settings.webhook_max_attempts,
            retry_delay(attempts, self._settings.webhook_retry_base_seconds),
        )


def _count_failure(*, final: bool) -> None:
    """Imported when counted, not with this module: ``serve``'s supervisor imports the
    resolvers (and so this) after setting up prometheus-client's multi-process mode,
    and a metrics module loaded there would add the supervisor's zeros to the workers'."""
    from devportal.metrics import WEBHOOK_FAILURES

    WEBHOOK_FAILURES.labels("true" if final else "false").inc()
