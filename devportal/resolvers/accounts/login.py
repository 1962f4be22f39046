"""Log-in, for developers and admins, limited against password guessing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import Database
from devportal.errors import (
    AccountDisabled,
    AccountPendingApproval,
    EmailNotConfirmed,
    InvalidCredentials,
)
from devportal.models import Admin, AuthSession, Developer, DeveloperStatus
from devportal.models.base import utcnow
from devportal.resolvers import throttle
from devportal.resolvers.accounts.inputs import login_email
from devportal.resolvers.accounts.shared import developer_by_email
from devportal.resolvers.common import Account
from devportal.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from devportal.settings import Settings


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    account: Account


async def log_in(*, db: Database, settings: Settings, email: str, password: str) -> IssuedSession:
    address = login_email(email)

    async def attempt(session: AsyncSession) -> IssuedSession:
        developer = await developer_by_email(session, address)
        stored_hash = developer.password_hash if developer else None
        if not await verify_password(stored_hash, password) or developer is None:
            raise InvalidCredentials()
        _check_can_log_in(developer)
        await _maybe_rehash(developer, password)
        return await _issue_session(session, settings, developer)

    return await _unless_guessing(db, f"developer:{address}", attempt)


async def admin_log_in(
    *, db: Database, settings: Settings, email: str, password: str
) -> IssuedSession:
    address = login_email(email)

    async def attempt(session: AsyncSession) -> IssuedSession:
        admin = await session.scalar(sa.select(Admin).where(col(Admin.email) == address))
        stored_hash = admin.password_hash if admin else None
        if not await verify_password(stored_hash, password) or admin is None:
            raise InvalidCredentials()
        await _maybe_rehash(admin, password)
        return await _issue_session(session, settings, admin)

    return await _unless_guessing(db, f"admin:{address}", attempt)


async def _unless_guessing(
    db: Database, subject: str, attempt: Callable[[AsyncSession], Awaitable[IssuedSession]]
) -> IssuedSession:
    """Refuse log-in to an address that had too many wrong passwords lately.

    A wrong password must be counted even though the log-in fails and its
    transaction rolls back, so it is counted in a transaction of its own.
    """
    try:
        async with db.transaction() as session:
            await throttle.check(session, throttle.FAILED_LOG_INS, subject)
            issued = await attempt(session)
            await throttle.clear(session, throttle.FAILED_LOG_INS, subject)
            return issued
    except InvalidCredentials:
        async with db.transaction() as session:
            await throttle.hit(session, throttle.FAILED_LOG_INS, subject)
        raise


def _check_can_log_in(developer: Developer) -> None:
    match developer.status:
        case DeveloperStatus.APPROVED:
            return
        case DeveloperStatus.UNCONFIRMED:
            raise EmailNotConfirmed()
        case DeveloperStatus.PENDING:
            raise AccountPendingApproval()
        case _:
            raise AccountDisabled()


async def _maybe_rehash(account: Account, password: str) -> None:
    if needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)


async def _issue_session(
    session: AsyncSession, settings: Settings, account: Account
) -> IssuedSession:
    token = new_token()
    expires_at = utcnow() + timedelta(seconds=settings.session_ttl_seconds)
    auth = AuthSession(token_hash=token_digest(token), expires_at=expires_at)
    if isinstance(account, Admin):
        auth.admin_id = account.id
    else:
        auth.developer_id = account.id
    session.add(auth)
    return IssuedSession(token=token, expires_at=expires_at, account=account)
