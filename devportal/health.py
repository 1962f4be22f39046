"""``/healthz`` and ``/readyz``: is the process alive, and may a load balancer send it work?

``/healthz`` answers 200 while the process can reach its database (the check
it always had). ``/readyz`` answers 200 only when this process can do its whole
job: the database answers, its schema is at the newest migration (a process
started before ``devportal migrate`` ran, or rolled back under a newer schema,
is not ready), the event bus listens (PostgreSQL: without it, caches are
bypassed and subscribers hear nothing), and the process is not draining for a
shutdown. Each failing check is named in the body, never with its error detail.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devportal import migrate
from devportal.db import Database
from devportal.drain import Drain
from devportal.middleware.answers import UNREACHABLE

log = logging.getLogger("devportal.health")

CHECK_SECONDS = 3.0
"""The longest a probe waits for the database: probes time out too (Kubernetes: 1 s by default,
but a slow answer is better than none for a person with curl)."""

NO_STORE = {"Cache-Control": "no-store"}


@cache
def newest_migration() -> str | None:
    """The head revision the code expects, read once from ``migrations/``."""
    return ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head()


def health_routes(db: Database, draining: Drain) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                await _ping(db)
        except (TimeoutError, *UNREACHABLE) as exc:
            log.warning("health check: database unreachable: %s", exc)
            return JSONResponse({"status": "database unreachable"}, 503, NO_STORE)
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def readyz(request: Request) -> JSONResponse:
        checks = await _readiness(db, draining)
        ready = all(value == "ok" for value in checks.values())
        status = "ok" if ready else "not ready"
        if not ready:
            failed = ", ".join(f"{name}: {text}" for name, text in checks.items() if text != "ok")
            log.warning("readiness check failed: %s", failed)
        return JSONResponse({"status": status, "checks": checks}, 200 if ready else 503, NO_STORE)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]


async def _ping(db: Database) -> None:
    async with db.session() as session:
        await session.execute(sa.text("SELECT 1"))


async def _schema_version(db: Database) -> str | None:
    async with db.session() as session:
        version = await session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    return None if version is None else str(version)


async def _readiness(db: Database, draining: Drain) -> dict[str, str]:
    checks = {"database": "ok", "migrations": "ok", "eventBus": "ok", "shutdown": "ok"}
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            version = await _schema_version(db)
    except (TimeoutError, *UNREACHABLE) as exc:
        log.debug("readiness: database unreachable: %s", exc)
        checks["database"] = checks["migrations"] = "unreachable"
    else:
        if version != newest_migration():
            checks["migrations"] = f"at {version}, code expects {newest_migration()}"
    if not db.bus.hearing:
        checks["eventBus"] = "not listening"
    if draining.begun:
        checks["shutdown"] = "draining"
    return checks
