"""One-time email links (confirmation, password reset) and the capped mail that carries them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from devportal.db import mark_mail_queued
from devportal.errors import InvalidToken
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import (
    Admin,
    AdminToken,
    AdminTokenPurpose,
    Developer,
    EmailToken,
    EmailTokenPurpose,
    OutboxMessage,
)
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


async def store_email_token(
    session: AsyncSession, address: str, token: str, purpose: EmailTokenPurpose, ttl_seconds: int
) -> None:
    """Store ``token`` for the developer with this address, if there is one.

    One statement either way, which inserts nothing for an unknown address: a
    client cannot tell by the time taken whether an address has an account.
    """
    row = EmailToken(
        token_hash=token_digest(token),
        developer_id=0,  # taken from the developer's row
        purpose=purpose,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    await _insert_where(
        session, row, col(Developer.email) == address, developer_id=col(Developer.id)
    )


async def mail_developer(session: AsyncSession, address: str, mail: templates.Mail) -> None:
    """Queue mail to the developer with this address, if there is one: one statement
    either way, as for ``store_email_token``."""
    row = OutboxMessage(recipient=address, subject=mail.subject, body=mail.body)
    await _insert_where(session, row, sa.exists().where(col(Developer.email) == address))
    mark_mail_queued(session)


async def store_admin_token(
    session: AsyncSession, address: str, token: str, ttl_seconds: int
) -> None:
    """As ``store_email_token``, for the admin with this address: a reset link."""
    row = AdminToken(
        token_hash=token_digest(token),
        purpose=AdminTokenPurpose.RESET_PASSWORD,
        email=address,
        admin_id=0,  # taken from the admin's row
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    await _insert_where(session, row, col(Admin.email) == address, admin_id=col(Admin.id))


async def mail_admin(session: AsyncSession, address: str, mail: templates.Mail) -> None:
    """As ``mail_developer``, to the admin with this address."""
    row = OutboxMessage(recipient=address, subject=mail.subject, body=mail.body)
    await _insert_where(session, row, sa.exists().where(col(Admin.email) == address))
    mark_mail_queued(session)


async def _insert_where(session: AsyncSession, row: SQLModel, where: Any, **computed: Any) -> None:
    """``INSERT INTO <row's table> SELECT <row's values> WHERE <where>``, with the
    ``computed`` columns taken from the query instead of the row."""
    table = sa.inspect(type(row)).local_table
    names = [
        column.name
        for column in table.columns
        if column.name in computed or getattr(row, column.name) is not None
    ]
    values = [
        computed[name] if name in computed else sa.literal(getattr(row, name), table.c[name].type)
        for name in names
    ]
    await session.execute(sa.insert(table).from_select(names, sa.select(*values).where(where)))


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
