"""Rate limits: a fixed window per key, counted in the database so every process agrees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update
from devportal.errors import RateLimited
from devportal.models import Throttle
from devportal.models.base import utcnow


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    window: timedelta


FAILED_LOG_INS = Limit("log-in", 10, timedelta(minutes=15))
"""Wrong passwords for one address before log-in is refused for a while."""

MAIL_TO_ADDRESS = Limit("mail", 5, timedelta(hours=1))
"""Sign-up and reset mails one address may be sent: no one can flood a mailbox."""


def _key(limit: Limit, subject: str) -> str:
    return f"{limit.name}:{subject}"


async def exceeded(session: AsyncSession, limit: Limit, subject: str) -> bool:
    row = await session.get(Throttle, _key(limit, subject))
    return row is not None and row.window_start > utcnow() - limit.window and row.hits >= limit.hits


async def check(session: AsyncSession, limit: Limit, subject: str) -> None:
    if await exceeded(session, limit, subject):
        minutes = int(limit.window.total_seconds() // 60)
        raise RateLimited(f"Too many attempts; try again in {minutes} minutes.")


async def hit(session: AsyncSession, limit: Limit, subject: str) -> None:
    """Count one more: a new window if the last one has passed. One atomic upsert."""
    now = utcnow()
    insert = (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(Throttle)
    stale = col(Throttle.window_start) <= now - limit.window
    statement = insert.values(key=_key(limit, subject), window_start=now, hits=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[col(Throttle.key)],
            set_={
                "hits": sa.case((stale, 1), else_=col(Throttle.hits) + 1),
                "window_start": sa.case((stale, now), else_=col(Throttle.window_start)),
            },
        )
    )


async def clear(session: AsyncSession, limit: Limit, subject: str) -> None:
    await execute_update(
        session, sa.delete(Throttle).where(col(Throttle.key) == _key(limit, subject))
    )


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name
