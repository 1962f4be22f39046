"""Admin accounts: the first from the CLI or at start-up; the rest invited by an admin."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, NotFound
from devportal.events import SessionsEnded
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import (
    Admin,
    AdminTokenPurpose,
    AuditAction,
    AuthSession,
    Developer,
    Registration,
)
from devportal.resolvers import audit
from devportal.resolvers.accounts.admin_links import (
    INVITATION_DAYS,
    issue_admin_token,
    use_admin_token,
)
from devportal.resolvers.accounts.inputs import check_password, normalize_email
from devportal.resolvers.accounts.passwords import hash_password
from devportal.settings import Settings


async def create_admin(*, session: AsyncSession, email: str, password: str) -> Admin:
    email = normalize_email(email)
    check_password(password)
    if await _admin_by_email(session, email) is not None:
        raise Conflict("An admin with this email already exists.")
    admin = Admin(email=email, password_hash=await hash_password(password))
    session.add(admin)
    await session.flush()
    return admin


async def any_admin_exists(session: AsyncSession) -> bool:
    return await session.scalar(sa.select(col(Admin.id)).limit(1)) is not None


async def invite_admin(
    *, session: AsyncSession, settings: Settings, admin: Admin, email: str
) -> None:
    """Mail a link that makes ``email`` an admin once a password is chosen (7 days)."""
    address = normalize_email(email)
    if await _admin_by_email(session, address) is not None:
        raise Conflict("This address is an admin's already.")
    ttl = timedelta(days=INVITATION_DAYS)
    token = issue_admin_token(session, AdminTokenPurpose.INVITATION, address, ttl)
    link = settings.link(f"/accept-invitation?token={token}")
    mail = templates.admin_invitation(inviter=admin.email, link=link, days=INVITATION_DAYS)
    enqueue(session, to=address, mail=mail)
    summary = f"{address} invited by {admin.email}"
    audit.record(
        session, action=AuditAction.ADMIN_INVITED, actor=admin, subject=None, summary=summary
    )


async def accept_admin_invitation(*, session: AsyncSession, token: str, password: str) -> Admin:
    """Become the admin an invitation names, with this password."""
    check_password(password)
    invitation = await use_admin_token(session, token, AdminTokenPurpose.INVITATION)
    if await _admin_by_email(session, invitation.email) is not None:
        raise Conflict("This address is an admin's already.")
    admin = Admin(email=invitation.email, password_hash=await hash_password(password))
    session.add(admin)
    await session.flush()
    summary = f"{admin.email} accepted an invitation"
    audit.record(
        session, action=AuditAction.ADMIN_JOINED, actor=admin, subject=admin, summary=summary
    )
    return admin


async def remove_admin(*, session: AsyncSession, admin: Admin, admin_id: int) -> None:
    """Remove an admin (themselves too) and end their sessions; never the last one.

    Every admin row is locked first: two admins removing each other at once
    take turns, and the second finds one admin left.
    """
    admins = list(await session.scalars(sa.select(Admin).order_by(col(Admin.id)).with_for_update()))
    removed = next((row for row in admins if row.id == admin_id), None)
    if removed is None:
        raise NotFound("No such admin.")
    if len(admins) == 1:
        raise Conflict("This is the last admin: invite another before removing it.")
    for table in (Developer, Registration):
        await execute_update(
            session,
            sa.update(table).where(col(table.decided_by_id) == admin_id).values(decided_by_id=None),
        )
    ended = await session.scalars(
        sa.delete(AuthSession)
        .where(col(AuthSession.admin_id) == admin_id)
        .returning(col(AuthSession.token_hash))
    )
    for digest in list(ended):
        queue_event(session, SessionsEnded(token_digest=digest))
    summary = f"{removed.email} removed by {admin.email}"
    audit.record(
        session, action=AuditAction.ADMIN_REMOVED, actor=admin, subject=removed, summary=summary
    )
    await execute_update(session, sa.delete(Admin).where(col(Admin.id) == admin_id))


async def _admin_by_email(session: AsyncSession, email: str) -> Admin | None:
    return await session.scalar(sa.select(Admin).where(col(Admin.email) == email))
