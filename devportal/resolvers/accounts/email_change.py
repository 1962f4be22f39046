"""A developer's new email address: confirmed at the new address, announced to the old."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import BadUserInput, Conflict, InvalidCredentials, InvalidToken
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Developer, EmailToken, EmailTokenPurpose
from devportal.models.base import utcnow
from devportal.resolvers.accounts.inputs import normalize_email
from devportal.resolvers.accounts.links import mail_unless_flooding, use_email_token
from devportal.resolvers.accounts.passwords import verify_password
from devportal.resolvers.accounts.shared import developer_by_email
from devportal.security import new_token, token_digest
from devportal.settings import Settings


async def request_email_change(
    *,
    session: AsyncSession,
    settings: Settings,
    developer: Developer,
    new_email: str,
    password: str,
) -> None:
    """Mail a link to the new address and a notice to the old one. A taken address gets
    a note instead of a link, and the answer is the same (no account enumeration)."""
    address = normalize_email(new_email)
    current = await session.get(Developer, developer.id)
    if current is None or not await verify_password(current.password_hash, password):
        raise InvalidCredentials()
    if address == current.email:
        raise BadUserInput("This is your address already.")
    if await developer_by_email(session, address) is not None:
        await mail_unless_flooding(session, address, templates.email_change_taken())
        return
    assert current.id is not None
    token = new_token()
    session.add(
        EmailToken(
            token_hash=token_digest(token),
            developer_id=current.id,
            purpose=EmailTokenPurpose.CHANGE_EMAIL,
            expires_at=utcnow() + timedelta(seconds=settings.confirm_email_ttl_seconds),
            new_email=address,
        )
    )
    link = settings.link(f"/confirm-email-change?token={token}")
    mail = templates.email_change(full_name=current.full_name, link=link)
    await mail_unless_flooding(session, address, mail)
    notice = templates.email_change_notice(full_name=current.full_name, new_email=address)
    enqueue(session, to=current.email, mail=notice)


async def confirm_email_change(*, session: AsyncSession, token: str) -> Developer:
    """Switch to the address the link was sent to; CONFLICT if it was taken meanwhile."""
    new_email = await session.scalar(
        sa.select(col(EmailToken.new_email)).where(
            col(EmailToken.token_hash) == token_digest(token)
        )
    )
    developer = await use_email_token(session, token, EmailTokenPurpose.CHANGE_EMAIL)
    if new_email is None:
        raise InvalidToken()
    developer.email = new_email
    developer.updated_at = utcnow()
    try:
        async with session.begin_nested():
            session.add(developer)
    except sa.exc.IntegrityError:
        raise Conflict("This address has an account now; ask for another change.") from None
    return developer
