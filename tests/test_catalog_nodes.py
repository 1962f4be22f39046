"""Services and versions as nodes: whom ``node`` shows them to."""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from tests.flows import Catalog, Portal
from tests.test_catalog import NODE, publish


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
