"""Admins' decisions on developers: approve, reject, revoke; each one is mailed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Admin, Developer, DeveloperStatus
from devportal.resolvers.accounts.shared import end_sessions, transition
from devportal.settings import Settings


async def approve_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    developer = await transition(
        session,
        developer_id,
        {DeveloperStatus.PENDING, DeveloperStatus.REJECTED, DeveloperStatus.REVOKED},
        DeveloperStatus.APPROVED,
    )
    _mail_decision(session, settings, developer)
    return developer


async def reject_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    developer = await transition(
        session, developer_id, {DeveloperStatus.PENDING}, DeveloperStatus.REJECTED
    )
    _mail_decision(session, settings, developer)
    return developer


async def revoke_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    """APPROVED -> REVOKED: their sessions end now; their data stays."""
    developer = await transition(
        session, developer_id, {DeveloperStatus.APPROVED}, DeveloperStatus.REVOKED
    )
    await end_sessions(session, developer)
    _mail_decision(session, settings, developer)
    return developer


def _mail_decision(session: AsyncSession, settings: Settings, developer: Developer) -> None:
    mail = templates.developer_decision(
        full_name=developer.full_name,
        decision=developer.status.value,
        login_link=settings.link("/login"),
    )
    enqueue(session, to=developer.email, mail=mail)
