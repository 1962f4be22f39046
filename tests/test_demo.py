"""``devportal demo``, run as an operator runs it, then used over GraphQL and the gateway."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.db import Database
from devportal.mailer.outbox import enqueue
from devportal.mailer.templates import Mail
from devportal.resolvers import accounts
from devportal.security import verify_password
from tests.conftest import make_settings
from tests.flows import ADMIN_LOG_IN, LOG_IN
from tests.support import Api, SmtpServer

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_URL = "http://portal.test"
REFUSAL = "devportal demo: the database is not empty; demo fills only an empty one\n"

CATALOG = """
{ catalog { totalCount nodes { slug name description published
  versions { name appRegistrationEnabled autoApprove authStrategy } } } }
"""
MY_APPLICATIONS = """
{ myApplications { totalCount nodes { name referenceId credentials { keyPrefix }
  registrations { status serviceVersion { name service { slug } } } } } }
"""
PENDING = """
{ pendingDevelopers { nodes { email status } }
  pendingRegistrations { nodes { status application { name referenceId }
    serviceVersion { name service { slug } } } } }
"""


@dataclass
class Demo:
    output: str
    admin_email: str
    admin_password: str
    developer_email: str
    developer_password: str
    key: str


def run_demo(database_url: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVPORTAL_")}
    env |= {"DEVPORTAL_DATABASE_URL": database_url, "DEVPORTAL_PUBLIC_URL": PUBLIC_URL}
    env |= variables
    return subprocess.run(
        [sys.executable, "-m", "devportal.cli", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def field(output: str, pattern: str) -> re.Match[str]:
    found = re.search(pattern, output, re.MULTILINE)
    assert found, output
    return found


def demo(database_url: str, **variables: str) -> Demo:
    done = run_demo(database_url, **variables)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert out.startswith("Demo portal ready.\n")
    admin = field(out, r"^  Admin:\s+(\S+) / (\S+)$")
    developer = field(out, r"^  Developer:\s+(\S+) / (\S+)$")
    key = field(
        out,
        r'^  API key:\s+(dpk_\S+) \(application "Weather dashboard", approved for '
        r"weather v1\)$",
    ).group(1)
    try_line = f'  Try:        curl -H "apikey: {key}" {PUBLIC_URL}/gateway/verify/weather/v1'
    assert try_line in out.splitlines()
    return Demo(out, admin[1], admin[2], developer[1], developer[2], key)


def rows(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by table name, to tell that nothing changed."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return {
                    table.name: [
                        dict(row._mapping)
                        for row in await session.execute(
                            sa.select(table).order_by(*table.primary_key.columns)
                        )
                    ]
                    for table in SQLModel.metadata.sorted_tables
                }
        finally:
            await db.dispose()

    return asyncio.run(read())


def outbox(database_url: str) -> list[str]:
    return [row["recipient"] for row in rows(database_url)["outbox_message"]]


def log_in(api: Api, query: str, email: str, password: str) -> str:
    data = api.data(query, {"email": email, "password": password})
    return str(next(iter(data.values()))["token"])


def test_demo_fills_an_empty_portal_that_works(database_url: str, smtp: SmtpServer) -> None:
    made = demo(database_url)
    assert made.admin_email == "admin@demo.devportal.test"
    assert made.developer_email == "developer@demo.devportal.test"
    assert outbox(database_url) == []  # every mail the steps queued is gone: nothing is sent

    with TestClient(create_app(make_settings(database_url, smtp.port))) as client:
        api = Api(client)
        developer = log_in(api, LOG_IN, made.developer_email, made.developer_password)

        services = api.data(CATALOG, token=developer)["catalog"]["nodes"]
        assert [s["slug"] for s in services] == ["weather", "payments", "maps"]
        assert all(s["published"] and s["description"] for s in services)
        versions = {
            (s["slug"], v["name"]): (v["appRegistrationEnabled"], v["autoApprove"])
            for s in services
            for v in s["versions"]
        }
        assert versions == {
            ("weather", "v1"): (True, False),
            ("weather", "v2"): (True, True),
            ("payments", "v1"): (True, False),
            ("maps", "v1"): (False, False),
            ("maps", "v2"): (True, True),
        }

        mine = api.data(MY_APPLICATIONS, token=developer)["myApplications"]["nodes"]
        statuses = {
            (app["name"], r["serviceVersion"]["service"]["slug"], r["serviceVersion"]["name"]): (
                r["status"]
            )
            for app in mine
            for r in app["registrations"]
        }
        assert statuses == {
            ("Weather dashboard", "weather", "v1"): "APPROVED",
            ("Checkout", "payments", "v1"): "PENDING",
            ("Fleet tracker", "maps", "v2"): "APPROVED",
            ("Fleet tracker", "payments", "v1"): "REJECTED",
        }
        [dashboard] = [app for app in mine if app["name"] == "Weather dashboard"]
        assert [c["keyPrefix"] for c in dashboard["credentials"]] == [made.key[:12]]

        allowed = client.get("/gateway/verify/weather/v1", headers={"apikey": made.key})
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["X-Consumer-Developer-Email"] == made.developer_email
        assert allowed.headers["X-Consumer-Application-Reference-Id"] == "acme-weather-dashboard"
        denied = client.get("/gateway/verify/weather/v2", headers={"apikey": made.key})
        assert denied.status_code == 403

        admin = log_in(api, ADMIN_LOG_IN, made.admin_email, made.admin_password)
        queues = api.data(PENDING, token=admin)
        assert queues["pendingDevelopers"]["nodes"] == [
            {"email": "pending@demo.devportal.test", "status": "PENDING"}
        ]
        assert queues["pendingRegistrations"]["nodes"] == [
            {
                "status": "PENDING",
                "application": {"name": "Checkout", "referenceId": "acme-checkout"},
                "serviceVersion": {"name": "v1", "service": {"slug": "payments"}},
            }
        ]
    assert outbox(database_url) == []


def test_demo_refuses_a_database_that_is_not_empty(database_url: str) -> None:
    demo(database_url)
    before = rows(database_url)
    again = run_demo(database_url)
    assert again.returncode == 1
    assert again.stderr == REFUSAL
    assert again.stdout == ""
    assert rows(database_url) == before


def test_demo_keeps_other_admins_and_their_mail(database_url: str, smtp: SmtpServer) -> None:
    """An admin and a queued mail that are not the demo's: both stay; only the demo's mail goes."""

    async def prepare() -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                await accounts.create_admin(
                    session=session, email="root@example.com", password="root-password-123"
                )
                enqueue(session, to="root@example.com", mail=Mail("Earlier", "Queued before."))
        finally:
            await db.dispose()

    asyncio.run(prepare())
    made = demo(database_url, DEVPORTAL_ADMIN_PASSWORD="demo-admin-password-1")
    assert made.admin_password == "demo-admin-password-1"
    assert outbox(database_url) == ["root@example.com"]
    admins = rows(database_url)["admin"]
    assert [admin["email"] for admin in admins] == ["root@example.com", "admin@demo.devportal.test"]

    settings = make_settings(database_url, smtp.port, bootstrap_admin_email=None)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        for email, password in [
            ("root@example.com", "root-password-123"),
            (made.admin_email, made.admin_password),
        ]:
            admin = log_in(api, ADMIN_LOG_IN, email, password)
            nodes = api.data(PENDING, token=admin)["pendingRegistrations"]["nodes"]
            assert [n["application"]["name"] for n in nodes] == ["Checkout"]


def test_demo_admin_that_exists_keeps_its_password(database_url: str) -> None:
    async def prepare() -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                await accounts.create_admin(
                    session=session, email="admin@demo.devportal.test", password="kept password 1"
                )
        finally:
            await db.dispose()

    asyncio.run(prepare())
    done = run_demo(database_url)
    assert done.returncode == 0, done.stderr
    assert (
        "  Admin:      admin@demo.devportal.test (existed already; its password is unchanged)"
        in done.stdout.splitlines()
    )
    [admin] = rows(database_url)["admin"]
    assert asyncio.run(verify_password(admin["password_hash"], "kept password 1"))
