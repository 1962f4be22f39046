"""Housekeeping: ended sessions, spent tokens and invitations, old mail and counters do not
pile up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.db import Database
from devportal.models import AuthSession, EmailToken, OutboxMessage, TeamInvitation, Throttle
from devportal.models.base import utcnow
from devportal.resolvers.housekeeping import Pruned, prune
from tests.conftest import make_settings, portal_on
from tests.flows import ASK_RESET_PASSWORD, LOG_IN, PASSWORD, Portal, Teams
from tests.support import LogCounter, SmtpServer, attached, watching


@pytest.fixture
def quick_portal(database_url: str, smtp: SmtpServer) -> Iterator[tuple[Portal, TestClient]]:
    settings = make_settings(
        database_url, smtp.port, session_ttl_seconds=1, housekeeping_interval_seconds=0.1
    )
    with TestClient(create_app(settings)) as client:
        yield (
            portal_on(client, smtp),
            client,
        )


def _db(client: TestClient) -> Database:
    db = client.app.state.db  # type: ignore[attr-defined]
    assert isinstance(db, Database)
    return db


def _count(client: TestClient, model: type) -> int:
    async def count() -> int:
        async with _db(client).session() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

    return client.portal.call(count)  # type: ignore[union-attr]


def test_ended_sessions_and_spent_tokens_are_removed_in_the_background(
    quick_portal: tuple[Portal, TestClient],
) -> None:
    portal, client = quick_portal
    with watching("devportal.housekeeping", r"removed \d+ ended sessions, [1-9]") as tokens:
        portal.sign_up("ada@example.com")
        developer = portal.confirm("ada@example.com")
        assert tokens.seen.wait(10)
    assert _count(client, EmailToken) == 0
    portal.decide("approveDeveloper", developer["id"])
    pruned = LogCounter(r"removed [1-9]\d* ended sessions")
    with attached("devportal.housekeeping", pruned):
        portal.log_in("ada@example.com")
        # The admin's session and the developer's may go in different rounds.
        for rounds in range(1, 6):
            pruned.wait_for(rounds)
            if _count(client, AuthSession) == 0:
                break
    assert _count(client, AuthSession) == 0


def test_prune_keeps_what_is_still_needed(portal: Portal, client: TestClient) -> None:
    with attached("devportal.mailer", LogCounter(r"^mail \d+ sent")) as sent:
        ada = portal.developer("ada@example.com")
        teams = Teams(portal)
        teams.invite(ada.token, teams.create(ada.token), "bob@example.com")  # for 7 days
        portal.api.data(ASK_RESET_PASSWORD, {"email": "ada@example.com"})
        portal.api.error(LOG_IN, {"email": "ada@example.com", "password": "wrong password!"})
        assert portal.log_in("ada@example.com", PASSWORD)
        # Arriving is not yet being marked sent: wait for the outbox, not the inbox.
        sent.wait_for(_count(client, OutboxMessage))

    async def prune_at(days: int) -> Pruned:
        async with _db(client).transaction() as session:
            return await prune(session=session, now=utcnow() + timedelta(days=days))

    today = client.portal.call(prune_at, 0)  # type: ignore[union-attr]
    assert (today.sessions, today.mail) == (0, 0)  # live sessions and recent mail stay
    assert today.email_tokens == 1  # the spent confirmation token; the reset link still works
    assert _count(client, EmailToken) == 1
    assert (today.invitations, _count(client, TeamInvitation)) == (0, 1)

    later = client.portal.call(prune_at, 31)  # type: ignore[union-attr]
    assert later.sessions >= 1
    assert later.email_tokens == 1
    assert later.mail >= 3
    assert later.counters >= 1
    assert later.invitations == 1
    # Every mail was marked sent by then, so all of it goes.
    for model in (AuthSession, EmailToken, Throttle, OutboxMessage, TeamInvitation):
        assert _count(client, model) == 0
