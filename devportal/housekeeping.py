"""The background task that prunes the database now and then (see resolvers.housekeeping),
and warns about credentials about to expire (see resolvers.expiry)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from devportal.db import Database
from devportal.models.base import utcnow
from devportal.resolvers.expiry import warn_expiring
from devportal.resolvers.housekeeping import prune
from devportal.resolvers.webhooks import prune_deliveries
from devportal.settings import Settings

log = logging.getLogger("devportal.housekeeping")


class Housekeeper:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._interval = settings.housekeeping_interval_seconds
        self._keep_events = timedelta(seconds=settings.event_log_keep_seconds)
        self._warn_within = timedelta(days=settings.credential_expiry_warning_days)
        self._applications_link = settings.link("/applications")
        self._db = db
        self._stop = asyncio.Event()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._stop.clear()
        task = asyncio.create_task(self._run(), name="devportal-housekeeping")
        try:
            yield
        finally:
            self._stop.set()
            await task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.once()
            except Exception:
                log.exception("housekeeping failed; trying again at the next interval")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stop.wait()

    async def once(self) -> None:
        try:
            await self._warn()
        except Exception:  # pruning must not wait for a failing warning
            log.exception("expiry warnings failed; trying again at the next interval")
        async with self._db.transaction() as session:
            pruned = await prune(session=session, now=utcnow(), keep_events=self._keep_events)
            deliveries = await prune_deliveries(session=session, now=utcnow())
        if deliveries:
            log.info("housekeeping: removed %d old webhook deliveries", deliveries)
        if pruned.total:
            log.info(
                "housekeeping: removed %d ended sessions, %d spent email tokens, "
                "%d old mails, %d old rate-limit counters, %d old events, "
                "%d expired team invitations",
                pruned.sessions,
                pruned.email_tokens,
                pruned.mail,
                pruned.counters,
                pruned.events,
                pruned.invitations,
            )
        log.debug("housekeeping round done")

    async def _warn(self) -> None:
        if not self._warn_within:
            return
        async with self._db.transaction() as session:
            warned = await warn_expiring(
                session=session,
                now=utcnow(),
                within=self._warn_within,
                link=self._applications_link,
            )
        if warned:
            log.info("housekeeping: warned about %d credentials about to expire", warned)
