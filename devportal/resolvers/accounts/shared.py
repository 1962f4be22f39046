"""Account state used by several concerns: finding a developer, status changes, sessions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, NotFound
from devportal.events import DeveloperStatusChanged, SessionsEnded
from devportal.models import AuthSession, Developer, DeveloperStatus
from devportal.models.base import utcnow
from devportal.resolvers.portal import get_portal_settings


async def developer_by_email(session: AsyncSession, email: str) -> Developer | None:
    return await session.scalar(sa.select(Developer).where(col(Developer.email) == email))


async def transition(
    session: AsyncSession,
    developer_id: int | None,
    allowed_from: set[DeveloperStatus],
    target: DeveloperStatus,
) -> Developer:
    """Move a developer to ``target`` if, at this instant, they are in ``allowed_from``.

    A conditional update: of two admins deciding at once, exactly one wins.
    """
    now = utcnow()
    changed = await execute_update(
        session,
        sa.update(Developer)
        .where(col(Developer.id) == developer_id)
        .where(col(Developer.status).in_(allowed_from))
        .values(status=target, updated_at=now),
    )
    developer = await session.get(Developer, developer_id, populate_existing=True)
    if developer is None:
        raise NotFound("No such developer.")
    if not changed:
        raise Conflict(f"This developer is {developer.status.value}; that cannot change so.")
    assert developer.id is not None
    queue_event(
        session,
        DeveloperStatusChanged(
            developer_id=developer.id,
            status=target.value,
            at=now,
            email=developer.email,
            full_name=developer.full_name,
            organization=developer.organization,
            created_at=developer.created_at,
        ),
    )
    return developer


async def confirm_unconfirmed(session: AsyncSession, developer: Developer) -> None:
    """UNCONFIRMED -> PENDING, or APPROVED at once when the portal auto-approves."""
    portal = await get_portal_settings(session)
    target = DeveloperStatus.APPROVED if portal.auto_approve_developers else DeveloperStatus.PENDING
    await transition(session, developer.id, {DeveloperStatus.UNCONFIRMED}, target)


async def end_sessions(session: AsyncSession, developer: Developer) -> None:
    await execute_update(
        session, sa.delete(AuthSession).where(col(AuthSession.developer_id) == developer.id)
    )
    queue_event(session, SessionsEnded(developer_id=developer.id))
