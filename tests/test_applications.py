"""Applications and their keys: ownership, uniqueness, cascades, and no N+1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.flows import CREATE_APP, GENERATE_KEY, REVOKE_KEY, Catalog, Portal
from tests.support import counting_statements, forget_caches

UPDATE_APP = """
mutation($id: ID!, $input: ApplicationInput!) { updateApplication(id: $id, input: $input) {
  id name referenceId description } }
"""
DELETE_APP = "mutation($id: ID!) { deleteApplication(id: $id) }"
APPLICATION = """
query($id: ID!) { application(id: $id) { id name owner { email } credentials { keyPrefix } } }
"""
NESTED = """
{ myApplications(first: 100) { totalCount nodes {
    id name referenceId owner { id email }
    registrations { status serviceVersion { name service { slug name } } }
    credentials { keyPrefix lastUsedAt } } } }
"""


def test_create_update_and_delete_an_application(portal: Portal, catalog: Catalog) -> None:
    dev = portal.developer("ada@example.com")
    created = portal.api.data(
        CREATE_APP,
        {"input": {"name": " Ada's app ", "referenceId": "ada-1", "description": "Forecasts"}},
        dev.token,
    )["createApplication"]
    assert created["name"] == "Ada's app"
    updated = portal.api.data(
        UPDATE_APP,
        {"id": created["id"], "input": {"name": "Renamed", "referenceId": "ada-2"}},
        dev.token,
    )["updateApplication"]
    assert updated == {
        "id": created["id"],
        "name": "Renamed",
        "referenceId": "ada-2",
        "description": None,
    }
    seen = portal.api.data(APPLICATION, {"id": created["id"]}, dev.token)["application"]
    assert seen["owner"] == {"email": "ada@example.com"}
    assert portal.api.data(DELETE_APP, {"id": created["id"]}, dev.token) == {
        "deleteApplication": created["id"]
    }
    gone = portal.api.error(APPLICATION, {"id": created["id"]}, dev.token)
    assert gone.code == "NOT_FOUND"


def test_reference_ids_are_unique_across_the_portal(portal: Portal, catalog: Catalog) -> None:
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    catalog.application(ada.token, "shared-name")
    clash = portal.api.error(
        CREATE_APP, {"input": {"name": "Bob's", "referenceId": "shared-name"}}, bob.token
    )
    assert clash.code == "CONFLICT"
    bobs = catalog.application(bob.token, "bob-1")
    rename = portal.api.error(
        UPDATE_APP, {"id": bobs, "input": {"name": "x", "referenceId": "shared-name"}}, bob.token
    )
    assert rename.code == "CONFLICT"
    # The failed update changed nothing.
    seen = portal.api.data(APPLICATION, {"id": bobs}, bob.token)["application"]
    assert seen["name"] == "My App"


def test_bad_application_input_is_refused(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    for bad in (
        {"name": "", "referenceId": "ok"},
        {"name": "x" * 201, "referenceId": "ok"},
        {"name": "ok", "referenceId": ""},
        {"name": "ok", "referenceId": "has spaces"},
        {"name": "ok", "referenceId": "r" * 101},
    ):
        assert portal.api.error(CREATE_APP, {"input": bad}, dev.token).code == "BAD_USER_INPUT"


def test_another_developers_application_is_not_found(portal: Portal, catalog: Catalog) -> None:
    version = catalog.service()
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    app_id = catalog.application(ada.token, "ada-app")
    key = catalog.key(ada.token, app_id)
    steal: list[tuple[str, dict[str, Any]]] = [
        (APPLICATION, {"id": app_id}),
        (UPDATE_APP, {"id": app_id, "input": {"name": "mine", "referenceId": "mine"}}),
        (DELETE_APP, {"id": app_id}),
        (GENERATE_KEY, {"app": app_id}),
        (REVOKE_KEY, {"id": key.id}),
        (
            "mutation($a: ID!, $v: ID!) { registerApplication(applicationId: $a, "
            "serviceVersionId: $v) { id } }",
            {"a": app_id, "v": version.id},
        ),
    ]
    for query, variables in steal:
        assert portal.api.error(query, variables, bob.token).code == "NOT_FOUND", query
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert portal.api.data(node, {"id": app_id}, bob.token) == {"node": None}
    assert portal.api.data(node, {"id": key.id}, bob.token) == {"node": None}
    assert portal.api.data(node, {"id": app_id}, ada.token) == {"node": {"id": app_id}}
    # Admins may look, but applications are the developers' to change.
    assert portal.api.data(APPLICATION, {"id": app_id}, portal.admin)["application"]["name"]
    assert portal.api.error(DELETE_APP, {"id": app_id}, portal.admin).code == "FORBIDDEN"
    assert portal.api.error(APPLICATION, {"id": app_id}).code == "UNAUTHENTICATED"
    assert portal.api.error("{ myApplications { totalCount } }").code == "UNAUTHENTICATED"


def test_keys_are_shown_once_and_stored_as_prefixes(portal: Portal, catalog: Catalog) -> None:
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    first, second = catalog.key(dev.token, app_id), catalog.key(dev.token, app_id)
    assert first.key != second.key
    assert len(first.key) >= 40
    listed = portal.api.data(APPLICATION, {"id": app_id}, dev.token)["application"]
    prefixes = [c["keyPrefix"] for c in listed["credentials"]]
    assert prefixes == [first.key[:12], second.key[:12]]
    assert portal.api.data(REVOKE_KEY, {"id": first.id}, dev.token) == {
        "revokeCredential": first.id
    }
    listed = portal.api.data(APPLICATION, {"id": app_id}, dev.token)["application"]
    assert [c["keyPrefix"] for c in listed["credentials"]] == [second.key[:12]]


def test_deleting_an_application_deletes_its_registrations_and_keys(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service()
    dev = portal.developer("ada@example.com")
    key = catalog.approved_key(dev.token, version)
    verify = "/gateway/verify/weather/v1"
    assert portal.api.client.get(verify, headers={"apikey": key.key}).status_code == 200
    app_id = portal.api.data(NESTED, token=dev.token)["myApplications"]["nodes"][0]["id"]
    portal.api.data(DELETE_APP, {"id": app_id}, dev.token)
    assert portal.api.client.get(verify, headers={"apikey": key.key}).status_code == 401
    everything = "{ registrations { totalCount } }"
    assert portal.api.data(everything, token=portal.admin)["registrations"]["totalCount"] == 0


@contextmanager
def counted_statements(portal: Portal) -> Iterator[list[str]]:
    """The SQL statements requests send while the block runs, transaction control aside."""
    app = portal.api.client.app  # type: ignore[attr-defined]
    forget_caches(app)
    with counting_statements(app.state.db.engine.sync_engine) as statements:
        yield statements
    control = ("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")
    statements[:] = [s for s in statements if not s.strip().upper().startswith(control)]


def _applications_with_everything(
    catalog: Catalog, token: str, versions: list[Any], n: int, owner: str
) -> None:
    for i in range(n):
        app_id = catalog.application(token, f"{owner}-{i}")
        for version in versions:
            catalog.register(token, app_id, version)
        catalog.key(token, app_id)
        catalog.key(token, app_id)


def test_nested_application_fields_do_not_query_per_application(
    portal: Portal, catalog: Catalog
) -> None:
    versions = [catalog.service(slug, auto_approve=True) for slug in ("weather", "maps")]
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    _applications_with_everything(catalog, ada.token, versions, 1, "ada")
    _applications_with_everything(catalog, bob.token, versions, 50, "bob")

    with counted_statements(portal) as one:
        small = portal.api.data(NESTED, token=ada.token)["myApplications"]
    with counted_statements(portal) as fifty:
        large = portal.api.data(NESTED, token=bob.token)["myApplications"]

    assert small["totalCount"] == 1
    assert large["totalCount"] == 50
    assert all(len(app["registrations"]) == 2 for app in large["nodes"])
    assert all(len(app["credentials"]) == 2 for app in large["nodes"])
    assert len(fifty) == len(one), "\n".join(fifty)
    assert len(one) <= 10, "\n".join(one)
