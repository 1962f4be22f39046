"""Erasure: a developer deleted by themselves or an admin leaves nothing of them behind."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ADMIN_EMAIL, POSTGRES_URL, portal_on
from tests.flows import ME, PASSWORD, Catalog, Portal, Teams
from tests.servers import ServerProcess
from tests.support import SmtpServer

EMAIL = "augusta@example.com"
NAME = "Augusta Ada King"
DELETE_ME = "mutation($password: String!) { deleteMyAccount(password: $password) }"
DELETE = "mutation($id: ID!) { deleteDeveloper(id: $id) }"
LOG = """
query($subject: ID) { auditLog(subjectId: $subject, first: 100) {
  nodes { action summary actor { __typename } subject { id } } } }
"""
REVOKE = "mutation($id: ID!, $reason: String) { revokeDeveloper(id: $id, reason: $reason) { id } }"
VERIFY = "/gateway/verify/weather/v1"


def traces(url: str, *needles: str) -> list[str]:
    """Every table and column where one of ``needles`` appears, whatever the case."""

    async def scan() -> list[str]:
        engine = create_async_engine(url)
        found = []
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
                for name in names:
                    rows = await connection.execute(sa.text(f'SELECT * FROM "{name}"'))
                    for row in rows.mappings():
                        for column, value in row.items():
                            text = str(value).lower()
                            found += [f"{name}.{column}" for n in needles if n.lower() in text]
        finally:
            await engine.dispose()
        return found

    return asyncio.run(scan())


def a_busy_developer(portal: Portal, catalog: Catalog) -> tuple[str, str, str]:
    """A developer with an application, an approved registration, a key, mail, and a
    revocation whose reason names them: (id, token, key)."""
    version = catalog.service("weather", "v1")
    portal.sign_up(EMAIL, full_name=NAME)
    developer = portal.confirm(EMAIL)
    portal.decide("approveDeveloper", developer["id"])
    reason = f"{NAME} <{EMAIL}> shared a key"
    portal.api.data(REVOKE, {"id": developer["id"], "reason": reason}, portal.admin)
    portal.decide("approveDeveloper", developer["id"])
    token = portal.log_in(EMAIL)
    key = catalog.approved_key(token, version)
    return developer["id"], token, key.key


def test_deleting_my_account_leaves_nothing_of_me(
    portal: Portal, catalog: Catalog, database_url: str
) -> None:
    api = portal.api
    developer_id, token, key = a_busy_developer(portal, catalog)
    assert api.client.get(VERIFY, headers={"apikey": key}).status_code == 200
    assert traces(database_url, EMAIL, NAME)

    wrong = api.error(DELETE_ME, {"password": "not my password"}, token)
    assert wrong.code == "INVALID_CREDENTIALS"
    assert api.error(DELETE_ME, {"password": PASSWORD}, portal.admin).code == "FORBIDDEN"
    assert api.data(DELETE_ME, {"password": PASSWORD}, token) == {"deleteMyAccount": True}

    refused = api.client.get(VERIFY, headers={"apikey": key})
    assert refused.status_code == 401
    assert api.data(ME, token=token) == {"me": None}
    assert traces(database_url, EMAIL, NAME) == []
    entries = api.data(LOG, {"subject": developer_id}, portal.admin)["auditLog"]["nodes"]
    assert entries[0]["action"] == "DEVELOPER_DELETED"
    assert entries[0]["actor"] is None
    assert {e["subject"] for e in entries} == {None}
    assert "DEVELOPER_REVOKED" in {e["action"] for e in entries}
    # The person may sign up again with the address: it is free.
    assert portal.sign_up(EMAIL)
    assert portal.confirm(EMAIL)["status"] == "PENDING"


def test_an_admin_deletes_a_developer(portal: Portal, catalog: Catalog, database_url: str) -> None:
    api = portal.api
    developer_id, token, key = a_busy_developer(portal, catalog)
    other = portal.developer("other@example.com")
    assert api.error(DELETE, {"id": developer_id}, other.token).code == "FORBIDDEN"
    assert api.error(DELETE, {"id": developer_id}).code == "UNAUTHENTICATED"
    assert api.data(DELETE, {"id": developer_id}, portal.admin) == {"deleteDeveloper": developer_id}
    assert api.error(DELETE, {"id": developer_id}, portal.admin).code == "NOT_FOUND"
    assert api.client.get(VERIFY, headers={"apikey": key}).status_code == 401
    assert api.data(ME, token=token) == {"me": None}
    assert traces(database_url, EMAIL, NAME) == []
    deleted = api.data(LOG, {"subject": developer_id}, portal.admin)["auditLog"]["nodes"][0]
    assert deleted["action"] == "DEVELOPER_DELETED"
    assert deleted["actor"] == {"__typename": "Admin"}
    assert ADMIN_EMAIL in deleted["summary"]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)")
def test_a_key_in_use_stops_on_another_process_at_its_next_call(
    two_servers: tuple[ServerProcess, ServerProcess],
    smtp: SmtpServer,
    database_url: str,
) -> None:
    a, b = two_servers
    with httpx2.Client(base_url=b.url) as on_b, httpx2.Client(base_url=a.url) as on_a:
        portal = portal_on(on_b, smtp)
        developer_id, _token, key = a_busy_developer(portal, Catalog(portal))
        for _ in range(3):  # in use, and in process A's cache
            assert on_a.get(VERIFY, headers={"apikey": key}).status_code == 200
        portal.api.data(DELETE, {"id": developer_id}, portal.admin)
        # A hears of it through PostgreSQL's NOTIFY: at once in practice, within 1 s promised.
        deadline = time.perf_counter() + 1.0
        while (status := on_a.get(VERIFY, headers={"apikey": key}).status_code) == 200:
            assert time.perf_counter() < deadline, "process A let the key through for over 1 s"
        assert status == 401
    assert traces(database_url, EMAIL, NAME) == []


def test_a_developer_alone_in_a_team_takes_the_team_with_them(
    portal: Portal, database_url: str
) -> None:
    teams = Teams(portal)
    ada = portal.developer("ada@example.com")
    team = teams.create(ada.token, "Ada's workshop")
    teams.application(ada.token, team, "workshop-app")
    teams.invite(ada.token, team, "bob@example.com")
    assert portal.api.data(DELETE, {"id": ada.id}, portal.admin) == {"deleteDeveloper": ada.id}
    left = traces(database_url, "Ada's workshop", "workshop-app", "bob@example.com")
    # The team, its application and its invitation are gone; the mail to Bob was his.
    assert [t for t in left if not t.startswith("outbox_message.")] == []
