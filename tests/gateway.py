"""The gateway check's answers as tests expect them, and a developer with a key to ask it
about (the ``setup`` fixture of conftest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx2

from tests.flows import Catalog, DeveloperLogin, Key, Portal, Version
from tests.support import Api

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


def last_used(api: Api, token: str, credential_id: str) -> datetime | None:
    applications = api.data(CREDENTIALS, token=token)["myApplications"]["nodes"]
    for application in applications:
        for credential in application["credentials"]:
            if credential["id"] == credential_id:
                value = credential["lastUsedAt"]
                return None if value is None else datetime.fromisoformat(value)
    raise AssertionError(f"no credential {credential_id}")
