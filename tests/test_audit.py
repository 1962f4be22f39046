"""The audit log: one entry per change, in its transaction, newest first, filterable, no secrets."""

from __future__ import annotations

from typing import Any

from tests.flows import PASSWORD, REVOKE_KEY, UNREGISTER, Catalog, Portal

LOG = """
query($action: AuditAction, $actor: ID, $subject: ID, $first: Int, $after: String) {
  auditLog(action: $action, actorId: $actor, subjectId: $subject, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id at action summary
      actor { __typename ... on Admin { id email } ... on Developer { id email } }
      subject { __typename id } } } }
"""
UPDATE_SERVICE = """
mutation($id: ID!) { updateService(id: $id, input: {slug: "weather", name: "Weather",
  description: "Now with rain"}) { id } }
"""
PUBLISH = "mutation($id: ID!) { publishService(id: $id, published: false) { id } }"
DISABLE = "mutation($id: ID!) { disableAppRegistration(serviceVersionId: $id) { id } }"


def log(portal: Portal, **variables: Any) -> dict[str, Any]:
    return dict(portal.api.data(LOG, variables, portal.admin)["auditLog"])


def test_every_change_is_an_entry_newest_first(portal: Portal, catalog: Catalog) -> None:
    api, admin = portal.api, portal.admin
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    key = catalog.approved_key(dev.token, version)
    api.data(REVOKE_KEY, {"id": key.id}, dev.token)
    api.data(UPDATE_SERVICE, {"id": version.service_id}, admin)
    api.data(PUBLISH, {"id": version.service_id}, admin)
    api.data(DISABLE, {"id": version.id}, admin)
    portal.settings(public=True)

    entries = log(portal, first=100)["nodes"]
    assert [e["action"] for e in entries] == [
        "PORTAL_SETTINGS_CHANGED",
        "VERSION_REGISTRATION_DISABLED",
        "SERVICE_UNPUBLISHED",
        "SERVICE_UPDATED",
        "CREDENTIAL_REVOKED",
        "CREDENTIAL_CREATED",
        "REGISTRATION_APPROVED",
        "REGISTRATION_REQUESTED",
        "DEVELOPER_APPROVED",
        "DEVELOPER_SIGNED_UP",
        "VERSION_REGISTRATION_ENABLED",
        "VERSION_CREATED",
        "SERVICE_PUBLISHED",
        "SERVICE_CREATED",
    ]
    by_action = {e["action"]: e for e in entries}
    assert by_action["DEVELOPER_SIGNED_UP"]["actor"] == {
        "__typename": "Developer",
        "id": dev.id,
        "email": dev.email,
    }
    assert by_action["DEVELOPER_APPROVED"]["actor"]["__typename"] == "Admin"
    assert by_action["DEVELOPER_APPROVED"]["subject"] == {"__typename": "Developer", "id": dev.id}
    assert by_action["SERVICE_CREATED"]["subject"]["id"] == version.service_id
    assert by_action["VERSION_CREATED"]["subject"]["id"] == version.id
    assert by_action["PORTAL_SETTINGS_CHANGED"]["subject"] is None
    # A revoked key is gone: its entries stay, without a subject.
    assert by_action["CREDENTIAL_REVOKED"]["subject"] is None
    assert by_action["CREDENTIAL_CREATED"]["subject"] is None
    assert all(e["summary"] for e in entries)
    # No secret in any entry: not the key, not the password.
    text = repr(entries)
    assert key.key not in text
    assert PASSWORD not in text


def test_automatic_decisions_have_no_actor(portal: Portal, catalog: Catalog) -> None:
    portal.settings(autoApproveDevelopers=True)
    version = catalog.service(auto_approve=True)
    dev = portal.developer("grace@example.com")
    app_id = catalog.application(dev.token)
    registration = catalog.register(dev.token, app_id, version)
    approved = log(portal, action="REGISTRATION_APPROVED")["nodes"]
    assert len(approved) == 1
    assert approved[0]["actor"] is None
    assert approved[0]["subject"] == {"__typename": "Registration", "id": registration["id"]}
    developer = log(portal, action="DEVELOPER_APPROVED")["nodes"]
    assert [e["actor"] for e in developer] == [None]


def test_filters_and_pages(portal: Portal, catalog: Catalog) -> None:
    version = catalog.service()
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    app_id = catalog.application(ada.token)
    registration = catalog.register(ada.token, app_id, version)
    portal.api.data(UNREGISTER, {"id": registration["id"]}, ada.token)

    mine = log(portal, actor=ada.id)
    assert [e["action"] for e in mine["nodes"]] == [
        "REGISTRATION_UNREGISTERED",
        "REGISTRATION_REQUESTED",
        "DEVELOPER_SIGNED_UP",
    ]
    about = log(portal, subject=registration["id"])["nodes"]
    assert [e["action"] for e in about] == ["REGISTRATION_UNREGISTERED", "REGISTRATION_REQUESTED"]
    assert {e["subject"] for e in about} == {None}  # withdrawn: the subject is gone
    about_bob = log(portal, subject=bob.id, action="DEVELOPER_APPROVED")
    assert about_bob["totalCount"] == 1
    first = log(portal, first=2)
    assert first["pageInfo"]["hasNextPage"]
    rest = log(portal, first=100, after=first["pageInfo"]["endCursor"])
    everything = log(portal, first=100)
    ids = [e["id"] for e in first["nodes"] + rest["nodes"]]
    assert ids == [e["id"] for e in everything["nodes"]]
    assert len(ids) == everything["totalCount"]


def test_an_entry_is_a_node_for_admins_only(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    entry = log(portal, first=1)["nodes"][0]
    node = "query($id: ID!) { node(id: $id) { ... on AuditEntry { action } } }"
    assert portal.api.data(node, {"id": entry["id"]}, portal.admin)["node"] == {
        "action": entry["action"]
    }
    assert portal.api.data(node, {"id": entry["id"]}, dev.token) == {"node": None}


def test_refusals(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    assert portal.api.error(LOG, {}).code == "UNAUTHENTICATED"
    assert portal.api.error(LOG, {}, dev.token).code == "FORBIDDEN"
    bad = portal.api.error(LOG, {"actor": "U2VydmljZTox"}, portal.admin)  # Service:1
    assert bad.code == "BAD_USER_INPUT"


def test_a_refused_change_writes_no_entry(portal: Portal, catalog: Catalog) -> None:
    catalog.service("weather")
    before = log(portal)["totalCount"]
    again = """mutation { createService(input: {slug: "weather", name: "W", description: ""}) {
      id } }"""
    assert portal.api.error(again, token=portal.admin).code == "CONFLICT"
    assert log(portal)["totalCount"] == before
