"""Account state used by several concerns: finding a developer, status changes, sessions."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, NotFound
from devportal.events import DeveloperStatusChanged, SessionsEnded
from devportal.models import AuditAction, AuthSession, Developer, DeveloperStatus
from devportal.models.base import utcnow
from devportal.resolvers import audit
from devportal.resolvers.portal import get_portal_settings
from devportal.resolvers.webhook_events import developer_data, queue_webhook


@dataclass(frozen=True)
class Decision:
    """Who decided (None: the portal, by itself) and why (None: no reason given)."""

    admin_id: int | None = None
    reason: str | None = None


async def developer_by_email(session: AsyncSession, email: str) -> Developer | None:
    return await session.scalar(sa.select(Developer).where(col(Developer.email) == email))


async def transition(
    session: AsyncSession,
    developer_id: int | None,
    allowed_from: set[DeveloperStatus],
    target: DeveloperStatus,
    *,
    decision: Decision | None = None,
) -> Developer:
    """Move a developer to ``target`` if, at this instant, they are in ``allowed_from``.

    A conditional update: of two admins deciding at once, exactly one wins. The
    status reason goes with the status: any change without one clears it.
    """
    now = utcnow()
    values: dict[str, object] = {"status": target, "updated_at": now, "status_reason": None}
    if decision is not None:
        values.update(
            status_reason=decision.reason, decided_by_id=decision.admin_id, decided_at=now
        )
    changed = await execute_update(
        session,
        sa.update(Developer)
        .where(col(Developer.id) == developer_id)
        .where(col(Developer.status).in_(allowed_from))
        .values(**values),
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
    await queue_webhook(session, "DEVELOPER_STATUS_CHANGED", developer_data(developer))
    return developer


async def confirm_unconfirmed(session: AsyncSession, developer: Developer) -> Developer:
    """UNCONFIRMED -> PENDING, or APPROVED at once when the portal auto-approves
    (a decision by nobody, in the audit log)."""
    portal = await get_portal_settings(session)
    if not portal.auto_approve_developers:
        return await transition(
            session, developer.id, {DeveloperStatus.UNCONFIRMED}, DeveloperStatus.PENDING
        )
    developer = await transition(
        session,
        developer.id,
        {DeveloperStatus.UNCONFIRMED},
        DeveloperStatus.APPROVED,
        decision=Decision(),
    )
    audit.record(
        session,
        action=AuditAction.DEVELOPER_APPROVED,
        actor=None,
        subject=developer,
        summary="Approved by the portal: it approves developers once they confirm their email.",
    )
    return developer


async def end_sessions(session: AsyncSession, developer: Developer) -> None:
    await execute_update(
        session, sa.delete(AuthSession).where(col(AuthSession.developer_id) == developer.id)
    )
    queue_event(session, SessionsEnded(developer_id=developer.id))
