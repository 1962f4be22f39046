"""Services, versions and the catalog, over HTTP against the real app and database (its
refusals, paging and nodes: the other test_catalog_* modules, which share these helpers)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from devportal.models import Service
from tests.flows import CREATE_SERVICE, CREATE_VERSION, PUBLISH, Catalog, Portal
from tests.support import Api, app_database

SERVICE_FIELDS = """
id slug name description published
versions { id name appRegistrationEnabled autoApprove authStrategy }
"""
SERVICE = f"query($slug: String!) {{ service(slug: $slug) {{ {SERVICE_FIELDS} }} }}"
SERVICES = """
query($first: Int, $after: String) { services(first: $first, after: $after) {
  totalCount edges { cursor node { slug published } } nodes { slug }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
"""
CATALOG = """
query($first: Int, $after: String, $search: String) {
  catalog(first: $first, after: $after, search: $search) {
    totalCount edges { cursor node { slug } } nodes { slug }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
"""
CATALOG_DETAILS = f"{{ catalog {{ totalCount nodes {{ {SERVICE_FIELDS} }} }} }}"
UPDATE_SERVICE = """
mutation($id: ID!, $input: ServiceInput!) { updateService(id: $id, input: $input) {
  id slug name description published } }
"""
ENABLE_WITH = """
mutation($id: ID!, $autoApprove: Boolean!, $authStrategy: AuthStrategy!) {
  enableAppRegistration(serviceVersionId: $id, autoApprove: $autoApprove,
                        authStrategy: $authStrategy) {
    id name appRegistrationEnabled autoApprove authStrategy } }
"""
ENABLE_DEFAULTS = """
mutation($id: ID!) { enableAppRegistration(serviceVersionId: $id) {
  id appRegistrationEnabled autoApprove authStrategy } }
"""
DISABLE = """
mutation($id: ID!) { disableAppRegistration(serviceVersionId: $id) {
  id appRegistrationEnabled } }
"""
NODE = """
query($id: ID!) { node(id: $id) {
  __typename id
  ... on Service { slug published }
  ... on ServiceVersion { name service { slug } } } }
"""


# --- helpers ---------------------------------------------------------------------------------


def create_service(
    api: Api, token: str, slug: str, name: str | None = None, description: str = ""
) -> dict[str, Any]:
    service_input = {"slug": slug, "name": name or slug.title(), "description": description}
    return dict(api.data(CREATE_SERVICE, {"input": service_input}, token)["createService"])


def create_version(api: Api, token: str, service_id: str, name: str) -> dict[str, Any]:
    variables = {"serviceId": service_id, "name": name}
    return dict(api.data(CREATE_VERSION, variables, token)["createServiceVersion"])


def publish(api: Api, token: str, service_id: str, published: bool = True) -> None:
    data = api.data(PUBLISH, {"id": service_id, "published": published}, token)
    assert data["publishService"] == {"id": service_id, "published": published}


def catalog_slugs(api: Api, token: str | None = None, **variables: Any) -> list[str]:
    data = api.data(CATALOG, variables, token)["catalog"]
    return [node["slug"] for node in data["nodes"]]


def insert_services(client: TestClient, slugs: list[str], *, published: bool = True) -> None:
    """Store services straight through the app's own database, on the app's event loop."""
    db = app_database(client)

    async def insert() -> None:
        async with db.transaction() as session:
            for slug in slugs:
                session.add(
                    Service(slug=slug, name=slug.title(), description="", published=published)
                )
                # One flush per row: ids (the list's order) follow the slugs' order.
                await session.flush()

    blocking = client.portal
    assert blocking is not None
    blocking.call(insert)


# --- admins set up services and versions ------------------------------------------------------


def test_admin_creates_services_and_versions_and_configures_registration(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    service = create_service(api, admin, "weather", "Weather", "Forecasts for any place")
    assert service["slug"] == "weather"
    assert service["name"] == "Weather"
    assert service["published"] is False

    v1 = create_version(api, admin, service["id"], "v1")
    assert v1["name"] == "v1"
    assert v1["appRegistrationEnabled"] is False
    v2 = create_version(api, admin, service["id"], "v2")

    enabled = api.data(
        ENABLE_WITH, {"id": v1["id"], "autoApprove": True, "authStrategy": "OPENID_CONNECT"}, admin
    )["enableAppRegistration"]
    assert enabled == {
        "id": v1["id"],
        "name": "v1",
        "appRegistrationEnabled": True,
        "autoApprove": True,
        "authStrategy": "OPENID_CONNECT",
    }
    # Enabling again with the defaults: manual approval, key-auth.
    again = api.data(ENABLE_DEFAULTS, {"id": v1["id"]}, admin)["enableAppRegistration"]
    assert again == {
        "id": v1["id"],
        "appRegistrationEnabled": True,
        "autoApprove": False,
        "authStrategy": "KEY_AUTH",
    }
    api.data(ENABLE_WITH, {"id": v2["id"], "autoApprove": True, "authStrategy": "KEY_AUTH"}, admin)
    disabled = api.data(DISABLE, {"id": v2["id"]}, admin)["disableAppRegistration"]
    assert disabled == {"id": v2["id"], "appRegistrationEnabled": False}

    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert stored["id"] == service["id"]
    assert stored["description"] == "Forecasts for any place"
    assert stored["published"] is False
    assert [(v["id"], v["name"], v["appRegistrationEnabled"]) for v in stored["versions"]] == [
        (v1["id"], "v1", True),
        (v2["id"], "v2", False),
    ]
    assert stored["versions"][0]["autoApprove"] is False
    assert stored["versions"][0]["authStrategy"] == "KEY_AUTH"


def test_update_service_changes_slug_name_and_description(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    service = create_service(api, admin, "weather", "Weather", "Old text")
    create_version(api, admin, service["id"], "v1")
    new_entry = {"slug": "forecasts", "name": "Forecasts", "description": "New text"}
    updated = api.data(UPDATE_SERVICE, {"id": service["id"], "input": new_entry}, admin)
    assert updated["updateService"] == {"id": service["id"], "published": False, **new_entry}

    assert api.data(SERVICE, {"slug": "weather"}, admin) == {"service": None}
    stored = api.data(SERVICE, {"slug": "forecasts"}, admin)["service"]
    assert (stored["id"], stored["name"], stored["description"]) == (
        service["id"],
        "Forecasts",
        "New text",
    )
    assert [v["name"] for v in stored["versions"]] == ["v1"]
    # Keeping its own slug is not a conflict.
    same_slug = {"slug": "forecasts", "name": "Forecasts 2", "description": ""}
    kept = api.data(UPDATE_SERVICE, {"id": service["id"], "input": same_slug}, admin)
    assert kept["updateService"]["name"] == "Forecasts 2"


def test_services_lists_published_and_unpublished_for_admins(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    shown = create_service(api, admin, "weather")
    create_service(api, admin, "maps")
    publish(api, admin, shown["id"])
    listing = api.data(SERVICES, {}, admin)["services"]
    assert listing["totalCount"] == 2
    assert [edge["node"] for edge in listing["edges"]] == [
        {"slug": "weather", "published": True},
        {"slug": "maps", "published": False},
    ]
    assert listing["pageInfo"]["hasNextPage"] is False
    assert listing["pageInfo"]["hasPreviousPage"] is False


# --- the catalog -----------------------------------------------------------------------------


def test_catalog_shows_only_published_services_with_their_versions(
    portal: Portal, catalog: Catalog
) -> None:
    api, admin = portal.api, portal.admin
    weather = catalog.service("weather", "v1")
    hidden = catalog.service("hidden", "v1", published=False)
    create_version(api, admin, weather.service_id, "v2")
    dev = portal.developer("ada@example.com")

    shown = api.data(CATALOG_DETAILS, token=dev.token)["catalog"]
    assert shown["totalCount"] == 1
    (service,) = shown["nodes"]
    assert service["id"] == weather.service_id
    assert service["slug"] == "weather"
    assert service["published"] is True
    assert [(v["name"], v["appRegistrationEnabled"]) for v in service["versions"]] == [
        ("v1", True),
        ("v2", False),
    ]
    # Admins read the same catalog: published services only.
    assert api.data(CATALOG_DETAILS, token=admin)["catalog"]["totalCount"] == 1

    assert api.data(SERVICE, {"slug": "weather"}, dev.token)["service"]["id"] == weather.service_id
    assert api.data(SERVICE, {"slug": "hidden"}, dev.token) == {"service": None}
    assert api.data(SERVICE, {"slug": "nothing-here"}, dev.token) == {"service": None}
    as_admin = api.data(SERVICE, {"slug": "hidden"}, admin)["service"]
    assert as_admin["id"] == hidden.service_id
    assert as_admin["published"] is False

    publish(api, admin, hidden.service_id)
    assert catalog_slugs(api, dev.token) == ["weather", "hidden"]
    assert api.data(SERVICE, {"slug": "hidden"}, dev.token)["service"]["published"] is True

    publish(api, admin, weather.service_id, published=False)
    assert catalog_slugs(api, dev.token) == ["hidden"]
    assert api.data(SERVICE, {"slug": "weather"}, dev.token) == {"service": None}
    assert api.data(SERVICE, {"slug": "weather"}, admin)["service"]["published"] is False


def test_anonymous_reads_the_catalog_only_when_the_portal_is_public(
    portal: Portal, catalog: Catalog
) -> None:
    api = portal.api
    catalog.service("weather")
    catalog.service("hidden", published=False)
    assert api.error(CATALOG).code == "UNAUTHENTICATED"
    assert api.error(SERVICE, {"slug": "weather"}).code == "UNAUTHENTICATED"
    assert api.error(SERVICE, {"slug": "hidden"}).code == "UNAUTHENTICATED"

    assert portal.settings(public=True)["public"] is True
    assert api.data("{ portal { public } }") == {"portal": {"public": True}}
    assert catalog_slugs(api) == ["weather"]
    assert api.data(SERVICE, {"slug": "weather"})["service"]["slug"] == "weather"
    assert api.data(SERVICE, {"slug": "hidden"}) == {"service": None}

    assert portal.settings(public=False)["public"] is False
    assert api.error(CATALOG).code == "UNAUTHENTICATED"
    assert api.error(SERVICE, {"slug": "weather"}).code == "UNAUTHENTICATED"


def test_developers_read_the_catalog_of_a_private_portal(portal: Portal, catalog: Catalog) -> None:
    catalog.service("weather")
    dev = portal.developer("ada@example.com")
    assert portal.api.data("{ portal { public } }") == {"portal": {"public": False}}
    assert catalog_slugs(portal.api, dev.token) == ["weather"]
    assert portal.api.data(SERVICE, {"slug": "weather"}, dev.token)["service"] is not None


def test_admin_operations_are_refused_to_developers_and_anonymous(
    portal: Portal, catalog: Catalog
) -> None:
    api, admin = portal.api, portal.admin
    version = catalog.service("weather", "v1", published=False, registration=False)
    entry = {"slug": "stolen", "name": "Stolen", "description": "x"}
    operations: list[tuple[str, dict[str, Any]]] = [
        (CREATE_SERVICE, {"input": entry}),
        (UPDATE_SERVICE, {"id": version.service_id, "input": entry}),
        (PUBLISH, {"id": version.service_id, "published": True}),
        (CREATE_VERSION, {"serviceId": version.service_id, "name": "v2"}),
        (ENABLE_DEFAULTS, {"id": version.id}),
        (DISABLE, {"id": version.id}),
        (SERVICES, {}),
    ]
    dev = portal.developer("ada@example.com")
    for public in (False, True):
        portal.settings(public=public)
        for query, variables in operations:
            assert api.error(query, variables, dev.token).code == "FORBIDDEN", query
            assert api.error(query, variables).code == "UNAUTHENTICATED", query

    # Nothing changed.
    listing = api.data(SERVICES, {}, admin)["services"]
    assert listing["nodes"] == [{"slug": "weather"}]
    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert stored["published"] is False
    assert stored["name"] == "Weather"
    assert [(v["name"], v["appRegistrationEnabled"]) for v in stored["versions"]] == [("v1", False)]
    api.data(ENABLE_DEFAULTS, {"id": version.id}, admin)
    for public in (False, True):
        portal.settings(public=public)
        assert api.error(DISABLE, {"id": version.id}, dev.token).code == "FORBIDDEN"
        assert api.error(DISABLE, {"id": version.id}).code == "UNAUTHENTICATED"
    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert stored["versions"][0]["appRegistrationEnabled"] is True
