"""Log-in, for developers and admins, limited against password guessing.

No connection is held while a password is checked: the attempt is counted and
the account read in one short transaction, Argon2 runs in a worker thread with
no transaction open, and a correct password is recorded in a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import Database, execute_update
from devportal.errors import (
    AccountDisabled,
    AccountPendingApproval,
    DomainError,
    EmailNotConfirmed,
    InvalidCredentials,
)
from devportal.models import Admin, AuthSession, Developer, DeveloperStatus
from devportal.models.base import utcnow
from devportal.resolvers.accounts.guard import LogInGuard
from devportal.resolvers.accounts.inputs import login_email
from devportal.resolvers.accounts.passwords import rehashed, verify_password
from devportal.resolvers.common import Account
from devportal.security import new_token, token_digest
from devportal.settings import Settings


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    account: Account


async def log_in(
    *, db: Database, settings: Settings, email: str, password: str, client: str
) -> IssuedSession:
    """Log in as a developer; ``client`` is the address the request comes from."""
    return await _log_in(db, settings, Developer, email, password, client)


async def admin_log_in(
    *, db: Database, settings: Settings, email: str, password: str, client: str
) -> IssuedSession:
    """Log in as an admin; ``client`` is the address the request comes from."""
    return await _log_in(db, settings, Admin, email, password, client)


async def _log_in(
    db: Database,
    settings: Settings,
    kind: type[Admin] | type[Developer],
    email: str,
    password: str,
    client: str,
) -> IssuedSession:
    address = login_email(email)
    guard = LogInGuard("admin" if kind is Admin else "developer", address, client)
    async with db.transaction() as session:
        await guard.admit(session)  # RATE_LIMITED rolls the count back: refusals are free
        query = sa.select(kind).where(col(kind.email) == address)
        account: Account | None = await session.scalar(query)
    # A wrong password stays counted; the unknown account costs as much as a known one.
    if not await verify_password(account.password_hash if account else None, password):
        raise InvalidCredentials()
    assert account is not None
    refusal = _refusal(account)
    new_hash = await rehashed(account.password_hash, password)
    async with db.transaction() as session:
        await guard.succeeded(session)
        if new_hash is not None:
            await _store_hash(session, account, new_hash)
        if refusal is None:
            return issue_session(session, settings, account)
    raise refusal  # after the commit: the right password still cleared the count


def _refusal(account: Account) -> DomainError | None:
    """Why this account may not log in, though its password is right (admins always may)."""
    if isinstance(account, Admin):
        return None
    match account.status:
        case DeveloperStatus.APPROVED:
            return None
        case DeveloperStatus.UNCONFIRMED:
            return EmailNotConfirmed()
        case DeveloperStatus.PENDING:
            return AccountPendingApproval()
        case _:
            return AccountDisabled()


async def _store_hash(session: AsyncSession, account: Account, password_hash: str) -> None:
    kind = type(account)
    await execute_update(
        session,
        sa.update(kind).where(col(kind.id) == account.id).values(password_hash=password_hash),
    )


def issue_session(session: AsyncSession, settings: Settings, account: Account) -> IssuedSession:
    token = new_token()
    expires_at = utcnow() + timedelta(seconds=settings.session_ttl_seconds)
    auth = AuthSession(token_hash=token_digest(token), expires_at=expires_at)
    if isinstance(account, Admin):
        auth.admin_id = account.id
    else:
        auth.developer_id = account.id
    session.add(auth)
    return IssuedSession(token=token, expires_at=expires_at, account=account)
