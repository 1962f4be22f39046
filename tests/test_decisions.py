"""Decisions with context: the developer's message, an admin's reason, who decided and when."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from devportal.resolvers.accounts import create_admin
from tests.flows import ADMIN_LOG_IN, Catalog, Portal
from tests.support import WAIT, body

DEVELOPER = """
query($id: ID!) { node(id: $id) { ... on Developer {
  status statusReason decidedAt decidedBy { id email createdAt } } } }
"""
DECIDE = """
mutation($id: ID!, $reason: String) { %s(id: $id, reason: $reason) {
  status statusReason decidedAt decidedBy { email } } }
"""
APPROVE_DEVELOPER = """
mutation($id: ID!) { approveDeveloper(id: $id) { status statusReason decidedBy { email } } }
"""
REGISTER = """
mutation($app: ID!, $version: ID!, $message: String) {
  registerApplication(applicationId: $app, serviceVersionId: $version, message: $message) {
    id status message reason decidedAt decidedBy { email } } }
"""
REJECT = """
mutation($id: ID!, $reason: String) { rejectRegistration(id: $id, reason: $reason) {
  status reason decidedAt decidedBy { email } } }
"""
APPROVE = (
    "mutation($id: ID!) { approveRegistration(id: $id) { status reason decidedBy { email } } }"
)
PENDING = "{ pendingRegistrations { nodes { id message } } }"
MINE = (
    "{ myApplications { nodes { registrations { status reason decidedAt decidedBy { email } } } } }"
)
AUDIT = """
query($action: AuditAction, $subject: ID) { auditLog(action: $action, subjectId: $subject) {
  totalCount nodes { action summary actor { ... on Admin { email } } } } }
"""
ADMIN = "admin@portal.test"


def test_a_rejection_keeps_its_reason_until_the_status_changes(portal: Portal) -> None:
    api = portal.api
    portal.sign_up("eve@example.com", full_name="Eve")
    developer = portal.confirm("eve@example.com")
    before = api.data(DEVELOPER, {"id": developer["id"]}, portal.admin)["node"]
    assert before == {
        "status": "PENDING",
        "statusReason": None,
        "decidedAt": None,
        "decidedBy": None,
    }

    reason = "We could not verify your company.\nWrite to us with a work address."
    rejected = api.data(
        DECIDE % "rejectDeveloper", {"id": developer["id"], "reason": reason}, portal.admin
    )
    assert rejected["rejectDeveloper"]["statusReason"] == reason
    assert rejected["rejectDeveloper"]["decidedBy"] == {"email": ADMIN}
    assert rejected["rejectDeveloper"]["decidedAt"]
    mailed = body(portal.inbox.wait_for("eve@example.com", "rejected")).replace("\r\n", "\n")
    assert reason in mailed

    approved = api.data(APPROVE_DEVELOPER, {"id": developer["id"]}, portal.admin)
    assert approved["approveDeveloper"]["statusReason"] is None
    assert approved["approveDeveloper"]["decidedBy"] == {"email": ADMIN}
    token = portal.log_in("eve@example.com")
    mine = api.data(DEVELOPER, {"id": developer["id"]}, token)["node"]
    assert mine["status"] == "APPROVED"
    assert mine["decidedBy"]["email"] == ADMIN
    assert mine["decidedBy"]["createdAt"]

    revoked = api.data(
        DECIDE % "revokeDeveloper",
        {"id": developer["id"], "reason": "Key shared publicly"},
        portal.admin,
    )["revokeDeveloper"]
    assert (revoked["status"], revoked["statusReason"]) == ("REVOKED", "Key shared publicly")
    assert "Key shared publicly" in body(portal.inbox.wait_for("eve@example.com", "revoked"))


def test_an_automatic_approval_has_a_time_and_no_admin(portal: Portal) -> None:
    portal.settings(autoApproveDevelopers=True)
    portal.sign_up("grace@example.com")
    developer = portal.confirm("grace@example.com")
    node = portal.api.data(DEVELOPER, {"id": developer["id"]}, portal.admin)["node"]
    assert node["status"] == "APPROVED"
    assert node["decidedAt"]
    assert node["decidedBy"] is None


def test_reasons_and_messages_are_bounded(portal: Portal, catalog: Catalog) -> None:
    portal.sign_up("eve@example.com")
    developer = portal.confirm("eve@example.com")
    too_long = {"id": developer["id"], "reason": "x" * 2001}
    assert (
        portal.api.error(DECIDE % "rejectDeveloper", too_long, portal.admin).code
        == "BAD_USER_INPUT"
    )
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    asked = {"app": app_id, "version": catalog.service().id, "message": "y" * 2001}
    assert portal.api.error(REGISTER, asked, dev.token).code == "BAD_USER_INPUT"


def test_a_request_carries_the_message_and_the_rejection_its_reason(
    portal: Portal, catalog: Catalog
) -> None:
    api = portal.api
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token, "ada-app", "Ada's app")
    message = "For our flood warnings; about 1,000 calls a day."
    asked = api.data(
        REGISTER, {"app": app_id, "version": version.id, "message": message}, dev.token
    )
    registration = asked["registerApplication"]
    assert registration["message"] == message
    assert registration["decidedAt"] is None
    assert registration["decidedBy"] is None
    assert (
        api.data(PENDING, token=portal.admin)["pendingRegistrations"]["nodes"][0]["message"]
        == message
    )
    assert message in body(portal.inbox.wait_for(ADMIN, "Access request"))

    reason = "Flood warnings need the premium plan."
    rejected = api.data(REJECT, {"id": registration["id"], "reason": reason}, portal.admin)
    assert rejected["rejectRegistration"]["reason"] == reason
    assert rejected["rejectRegistration"]["decidedBy"] == {"email": ADMIN}
    assert reason in body(portal.inbox.wait_for("ada@example.com", "rejected"))
    seen = api.data(MINE, token=dev.token)["myApplications"]["nodes"][0]["registrations"][0]
    assert seen["reason"] == reason
    assert seen["decidedBy"] == {"email": ADMIN}

    # A new request after withdrawing starts with no decision.
    api.data(
        "mutation($id: ID!) { unregisterApplication(registrationId: $id) }",
        {"id": registration["id"]},
        dev.token,
    )
    again = api.data(REGISTER, {"app": app_id, "version": version.id}, dev.token)[
        "registerApplication"
    ]
    assert again["message"] is None
    assert again["reason"] is None
    assert again["decidedAt"] is None
    approved = api.data(APPROVE, {"id": again["id"]}, portal.admin)["approveRegistration"]
    assert approved == {"status": "APPROVED", "reason": None, "decidedBy": {"email": ADMIN}}


def test_a_version_that_approves_by_itself_decides_without_an_admin(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service(auto_approve=True)
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    asked = portal.api.data(REGISTER, {"app": app_id, "version": version.id}, dev.token)
    registration = asked["registerApplication"]
    assert registration["status"] == "APPROVED"
    assert registration["decidedAt"]
    assert registration["decidedBy"] is None


async def _second_admin(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await create_admin(
                session=session, email="second@portal.test", password="second-password-1"
            )
    finally:
        await engine.dispose()


def test_two_admins_deciding_one_developer_at_once_one_wins_once_in_the_log(
    portal: Portal, database_url: str
) -> None:
    asyncio.run(_second_admin(database_url))
    second = portal.api.data(
        ADMIN_LOG_IN, {"email": "second@portal.test", "password": "second-password-1"}
    )
    tokens = [portal.admin, second["adminLogIn"]["token"]]
    portal.sign_up("eve@example.com")
    developer = portal.confirm("eve@example.com")
    together = threading.Barrier(2, timeout=WAIT)

    def decide(token: str) -> dict[str, Any]:
        together.wait()
        variables = {"id": developer["id"], "reason": "Not a real company"}
        return dict(portal.api.post(DECIDE % "rejectDeveloper", variables, token).json())

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(decide, tokens))
    winners = [r for r in results if not r.get("errors")]
    assert len(winners) == 1, results
    assert [r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")] == [
        "CONFLICT"
    ]
    variables = {"action": "DEVELOPER_REJECTED", "subject": developer["id"]}
    log = portal.api.data(AUDIT, variables, portal.admin)["auditLog"]
    assert log["totalCount"] == 1
    assert log["nodes"][0]["actor"] == winners[0]["data"]["rejectDeveloper"]["decidedBy"]
    assert "Not a real company" in log["nodes"][0]["summary"]
