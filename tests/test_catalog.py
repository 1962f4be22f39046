"""Services, versions and the catalog, over HTTP against the real app and database."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from strawberry.relay import to_base64

from devportal.db import Database
from devportal.models import Service
from tests.flows import CREATE_SERVICE, CREATE_VERSION, PUBLISH, Catalog, Portal
from tests.support import Api

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
    app = client.app
    assert isinstance(app, Starlette)
    db = app.state.db
    assert isinstance(db, Database)

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


# --- errors ----------------------------------------------------------------------------------


def test_duplicate_slugs_are_conflicts(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    weather = create_service(api, admin, "weather")
    maps = create_service(api, admin, "maps")
    twice = api.error(
        CREATE_SERVICE, {"input": {"slug": "weather", "name": "Other", "description": ""}}, admin
    )
    assert twice.code == "CONFLICT"
    rename = {"slug": "weather", "name": "Maps", "description": ""}
    taken = api.error(UPDATE_SERVICE, {"id": maps["id"], "input": rename}, admin)
    assert taken.code == "CONFLICT"
    # Nothing was stored or changed by the refused calls.
    listing = api.data(SERVICES, {}, admin)["services"]
    assert listing["totalCount"] == 2
    assert listing["nodes"] == [{"slug": "weather"}, {"slug": "maps"}]
    assert api.data(SERVICE, {"slug": "weather"}, admin)["service"]["id"] == weather["id"]


def test_version_names_are_unique_within_a_service_only(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    weather = create_service(api, admin, "weather")
    maps = create_service(api, admin, "maps")
    create_version(api, admin, weather["id"], "v1")
    again = api.error(CREATE_VERSION, {"serviceId": weather["id"], "name": "v1"}, admin)
    assert again.code == "CONFLICT"
    assert create_version(api, admin, maps["id"], "v1")["name"] == "v1"
    # The failed attempt left the transaction usable and stored nothing.
    assert create_version(api, admin, weather["id"], "v2")["name"] == "v2"
    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert [v["name"] for v in stored["versions"]] == ["v1", "v2"]


@pytest.mark.parametrize("name", ["v1/beta", "v1 beta", "../v1", "-v1", "v1?x", "", "v" * 51])
def test_version_names_that_cannot_be_a_gateway_path_segment_are_refused(
    portal: Portal, name: str
) -> None:
    service = create_service(portal.api, portal.admin, "weather")
    refused = portal.api.error(
        CREATE_VERSION, {"serviceId": service["id"], "name": name}, portal.admin
    )
    assert refused.code == "BAD_USER_INPUT"
    for fine in ("v1", "2024-06-01", "v1.2_rc"):
        assert create_version(portal.api, portal.admin, service["id"], fine)["name"] == fine


@pytest.mark.parametrize(
    "bad_slug", ["Weather", "WEATHER", "my service", " ", "", "snake_case", "x" * 101]
)
def test_bad_slugs_are_bad_user_input(portal: Portal, bad_slug: str) -> None:
    api, admin = portal.api, portal.admin
    entry = {"slug": bad_slug, "name": "Weather", "description": ""}
    assert api.error(CREATE_SERVICE, {"input": entry}, admin).code == "BAD_USER_INPUT"
    service = create_service(api, admin, "weather")
    refused = api.error(UPDATE_SERVICE, {"id": service["id"], "input": entry}, admin)
    assert refused.code == "BAD_USER_INPUT"
    assert api.data(SERVICES, {}, admin)["services"]["nodes"] == [{"slug": "weather"}]


@pytest.mark.parametrize("bad_name", ["", "   "])
def test_empty_names_are_bad_user_input(portal: Portal, bad_name: str) -> None:
    api, admin = portal.api, portal.admin
    entry = {"slug": "weather", "name": bad_name, "description": ""}
    assert api.error(CREATE_SERVICE, {"input": entry}, admin).code == "BAD_USER_INPUT"
    service = create_service(api, admin, "weather")
    refused = api.error(UPDATE_SERVICE, {"id": service["id"], "input": entry}, admin)
    assert refused.code == "BAD_USER_INPUT"
    version = api.error(CREATE_VERSION, {"serviceId": service["id"], "name": bad_name}, admin)
    assert version.code == "BAD_USER_INPUT"
    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert (stored["name"], stored["versions"]) == ("Weather", [])


def test_unknown_and_wrong_type_ids_are_not_found(portal: Portal, catalog: Catalog) -> None:
    api, admin = portal.api, portal.admin
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    application_id = catalog.application(dev.token)
    entry = {"slug": "renamed", "name": "Renamed", "description": ""}
    not_services = [
        to_base64("Service", 999_999),
        to_base64("Service", "not-a-number"),
        to_base64("Service", 2**31),
        to_base64("Service", 10**20),
        to_base64("Service", -1),
        version.id,
        application_id,
    ]
    for service_id in not_services:
        for query, variables in (
            (UPDATE_SERVICE, {"id": service_id, "input": entry}),
            (PUBLISH, {"id": service_id, "published": False}),
            (CREATE_VERSION, {"serviceId": service_id, "name": "v9"}),
        ):
            assert api.error(query, variables, admin).code == "NOT_FOUND", (query, service_id)
    not_versions = [to_base64("ServiceVersion", 999_999), version.service_id, application_id]
    for version_id in not_versions:
        for query in (ENABLE_DEFAULTS, DISABLE):
            assert api.error(query, {"id": version_id}, admin).code == "NOT_FOUND", query
    stored = api.data(SERVICE, {"slug": "weather"}, admin)["service"]
    assert stored["published"] is True
    assert [(v["name"], v["appRegistrationEnabled"]) for v in stored["versions"]] == [("v1", True)]


# --- search ----------------------------------------------------------------------------------


def test_search_matches_name_slug_or_description_in_any_case(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    entries = [
        ("weather", "Weather", "Daily forecasts"),
        ("maps", "Maps", "Tiles with 100% coverage"),
        ("geo-code", "Geo_Code", "Addresses to coordinates"),
        ("payments", "Payments", "Cards and transfers over REST/JSON"),
        ("weather-beta", "Weather beta", "Unpublished forecasts"),
    ]
    for slug, name, description in entries:
        service = create_service(api, admin, slug, name, description)
        if slug != "weather-beta":
            publish(api, admin, service["id"])
    dev = portal.developer("ada@example.com")

    def found(search: str) -> list[str]:
        data = api.data(CATALOG, {"search": search}, dev.token)["catalog"]
        slugs = [node["slug"] for node in data["nodes"]]
        assert data["totalCount"] == len(slugs), data
        return slugs

    assert found("WEATHER") == ["weather"]  # name and slug; not the unpublished one
    assert found("FoReCaSt") == ["weather"]  # description
    assert found("geo-") == ["geo-code"]  # slug only
    assert found("tiles") == ["maps"]
    assert found("a") == ["weather", "maps", "geo-code", "payments"]
    assert found("") == ["weather", "maps", "geo-code", "payments"]
    assert found("nothing like this") == []
    # LIKE wildcards and the escape character are plain characters.
    assert found("%") == ["maps"]
    assert found("0%") == ["maps"]
    assert found("_") == ["geo-code"]
    assert found("o_c") == ["geo-code"]
    assert found("/") == ["payments"]
    assert found("\\") == []
    assert found("%%") == []
    assert found("__") == []


def test_search_ignores_case_beyond_ascii(portal: Portal) -> None:
    api, admin = portal.api, portal.admin
    service = create_service(api, admin, "cafe", "Café Überblick", "Crème brûlée")
    publish(api, admin, service["id"])
    dev = portal.developer("ada@example.com")
    for search in ("café", "CAFÉ", "überblick", "ÜBERBLICK", "BRÛLÉE"):
        assert catalog_slugs(api, dev.token, search=search) == ["cafe"], search


# --- pagination ------------------------------------------------------------------------------


def test_first_defaults_to_20_and_is_capped_at_100(portal: Portal, client: TestClient) -> None:
    api, admin = portal.api, portal.admin
    slugs = [f"service-{n:03d}" for n in range(105)]
    insert_services(client, slugs)
    insert_services(client, ["hidden-1", "hidden-2"], published=False)
    dev = portal.developer("ada@example.com")

    default = api.data(CATALOG, {}, dev.token)["catalog"]
    assert default["totalCount"] == 105
    assert default["nodes"] == [{"slug": slug} for slug in slugs[:20]]
    assert [edge["node"] for edge in default["edges"]] == default["nodes"]
    info = default["pageInfo"]
    assert info["hasNextPage"] is True
    assert info["hasPreviousPage"] is False
    assert info["startCursor"] == default["edges"][0]["cursor"]
    assert info["endCursor"] == default["edges"][-1]["cursor"]

    capped = api.data(CATALOG, {"first": 1000}, dev.token)["catalog"]
    assert capped["nodes"] == [{"slug": slug} for slug in slugs[:100]]
    assert capped["pageInfo"]["hasNextPage"] is True
    rest = api.data(CATALOG, {"first": 100, "after": capped["pageInfo"]["endCursor"]}, dev.token)[
        "catalog"
    ]
    assert rest["nodes"] == [{"slug": slug} for slug in slugs[100:]]
    assert rest["totalCount"] == 105
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert rest["pageInfo"]["endCursor"] == rest["edges"][-1]["cursor"]

    exact = api.data(CATALOG, {"first": 5, "after": capped["edges"][99]["cursor"]}, dev.token)
    assert exact["catalog"]["nodes"] == [{"slug": slug} for slug in slugs[100:]]
    assert exact["catalog"]["pageInfo"]["hasNextPage"] is False

    empty = api.data(CATALOG, {"first": 0}, dev.token)["catalog"]
    assert empty["nodes"] == []
    assert empty["edges"] == []
    assert empty["totalCount"] == 105
    assert empty["pageInfo"]["startCursor"] is None
    assert empty["pageInfo"]["endCursor"] is None

    # The admin list: every service, published or not, with the same limits.
    everything = api.data(SERVICES, {}, admin)["services"]
    assert everything["totalCount"] == 107
    assert len(everything["nodes"]) == 20
    services_capped = api.data(SERVICES, {"first": 101}, admin)["services"]
    assert len(services_capped["nodes"]) == 100
    last = api.data(
        SERVICES, {"first": 100, "after": services_capped["pageInfo"]["endCursor"]}, admin
    )["services"]
    assert last["nodes"] == [{"slug": slug} for slug in slugs[100:]] + [
        {"slug": "hidden-1"},
        {"slug": "hidden-2"},
    ]
    assert last["pageInfo"]["hasNextPage"] is False


def test_walking_every_page_sees_each_service_once(portal: Portal, client: TestClient) -> None:
    api = portal.api
    slugs = [f"service-{n:02d}" for n in range(45)]
    insert_services(client, slugs)
    dev = portal.developer("ada@example.com")
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = api.data(CATALOG, {"first": 10, "after": after}, dev.token)["catalog"]
        pages += 1
        assert page["totalCount"] == 45
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [node["slug"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == slugs
    assert pages == 5


def test_cursors_stay_right_when_services_are_added_between_pages(
    portal: Portal, client: TestClient
) -> None:
    api, admin = portal.api, portal.admin
    insert_services(client, ["a", "b", "c", "d", "e"])
    dev = portal.developer("ada@example.com")
    first = api.data(CATALOG, {"first": 2}, dev.token)["catalog"]
    assert first["nodes"] == [{"slug": "a"}, {"slug": "b"}]
    assert first["totalCount"] == 5

    insert_services(client, ["f", "g"])
    insert_services(client, ["hidden"], published=False)
    added = create_service(api, admin, "h")
    publish(api, admin, added["id"])

    after_b = first["pageInfo"]["endCursor"]
    second = api.data(CATALOG, {"first": 2, "after": after_b}, dev.token)["catalog"]
    assert second["nodes"] == [{"slug": "c"}, {"slug": "d"}]
    assert second["totalCount"] == 8
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["hasNextPage"] is True
    rest = api.data(CATALOG, {"after": second["pageInfo"]["endCursor"]}, dev.token)["catalog"]
    assert rest["nodes"] == [{"slug": s} for s in ("e", "f", "g", "h")]
    assert rest["pageInfo"]["hasNextPage"] is False
    # Any edge's cursor works, not only the page's end.
    after_a = first["edges"][0]["cursor"]
    from_a = api.data(CATALOG, {"first": 3, "after": after_a}, dev.token)["catalog"]
    assert from_a["nodes"] == [{"slug": "b"}, {"slug": "c"}, {"slug": "d"}]
    # A cursor still works after its service was hidden.
    publish(api, admin, added["id"], published=False)
    insert_services(client, ["i"])
    after_h = rest["pageInfo"]["endCursor"]
    assert api.data(CATALOG, {"after": after_h}, dev.token)["catalog"]["nodes"] == [{"slug": "i"}]


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",
        "!!!",
        "",
        base64.urlsafe_b64encode(b"cursor:abc").decode(),
        base64.urlsafe_b64encode(b"something:1").decode(),
        # Numbers no row can have: past PostgreSQL's INTEGER, past SQLite's, not canonical.
        base64.urlsafe_b64encode(b"cursor:2147483648").decode(),
        base64.urlsafe_b64encode(f"cursor:{10**20}".encode()).decode(),
        base64.urlsafe_b64encode(b"cursor:1_0").decode(),
        to_base64("Service", 1),
    ],
)
def test_a_garbage_cursor_is_bad_user_input(portal: Portal, catalog: Catalog, garbage: str) -> None:
    catalog.service("weather")
    dev = portal.developer("ada@example.com")
    refused = portal.api.error(CATALOG, {"after": garbage}, dev.token)
    assert refused.code == "BAD_USER_INPUT"
    admin_list = portal.api.error(SERVICES, {"after": garbage}, portal.admin)
    assert admin_list.code == "BAD_USER_INPUT"


def test_negative_first_is_bad_user_input(portal: Portal, catalog: Catalog) -> None:
    catalog.service("weather")
    dev = portal.developer("ada@example.com")
    assert portal.api.error(CATALOG, {"first": -1}, dev.token).code == "BAD_USER_INPUT"
    assert portal.api.error(SERVICES, {"first": -5}, portal.admin).code == "BAD_USER_INPUT"


# --- node ------------------------------------------------------------------------------------


def test_node_shows_published_services_and_versions_to_developers(
    portal: Portal, catalog: Catalog
) -> None:
    api, admin = portal.api, portal.admin
    shown = catalog.service("weather", "v1")
    hidden = catalog.service("hidden", "v1", published=False)
    dev = portal.developer("ada@example.com")

    assert api.data(NODE, {"id": shown.service_id}, dev.token)["node"] == {
        "__typename": "Service",
        "id": shown.service_id,
        "slug": "weather",
        "published": True,
    }
    assert api.data(NODE, {"id": shown.id}, dev.token)["node"] == {
        "__typename": "ServiceVersion",
        "id": shown.id,
        "name": "v1",
        "service": {"slug": "weather"},
    }
    assert api.data(NODE, {"id": hidden.service_id}, dev.token) == {"node": None}
    assert api.data(NODE, {"id": hidden.id}, dev.token) == {"node": None}
    for unknown in (to_base64("Service", 999_999), to_base64("Service", 10**20)):
        assert api.data(NODE, {"id": unknown}, dev.token) == {"node": None}

    assert api.data(NODE, {"id": hidden.service_id}, admin)["node"] == {
        "__typename": "Service",
        "id": hidden.service_id,
        "slug": "hidden",
        "published": False,
    }
    assert api.data(NODE, {"id": hidden.id}, admin)["node"]["name"] == "v1"

    # Unpublishing hides it from developers again.
    publish(api, admin, shown.service_id, published=False)
    assert api.data(NODE, {"id": shown.service_id}, dev.token) == {"node": None}
    assert api.data(NODE, {"id": shown.id}, dev.token) == {"node": None}


def test_node_for_anonymous_follows_the_portal_being_public(
    portal: Portal, catalog: Catalog
) -> None:
    api = portal.api
    shown = catalog.service("weather", "v1")
    hidden = catalog.service("hidden", "v1", published=False)

    def anonymous_node(node_id: str) -> Any:
        payload = api.post(NODE, {"id": node_id}).json()
        if payload.get("errors"):
            assert [e["extensions"]["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
            return None
        return payload["data"]["node"]

    assert anonymous_node(shown.service_id) is None
    assert anonymous_node(shown.id) is None
    portal.settings(public=True)
    assert anonymous_node(shown.service_id)["slug"] == "weather"
    assert anonymous_node(shown.id)["name"] == "v1"
    assert anonymous_node(hidden.service_id) is None
    assert anonymous_node(hidden.id) is None
