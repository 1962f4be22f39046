"""``/gateway/verify/{serviceSlug}/{versionName}``: every row of the contract's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from tests.flows import (
    CREATE_VERSION,
    DISABLE,
    ENABLE,
    REVOKE_KEY,
    UNREGISTER,
    Catalog,
    DeveloperLogin,
    Key,
    Portal,
    Version,
)
from tests.support import WAIT, Api, watching

NO_KEY = "No API key found in request"
BAD_KEY = "Invalid authentication credentials"
DENIED = "You cannot consume this service"
NOT_FOUND = "Not found"
CONSUMER_HEADERS = (
    "X-Consumer-Application-Id",
    "X-Consumer-Application-Reference-Id",
    "X-Consumer-Developer-Id",
    "X-Consumer-Developer-Email",
)
METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]

DELETE_REGISTRATION = "mutation($id: ID!) { deleteRegistration(id: $id) }"
DELETE_APPLICATION = "mutation($id: ID!) { deleteApplication(id: $id) }"
CREDENTIALS = "{ myApplications { nodes { id credentials { id lastUsedAt } } } }"


# --- helpers ---------------------------------------------------------------------------------


def verify(
    client: httpx2.Client,
    version: Version | tuple[str, str],
    key: str | None = None,
    *,
    header: str = "apikey",
    method: str = "GET",
) -> httpx2.Response:
    slug, name = (version.slug, version.name) if isinstance(version, Version) else version
    headers = {header: key} if key is not None else {}
    return client.request(method, f"/gateway/verify/{slug}/{name}", headers=headers)


def assert_refused(response: httpx2.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"message": message}
    for name in CONSUMER_HEADERS:
        assert name not in response.headers, name


def assert_allowed(
    response: httpx2.Response,
    *,
    application_id: str,
    reference_id: str,
    developer: DeveloperLogin,
) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["X-Consumer-Application-Id"] == application_id
    assert response.headers["X-Consumer-Application-Reference-Id"] == reference_id
    assert response.headers["X-Consumer-Developer-Id"] == developer.id
    assert response.headers["X-Consumer-Developer-Email"] == developer.email
    if response.request.method != "HEAD":
        body = response.json()
        assert isinstance(body, dict)
        assert set(body) == {"message"}


class Setup:
    """One developer with one application approved for weather/v1, and a key."""

    def __init__(self, portal: Portal, catalog: Catalog) -> None:
        self.portal = portal
        self.catalog = catalog
        self.api: Api = portal.api
        self.client: httpx2.Client = portal.api.client
        self.version = catalog.service("weather", "v1")
        self.dev = portal.developer("ada@example.com")
        self.app_id = catalog.application(self.dev.token, "ada-weather", "Ada's weather app")
        registration = catalog.register(self.dev.token, self.app_id, self.version)
        self.registration_id: str = registration["id"]
        catalog.decide("approveRegistration", self.registration_id)
        self.key: Key = catalog.key(self.dev.token, self.app_id)

    def check(self, key: str | None = None, **options: Any) -> httpx2.Response:
        return verify(self.client, self.version, self.key.key if key is None else key, **options)

    def assert_allowed(self, response: httpx2.Response) -> None:
        assert_allowed(
            response, application_id=self.app_id, reference_id="ada-weather", developer=self.dev
        )


@pytest.fixture
def setup(portal: Portal, catalog: Catalog) -> Setup:
    return Setup(portal, catalog)


def last_used(api: Api, token: str, credential_id: str) -> datetime | None:
    applications = api.data(CREDENTIALS, token=token)["myApplications"]["nodes"]
    for application in applications:
        for credential in application["credentials"]:
            if credential["id"] == credential_id:
                value = credential["lastUsedAt"]
                return None if value is None else datetime.fromisoformat(value)
    raise AssertionError(f"no credential {credential_id}")


# --- 401 -------------------------------------------------------------------------------------


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


# --- 403 -------------------------------------------------------------------------------------


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


# --- 404 -------------------------------------------------------------------------------------


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


# --- 200 -------------------------------------------------------------------------------------


def test_allowed_names_the_consumer(setup: Setup) -> None:
    response = setup.check()
    setup.assert_allowed(response)
    # The IDs are the GraphQL global IDs.
    node = setup.api.data(
        "query($a: ID!, $d: ID!) { a: node(id: $a) { id ... on Application { referenceId } }"
        " d: node(id: $d) { id } }",
        {
            "a": response.headers["X-Consumer-Application-Id"],
            "d": response.headers["X-Consumer-Developer-Id"],
        },
        setup.dev.token,
    )
    assert node == {
        "a": {"id": setup.app_id, "referenceId": "ada-weather"},
        "d": {"id": setup.dev.id},
    }


@pytest.mark.parametrize("header", ["apikey", "X-API-Key", "APIKEY", "x-api-key"])
def test_the_key_is_read_from_either_header(setup: Setup, header: str) -> None:
    setup.assert_allowed(setup.check(header=header))


@pytest.mark.parametrize("method", METHODS)
def test_every_method_answers_as_get_does(setup: Setup, method: str) -> None:
    other = setup.catalog.application(setup.dev.token, "ada-other")
    unregistered_key = setup.catalog.key(setup.dev.token, other)
    cases: list[tuple[tuple[str, str], str | None]] = [
        (("weather", "v1"), setup.key.key),
        (("weather", "v1"), None),
        (("weather", "v1"), "not-a-real-key"),
        (("weather", "v1"), unregistered_key.key),
        (("weather", "v9"), setup.key.key),
    ]
    for target, key in cases:
        expected = verify(setup.client, target, key)
        response = verify(setup.client, target, key, method=method)
        assert response.status_code == expected.status_code, (target, key)
        for name in CONSUMER_HEADERS:
            assert response.headers.get(name) == expected.headers.get(name), name
        if method != "HEAD":
            assert response.json() == expected.json()
    setup.assert_allowed(setup.check(method=method))


# --- every change holds from the next call on -------------------------------------------------


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


# --- lastUsedAt ------------------------------------------------------------------------------


def test_last_used_at_is_recorded_at_most_once_a_minute(setup: Setup) -> None:
    api, token = setup.api, setup.dev.token
    assert last_used(api, token, setup.key.id) is None
    before = datetime.now(UTC)
    with watching("devportal.gateway", "recorded the use of 1 keys") as recorded:
        setup.assert_allowed(setup.check())
        assert recorded.seen.wait(WAIT)  # written in the background, within moments
    after = datetime.now(UTC)
    first_use = last_used(api, token, setup.key.id)
    assert first_use is not None
    assert first_use.tzinfo is not None
    # The database may keep microseconds or not; allow its rounding.
    assert before - timedelta(seconds=1) <= first_use <= after + timedelta(seconds=1)

    setup.assert_allowed(setup.check())
    setup.assert_allowed(setup.check(header="X-API-Key"))
    assert last_used(api, token, setup.key.id) == first_use
    # Another key's use is its own.
    second = setup.catalog.key(token, setup.app_id)
    assert last_used(api, token, second.id) is None


def test_an_international_domain_reaches_the_gateway_headers_in_ascii(
    portal: Portal, catalog: Catalog
) -> None:
    """Headers carry only ASCII: addresses are stored with their domain in punycode."""
    version = catalog.service("weather", "v1")
    portal.sign_up("Ada@Bücher.de")
    stored = "ada@xn--bcher-kva.de"
    developer = portal.confirm(stored)  # the mail went to the ASCII address
    portal.decide("approveDeveloper", developer["id"])
    token = portal.log_in("ada@bücher.de")  # either spelling logs in
    assert portal.log_in(stored)
    key = catalog.approved_key(token, version)
    allowed = verify(portal.api.client, version, key.key)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["X-Consumer-Developer-Email"] == stored
