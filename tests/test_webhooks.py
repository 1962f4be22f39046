"""Webhooks: every event to a real receiver, signed (checked with ``standardwebhooks``),
retried with the same webhook-id, never lost, and never sent where it may not go."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from devportal.models.base import utcnow
from devportal.resolvers.webhooks import Backlog, backlog, prune_deliveries
from devportal.settings import Settings
from tests.conftest import make_settings
from tests.flows import REVOKE_KEY, UNREGISTER, Catalog, Portal
from tests.receiver import REDELIVER, UPDATE, Receiver, create_webhook, deliveries
from tests.support import LogCounter, SmtpServer, attached

ALL = [
    "DEVELOPER_SIGNED_UP",
    "DEVELOPER_STATUS_CHANGED",
    "REGISTRATION_CREATED",
    "REGISTRATION_APPROVED",
    "REGISTRATION_REJECTED",
    "REGISTRATION_UNREGISTERED",
    "REGISTRATION_DELETED",
    "CREDENTIAL_CREATED",
    "CREDENTIAL_REVOKED",
    "CREDENTIAL_EXPIRING",
]
ROOT = Path(__file__).resolve().parent.parent
DELETE_APP = "mutation($id: ID!) { deleteApplication(id: $id) }"
DELETE_REGISTRATION = "mutation($id: ID!) { deleteRegistration(id: $id) }"


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    """The receiver listens on 127.0.0.1 over plain HTTP: the operator allows both."""
    return make_settings(
        database_url,
        smtp.port,
        webhook_allow_http=True,
        webhook_allow_private=True,
        webhook_retry_base_seconds=0.05,
        webhook_max_attempts=3,
        webhook_poll_seconds=0.5,
        housekeeping_interval_seconds=0.1,  # expiry warnings come from housekeeping
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().serving() as serving:
        yield serving


@pytest.fixture
def delivered() -> Iterator[LogCounter]:
    """Counts deliveries that landed, as the worker records them."""
    with attached("devportal.webhooks", LogCounter(r"delivery \d+ delivered")) as counter:
        yield counter


def test_each_event_reaches_the_receiver_once_per_change_signed(
    portal: Portal, catalog: Catalog, receiver: Receiver, delivered: LogCounter
) -> None:
    hook = create_webhook(portal.api, portal.admin, receiver.url, ALL)
    assert hook["secret"].startswith("whsec_")
    version = catalog.service()
    ada = portal.developer("ada@example.com")
    app = catalog.application(ada.token)
    registration = catalog.register(ada.token, app, version)
    catalog.decide("approveRegistration", registration["id"])
    catalog.decide("rejectRegistration", registration["id"])
    portal.api.data(DELETE_REGISTRATION, {"id": registration["id"]}, portal.admin)
    again = catalog.register(ada.token, app, version)
    portal.api.data(UNREGISTER, {"id": again["id"]}, ada.token)
    key = catalog.key(ada.token, app)
    portal.api.data(REVOKE_KEY, {"id": key.id}, ada.token)
    at_once = catalog.service("maps", auto_approve=True)
    second = catalog.application(ada.token, "app-2")
    catalog.register(ada.token, second, at_once)
    portal.api.data(DELETE_APP, {"id": second}, ada.token)

    expected = Counter(
        {
            "developer.signed_up": 1,
            "developer.status_changed": 2,  # PENDING (confirmed), APPROVED
            "registration.created": 3,
            "registration.approved": 2,  # by the admin, and at once by "maps"
            "registration.rejected": 1,
            "registration.deleted": 1,
            "registration.unregistered": 2,  # withdrawn, and its application deleted
            "credential.created": 1,
            "credential.revoked": 1,
        }
    )
    got = receiver.take(sum(expected.values()))
    delivered.wait_for(len(got))
    payloads = [request.verified(hook["secret"]) for request in got]
    assert Counter(payload["type"] for payload in payloads) == expected
    assert len({request.webhook_id for request in got}) == len(got)
    assert receiver.pending() == 0

    by_type = {payload["type"]: payload["data"] for payload in payloads}
    assert by_type["registration.deleted"] == {
        "id": registration["id"],
        "status": "REJECTED",
        "applicationId": app,
        "serviceVersionId": version.id,
        "developerId": ada.id,
        "applicationName": "My App",
        "applicationReferenceId": "app-1",
    }
    assert by_type["developer.signed_up"]["id"] == ada.id
    assert by_type["credential.revoked"]["id"] == key.id
    assert key.key not in b"".join(request.body for request in got).decode()
    assert hook["secret"] not in str(payloads)

    rows = deliveries(portal.api, portal.admin, hook["id"])
    assert len(rows) == len(got)
    assert {(row["status"], row["attempts"], row["responseStatus"]) for row in rows} == {
        ("DELIVERED", 1, 200)
    }
    assert rows[0]["eventType"] == "REGISTRATION_UNREGISTERED"  # newest first


def test_a_failing_receiver_gets_retries_with_the_same_webhook_id(
    portal: Portal, receiver: Receiver, delivered: LogCounter
) -> None:
    hook = create_webhook(portal.api, portal.admin, receiver.url, ["DEVELOPER_SIGNED_UP"])
    receiver.answer(500, 503)
    portal.sign_up("ada@example.com")

    tries = receiver.take(3)
    delivered.wait_for(1)
    assert [request.answered for request in tries] == [500, 503, 200]
    assert len({request.webhook_id for request in tries}) == 1
    assert len({request.body for request in tries}) == 1
    for request in tries:
        assert request.verified(hook["secret"])["type"] == "developer.signed_up"
    [row] = deliveries(portal.api, portal.admin, hook["id"])
    assert row["eventId"] == tries[0].webhook_id
    assert (row["status"], row["attempts"], row["responseStatus"]) == ("DELIVERED", 3, 200)
    assert row["deliveredAt"] is not None
    assert row["nextAttemptAt"] is None


def test_a_receiver_down_loses_nothing_fails_after_the_budget_and_redelivery_lands(
    portal: Portal, client: TestClient, delivered: LogCounter
) -> None:
    down = Receiver()  # nothing listens on its port yet
    hook = create_webhook(portal.api, portal.admin, down.url, ["DEVELOPER_SIGNED_UP"])
    with attached("devportal.webhooks", LogCounter("failed for good after 3 attempts")) as failed:
        for name in ("ada", "bob", "cy"):
            portal.sign_up(f"{name}@example.com")
        failed.wait_for(3)
    rows = deliveries(portal.api, portal.admin, hook["id"])
    assert [(r["status"], r["attempts"], r["responseStatus"]) for r in rows] == [
        ("FAILED", 3, None)
    ] * 3
    assert all(row["nextAttemptAt"] is None for row in rows)
    assert client.portal.call(_backlog, client) == Backlog(0, 0.0, 3)  # type: ignore[union-attr]

    with down.serving() as receiver:
        for row in rows:
            again = portal.api.data(REDELIVER, {"id": row["id"]}, portal.admin)
            assert again["redeliverWebhook"]["status"] == "PENDING"
        got = receiver.take(3)
        delivered.wait_for(3)
    assert {request.webhook_id for request in got} == {row["eventId"] for row in rows}
    names = {request.verified(hook["secret"])["data"]["id"] for request in got}
    assert len(names) == 3
    after = deliveries(portal.api, portal.admin, hook["id"])
    assert {(r["status"], r["attempts"]) for r in after} == {("DELIVERED", 4)}
    assert client.portal.call(_backlog, client) == Backlog(0, 0.0, 0)  # type: ignore[union-attr]


async def _backlog(client: TestClient) -> Backlog:
    async with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        return await backlog(session)


def test_a_disabled_webhook_gets_nothing_of_what_happens_meanwhile(
    portal: Portal, receiver: Receiver, delivered: LogCounter
) -> None:
    events = ["DEVELOPER_SIGNED_UP"]
    hook = create_webhook(portal.api, portal.admin, receiver.url, events, enabled=False)
    portal.sign_up("ada@example.com")
    enable = {"url": receiver.url, "events": events, "enabled": True}
    portal.api.data(UPDATE, {"id": hook["id"], "input": enable}, portal.admin)
    portal.sign_up("bob@example.com")
    [request] = receiver.take(1)
    delivered.wait_for(1)
    assert len(deliveries(portal.api, portal.admin, hook["id"])) == 1
    assert request.verified(hook["secret"])["data"]["fullName"] == "Ada Lovelace"


def test_housekeeping_removes_deliveries_a_month_old(
    portal: Portal, client: TestClient, receiver: Receiver, delivered: LogCounter
) -> None:
    hook = create_webhook(portal.api, portal.admin, receiver.url, ["DEVELOPER_SIGNED_UP"])
    portal.sign_up("ada@example.com")
    receiver.take(1)
    delivered.wait_for(1)

    async def prune_at(days: int) -> int:
        async with client.app.state.db.transaction() as session:  # type: ignore[attr-defined]
            return await prune_deliveries(session=session, now=utcnow() + timedelta(days=days))

    assert client.portal.call(prune_at, 29) == 0  # type: ignore[union-attr]
    assert len(deliveries(portal.api, portal.admin, hook["id"])) == 1
    assert client.portal.call(prune_at, 31) == 1  # type: ignore[union-attr]
    assert deliveries(portal.api, portal.admin, hook["id"]) == []


EXPIRING_KEY = """
mutation($app: ID!, $expiresAt: DateTime) {
  generateCredential(applicationId: $app, name: "production", expiresAt: $expiresAt) {
    key credential { id keyPrefix } } }
"""
ROTATE = "mutation($id: ID!) { rotateCredential(id: $id) { credential { id } } }"


def test_a_key_about_to_expire_is_announced_once_and_a_rotation_is_a_new_key(
    portal: Portal, catalog: Catalog, receiver: Receiver, delivered: LogCounter
) -> None:
    hook = create_webhook(
        portal.api, portal.admin, receiver.url, ["CREDENTIAL_EXPIRING", "CREDENTIAL_CREATED"]
    )
    ada = portal.developer("ada@example.com")
    app = catalog.application(ada.token)
    rounds = LogCounter("housekeeping round done")
    with attached("devportal.housekeeping", rounds):
        soon = datetime.now(UTC) + timedelta(days=3)
        made = portal.api.data(EXPIRING_KEY, {"app": app, "expiresAt": soon.isoformat()}, ada.token)
        key = made["generateCredential"]
        created, expiring = sorted(
            (request.verified(hook["secret"]) for request in receiver.take(2)),
            key=lambda payload: str(payload["type"]),
        )
        rounds.wait_for(rounds._count + 3)  # three more rounds: no second warning
    assert (created["type"], expiring["type"]) == ("credential.created", "credential.expiring")
    assert expiring["data"] == {
        **created["data"],
        "id": key["credential"]["id"],
        "name": "production",
        "keyPrefix": key["credential"]["keyPrefix"],
    }
    assert expiring["data"]["expiresAt"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))
    # The successor has the old key's lifetime: it is new, and about to expire too.
    rotated = portal.api.data(ROTATE, {"id": key["credential"]["id"]}, ada.token)
    successor = rotated["rotateCredential"]["credential"]["id"]
    after = [request.verified(hook["secret"]) for request in receiver.take(2)]
    assert sorted((p["type"], p["data"]["id"]) for p in after) == [
        ("credential.created", successor),
        ("credential.expiring", successor),
    ]
    delivered.wait_for(4)
    assert receiver.pending() == 0
    assert key["key"] not in str([created, expiring, *after])
