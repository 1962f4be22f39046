"""Queueing mail: a row in the outbox, in the caller's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.db import mark_mail_queued
from devportal.mailer.templates import Mail
from devportal.models import OutboxMessage


def enqueue(session: AsyncSession, *, to: str, mail: Mail) -> None:
    """Queue ``mail``; it is sent only if the surrounding transaction commits."""
    session.add(OutboxMessage(recipient=to, subject=mail.subject, body=mail.body))
    mark_mail_queued(session)
