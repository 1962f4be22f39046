"""Registrations: the walkthrough of a real portal, every edge of the state diagram, mail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devportal.settings import Settings
from tests.faults import sql
from tests.flows import ASK_RESET_PASSWORD, REGISTER, UNREGISTER, Catalog, Portal
from tests.support import body

MY_APPLICATIONS = """
{ myApplications { totalCount nodes { id name registrations { id status
  serviceVersion { name service { slug } } } } } }
"""
PENDING = "{ pendingRegistrations { totalCount nodes { id status application { referenceId } } } }"
DELETE = "mutation($id: ID!) { deleteRegistration(id: $id) }"


def test_walkthrough_of_a_real_portal(portal: Portal, catalog: Catalog) -> None:
    api, admin = portal.api, portal.admin
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token, "ada-weather", "Ada's weather app")
    registration = catalog.register(dev.token, app_id, version)
    assert registration["status"] == "PENDING"

    mine = api.data(MY_APPLICATIONS, token=dev.token)["myApplications"]["nodes"]
    assert mine[0]["registrations"] == [
        {
            "id": registration["id"],
            "status": "PENDING",
            "serviceVersion": {"name": "v1", "service": {"slug": "weather"}},
        }
    ]
    request_mail = portal.inbox.wait_for("admin@portal.test", "Access request")
    assert "Ada's weather app" in body(request_mail)
    assert "Weather v1" in body(request_mail)

    pending = api.data(PENDING, token=admin)["pendingRegistrations"]
    assert pending["totalCount"] == 1
    assert pending["nodes"][0]["application"]["referenceId"] == "ada-weather"
    assert catalog.decide("approveRegistration", registration["id"])["status"] == "APPROVED"
    approval = portal.inbox.wait_for("ada@example.com", "access to Weather v1 approved")
    assert "Weather v1" in body(approval)
    assert "Ada's weather app" in body(approval)

    key = catalog.key(dev.token, app_id)
    verify = "/gateway/verify/weather/v1"
    allowed = api.client.get(verify, headers={"apikey": key.key})
    assert allowed.status_code == 200
    assert allowed.headers["X-Consumer-Application-Reference-Id"] == "ada-weather"
    assert allowed.headers["X-Consumer-Developer-Email"] == "ada@example.com"
    assert allowed.headers["X-Consumer-Application-Id"] == app_id
    assert allowed.headers["X-Consumer-Developer-Id"] == dev.id

    api.data(UNREGISTER, {"id": registration["id"]}, dev.token)
    denied = api.client.get(verify, headers={"apikey": key.key})
    assert denied.status_code == 403
    assert denied.json() == {"message": "You cannot consume this service"}

    api.data("mutation($id: ID!) { revokeCredential(id: $id) }", {"id": key.id}, dev.token)
    refused = api.client.get(verify, headers={"apikey": key.key})
    assert refused.status_code == 401
    assert refused.json() == {"message": "Invalid authentication credentials"}


def test_auto_approve_approves_at_once_without_admin_mail(portal: Portal, catalog: Catalog) -> None:
    version = catalog.service(auto_approve=True)
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    assert catalog.register(dev.token, app_id, version)["status"] == "APPROVED"
    pending = portal.api.data(PENDING, token=portal.admin)["pendingRegistrations"]
    assert pending["totalCount"] == 0
    # Mail leaves in the order it was queued: once this later one has arrived,
    # an admin mail for the registration would have arrived before it.
    portal.api.data(ASK_RESET_PASSWORD, {"email": dev.email})
    portal.inbox.wait_for(dev.email, "Reset your password")
    subjects = [str(m["Subject"]) for m in portal.inbox.drain()]
    assert not [s for s in subjects if s.startswith("Access request")], subjects


def test_registration_disabled_is_refused_with_the_contract_message(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service(registration=False)
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    error = portal.api.error(REGISTER, {"app": app_id, "version": version.id}, dev.token)
    assert error.code == "APP_REGISTRATION_DISABLED"
    assert error.message == "Application registration is not enabled for this Service."


def test_registering_twice_is_a_conflict_and_rejected_must_be_unregistered_first(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    first = catalog.register(dev.token, app_id, version)
    again = portal.api.error(REGISTER, {"app": app_id, "version": version.id}, dev.token)
    assert again.code == "CONFLICT"
    assert catalog.decide("rejectRegistration", first["id"])["status"] == "REJECTED"
    rejection = portal.inbox.wait_for(dev.email, "access to Weather v1 rejected")
    assert "rejected" in body(rejection)
    still = portal.api.error(REGISTER, {"app": app_id, "version": version.id}, dev.token)
    assert still.code == "CONFLICT"
    portal.api.data(UNREGISTER, {"id": first["id"]}, dev.token)
    assert catalog.register(dev.token, app_id, version)["status"] == "PENDING"


def test_an_admin_can_withdraw_approved_access(portal: Portal, catalog: Catalog) -> None:
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    registration = catalog.register(dev.token, app_id, version)
    catalog.decide("approveRegistration", registration["id"])
    assert catalog.decide("rejectRegistration", registration["id"])["status"] == "REJECTED"
    again = portal.api.error(
        "mutation($id: ID!) { approveRegistration(id: $id) { id } }",
        {"id": registration["id"]},
        portal.admin,
    )
    assert again.code == "CONFLICT"


def test_stale_decisions(portal: Portal, catalog: Catalog) -> None:
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    registration = catalog.register(dev.token, app_id, version)
    approve = "mutation($id: ID!) { approveRegistration(id: $id) { id } }"
    catalog.decide("approveRegistration", registration["id"])
    twice = portal.api.error(approve, {"id": registration["id"]}, portal.admin)
    assert twice.code == "CONFLICT"
    portal.api.data(UNREGISTER, {"id": registration["id"]}, dev.token)
    gone = portal.api.error(approve, {"id": registration["id"]}, portal.admin)
    assert gone.code == "NOT_FOUND"
    reject = "mutation($id: ID!) { rejectRegistration(id: $id) { id } }"
    assert portal.api.error(reject, {"id": registration["id"]}, portal.admin).code == "NOT_FOUND"


def test_unregistered_and_deleted_requests_leave_the_admin_queue(
    portal: Portal, catalog: Catalog
) -> None:
    v1 = catalog.service("weather", "v1")
    v2 = catalog.service("maps", "v2")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    first = catalog.register(dev.token, app_id, v1)
    second = catalog.register(dev.token, app_id, v2)
    assert portal.api.data(PENDING, token=portal.admin)["pendingRegistrations"]["totalCount"] == 2
    assert portal.api.data(UNREGISTER, {"id": first["id"]}, dev.token) == {
        "unregisterApplication": first["id"]
    }
    assert portal.api.data(DELETE, {"id": second["id"]}, portal.admin) == {
        "deleteRegistration": second["id"]
    }
    assert portal.api.data(PENDING, token=portal.admin)["pendingRegistrations"]["totalCount"] == 0
    # Deleting a request does not stop the developer from asking again.
    assert catalog.register(dev.token, app_id, v2)["status"] == "PENDING"


def test_deleting_any_status_and_listing_by_status(portal: Portal, catalog: Catalog) -> None:
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    ids = {}
    for status, slug in (("PENDING", "a"), ("APPROVED", "b"), ("REJECTED", "c")):
        registration = catalog.register(dev.token, app_id, catalog.service(slug))
        if status != "PENDING":
            verb = "approveRegistration" if status == "APPROVED" else "rejectRegistration"
            catalog.decide(verb, registration["id"])
        ids[status] = registration["id"]
    listing = (
        "query($s: RegistrationStatus) { registrations(status: $s) { totalCount nodes { id } } }"
    )
    for status, registration_id in ids.items():
        found = portal.api.data(listing, {"s": status}, portal.admin)["registrations"]
        assert found == {"totalCount": 1, "nodes": [{"id": registration_id}]}
    assert portal.api.data(listing, {}, portal.admin)["registrations"]["totalCount"] == 3
    for registration_id in ids.values():
        portal.api.data(DELETE, {"id": registration_id}, portal.admin)
    assert portal.api.data(listing, {}, portal.admin)["registrations"]["totalCount"] == 0


def test_admins_deciding_the_same_request_at_once_exactly_one_wins(
    portal: Portal, catalog: Catalog
) -> None:
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    query = "mutation($id: ID!) { %s(id: $id) { status } }"
    for verb, slug in (("approveRegistration", "weather"), ("rejectRegistration", "maps")):
        registration = catalog.register(dev.token, app_id, catalog.service(slug))

        def decide(
            _: int, verb: str = verb, registration_id: str = registration["id"]
        ) -> dict[str, Any]:
            payload = portal.api.post(query % verb, {"id": registration_id}, portal.admin)
            return dict(payload.json())

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(decide, range(8)))
        winners = [r for r in results if not r.get("errors")]
        codes = {r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")}
        assert len(winners) == 1, results
        assert codes == {"CONFLICT"}


def test_developers_cannot_touch_other_developers_registrations(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service()
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    ada_app = catalog.application(ada.token, "ada-app")
    registration = catalog.register(ada.token, ada_app, version)
    steal = portal.api.error(REGISTER, {"app": ada_app, "version": version.id}, bob.token)
    assert steal.code == "NOT_FOUND"
    assert portal.api.error(UNREGISTER, {"id": registration["id"]}, bob.token).code == "NOT_FOUND"
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert portal.api.data(node, {"id": registration["id"]}, bob.token) == {"node": None}
    assert portal.api.data(node, {"id": registration["id"]}, ada.token)["node"] is not None
    for admin_only in (PENDING, "{ registrations { totalCount } }"):
        assert portal.api.error(admin_only, token=ada.token).code == "FORBIDDEN"
        assert portal.api.error(admin_only).code == "UNAUTHENTICATED"
    for verb in ("approveRegistration", "rejectRegistration"):
        attempt = portal.api.error(
            f"mutation($id: ID!) {{ {verb}(id: $id) {{ id }} }}",
            {"id": registration["id"]},
            ada.token,
        )
        assert attempt.code == "FORBIDDEN"
    assert portal.api.error(DELETE, {"id": registration["id"]}, ada.token).code == "FORBIDDEN"
    anonymous = portal.api.error(REGISTER, {"app": ada_app, "version": version.id})
    assert anonymous.code == "UNAUTHENTICATED"


def test_unpublished_or_unknown_versions_cannot_be_registered_for(
    portal: Portal, catalog: Catalog
) -> None:
    hidden = catalog.service(published=False)
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    error = portal.api.error(REGISTER, {"app": app_id, "version": hidden.id}, dev.token)
    assert error.code == "NOT_FOUND"
    wrong_type = portal.api.error(REGISTER, {"app": app_id, "version": app_id}, dev.token)
    assert wrong_type.code == "NOT_FOUND"


def test_a_register_unregister_loop_cannot_flood_the_admins(
    portal: Portal, catalog: Catalog, settings: Settings
) -> None:
    """Every request still queues for the admins; only the mail about it stops, at 20 an hour."""
    version = catalog.service("weather")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    for _ in range(25):
        registration = catalog.register(dev.token, app_id, version)
        assert registration["status"] == "PENDING"
        portal.api.data(UNREGISTER, {"id": registration["id"]}, dev.token)
    mailed = sql(
        settings.database_url, "SELECT count(*) FROM outbox_message WHERE subject LIKE 'Access%'"
    )
    assert mailed == [(settings.access_request_mails_per_hour,)]
    queued = catalog.register(dev.token, app_id, version)
    pending = portal.api.data("{ pendingRegistrations { nodes { id } } }", token=portal.admin)
    assert pending["pendingRegistrations"]["nodes"] == [{"id": queued["id"]}]
