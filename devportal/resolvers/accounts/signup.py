"""Sign-up and email confirmation."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import InvalidToken
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import AuditAction, Developer, DeveloperStatus, EmailTokenPurpose
from devportal.resolvers import audit
from devportal.resolvers.accounts.inputs import check_password, normalize_email
from devportal.resolvers.accounts.links import (
    issue_email_token,
    mail_allowed,
    mail_unless_flooding,
    use_email_token,
)
from devportal.resolvers.accounts.passwords import hash_password
from devportal.resolvers.accounts.shared import confirm_unconfirmed, developer_by_email
from devportal.resolvers.checks import optional_text, required_text
from devportal.resolvers.webhook_events import developer_data, queue_webhook
from devportal.settings import Settings


@dataclass(frozen=True)
class SignUpData:
    email: str
    full_name: str
    password: str
    organization: str | None = None


async def sign_up(*, session: AsyncSession, settings: Settings, data: SignUpData) -> None:
    """Create an unconfirmed account, or tell the address's owner they already have one.

    Both paths hash the password, so they take about as long and answer the same.
    """
    email = normalize_email(data.email)
    full_name = required_text(data.full_name, "The full name")
    organization = optional_text(data.organization, "The organization")
    password_hash = await hash_password(check_password(data.password))
    if await developer_by_email(session, email) is not None:
        mail = templates.account_exists(reset_link=settings.link("/reset-password"))
        await mail_unless_flooding(session, email, mail)
        return
    developer = Developer(
        email=email, full_name=full_name, organization=organization, password_hash=password_hash
    )
    try:
        async with session.begin_nested():
            session.add(developer)
    except sa.exc.IntegrityError:
        # A simultaneous sign-up with this address won the race: it is taken now.
        mail = templates.account_exists(reset_link=settings.link("/reset-password"))
        await mail_unless_flooding(session, email, mail)
        return
    audit.record(
        session,
        action=AuditAction.DEVELOPER_SIGNED_UP,
        actor=developer,
        subject=developer,
        summary="Signed up; the email address is not confirmed yet.",
    )
    await queue_webhook(session, "DEVELOPER_SIGNED_UP", developer_data(developer))
    if not await mail_allowed(session, email, "a confirmation link"):
        return  # no link is made that would not be sent
    token = await issue_email_token(
        session, developer, EmailTokenPurpose.CONFIRM_EMAIL, settings.confirm_email_ttl_seconds
    )
    link = settings.link(f"/confirm-email?token={token}")
    enqueue(session, to=email, mail=templates.confirm_email(full_name=full_name, link=link))


async def confirm_email(*, session: AsyncSession, token: str) -> Developer:
    """UNCONFIRMED -> PENDING, or APPROVED at once when the portal auto-approves."""
    developer = await use_email_token(session, token, EmailTokenPurpose.CONFIRM_EMAIL)
    if developer.status != DeveloperStatus.UNCONFIRMED:
        raise InvalidToken()
    return await confirm_unconfirmed(session, developer)
