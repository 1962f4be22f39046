"""What the people who run devportal see: readiness, request IDs, JSON logs, metrics, drain."""

from __future__ import annotations

from starlette.testclient import TestClient

from devportal.health import newest_migration
from tests.faults import sql


def test_readyz_is_ready_with_the_newest_schema_and_says_what_is_not(
    client: TestClient, database_url: str
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "eventBus": "ok", "shutdown": "ok"},
    }
    head = newest_migration()
    sql(database_url, "UPDATE alembic_version SET version_num = '0001'")
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["checks"]["migrations"] == f"at 0001, code expects {head}"
    assert client.get("/healthz").status_code == 200  # alive all the same
    sql(database_url, "UPDATE alembic_version SET version_num = :head", head=head)
    assert client.get("/readyz").status_code == 200
