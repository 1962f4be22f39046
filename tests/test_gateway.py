"""``/gateway/verify/{serviceSlug}/{versionName}``: every row of the contract's table that
refuses (401, 403, 404), and every change that makes it refuse from the next call on
(the allowed answers: test_gateway_allowed)."""

from __future__ import annotations

import pytest

from tests.flows import CREATE_VERSION, DISABLE, ENABLE, REVOKE_KEY, UNREGISTER, Catalog, Portal
from tests.gateway import (
    BAD_KEY,
    DELETE_APPLICATION,
    DELETE_REGISTRATION,
    DENIED,
    NO_KEY,
    NOT_FOUND,
    Setup,
    assert_refused,
    verify,
)


def test_no_key_is_401(setup: Setup) -> None:
    assert_refused(verify(setup.client, setup.version), 401, NO_KEY)
    assert_refused(setup.check(""), 401, NO_KEY)
    assert_refused(setup.check("", header="X-API-Key"), 401, NO_KEY)
    # A key in some other header is no key at all.
    assert_refused(setup.check(header="Authorization"), 401, NO_KEY)


def test_unknown_key_is_401(setup: Setup) -> None:
    assert_refused(setup.check("not-a-real-key"), 401, BAD_KEY)
    altered = setup.key.key[:-1] + ("A" if setup.key.key[-1] != "A" else "B")
    assert_refused(setup.check(altered), 401, BAD_KEY)
    assert_refused(setup.check(setup.key.key[:12]), 401, BAD_KEY)
    assert_refused(setup.check("not-a-real-key", header="X-API-Key"), 401, BAD_KEY)


def test_revoked_key_is_401_and_other_keys_keep_working(setup: Setup) -> None:
    second = setup.catalog.key(setup.dev.token, setup.app_id)
    setup.assert_allowed(setup.check())
    setup.assert_allowed(setup.check(second.key))
    revoked = setup.api.data(REVOKE_KEY, {"id": setup.key.id}, setup.dev.token)
    assert revoked == {"revokeCredential": setup.key.id}
    assert_refused(setup.check(), 401, BAD_KEY)
    assert_refused(setup.check(header="X-API-Key"), 401, BAD_KEY)
    setup.assert_allowed(setup.check(second.key))


def test_key_of_an_application_without_registration_is_403(
    portal: Portal, catalog: Catalog
) -> None:
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    key = catalog.key(dev.token, app_id)
    assert_refused(verify(portal.api.client, version, key.key), 403, DENIED)


def test_pending_and_rejected_registrations_are_403(portal: Portal, catalog: Catalog) -> None:
    client = portal.api.client
    version = catalog.service("weather", "v1")
    dev = portal.developer("ada@example.com")
    app_id = catalog.application(dev.token)
    key = catalog.key(dev.token, app_id)
    registration = catalog.register(dev.token, app_id, version)
    assert registration["status"] == "PENDING"
    assert_refused(verify(client, version, key.key), 403, DENIED)
    assert catalog.decide("rejectRegistration", registration["id"])["status"] == "REJECTED"
    assert_refused(verify(client, version, key.key), 403, DENIED)


def test_disabled_version_is_403_until_enabled_again(setup: Setup) -> None:
    api, admin = setup.api, setup.portal.admin
    setup.assert_allowed(setup.check())
    disabled = api.data(DISABLE, {"id": setup.version.id}, admin)["disableAppRegistration"]
    assert disabled["appRegistrationEnabled"] is False
    assert_refused(setup.check(), 403, DENIED)
    api.data(ENABLE, {"id": setup.version.id, "autoApprove": False}, admin)
    setup.assert_allowed(setup.check())


def test_revoked_developer_is_403_until_approved_again(setup: Setup) -> None:
    setup.assert_allowed(setup.check())
    assert setup.portal.decide("revokeDeveloper", setup.dev.id)["status"] == "REVOKED"
    assert_refused(setup.check(), 403, DENIED)
    assert_refused(setup.check(header="X-API-Key"), 403, DENIED)
    # The data is kept: approving the developer again restores access.
    assert setup.portal.decide("approveDeveloper", setup.dev.id)["status"] == "APPROVED"
    setup.assert_allowed(setup.check())


def test_a_key_opens_only_its_own_applications_registrations(
    portal: Portal, catalog: Catalog
) -> None:
    client = portal.api.client
    version = catalog.service("weather", "v1")
    maps = catalog.service("maps", "v1")
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    ada_app = catalog.application(ada.token, "ada-weather")
    ada_key = catalog.approved_key(ada.token, version, "ada-weather-2")
    ada_other_app = catalog.application(ada.token, "ada-maps")
    registration = catalog.register(ada.token, ada_other_app, maps)
    catalog.decide("approveRegistration", registration["id"])
    ada_other_key = catalog.key(ada.token, ada_other_app)
    bob_key = catalog.approved_key(bob.token, version, "bob-weather")
    ada_unregistered_key = catalog.key(ada.token, ada_app)

    # Another application of the same developer, approved for another service.
    assert_refused(verify(client, version, ada_other_key.key), 403, DENIED)
    assert_refused(verify(client, version, ada_unregistered_key.key), 403, DENIED)
    # Each key names its own application and developer.
    allowed = verify(client, version, ada_key.key)
    assert allowed.status_code == 200
    assert allowed.headers["X-Consumer-Application-Reference-Id"] == "ada-weather-2"
    assert allowed.headers["X-Consumer-Developer-Email"] == ada.email
    bobs = verify(client, version, bob_key.key)
    assert bobs.status_code == 200
    assert bobs.headers["X-Consumer-Application-Reference-Id"] == "bob-weather"
    assert bobs.headers["X-Consumer-Developer-Id"] == bob.id
    assert bobs.headers["X-Consumer-Developer-Email"] == bob.email
    assert verify(client, maps, ada_other_key.key).status_code == 200
    assert_refused(verify(client, maps, ada_key.key), 403, DENIED)
    assert_refused(verify(client, maps, bob_key.key), 403, DENIED)


def test_a_key_approved_for_v1_does_not_open_v2(setup: Setup) -> None:
    api, admin = setup.api, setup.portal.admin
    v2 = api.data(CREATE_VERSION, {"serviceId": setup.version.service_id, "name": "v2"}, admin)[
        "createServiceVersion"
    ]
    api.data(ENABLE, {"id": v2["id"], "autoApprove": False}, admin)
    setup.assert_allowed(setup.check())
    assert_refused(verify(setup.client, ("weather", "v2"), setup.key.key), 403, DENIED)
    # Disabling v2 does not touch v1.
    api.data(DISABLE, {"id": v2["id"]}, admin)
    setup.assert_allowed(setup.check())


def test_unknown_service_or_version_is_404(setup: Setup) -> None:
    key = setup.key.key
    assert_refused(verify(setup.client, ("nothing", "v1"), key), 404, NOT_FOUND)
    assert_refused(verify(setup.client, ("weather", "v9"), key), 404, NOT_FOUND)
    assert_refused(verify(setup.client, ("weather", "V1"), key), 404, NOT_FOUND)
    assert_refused(verify(setup.client, ("nothing", "v1"), key, header="X-API-Key"), 404, NOT_FOUND)


@pytest.mark.parametrize("path", [("weath%00er", "v1"), ("weather", "v%001"), ("We ather", "v1")])
def test_a_path_no_version_can_have_is_404_after_the_key_check(
    setup: Setup, path: tuple[str, str]
) -> None:
    """A NUL in the path would be an error on PostgreSQL: it never reaches the database."""
    assert_refused(verify(setup.client, path, setup.key.key), 404, NOT_FOUND)
    assert_refused(verify(setup.client, path, "not-a-key"), 401, BAD_KEY)
    assert_refused(verify(setup.client, path, None), 401, NO_KEY)


def test_withdrawing_approval_is_403_at_once(setup: Setup) -> None:
    setup.assert_allowed(setup.check())
    rejected = setup.catalog.decide("rejectRegistration", setup.registration_id)
    assert rejected["status"] == "REJECTED"
    assert_refused(setup.check(), 403, DENIED)


def test_unregistering_is_403_at_once(setup: Setup) -> None:
    setup.assert_allowed(setup.check())
    setup.api.data(UNREGISTER, {"id": setup.registration_id}, setup.dev.token)
    assert_refused(setup.check(), 403, DENIED)
    # Registering again is PENDING: still no access until an admin approves.
    again = setup.catalog.register(setup.dev.token, setup.app_id, setup.version)
    assert again["status"] == "PENDING"
    assert_refused(setup.check(), 403, DENIED)
    setup.catalog.decide("approveRegistration", again["id"])
    setup.assert_allowed(setup.check())


def test_deleting_the_registration_is_403_at_once(setup: Setup) -> None:
    setup.assert_allowed(setup.check())
    deleted = setup.api.data(DELETE_REGISTRATION, {"id": setup.registration_id}, setup.portal.admin)
    assert deleted == {"deleteRegistration": setup.registration_id}
    assert_refused(setup.check(), 403, DENIED)


def test_deleting_the_application_is_401_at_once(setup: Setup) -> None:
    setup.assert_allowed(setup.check())
    deleted = setup.api.data(DELETE_APPLICATION, {"id": setup.app_id}, setup.dev.token)
    assert deleted == {"deleteApplication": setup.app_id}
    assert_refused(setup.check(), 401, BAD_KEY)
