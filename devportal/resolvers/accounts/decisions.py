"""Admins' decisions on developers: approve, reject, revoke; each one is mailed and audited."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Admin, AuditAction, Developer, DeveloperStatus
from devportal.resolvers import audit
from devportal.resolvers.accounts.shared import Decision, end_sessions, transition
from devportal.resolvers.checks import optional_text
from devportal.settings import Settings

MAX_REASON = 2_000


def checked_reason(reason: str | None) -> str | None:
    """An admin's reason (or a developer's message): up to 2,000 characters, lines allowed."""
    return optional_text(reason, "The reason", MAX_REASON, lines=True)


class DeveloperDecision(Protocol):
    async def __call__(
        self,
        *,
        session: AsyncSession,
        settings: Settings,
        admin: Admin,
        developer_id: int,
        reason: str | None = None,
    ) -> Developer: ...


async def approve_developer(
    *,
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    developer_id: int,
    reason: str | None = None,
) -> Developer:
    """Approval takes no reason (``reason`` is ignored): it clears the last one."""
    developer = await transition(
        session,
        developer_id,
        {DeveloperStatus.PENDING, DeveloperStatus.REJECTED, DeveloperStatus.REVOKED},
        DeveloperStatus.APPROVED,
        decision=Decision(admin.id),
    )
    _done(session, settings, admin, developer, AuditAction.DEVELOPER_APPROVED)
    return developer


async def reject_developer(
    *,
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    developer_id: int,
    reason: str | None = None,
) -> Developer:
    developer = await transition(
        session,
        developer_id,
        {DeveloperStatus.PENDING},
        DeveloperStatus.REJECTED,
        decision=Decision(admin.id, checked_reason(reason)),
    )
    _done(session, settings, admin, developer, AuditAction.DEVELOPER_REJECTED)
    return developer


async def revoke_developer(
    *,
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    developer_id: int,
    reason: str | None = None,
) -> Developer:
    """APPROVED -> REVOKED: their sessions end now; their data stays."""
    developer = await transition(
        session,
        developer_id,
        {DeveloperStatus.APPROVED},
        DeveloperStatus.REVOKED,
        decision=Decision(admin.id, checked_reason(reason)),
    )
    await end_sessions(session, developer)
    _done(session, settings, admin, developer, AuditAction.DEVELOPER_REVOKED)
    return developer


def _done(
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    developer: Developer,
    action: AuditAction,
) -> None:
    """Mail the decision to the developer and write it in the audit log."""
    mail = templates.developer_decision(
        full_name=developer.full_name,
        decision=developer.status.value,
        login_link=settings.link("/login"),
        reason=developer.status_reason,
    )
    enqueue(session, to=developer.email, mail=mail)
    verb = developer.status.value.lower()
    reason = f": {developer.status_reason}" if developer.status_reason else ""
    summary = f"Developer {developer.id} {verb} by {admin.email}{reason}"
    audit.record(session, action=action, actor=admin, subject=developer, summary=summary)
