"""Single-use links of admin accounts: invitations and password resets."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import InvalidToken
from devportal.models import AdminToken, AdminTokenPurpose
from devportal.models.base import utcnow
from devportal.security import new_token, token_digest

INVITATION_DAYS = 7


def issue_admin_token(
    session: AsyncSession,
    purpose: AdminTokenPurpose,
    email: str,
    ttl: timedelta,
    admin_id: int | None = None,
) -> str:
    token = new_token()
    session.add(
        AdminToken(
            token_hash=token_digest(token),
            purpose=purpose,
            email=email,
            admin_id=admin_id,
            expires_at=utcnow() + ttl,
        )
    )
    return token


async def use_admin_token(
    session: AsyncSession, token: str, purpose: AdminTokenPurpose
) -> AdminToken:
    """Spend a link, and every other unused link of its kind to the same address: one
    statement, so two uses at once cannot both succeed (as ``use_email_token``)."""
    now = utcnow()
    digest = token_digest(token)
    row = await session.scalar(
        sa.select(AdminToken)
        .where(col(AdminToken.token_hash) == digest)
        .where(col(AdminToken.purpose) == purpose)
        .where(col(AdminToken.used_at).is_(None))
        .where(col(AdminToken.expires_at) > now)
    )
    if row is None:
        raise InvalidToken()
    spent = await session.scalars(
        sa.update(AdminToken)
        .where(col(AdminToken.email) == row.email)
        .where(col(AdminToken.purpose) == purpose)
        .where(col(AdminToken.used_at).is_(None))
        .values(used_at=now)
        .returning(col(AdminToken.token_hash))
    )
    if digest not in set(spent):
        raise InvalidToken()
    return row
