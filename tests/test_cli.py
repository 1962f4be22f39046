"""The ``devportal`` command, run as an operator runs it, and the bootstrap admin."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa
from sqlmodel import col
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.db import Database
from devportal.models import Admin
from devportal.security import verify_password
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings
from tests.flows import ADMIN_LOG_IN
from tests.support import WAIT, Api, free_port, watching

DEVPORTAL = Path(sys.executable).with_name("devportal")
NEW_ADMIN_PASSWORD = "a long admin passphrase"


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any DEVPORTAL_* setting, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVPORTAL_")}
    env.update(variables)
    return env


def devportal(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEVPORTAL), *args],
        env=environment(**variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def admins(database_url: str) -> list[Admin]:
    async def read() -> list[Admin]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return list(await session.scalars(sa.select(Admin).order_by(col(Admin.id))))
        finally:
            await db.dispose()

    return asyncio.run(read())


def no_bootstrap(database_url: str) -> TestClient:
    settings = make_settings(
        database_url, free_port(), bootstrap_admin_email=None, bootstrap_admin_password=None
    )
    return TestClient(create_app(settings))


# --- create-admin ---------------------------------------------------------------------------------


def test_create_admin_makes_an_admin_who_can_log_in(database_url: str) -> None:
    created = devportal(
        "create-admin",
        "Root@Example.com",
        DEVPORTAL_DATABASE_URL=database_url,
        DEVPORTAL_ADMIN_PASSWORD=NEW_ADMIN_PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout == "Admin root@example.com created.\n"
    assert created.stderr == ""
    assert [admin.email for admin in admins(database_url)] == ["root@example.com"]

    with no_bootstrap(database_url) as client:
        login = Api(client).data(
            ADMIN_LOG_IN, {"email": "root@example.com", "password": NEW_ADMIN_PASSWORD}
        )
    assert login["adminLogIn"]["account"]["__typename"] == "Admin"
    assert login["adminLogIn"]["token"]


def test_create_admin_twice_fails_with_one_line(database_url: str) -> None:
    env = {"DEVPORTAL_DATABASE_URL": database_url, "DEVPORTAL_ADMIN_PASSWORD": NEW_ADMIN_PASSWORD}
    assert devportal("create-admin", "root@example.com", **env).returncode == 0
    again = devportal("create-admin", "ROOT@example.com", **env)
    assert again.returncode == 1
    assert again.stderr == "devportal create-admin: An admin with this email already exists.\n"
    assert again.stdout == ""
    assert len(admins(database_url)) == 1


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("root@example.com", "short", "at least 12 characters"),
        ("not an email", NEW_ADMIN_PASSWORD, "valid email"),
    ],
)
def test_create_admin_refuses_bad_input_clearly(
    database_url: str, email: str, password: str, message: str
) -> None:
    refused = devportal(
        "create-admin",
        email,
        DEVPORTAL_DATABASE_URL=database_url,
        DEVPORTAL_ADMIN_PASSWORD=password,
    )
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("devportal create-admin: ")
    assert message in line
    assert admins(database_url) == []


# --- the bootstrap admin --------------------------------------------------------------------------


def test_bootstrap_admin_is_created_at_start_up_once(database_url: str) -> None:
    assert admins(database_url) == []
    with watching("devportal", "created the first admin") as log:
        with TestClient(create_app(make_settings(database_url, free_port()))):
            pass
        assert len(log.records) == 1
        [admin] = admins(database_url)
        assert admin.email == ADMIN_EMAIL
        assert asyncio.run(verify_password(admin.password_hash, ADMIN_PASSWORD))
        assert admin.password_hash != ADMIN_PASSWORD

        # Started again, with the same or other bootstrap settings: an admin exists already.
        other = make_settings(
            database_url,
            free_port(),
            bootstrap_admin_email="second@portal.test",
            bootstrap_admin_password="second-password-123",
        )
        for settings in (make_settings(database_url, free_port()), other):
            with TestClient(create_app(settings)) as client:
                refused = Api(client).post(
                    ADMIN_LOG_IN, {"email": "second@portal.test", "password": "x" * 12}
                )
                assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
        assert len(log.records) == 1
    assert [a.email for a in admins(database_url)] == [ADMIN_EMAIL]


def test_no_bootstrap_admin_when_one_was_created_by_command(database_url: str) -> None:
    created = devportal(
        "create-admin",
        "root@example.com",
        DEVPORTAL_DATABASE_URL=database_url,
        DEVPORTAL_ADMIN_PASSWORD=NEW_ADMIN_PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    with TestClient(create_app(make_settings(database_url, free_port()))):
        pass
    assert [a.email for a in admins(database_url)] == ["root@example.com"]


# --- serve ----------------------------------------------------------------------------------------


def wait_until_ready(server: subprocess.Popen[str], base: str, log: Path) -> None:
    """Poll /healthz: the server is a process we do not control, so a bounded poll is fair."""
    for _ in range(int(WAIT / 0.1)):
        if server.poll() is not None:
            pytest.fail(f"devportal serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"devportal serve did not become ready:\n{log.read_text()}")


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'devportal.db'}"
    refused = devportal("serve", "--workers", "2", DEVPORTAL_DATABASE_URL=url)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "devportal serve: several workers need PostgreSQL (DEVPORTAL_DATABASE_URL); on "
        "SQLite, live updates would reach only the subscribers of the worker that made the change."
    ]
    assert not (tmp_path / "devportal.db").exists()  # refused before touching anything


def test_serve_names_a_setting_it_refuses_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'devportal.db'}"
    refused = devportal("serve", DEVPORTAL_DATABASE_URL=url, DEVPORTAL_CORS_ORIGINS="*")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "devportal serve: DEVPORTAL_CORS_ORIGINS: '*' is not an origin: "
        "list the exact origins of your frontends"
    )


def test_serve_refuses_an_spa_directory_without_an_index(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'devportal.db'}"
    refused = devportal("serve", "--spa", str(tmp_path), DEVPORTAL_DATABASE_URL=url)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip() == f"devportal serve: DEVPORTAL_SPA_DIR: no index.html in {tmp_path}"
    )
    assert not (tmp_path / "devportal.db").exists()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": "admin@portal.local"}, "valid email address"),
        ({"DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": "short"}, "at least 12 characters"),
    ],
)
def test_serve_refuses_a_bootstrap_admin_it_could_not_create(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'devportal.db'}"
    settings = {
        "DEVPORTAL_DATABASE_URL": url,
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": "admin@portal.example",
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": "a long enough password",
    }
    refused = devportal("serve", **(settings | variables))
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("devportal serve: DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD: ")
    assert message in line


def test_serve_migrates_and_answers_over_http(tmp_path: Path) -> None:
    """Always on SQLite: a fresh file the server must migrate itself."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "served.db"
    log = tmp_path / "serve.log"
    env = environment(DEVPORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(DEVPORTAL), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_until_ready(server, base, log)
        health = httpx2.get(f"{base}/healthz", timeout=WAIT)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        answer = httpx2.post(f"{base}/graphql", json={"query": "{ portal { name } }"}, timeout=WAIT)
        assert answer.status_code == 200
        assert answer.json() == {"data": {"portal": {"name": "Developer Portal"}}}
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            returncode = server.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise
    output_text = log.read_text()
    # Uvicorn shuts down gracefully, then re-raises SIGTERM so the parent sees why it ended.
    assert returncode in (0, -signal.SIGTERM), output_text
    assert "Traceback" not in output_text
    assert "Running upgrade" in output_text  # it migrated the new database itself
    assert "devportal ready" in output_text
    assert "Application shutdown complete" in output_text
    assert database.exists()
