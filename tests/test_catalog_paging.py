"""Searching the catalog, and paging it and the admins' list of services."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient
from strawberry.relay import to_base64

from tests.flows import Catalog, Portal
from tests.test_catalog import (
    CATALOG,
    SERVICES,
    catalog_slugs,
    create_service,
    insert_services,
    publish,
)


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
