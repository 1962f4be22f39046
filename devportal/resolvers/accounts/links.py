"""One-time email links (confirmation, password reset) and the capped mail that carries them."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import InvalidToken
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Developer, EmailToken, EmailTokenPurpose
from devportal.models.base import utcnow
from devportal.resolvers import throttle
from devportal.security import new_token, token_digest

log = logging.getLogger("devportal.accounts")


async def mail_allowed(session: AsyncSession, to: str, what: str) -> bool:
    """Mail that anyone can make us send (sign-up, reset) is capped per address.

    Counted whether or not the mail then goes, so known and unknown addresses
    cost the same; refused mail is not sent, and nothing is made for it.
    """
    if throttle.MAIL_TO_ADDRESS.allows(await throttle.count(session, throttle.MAIL_TO_ADDRESS, to)):
        return True
    log.info("not mailing %s (%s): too many such mails lately", to, what)
    return False


async def mail_unless_flooding(session: AsyncSession, to: str, mail: templates.Mail) -> None:
    if await mail_allowed(session, to, mail.subject):
        enqueue(session, to=to, mail=mail)


async def issue_email_token(
    session: AsyncSession, developer: Developer, purpose: EmailTokenPurpose, ttl_seconds: int
) -> str:
    assert developer.id is not None
    token = new_token()
    session.add(
        EmailToken(
            token_hash=token_digest(token),
            developer_id=developer.id,
            purpose=purpose,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    return token


async def use_email_token(
    session: AsyncSession, token: str, purpose: EmailTokenPurpose
) -> Developer:
    """Spend a single-use email token, and with it every other link of its kind to the
    same account: once one has done its job, an older one must not do it again.

    One statement spends them all, so two links used at once neither deadlock nor
    both succeed: the second finds nothing left to spend.
    """
    now = utcnow()
    digest = token_digest(token)
    developer = await session.scalar(
        sa.select(Developer)
        .join(EmailToken, col(EmailToken.developer_id) == col(Developer.id))
        .where(col(EmailToken.token_hash) == digest)
        .where(col(EmailToken.purpose) == purpose)
        .where(col(EmailToken.used_at).is_(None))
        .where(col(EmailToken.expires_at) > now)
    )
    if developer is None:
        raise InvalidToken()
    spent = await session.scalars(
        sa.update(EmailToken)
        .where(col(EmailToken.developer_id) == developer.id)
        .where(col(EmailToken.purpose) == purpose)
        .where(col(EmailToken.used_at).is_(None))
        .values(used_at=now)
        .returning(col(EmailToken.token_hash))
    )
    if digest not in set(spent):
        raise InvalidToken()  # spent by a simultaneous use of this or another link
    return developer
