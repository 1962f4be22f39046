"""``lastUsedAt`` of API keys: recorded at most once a minute per key, in the background,
in one statement for all the keys used since the last write, so checks are not writes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from devportal.db import ANNOUNCE_AS, Database
from devportal.models import Credential
from devportal.models.base import timestamp, utcnow

log = logging.getLogger("devportal.gateway")

LAST_USED_RESOLUTION = timedelta(minutes=1)
_RESOLUTION_SECONDS = LAST_USED_RESOLUTION.total_seconds()


class UseRecorder:
    """``lastUsedAt``, at most once a minute per key, written in the background in batches."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}  # POSIX seconds: cheaper than a datetime per check
        self._pending: set[int] = set()
        self._wake = asyncio.Event()

    def used(self, credential_id: int) -> None:
        now = timestamp()
        last = self._last.get(credential_id)
        if last is None or now - last >= _RESOLUTION_SECONDS:
            self._last[credential_id] = now
            self._pending.add(credential_id)
            self._wake.set()

    async def flush(self, db: Database) -> None:
        ids, self._pending = self._pending, set()
        now = utcnow()
        since = now.timestamp() - _RESOLUTION_SECONDS
        self._last = {i: t for i, t in self._last.items() if t > since}
        if not ids:
            return
        # Announced as a change of its own: the gateway's decisions do not depend on it.
        async with db.transaction() as session:
            await session.execute(
                sa.update(Credential)
                .where(col(Credential.id).in_(ids))
                .where(
                    sa.or_(
                        col(Credential.last_used_at).is_(None),
                        col(Credential.last_used_at) <= now - LAST_USED_RESOLUTION,
                    )
                )
                .values(last_used_at=now),
                execution_options={"synchronize_session": False, ANNOUNCE_AS: "credential_use"},
            )
        log.debug("recorded the use of %d keys", len(ids))

    async def run(self, db: Database) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush(db)
            except Exception:
                log.exception("could not record the use of keys; will try with the next use")
