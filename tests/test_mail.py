"""Mail through the outbox: delivered by a real SMTP server, retried, given up, or logged."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import col
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.db import Database
from devportal.models import MailStatus, OutboxMessage
from tests.conftest import make_settings
from tests.flows import CONFIRM, SIGN_UP
from tests.support import (
    WAIT,
    Api,
    Inbox,
    SmtpServer,
    app_database,
    body,
    free_port,
    token_from,
    watching,
)

ADA = "ada@example.com"
LINK = re.compile(r"https?://\S+")


# --- helpers --------------------------------------------------------------------------------------


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(sa.select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(rows)


def outbox_now(client: TestClient) -> list[OutboxMessage]:
    """The outbox as the running app sees it."""
    assert client.portal is not None
    return client.portal.call(_outbox, app_database(client))


def outbox_after(database_url: str) -> list[OutboxMessage]:
    """The outbox once the app has stopped.

    Stopping lets the mail worker finish the message in hand, so what it did with a
    message we saw arrive (or fail) is in the database by then: no waiting needed.
    """

    async def read() -> list[OutboxMessage]:
        db = Database(database_url)
        try:
            return await _outbox(db)
        finally:
            await db.dispose()

    return asyncio.run(read())


def sign_up(client: TestClient, email: str = ADA) -> None:
    data = Api(client).data(
        SIGN_UP, {"input": {"email": email, "fullName": "Ada", "password": "x" * 12}}
    )
    assert data == {"signUp": True}


# --- tests ----------------------------------------------------------------------------------------


def test_mail_waits_while_smtp_is_down_and_goes_out_when_it_is_back(database_url: str) -> None:
    port = free_port()  # nothing listens here yet
    settings = make_settings(database_url, port)
    with (
        ExitStack() as later,  # exits last: the SMTP server outlives the app
        watching("devportal.mailer", "will retry") as retry,
        TestClient(create_app(settings)) as client,
    ):
        sign_up(client)  # the request does not wait for the mail
        [queued] = outbox_now(client)
        assert queued.status == MailStatus.PENDING
        assert queued.recipient == ADA
        assert "confirm-email?token=" in queued.body

        assert retry.seen.wait(WAIT), "the mailer never reported a failed attempt"
        assert retry.records[0].levelno == logging.WARNING
        assert ADA in retry.records[0].getMessage()
        [failing] = outbox_now(client)
        assert failing.status == MailStatus.PENDING
        assert failing.attempts >= 1

        smtp = SmtpServer(port).start()
        later.callback(smtp.stop)
        mail = smtp.inbox.wait_for(ADA, "Confirm your email")
        # The link in the late mail works.
        confirmed = Api(client).data(CONFIRM, {"token": token_from(mail)})
        assert confirmed["confirmEmail"]["status"] == "PENDING"
    [sent] = outbox_after(database_url)
    assert sent.status == MailStatus.SENT
    assert sent.body == ""
    assert sent.sent_at is not None
    assert sent.last_error is None
    assert sent.attempts >= 2


def test_mail_that_keeps_failing_is_marked_failed_and_logged_once(database_url: str) -> None:
    settings = make_settings(database_url, free_port(), mail_max_attempts=2)
    with (
        watching("devportal.mailer") as log,
        watching("devportal.mailer", "failed for good") as gave_up,
        TestClient(create_app(settings)) as client,
    ):
        sign_up(client)
        assert gave_up.seen.wait(WAIT), [r.getMessage() for r in log.records]
    [failed] = outbox_after(database_url)
    assert failed.status == MailStatus.FAILED
    assert failed.attempts == 2
    assert failed.last_error
    assert failed.sent_at is None

    errors = [r for r in log.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "failed for good after 2 attempts" in errors[0].getMessage()
    assert ADA in errors[0].getMessage()
    warnings = [r for r in log.records if r.levelno == logging.WARNING]
    assert ["attempt 1 of 2" in r.getMessage() for r in warnings] == [True]


def test_without_smtp_url_mail_goes_to_the_log(database_url: str) -> None:
    settings = make_settings(database_url, 0, smtp_url=None)
    with (
        watching("devportal.mailer", "confirm-email") as log,
        TestClient(create_app(settings)) as client,
    ):
        sign_up(client)
        assert log.seen.wait(WAIT)
        [record] = log.records
        logged = record.getMessage()
        assert ADA in logged
        assert "Confirm your email" in logged
        found = re.search(r"http://portal\.test/confirm-email\?token=([A-Za-z0-9_\-]+)", logged)
        assert found, logged
        # A local user can follow the link from the log.
        confirmed = Api(client).data(CONFIRM, {"token": found.group(1)})
        assert confirmed["confirmEmail"]["status"] == "PENDING"
    [sent] = outbox_after(database_url)
    assert sent.status == MailStatus.SENT
    assert sent.body == ""


def test_mail_comes_from_mail_from_and_links_point_at_public_url(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = make_settings(
        database_url,
        smtp.port,
        mail_from="Acme APIs <apis@acme.test>",
        public_url="https://developers.acme.test/portal/",
    )
    with TestClient(create_app(settings)) as client:
        sign_up(client)
        confirm = smtp.inbox.wait_for(ADA, "Confirm your email")
        sign_up(client)  # taken: a note with a link to the reset page
        note = smtp.inbox.wait_for(ADA, "already have an account")
        Api(client).data("mutation($e: String!) { requestPasswordReset(email: $e) }", {"e": ADA})
        reset = smtp.inbox.wait_for(ADA, "Reset your password")

    expected = [
        (confirm, "https://developers.acme.test/portal/confirm-email?token="),
        (note, "https://developers.acme.test/portal/reset-password"),
        (reset, "https://developers.acme.test/portal/reset-password?token="),
    ]
    for mail, prefix in expected:
        assert mail["From"] == settings.mail_from
        assert mail["To"] == ADA
        assert mail["Date"]
        assert mail["Message-ID"]
        links = LINK.findall(body(mail))
        assert links, body(mail)
        for link in links:
            assert link.startswith(prefix), link


def test_the_mailer_waits_no_longer_than_mail_retry_max_seconds(database_url: str) -> None:
    settings = make_settings(
        database_url,
        free_port(),
        mail_max_attempts=5,
        mail_retry_base_seconds=0.1,
        mail_retry_max_seconds=0.2,
    )
    with (
        watching("devportal.mailer", "will retry in") as retries,
        watching("devportal.mailer", "failed for good") as gave_up,
        TestClient(create_app(settings)) as client,
    ):
        sign_up(client)
        assert gave_up.seen.wait(WAIT), [r.getMessage() for r in retries.records]
    waits = [re.search(r"will retry in ([0-9.]+)s", r.getMessage()) for r in retries.records]
    assert [found.group(1) if found else None for found in waits] == ["0.1", "0.2", "0.2", "0.2"]


def test_credentials_are_never_sent_to_a_server_without_starttls(database_url: str) -> None:
    # No STARTTLS, yet glad to take a password in plain text: what a server looks
    # like to us when an attacker strips STARTTLS from its greeting.
    logins: list[Any] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        logins.append(data)
        return AuthResult(success=True)

    port = free_port()
    inbox = Inbox()
    server = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    settings = make_settings(database_url, port, smtp_url=f"smtp://mailer:s3cret@127.0.0.1:{port}")
    with ExitStack() as later:
        server.start()
        later.callback(server.stop)
        with (
            watching("devportal.mailer", "will retry") as retry,
            TestClient(create_app(settings)) as client,
        ):
            sign_up(client)
            assert retry.seen.wait(WAIT), "the mailer never reported a failed attempt"
        assert logins == []
        assert inbox.drain() == []

    line = retry.records[0].getMessage()
    assert "\n" not in line
    assert "does not offer STARTTLS" in line
    assert "sent only over TLS" in line
    assert "s3cret" not in line
    [queued] = outbox_after(database_url)
    assert queued.status == MailStatus.PENDING
    assert queued.last_error
    assert "STARTTLS" in queued.last_error
