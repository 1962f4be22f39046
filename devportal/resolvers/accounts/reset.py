"""Password reset: a mailed one-time link, then a new password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.mailer import templates
from devportal.models import DeveloperStatus, EmailTokenPurpose
from devportal.models.base import utcnow
from devportal.resolvers.accounts.inputs import check_password, login_email
from devportal.resolvers.accounts.links import (
    issue_email_token,
    mail_unless_flooding,
    use_email_token,
)
from devportal.resolvers.accounts.passwords import hash_password
from devportal.resolvers.accounts.shared import (
    confirm_unconfirmed,
    developer_by_email,
    end_sessions,
)
from devportal.settings import Settings


async def request_password_reset(*, session: AsyncSession, settings: Settings, email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    developer = await developer_by_email(session, login_email(email))
    if developer is None:
        return
    token = await issue_email_token(
        session, developer, EmailTokenPurpose.RESET_PASSWORD, settings.password_reset_ttl_seconds
    )
    link = settings.link(f"/reset-password?token={token}")
    mail = templates.password_reset(full_name=developer.full_name, link=link)
    await mail_unless_flooding(session, developer.email, mail)


async def reset_password(*, session: AsyncSession, token: str, password: str) -> None:
    """Set a new password and end every session of the account.

    The link proves the address is theirs, so an unconfirmed account is confirmed too.
    """
    check_password(password)
    developer = await use_email_token(session, token, EmailTokenPurpose.RESET_PASSWORD)
    developer.password_hash = await hash_password(password)
    developer.updated_at = utcnow()
    await end_sessions(session, developer)
    if developer.status == DeveloperStatus.UNCONFIRMED:
        await confirm_unconfirmed(session, developer)
