"""Admins deciding registrations: approving or rejecting one, and the list they decide from.

A decision is a conditional update, so of two admins deciding the same request
at the same moment exactly one wins; it queues a ``RegistrationChanged`` event
and a webhook, mails the application's contacts and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, NotFound
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import (
    Admin,
    Application,
    AuditAction,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)
from devportal.models.base import utcnow
from devportal.resolvers import audit
from devportal.resolvers.accounts.decisions import checked_reason
from devportal.resolvers.applications import registration_event
from devportal.resolvers.pagination import Page, paginate
from devportal.resolvers.teams import application_contacts
from devportal.resolvers.webhook_events import queue_webhook, registration_data
from devportal.settings import Settings

APPROVED = AuditAction.REGISTRATION_APPROVED
REJECTED = AuditAction.REGISTRATION_REJECTED


@dataclass(frozen=True)
class Decision:
    target: RegistrationStatus
    admin: Admin
    reason: str | None = None


async def approve_registration(
    *, session: AsyncSession, settings: Settings, admin: Admin, registration_id: int
) -> Registration:
    return await _decide(
        session,
        settings,
        registration_id,
        {RegistrationStatus.PENDING},
        Decision(RegistrationStatus.APPROVED, admin),
    )


async def reject_registration(
    *,
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    registration_id: int,
    reason: str | None = None,
) -> Registration:
    """PENDING -> REJECTED, or APPROVED -> REJECTED (an admin withdrawing access)."""
    return await _decide(
        session,
        settings,
        registration_id,
        {RegistrationStatus.PENDING, RegistrationStatus.APPROVED},
        Decision(RegistrationStatus.REJECTED, admin, checked_reason(reason)),
    )


async def list_registrations(
    *,
    session: AsyncSession,
    admin: Admin,
    status: RegistrationStatus | None,
    first: int | None,
    after: str | None,
) -> Page[Registration]:
    """Registrations, oldest first, optionally of one status."""
    statement = sa.select(Registration)
    if status is not None:
        statement = statement.where(col(Registration.status) == status)
    return await paginate(session, statement, key=col(Registration.id), first=first, after=after)


async def _decide(
    session: AsyncSession,
    settings: Settings,
    registration_id: int,
    allowed_from: set[RegistrationStatus],
    decision: Decision,
) -> Registration:
    """A conditional update: of two admins deciding at once, exactly one wins."""
    target, now = decision.target, utcnow()
    changed = await execute_update(
        session,
        sa.update(Registration)
        .where(col(Registration.id) == registration_id)
        .where(col(Registration.status).in_(allowed_from))
        .values(
            status=target,
            updated_at=now,
            reason=decision.reason,
            decided_by_id=decision.admin.id,
            decided_at=now,
        ),
    )
    registration = await session.get(Registration, registration_id, populate_existing=True)
    if registration is None:
        raise NotFound("No such registration; the developer may have withdrawn it.")
    if not changed:
        raise Conflict(f"This registration is {registration.status.value} already.")
    application = await session.get(Application, registration.application_id)
    version = await session.get(ServiceVersion, registration.service_version_id)
    assert application is not None
    assert version is not None
    service = await session.get(Service, version.service_id)
    assert service is not None
    queue_event(session, registration_event(target.value, registration, application))
    await queue_webhook(
        session, f"REGISTRATION_{target.value}", registration_data(registration, application)
    )
    for developer in await application_contacts(session, application):
        mail = templates.registration_decision(
            full_name=developer.full_name,
            application=application.name,
            service=service.name,
            version=version.name,
            decision=target.value,
            link=settings.link("/applications"),
            reason=decision.reason,
        )
        enqueue(session, to=developer.email, mail=mail)
    _audit_decision(
        session, decision, registration, f'"{application.name}" for {service.name} {version.name}'
    )
    return registration


def _audit_decision(
    session: AsyncSession, decision: Decision, registration: Registration, what: str
) -> None:
    verb = decision.target.value.lower()
    reason = f": {decision.reason}" if decision.reason else ""
    summary = f"Request {registration.id} ({what}) {verb} by {decision.admin.email}{reason}"
    action = APPROVED if decision.target == RegistrationStatus.APPROVED else REJECTED
    audit.record(
        session, action=action, actor=decision.admin, subject=registration, summary=summary
    )
