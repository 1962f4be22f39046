"""Sessions: who holds a bearer token, and logging out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.events import SessionsEnded
from devportal.models import Admin, AuthSession, Developer, DeveloperStatus
from devportal.models.base import utcnow
from devportal.resolvers.common import Account
from devportal.security import token_digest


@dataclass(frozen=True)
class Authenticated:
    account: Account
    expires_at: datetime
    token_digest: str


async def log_out(*, session: AsyncSession, token: str) -> None:
    digest = token_digest(token)
    await execute_update(
        session, sa.delete(AuthSession).where(col(AuthSession.token_hash) == digest)
    )
    queue_event(session, SessionsEnded(token_digest=digest))


async def authenticate(*, session: AsyncSession, token: str) -> Authenticated | None:
    """Who holds a bearer token, or None if it is unknown, expired or disabled."""
    digest = token_digest(token)
    auth = await session.scalar(sa.select(AuthSession).where(col(AuthSession.token_hash) == digest))
    if auth is None or auth.expires_at <= utcnow():
        return None
    account: Account | None = None
    if auth.admin_id is not None:
        account = await session.get(Admin, auth.admin_id)
    elif auth.developer_id is not None:
        developer = await session.get(Developer, auth.developer_id)
        if developer is not None and developer.status == DeveloperStatus.APPROVED:
            account = developer
    return Authenticated(account, auth.expires_at, digest) if account else None
