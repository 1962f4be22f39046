"""Self-service on one's own account: the password and, for developers, the profile."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import InvalidCredentials
from devportal.events import SessionsEnded
from devportal.models import Admin, AuthSession, Developer
from devportal.models.base import utcnow
from devportal.resolvers.accounts.inputs import check_password
from devportal.resolvers.accounts.passwords import hash_password, verify_password
from devportal.resolvers.checks import optional_text, required_text


async def change_password(
    *,
    session: AsyncSession,
    account: Admin | Developer,
    current_password: str,
    new_password: str,
    keep_session: str,
) -> None:
    """Set a new password; every session of the account but ``keep_session`` (the
    digest of the token this request carries) ends."""
    check_password(new_password)
    row: Admin | Developer | None = await session.get(
        type(account), account.id, with_for_update=True
    )
    if row is None or not await verify_password(row.password_hash, current_password):
        raise InvalidCredentials()
    row.password_hash = await hash_password(new_password)
    if isinstance(row, Developer):
        row.updated_at = utcnow()
    owner = col(AuthSession.admin_id) if isinstance(row, Admin) else col(AuthSession.developer_id)
    ended = await session.scalars(
        sa.delete(AuthSession)
        .where(owner == row.id)
        .where(col(AuthSession.token_hash) != keep_session)
        .returning(col(AuthSession.token_hash))
    )
    for digest in list(ended):
        queue_event(session, SessionsEnded(token_digest=digest))


@dataclass(frozen=True)
class ProfileChange:
    full_name: str | None = None
    organization: str | None = None


async def update_profile(
    *, session: AsyncSession, developer: Developer, change: ProfileChange
) -> Developer:
    """Change the name and organization; a field left out (None) stays, an empty
    organization removes it."""
    values: dict[str, object] = {"updated_at": utcnow()}
    if change.full_name is not None:
        values["full_name"] = required_text(change.full_name, "The full name")
    if change.organization is not None:
        values["organization"] = optional_text(change.organization, "The organization")
    await execute_update(
        session, sa.update(Developer).where(col(Developer.id) == developer.id).values(**values)
    )
    row = await session.get(Developer, developer.id, populate_existing=True)
    assert row is not None
    return row
