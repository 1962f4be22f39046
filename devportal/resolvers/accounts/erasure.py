"""Erasing a developer: the account and everything of theirs, at their request or an admin's.

What goes: the account, its sessions and email links (by cascade), their
applications with their registrations and keys (a team's stay with the team:
``teams.hand_over``; a team they were alone in goes) (the gateway refuses the keys
from the next call on, on every process: the writes empty each process's
cache), every mail to their address, sent or not, the rate-limit counters
keyed by it, and the events that carried it. The audit log keeps its entries,
with the actor emptied and the person's name and address taken out of the
summaries.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import InvalidCredentials, NotFound
from devportal.events import SessionsEnded
from devportal.models import (
    Admin,
    Application,
    AuditAction,
    Developer,
    EventLogEntry,
    OutboxMessage,
    Registration,
    Throttle,
)
from devportal.resolvers import audit
from devportal.resolvers.accounts.passwords import verify_password
from devportal.resolvers.applications import registration_event
from devportal.resolvers.teams import delete_deserted, hand_over
from devportal.resolvers.webhook_events import queue_webhook, registration_data


async def delete_my_account(*, session: AsyncSession, developer: Developer, password: str) -> None:
    """The developer's own erasure; the password guards against a session left open."""
    current = await session.get(Developer, developer.id, with_for_update=True)
    if current is None or not await verify_password(current.password_hash, password):
        raise InvalidCredentials()
    await _erase(session, current.id, current)


async def delete_developer(*, session: AsyncSession, admin: Admin, developer_id: int) -> None:
    await _erase(session, developer_id, admin)


async def _erase(session: AsyncSession, developer_id: int | None, actor: Admin | Developer) -> None:
    developer = await session.get(Developer, developer_id, with_for_update=True)
    if developer is None:
        raise NotFound("No such developer.")
    assert developer.id is not None
    deserted = await hand_over(session, developer.id)  # team applications stay with their teams
    await _delete_applications(session, developer.id)
    await delete_deserted(session, deserted)
    address = developer.email
    await execute_update(
        session, sa.delete(OutboxMessage).where(col(OutboxMessage.recipient) == address)
    )
    await execute_update(
        session, sa.delete(Throttle).where(col(Throttle.key).contains(address, autoescape=True))
    )
    await execute_update(
        session,
        sa.delete(EventLogEntry).where(
            col(EventLogEntry.payload).contains(address, autoescape=True)
        ),
    )
    await audit.forget_person(session, developer)
    who = "by themselves" if isinstance(actor, Developer) else f"by {actor.email}"
    summary = f"Developer {developer.id} and their applications deleted {who}"
    audit.record(
        session,
        action=AuditAction.DEVELOPER_DELETED,
        actor=actor,
        subject=developer,
        summary=summary,
    )
    await execute_update(session, sa.delete(Developer).where(col(Developer.id) == developer.id))
    queue_event(session, SessionsEnded(developer_id=developer.id))


async def _delete_applications(session: AsyncSession, developer_id: int) -> None:
    """Their applications, each registration announced as UNREGISTERED (as when an
    application is deleted); the keys go with them by cascade."""
    applications = list(
        await session.scalars(
            sa.select(Application).where(col(Application.developer_id) == developer_id)
        )
    )
    ids = [application.id for application in applications]
    registrations = await session.scalars(
        sa.select(Registration).where(col(Registration.application_id).in_(ids))
    )
    by_id = {application.id: application for application in applications}
    for registration in registrations:
        application = by_id[registration.application_id]
        queue_event(session, registration_event("UNREGISTERED", registration, application))
        await queue_webhook(
            session, "REGISTRATION_UNREGISTERED", registration_data(registration, application)
        )
    await execute_update(session, sa.delete(Application).where(col(Application.id).in_(ids)))
