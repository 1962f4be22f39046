"""Delivering the outbox: a background task with retries and exponential back-off.

Each message is claimed with a conditional update before it is sent, so several
server processes can share one outbox without sending a message twice; a
process that dies mid-send leaves its claim to expire and the message is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import sqlalchemy as sa
from sqlmodel import col

from devportal.db import Database, execute_update
from devportal.mailer.templates import one_line
from devportal.metrics import MAIL_FAILURES
from devportal.models import MailStatus, OutboxMessage
from devportal.models.base import utcnow
from devportal.settings import Settings

log = logging.getLogger("devportal.mailer")

CLAIM_SECONDS = 120
BATCH = 50
_LINE_LIMIT = 78  # RFC 5322's, and email.policy's: a longer header line is parsed and refolded


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds to wait after ``attempts`` failed tries: ``base``, doubling, at most ``cap``."""
    doublings = min(max(attempts - 1, 0), 1000)  # 2.0 ** 1024 would raise OverflowError
    return min(cap, base * 2.0**doublings)


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class StartTlsRequired(Exception):
    """Credentials are set, but the server offers no STARTTLS: they would go out in clear."""


class SmtpTransport:
    """``smtps://`` (implicit TLS) or ``smtp://``: STARTTLS when offered, and required
    when the URL holds credentials, so they never cross the network in plain text (a
    server without STARTTLS, or an attacker stripping it, gets no password)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("DEVPORTAL_SMTP_URL must look like smtp://user:pass@host:587")
        self._host = parts.hostname
        self._implicit_tls = parts.scheme == "smtps"
        # Stated, not left to aiosmtplib, which would pick 587 or 25 by the TLS mode.
        self.port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout

    def _start_tls(self) -> bool | None:
        """aiosmtplib's ``start_tls``: None upgrades only if the server offers STARTTLS."""
        if self._implicit_tls:
            return False
        if self._username is not None or self._password is not None:
            return True
        return None

    async def send(self, message: EmailMessage) -> None:
        start_tls = self._start_tls()
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self._implicit_tls,
                start_tls=start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPException as exc:
            if start_tls and "STARTTLS extension not supported" in str(exc):
                raise StartTlsRequired(
                    "the SMTP server does not offer STARTTLS, and the credentials in "
                    "DEVPORTAL_SMTP_URL are sent only over TLS (use a server with STARTTLS, "
                    "or smtps://)"
                ) from exc
            raise


class LogTransport:
    """No SMTP server configured: write the mail to the log so its links can be followed."""

    async def send(self, message: EmailMessage) -> None:
        log.info(
            "mail (no DEVPORTAL_SMTP_URL set) to %s: %s\n%s",
            message["To"],
            message["Subject"],
            message.get_content(),
        )


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url is None:
        return LogTransport()
    return SmtpTransport(settings.smtp_url.get_secret_value(), settings.smtp_timeout_seconds)


class MailWorker:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._transport = transport_for(settings)
        self._stopping = False

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run in the background; on exit, finish the message in hand, then stop."""
        self._stopping = False
        task = asyncio.create_task(self._run(), name="devportal-mail-worker")
        try:
            yield
        finally:
            self._stopping = True
            self._db.mail_queued.set()
            done, _ = await asyncio.wait({task}, timeout=self._settings.smtp_timeout_seconds + 5)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        wakeup = self._db.mail_queued
        while not self._stopping:
            wakeup.clear()
            try:
                delay = await self.deliver_due()
            except Exception:
                log.exception("mail worker: unexpected error; trying again shortly")
                delay = self._settings.mail_poll_seconds
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wakeup.wait()

    async def deliver_due(self) -> float:
        """Send what is due; return how long to wait before looking again."""
        now = utcnow()
        async with self._db.session() as session:
            due = await session.scalars(
                sa.select(col(OutboxMessage.id))
                .where(col(OutboxMessage.status) == MailStatus.PENDING)
                .where(col(OutboxMessage.next_attempt_at) <= now)
                .order_by(col(OutboxMessage.id))
                .limit(BATCH)
            )
            ids = [message_id for message_id in due if message_id is not None]
            upcoming = await session.scalar(
                sa.select(sa.func.min(col(OutboxMessage.next_attempt_at))).where(
                    col(OutboxMessage.status) == MailStatus.PENDING,
                    col(OutboxMessage.next_attempt_at) > now,
                )
            )
        for message_id in ids:
            if self._stopping:
                break
            await self._deliver(message_id)
        if len(ids) == BATCH:
            return 0.0
        return self._wait_until(upcoming)

    def _wait_until(self, upcoming: datetime | None) -> float:
        poll = self._settings.mail_poll_seconds
        if upcoming is None:
            return poll
        return max(0.0, min(poll, (upcoming - utcnow()).total_seconds()))

    async def _deliver(self, message_id: int) -> None:
        message = await self._claim(message_id)
        if message is None:
            return
        try:
            await self._transport.send(self._email(message))
        except Exception as exc:
            await self._failed(message, exc)
        else:
            await self._sent(message)

    async def _claim(self, message_id: int) -> OutboxMessage | None:
        now = utcnow()
        async with self._db.transaction() as session:
            claimed = await execute_update(
                session,
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .where(col(OutboxMessage.status) == MailStatus.PENDING)
                .where(col(OutboxMessage.next_attempt_at) <= now)
                .values(
                    attempts=col(OutboxMessage.attempts) + 1,
                    next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
                ),
            )
            if not claimed:
                return None
            return await session.get(OutboxMessage, message_id, populate_existing=True)

    async def _sent(self, message: OutboxMessage) -> None:
        async with self._db.transaction() as session:
            await execute_update(
                session,
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id)
                # The body may hold a one-time link: keep it no longer than needed.
                .values(status=MailStatus.SENT, sent_at=utcnow(), body="", last_error=None),
            )
        log.debug("mail %s sent to %s", message.id, message.recipient)

    async def _failed(self, message: OutboxMessage, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = message.attempts
        values: dict[str, object] = {"last_error": error}
        final = attempts >= self._settings.mail_max_attempts
        MAIL_FAILURES.labels("true" if final else "false").inc()
        if final:
            values["status"] = MailStatus.FAILED
            log.error(
                "mail %s to %s failed for good after %d attempts: %s",
                message.id,
                message.recipient,
                attempts,
                error,
            )
        else:
            delay = retry_delay(
                attempts,
                base=self._settings.mail_retry_base_seconds,
                cap=self._settings.mail_retry_max_seconds,
            )
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
            log.warning(
                "mail %s to %s not delivered (%s); attempt %d of %d, will retry in %.1fs",
                message.id,
                message.recipient,
                error,
                attempts,
                self._settings.mail_max_attempts,
                delay,
            )
        async with self._db.transaction() as session:
            await execute_update(
                session,
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id)
                .values(**values),
            )

    def _email(self, message: OutboxMessage) -> EmailMessage:
        return compose(message, mail_from=self._settings.mail_from)


def compose(message: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """The mail for an outbox row. Its recipient and subject hold user text: neither may
    become more than one address and one line of text (see ``set_subject``)."""
    email = EmailMessage()
    email["From"] = mail_from
    # One address, parsed as one: a list or a display name would be refused here.
    email["To"] = Address(addr_spec=message.recipient)
    set_subject(email, message.subject)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(domain="devportal")
    email.set_content(message.body)
    return email


def set_subject(email: EmailMessage, subject: str) -> None:
    """Give ``email`` a Subject that reads back as ``subject``'s text, whatever it holds.

    Assigned as it is, a Subject is parsed as RFC 2047: an encoded word in a name, such
    as ``=?utf-8?q?=0D=0AReply-To:...?=``, decodes to a line break, which folding then
    writes out as it is, so the name adds headers or a body. So the subject is folded
    here and stored unparsed (``set_raw``): plain ASCII as it is, anything else (text
    holding "=?" too) encoded whole as UTF-8 encoded words, which a reader decodes once,
    back to the literal text. No line is over 78 characters, so the generator writes
    them as they are, without parsing them again either.
    """
    subject = one_line(subject)
    email.set_raw("Subject", _folded_subject(subject))
    if str(email["Subject"]) != subject:  # a bug here must not send a mail with other text
        raise ValueError(f"the subject would not read back as it is: {subject!r}")


def _folded_subject(subject: str) -> str:
    if subject.isascii() and "=?" not in subject:
        plain = Header(subject, header_name="Subject").encode()
        if all(len(line) <= _LINE_LIMIT for line in f"Subject: {plain}".splitlines()):
            return plain
    return Header(subject, "utf-8", header_name="Subject").encode()
