"""Password reset: a mailed one-time link, then a new password."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import queue_event
from devportal.errors import InvalidToken
from devportal.events import SessionsEnded
from devportal.mailer import templates
from devportal.models import (
    Admin,
    AdminTokenPurpose,
    AuthSession,
    DeveloperStatus,
    EmailTokenPurpose,
)
from devportal.models.base import utcnow
from devportal.resolvers.accounts.admin_links import use_admin_token
from devportal.resolvers.accounts.inputs import check_password, login_email
from devportal.resolvers.accounts.links import (
    mail_admin,
    mail_allowed,
    mail_developer,
    store_admin_token,
    store_email_token,
    use_email_token,
)
from devportal.resolvers.accounts.passwords import hash_password
from devportal.resolvers.accounts.shared import (
    confirm_unconfirmed,
    developer_by_email,
    end_sessions,
)
from devportal.security import new_token
from devportal.settings import Settings


async def request_password_reset(*, session: AsyncSession, settings: Settings, email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way.

    Known and unknown addresses cost the same statements, so the time taken
    tells nothing either: the token and the mail are inserted by statements that
    find the developer's row or insert nothing. When the address has had its
    share of mail, nothing is inserted at all.
    """
    address = login_email(email)
    developer = await developer_by_email(session, address)
    token = new_token()
    link = settings.link(f"/reset-password?token={token}")
    name = developer.full_name if developer else address
    mail = templates.password_reset(full_name=name, link=link)
    # Unknown addresses are counted apart: asking for them must not hold back the
    # confirmation mail of someone who signs up with the address later.
    counted_as = address if developer else f"{address} (no account)"
    if not await mail_allowed(session, counted_as, "a reset link"):
        return
    await store_email_token(
        session,
        address,
        token,
        EmailTokenPurpose.RESET_PASSWORD,
        settings.password_reset_ttl_seconds,
    )
    await mail_developer(session, address, mail)
    # An admin account with the address gets a link of its own; the same statements
    # run whether or not there is one.
    admin_token = new_token()
    admin_mail = templates.password_reset(
        full_name=address, link=settings.link(f"/reset-password?token={admin_token}")
    )
    await store_admin_token(session, address, admin_token, settings.password_reset_ttl_seconds)
    await mail_admin(session, address, admin_mail)


async def reset_password(*, session: AsyncSession, token: str, password: str) -> None:
    """Set a new password and end every session of the account.

    The link proves the address is theirs, so an unconfirmed account is confirmed too.
    """
    check_password(password)
    try:
        developer = await use_email_token(session, token, EmailTokenPurpose.RESET_PASSWORD)
    except InvalidToken:
        await _reset_admin_password(session, token, password)
        return
    developer.password_hash = await hash_password(password)
    developer.updated_at = utcnow()
    await end_sessions(session, developer)
    if developer.status == DeveloperStatus.UNCONFIRMED:
        await confirm_unconfirmed(session, developer)


async def _reset_admin_password(session: AsyncSession, token: str, password: str) -> None:
    link = await use_admin_token(session, token, AdminTokenPurpose.RESET_PASSWORD)
    admin = await session.get(Admin, link.admin_id) if link.admin_id is not None else None
    if admin is None:
        raise InvalidToken()
    admin.password_hash = await hash_password(password)
    ended = await session.scalars(
        sa.delete(AuthSession)
        .where(col(AuthSession.admin_id) == admin.id)
        .returning(col(AuthSession.token_hash))
    )
    for digest in list(ended):
        queue_event(session, SessionsEnded(token_digest=digest))
