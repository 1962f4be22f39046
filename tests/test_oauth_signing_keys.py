"""The keys that sign OAuth access tokens: rotated with the previous one still published, and
stored encrypted with the passphrase."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta

import jwt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import ROOT, MovableClock, make_settings
from tests.flows import Catalog, Portal
from tests.support import SmtpServer
from tests.test_oauth import World, served_jwks, verified


def test_rotate_signing_key_keeps_the_previous_key_published(
    portal: Portal, catalog: Catalog, settings: Settings, clock: MovableClock
) -> None:
    world = World(portal, catalog)
    before = world.access_token()
    old_kids = {key["kid"] for key in served_jwks(world.http)["keys"]}
    rotated = subprocess.run(
        [sys.executable, "-m", "devportal.cli", "rotate-signing-key"],
        env={**os.environ, "DEVPORTAL_DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "PRIVATE" not in rotated.stdout + rotated.stderr
    clock.advance(timedelta(seconds=61))  # SQLite: a server re-reads the keys each minute
    kids = {key["kid"] for key in served_jwks(world.http)["keys"]}
    assert old_kids < kids
    assert len(kids) == 2
    after = world.access_token()
    new_kid = jwt.get_unverified_header(after)["kid"]
    assert new_kid not in old_kids
    assert new_kid in rotated.stdout
    for token in (before, after):
        claims = verified(world.http, token, "maps/v2", leeway=120)
        assert claims["client_id"] == world.client.client_id
        assert world.check(token, world.v2).status_code == 200


def test_private_keys_are_encrypted_with_the_passphrase(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = make_settings(database_url, smtp.port, signing_key_passphrase="correct horse")
    with TestClient(create_app(settings)) as client:
        jwks = client.get("/.well-known/jwks.json").text
        assert json.loads(jwks)["keys"]
    stored = asyncio.run(_private_pems(database_url))
    assert stored
    for pem in stored:
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert pem not in jwks


async def _private_pems(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT private_pem FROM signing_key"))
            return [str(row[0]) for row in rows]
    finally:
        await engine.dispose()
