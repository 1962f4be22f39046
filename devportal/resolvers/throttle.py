"""Rate limits: a fixed window per key, counted in the database so every process agrees.

Counting is one atomic upsert that answers the new count, and the count comes
first: an attempt is refused if it is over the limit, so requests made at the
same instant cannot all pass a check made before any of them was counted.
"""

from __future__ import annotations

import hashlib
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

MAX_KEY = 400  # the column's length


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    window: timedelta

    def allows(self, count: int) -> bool:
        """Whether the ``count``-th hit of a window is still within the limit."""
        return count <= self.hits

    def refusal(self) -> RateLimited:
        minutes = int(self.window.total_seconds() // 60)
        return RateLimited(f"Too many attempts; try again in {minutes} minutes.")


FAILED_LOG_INS = Limit("log-in", 10, timedelta(minutes=15))
"""Wrong passwords for one account from one client address."""

LOG_INS_TO_ACCOUNT = Limit("log-in-account", 100, timedelta(minutes=15))
"""Wrong passwords for one account from all client addresses: guessing spread over many."""

LOG_INS_FROM_CLIENT = Limit("log-in-client", 50, timedelta(minutes=15))
"""Wrong passwords from one client address for all accounts: password spraying."""

KNOWN_CLIENT = timedelta(days=1)
"""How long a client address that logged in to an account is remembered as its own
(housekeeping keeps no counter longer than a day)."""

MAIL_TO_ADDRESS = Limit("mail", 5, timedelta(hours=1))
"""Sign-up and reset mails one address may be sent: no one can flood a mailbox."""


TEAM_INVITATIONS = Limit("team-invitation", 50, timedelta(hours=1))
"""Team invitations one developer may send: an owner cannot flood other people's mailboxes."""


def access_request_mails(per_hour: int) -> Limit:
    """Access-request mails to the admins that one developer's requests may cause: a
    register/unregister loop cannot flood the admins (the requests still queue)."""
    return Limit("access-request-mail", per_hour, timedelta(hours=1))


def _key(name: str, subject: str) -> str:
    key = f"{name}:{subject}"
    if len(key) <= MAX_KEY:
        return key
    return f"{name}:sha256:{hashlib.sha256(subject.encode()).hexdigest()}"


async def count(session: AsyncSession, limit: Limit, subject: str) -> int:
    """Count one more hit and answer the window's count, this one included.

    One atomic upsert: a new window if the last one has passed. Until the
    transaction ends the row stays locked, so concurrent hits take turns.
    """
    now = utcnow()
    stale = col(Throttle.window_start) <= now - limit.window
    statement = _insert(session).values(key=_key(limit.name, subject), window_start=now, hits=1)
    hits = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[col(Throttle.key)],
            set_={
                "hits": sa.case((stale, 1), else_=col(Throttle.hits) + 1),
                "window_start": sa.case((stale, now), else_=col(Throttle.window_start)),
            },
        ).returning(col(Throttle.hits))
    )
    assert hits is not None
    return int(hits)


async def uncount(session: AsyncSession, limit: Limit, subject: str) -> None:
    """Take back one hit: an attempt that turned out not to be one to count."""
    await execute_update(
        session,
        sa.update(Throttle)
        .where(col(Throttle.key) == _key(limit.name, subject), col(Throttle.hits) > 0)
        .values(hits=col(Throttle.hits) - 1),
    )


async def clear(session: AsyncSession, limit: Limit, subject: str) -> None:
    await execute_update(
        session, sa.delete(Throttle).where(col(Throttle.key) == _key(limit.name, subject))
    )


async def remember(session: AsyncSession, name: str, subject: str) -> None:
    """Note that something happened now (kept as a counter row, pruned like them)."""
    now = utcnow()
    statement = _insert(session).values(key=_key(name, subject), window_start=now, hits=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[col(Throttle.key)], set_={"window_start": now, "hits": 1}
        )
    )


async def remembered(session: AsyncSession, name: str, subject: str, within: timedelta) -> bool:
    """Whether ``remember`` was called for this within the last ``within``."""
    since = utcnow() - within
    found = await session.scalar(
        sa.select(col(Throttle.key)).where(
            col(Throttle.key) == _key(name, subject), col(Throttle.window_start) > since
        )
    )
    return found is not None


def _insert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Throttle)
    return sqlite.insert(Throttle)
