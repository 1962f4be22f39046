"""Fixtures: a freshly migrated database per test, a real SMTP server, the app over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from devportal import migrate
from devportal.app import create_app
from devportal.models.base import Clock
from devportal.settings import Settings
from tests.browser import skip_unless_chromium
from tests.flows import Catalog, Portal
from tests.gateway import Setup
from tests.servers import ServerProcess
from tests.support import Api, LogCounter, SmtpServer, attached, free_port

if TYPE_CHECKING:
    from tests.live import Live

POSTGRES_URL = os.environ.get("DEVPORTAL_TEST_DATABASE_URL")
ADMIN_EMAIL = "admin@portal.test"
ADMIN_PASSWORD = "admin-password-123"
ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header() -> str:
    return f"devportal database: {'PostgreSQL' if POSTGRES_URL else 'SQLite'}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_unless_chromium(items)


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


def fresh_database(directory: Path) -> str:
    """An empty database, migrated to head: PostgreSQL's emptied, or a new SQLite file."""
    if POSTGRES_URL:
        asyncio.run(_reset_postgres(POSTGRES_URL))
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{directory / 'devportal.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """An empty database, migrated to head."""
    return fresh_database(tmp_path)


class MovableClock:
    """Moves the portal's clock (``devportal.models.base.Clock``) for in-process servers."""

    def advance(self, delta: timedelta) -> None:
        Clock.offset += delta


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    """Time moved forward instead of slept through; put back after the test."""
    try:
        yield MovableClock()
    finally:
        Clock.offset = timedelta(0)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def make_settings(database_url: str, smtp_port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
        "public_url": "http://portal.test",
        "bootstrap_admin_email": ADMIN_EMAIL,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "mail_retry_base_seconds": 0.05,
        "mail_poll_seconds": 0.5,
        "smtp_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return make_settings(database_url, smtp.port)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def portal(api: Api, smtp: SmtpServer) -> Portal:
    return Portal(api, smtp.inbox, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)


def portal_on(client: httpx2.Client, smtp: SmtpServer) -> Portal:
    """The portal's users, through ``client`` (a server of a test's own), with its admin."""
    return Portal(Api(client), smtp.inbox, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)


@pytest.fixture
def catalog(portal: Portal) -> Catalog:
    return Catalog(portal)


@pytest.fixture
def setup(portal: Portal, catalog: Catalog) -> Setup:
    """A developer with an application approved for weather/v1, and its key."""
    return Setup(portal, catalog)


@pytest.fixture
def events_log() -> Iterator[tuple[LogCounter, LogCounter]]:
    """Counts of the event bus's PostgreSQL listener (re)starting and losing its connection."""
    with (
        attached("devportal.events", LogCounter("listening on PostgreSQL")) as listening,
        attached("devportal.events", LogCounter("connection to PostgreSQL lost")) as lost,
    ):
        yield listening, lost


@pytest.fixture
def live(settings: Settings, smtp: SmtpServer) -> Iterator[Live]:
    """The app behind a real uvicorn server, for subscribers over WebSockets."""
    from tests.live import serve  # imported here: tests.live imports this module

    yield from serve(settings, smtp)


@pytest.fixture
def two_servers(
    request: pytest.FixtureRequest, database_url: str, smtp: SmtpServer
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``devportal serve`` processes on one database (PostgreSQL, in the tests that use
    them), with the extra environment of the test's ``server_env`` marker."""
    marker = request.node.get_closest_marker("server_env")
    env = {
        "DEVPORTAL_DATABASE_URL": database_url,
        "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "DEVPORTAL_PUBLIC_URL": "http://portal.test",
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "DEVPORTAL_LOG_LEVEL": "DEBUG",
        **(marker.kwargs if marker else {}),
    }
    a = ServerProcess(env, cwd=ROOT)
    try:
        b = ServerProcess(env, cwd=ROOT)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()
