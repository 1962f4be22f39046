"""Removing what is no longer needed: ended sessions, spent tokens and invitations, old mail,
counters and events."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update
from devportal.models import (
    AuthSession,
    EmailToken,
    EventLogEntry,
    MailStatus,
    OutboxMessage,
    TeamInvitation,
    Throttle,
)

KEEP_MAIL = timedelta(days=30)
KEEP_COUNTERS = timedelta(days=1)
KEEP_EVENTS = timedelta(hours=1)


@dataclass(frozen=True)
class Pruned:
    sessions: int
    email_tokens: int
    mail: int
    counters: int
    events: int = 0
    invitations: int = 0

    @property
    def total(self) -> int:
        return sum(astuple(self))  # every field is a count


async def prune(
    *, session: AsyncSession, now: datetime, keep_events: timedelta = KEEP_EVENTS
) -> Pruned:
    """Delete expired sessions, used or expired email tokens and team invitations (a used
    one is deleted at once), mail sent or failed over 30 days ago, rate-limit counters
    whose window is long past, and events older than ``keep_events`` (but the newest: it
    tells a starting process where the ids are)."""
    return Pruned(
        sessions=await execute_update(
            session, sa.delete(AuthSession).where(col(AuthSession.expires_at) <= now)
        ),
        email_tokens=await execute_update(
            session,
            sa.delete(EmailToken).where(
                sa.or_(col(EmailToken.expires_at) <= now, col(EmailToken.used_at).is_not(None))
            ),
        ),
        mail=await execute_update(
            session,
            sa.delete(OutboxMessage).where(
                col(OutboxMessage.status).in_([MailStatus.SENT, MailStatus.FAILED]),
                col(OutboxMessage.created_at) <= now - KEEP_MAIL,
            ),
        ),
        counters=await execute_update(
            session, sa.delete(Throttle).where(col(Throttle.window_start) <= now - KEEP_COUNTERS)
        ),
        events=await execute_update(
            session,
            sa.delete(EventLogEntry).where(
                col(EventLogEntry.created_at) <= now - keep_events,
                col(EventLogEntry.id) < sa.select(sa.func.max(EventLogEntry.id)).scalar_subquery(),
            ),
        ),
        invitations=await execute_update(
            session, sa.delete(TeamInvitation).where(col(TeamInvitation.expires_at) <= now)
        ),
    )
