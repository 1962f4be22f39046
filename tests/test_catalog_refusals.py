"""Services and versions: what the catalog's operations refuse (duplicates, bad slugs and names,
unknown ids), and how."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from tests.flows import CREATE_SERVICE, CREATE_VERSION, PUBLISH, Catalog, Portal
from tests.test_catalog import (
    DISABLE,
    ENABLE_DEFAULTS,
    SERVICE,
    SERVICES,
    UPDATE_SERVICE,
    create_service,
    create_version,
)


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
