"""Faults: what breaks around the portal, and what must hold when it does.

Two admins racing on a hundred decisions; the SMTP server down for most of the mail
retry window. A server SIGKILLed with mutations in flight is in
``test_faults_killed_server.py``, PostgreSQL restarted under load in ``test_faults_postgres.py``.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx2
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from strawberry.relay import to_base64

from devportal.app import create_app
from devportal.models import (
    Admin,
    Application,
    Developer,
    DeveloperStatus,
    Registration,
    Service,
    ServiceVersion,
)
from devportal.security import hash_password
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings, portal_on
from tests.faults import sql
from tests.flows import (
    ADMIN_LOG_IN,
)
from tests.servers import threaded_server
from tests.support import WAIT, Api, LogCounter, SmtpServer, attached, free_port

ADMINS = [(ADMIN_EMAIL, ADMIN_PASSWORD), ("second-admin@portal.test", "second-admin-password-4")]
DECIDE = "mutation($id: ID!) { %s(id: $id) { status } }"
RACES = 50  # developers, and as many registrations: each admin makes 2 x RACES decisions
OWNER = "owner@example.com"


# --- two admins racing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Race:
    """Both admins make the same decision at once: approve-then-reject would be two
    legitimate decisions, not a race."""

    table: str
    id: int
    verb: str
    mail: tuple[str, str]  # to, subject of the one mail the decision sends

    @property
    def global_id(self) -> str:
        return to_base64(self.table.title(), self.id)

    @property
    def status(self) -> str:
        return "APPROVED" if self.verb.startswith("approve") else "REJECTED"


async def _seed(url: str) -> list[Race]:
    """Two admins, RACES pending developers and RACES pending registrations (of one
    developer's applications), written before the server starts: no cache holds any."""
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            for email, password in ADMINS:
                session.add(Admin(email=email, password_hash=await hash_password(password)))
            owner = _developer(OWNER, DeveloperStatus.APPROVED)
            pending = [_developer(f"dev{n:03}@example.com") for n in range(RACES)]
            service = Service(slug="weather", name="Weather", published=True)
            session.add_all([owner, *pending, service])
            await session.flush()
            version = ServiceVersion(
                service_id=_id(service), name="v1", app_registration_enabled=True
            )
            names = [f"race-{n:03}" for n in range(RACES)]
            apps = [Application(developer_id=_id(owner), name=n, reference_id=n) for n in names]
            session.add_all([version, *apps])
            await session.flush()
            registrations = [
                Registration(application_id=_id(app), service_version_id=_id(version))
                for app in apps
            ]
            session.add_all(registrations)
        races = []
        for n, (developer, registration) in enumerate(zip(pending, registrations, strict=True)):
            verb, decision = [("approve", "approved"), ("reject", "rejected")][n % 2]
            mail = (developer.email, f"Your developer account: {decision}")
            races.append(Race("developer", _id(developer), f"{verb}Developer", mail))
            mail = (OWNER, f"{names[n]}: access to Weather v1 {decision}")
            races.append(Race("registration", _id(registration), f"{verb}Registration", mail))
        return races
    finally:
        await engine.dispose()


def _developer(email: str, status: DeveloperStatus = DeveloperStatus.PENDING) -> Developer:
    return Developer(email=email, full_name="A Developer", password_hash="!", status=status)


def _id(row: Any) -> int:
    assert isinstance(row.id, int)
    return row.id


def _outcome(response: httpx2.Response, verb: str) -> str:
    """WON, or the error's code; anything else as it came."""
    try:
        payload = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:100]}"
    if payload.get("errors"):
        return str(payload["errors"][0].get("extensions", {}).get("code"))
    return "WON" if payload["data"][verb]["status"] else repr(payload)


def test_two_admins_racing_on_every_decision_have_one_winner_each(
    database_url: str, smtp: SmtpServer
) -> None:
    races = asyncio.run(_seed(database_url))
    together = threading.Barrier(2, timeout=WAIT)

    with threaded_server(create_app(make_settings(database_url, smtp.port))) as base:

        def admin(credentials: tuple[str, str]) -> list[str]:
            with httpx2.Client(base_url=base, timeout=WAIT) as client:
                api = Api(client)
                email, password = credentials
                login = api.data(ADMIN_LOG_IN, {"email": email, "password": password})
                token = login["adminLogIn"]["token"]
                outcomes = []
                for race in races:
                    together.wait()  # both at once, race after race
                    response = api.post(DECIDE % race.verb, {"id": race.global_id}, token)
                    outcomes.append(_outcome(response, race.verb))
                return outcomes

        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = pool.map(admin, ADMINS)

    pairs = [sorted(pair) for pair in zip(first, second, strict=True)]
    wrong = {
        f"{race.verb} {race.id}": pair
        for race, pair in zip(races, pairs, strict=True)
        if pair != ["CONFLICT", "WON"]
    }
    assert not wrong, f"{len(wrong)} of {len(races)} races without exactly one winner: {wrong}"
    found = {
        (table, row_id): status
        for table in ("developer", "registration")
        for row_id, status in sql(database_url, f"SELECT id, status FROM {table}")
        if (table, row_id) in {(r.table, r.id) for r in races}
    }
    assert found == {(race.table, race.id): race.status for race in races}
    mail = sql(database_url, "SELECT recipient, subject FROM outbox_message")
    assert sorted(map(tuple, mail)) == sorted(race.mail for race in races)  # one per decision


# --- the SMTP server down ------------------------------------------------------------------------

SIGNING_UP = ["ada@example.com", "bob@example.com", "cy@example.com"]
MAX_ATTEMPTS = 30  # the default; with waits capped at 0.2 s, a retry window of 6 s
FAILED_TRIES = 15  # the SMTP server comes up once the oldest message failed this often


def test_mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_up(
    database_url: str,
) -> None:
    smtp = SmtpServer(free_port())  # not listening yet: every try is refused
    settings = make_settings(
        database_url,
        smtp.port,
        mail_retry_base_seconds=0.02,
        mail_retry_max_seconds=0.2,
        mail_max_attempts=MAX_ATTEMPTS,
    )
    failed = LogCounter(rf"not delivered .*; attempt {FAILED_TRIES} of {MAX_ATTEMPTS},")
    sent = LogCounter(r"^mail \d+ sent to")
    with (
        attached("devportal.mailer", failed),
        attached("devportal.mailer", sent),
        threaded_server(create_app(settings)) as base,
        httpx2.Client(base_url=base, timeout=WAIT) as client,
    ):
        portal = portal_on(client, smtp)
        for email in SIGNING_UP:
            portal.sign_up(email)
        portal.sign_up(SIGNING_UP[0])  # again: "you already have an account"
        queued = len(SIGNING_UP) + 1
        failed.wait_for(1, timeout=WAIT * 2)
        outbox = sql(database_url, "SELECT status, attempts FROM outbox_message")
        assert len(outbox) == queued
        assert {status for status, _ in outbox} == {"PENDING"}
        assert min(attempts for _, attempts in outbox) >= 2  # each one was retried

        smtp.start()
        try:
            for email in SIGNING_UP:  # each link works: the message went out whole
                assert portal.confirm(email)["status"] == "PENDING"
            sent.wait_for(queued)
            outbox = sql(database_url, "SELECT status, attempts FROM outbox_message")
            assert [status for status, _ in outbox] == ["SENT"] * queued
            assert max(attempts for _, attempts in outbox) < MAX_ATTEMPTS
            # Besides the confirmations used above, the one other message, and no copy.
            rest = [(str(m["To"]), str(m["Subject"])) for m in smtp.inbox.drain()]
            assert rest == [(SIGNING_UP[0], "You already have an account")]
        finally:
            smtp.stop()
