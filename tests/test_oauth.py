"""OAuth 2.0 client credentials: a client library's token request, a JWT library verifying
the token against the served JWKS, every RFC 6749 §5.2 error, and the gateway's bearer check."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import jwt
import pytest

from tests.conftest import MovableClock
from tests.flows import Catalog, Portal, Version
from tests.gateway import CONSUMER_HEADERS, DENIED

ISSUER = "http://portal.test"
ENABLE_OIDC = """
mutation($id: ID!, $auto: Boolean!) { enableAppRegistration(serviceVersionId: $id,
  autoApprove: $auto, authStrategy: OPENID_CONNECT) { id } }
"""
GENERATE = """
mutation($app: ID!, $expiresAt: DateTime) {
  generateClientCredential(applicationId: $app, name: "backend", expiresAt: $expiresAt) {
    clientSecret credential { id clientId name createdAt expiresAt } } }
"""
REVOKE = "mutation($id: ID!) { revokeClientCredential(id: $id) }"
CLIENTS = (
    "query($id: ID!) { application(id: $id) { clientCredentials { id clientId lastUsedAt } } }"
)


@dataclass
class Client:
    id: str
    client_id: str
    secret: str


class World:
    """Ada's application, approved for maps/v2 and maps/v3 (OPENID_CONNECT), with a client."""

    def __init__(self, portal: Portal, catalog: Catalog) -> None:
        self.portal, self.catalog, self.api = portal, catalog, portal.api
        self.http: httpx2.Client = portal.api.client
        self.v2 = self.oidc_version("maps", "v2")
        self.v3 = self.oidc_version("roads", "v3")
        self.dev = portal.developer("ada@example.com")
        self.app_id = catalog.application(self.dev.token, "ada-backend", "Ada's backend")
        self.registrations = {
            v.slug: catalog.register(self.dev.token, self.app_id, v)["id"]
            for v in (self.v2, self.v3)
        }
        self.client = self.new_client()

    def oidc_version(self, slug: str, name: str, auto: bool = True) -> Version:
        version = self.catalog.service(slug, name, registration=False)
        self.api.data(ENABLE_OIDC, {"id": version.id, "auto": auto}, self.portal.admin)
        return version

    def new_client(self, **variables: Any) -> Client:
        data = self.api.data(GENERATE, {"app": self.app_id, **variables}, self.dev.token)
        new = data["generateClientCredential"]
        credential = new["credential"]
        return Client(credential["id"], credential["clientId"], new["clientSecret"])

    def token(self, client: Client | None = None, **form: str) -> httpx2.Response:
        """As a client library sends it: a form body, HTTP Basic client authentication."""
        client = client or self.client
        body = {"grant_type": "client_credentials", **form}
        return self.http.post("/oauth/token", data=body, auth=(client.client_id, client.secret))

    def access_token(self, **form: str) -> str:
        answer = self.token(None, **form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def check(self, token: str, version: Version) -> httpx2.Response:
        path = f"/gateway/verify/{version.slug}/{version.name}"
        return self.http.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def world(portal: Portal, catalog: Catalog) -> World:
    return World(portal, catalog)


def served_jwks(http: httpx2.Client) -> dict[str, Any]:
    configuration = http.get("/.well-known/openid-configuration").json()
    assert configuration["issuer"] == ISSUER
    assert configuration["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert configuration["jwks_uri"].startswith(ISSUER)
    found: dict[str, Any] = http.get(configuration["jwks_uri"].removeprefix(ISSUER)).json()
    return found


def verified(http: httpx2.Client, token: str, audience: str, leeway: int = 0) -> dict[str, Any]:
    """PyJWT, as an API would: the key named by ``kid`` from the served JWKS (``leeway``:
    for a portal whose clock a test moved ahead of PyJWT's)."""
    keys = jwt.PyJWKSet.from_dict(served_jwks(http))
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["ES256", "RS256"],
        audience=audience,
        issuer=ISSUER,
        leeway=leeway,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    return claims


def test_a_client_gets_a_token_that_a_jwt_library_verifies(world: World) -> None:
    answer = world.token()
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    claims = verified(world.http, body["access_token"], "maps/v2")
    assert claims["sub"] == world.app_id
    assert claims["client_id"] == world.client.client_id
    assert sorted(claims["aud"]) == ["maps/v2", "roads/v3"]
    assert claims["exp"] - claims["iat"] == 300
    other = verified(world.http, world.access_token(audience="roads/v3"), "roads/v3")
    assert other["aud"] == ["roads/v3"]
    assert other["jti"] != claims["jti"]
    with pytest.raises(jwt.InvalidAudienceError):
        verified(world.http, world.access_token(audience="roads/v3"), "maps/v2")
    # Form-field client authentication (client_secret_post) works as well.
    form = {
        "grant_type": "client_credentials",
        "client_id": world.client.client_id,
        "client_secret": world.client.secret,
    }
    assert world.http.post("/oauth/token", data=form).status_code == 200
    used = world.api.data(CLIENTS, {"id": world.app_id}, world.dev.token)
    assert used["application"]["clientCredentials"][0]["lastUsedAt"]


def test_the_jwks_holds_public_keys_only(world: World) -> None:
    keys = served_jwks(world.http)["keys"]
    assert keys
    for key in keys:
        assert key["kid"]
        assert key["alg"] == "ES256"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def oauth_error(answer: httpx2.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert answer.headers["cache-control"] == "no-store"
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Basic")


def test_every_section_5_2_error(world: World, clock: MovableClock) -> None:
    http, client = world.http, world.client
    oauth_error(world.token(grant_type="password"), 400, "unsupported_grant_type")
    no_grant = http.post("/oauth/token", data={}, auth=(client.client_id, client.secret))
    oauth_error(no_grant, 400, "invalid_request")
    as_json = http.post("/oauth/token", json={"grant_type": "client_credentials"})
    oauth_error(as_json, 400, "invalid_request")
    twice = http.post(
        "/oauth/token",
        content="grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client.client_id, client.secret),
    )
    oauth_error(twice, 400, "invalid_request")
    both_ways = world.token(client_id=client.client_id, client_secret=client.secret)
    oauth_error(both_ways, 400, "invalid_request")

    wrong = Client(client.id, client.client_id, client.secret[:-1] + "x")
    oauth_error(world.token(wrong), 401, "invalid_client")
    oauth_error(world.token(Client("", "dpc_unknown", "secret")), 401, "invalid_client")
    anonymous = http.post("/oauth/token", data={"grant_type": "client_credentials"})
    oauth_error(anonymous, 401, "invalid_client")
    garbled = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    oauth_error(garbled, 401, "invalid_client")

    expiring = world.new_client(expiresAt=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    revoked = world.new_client()
    world.api.data(REVOKE, {"id": revoked.id}, world.dev.token)
    oauth_error(world.token(revoked), 401, "invalid_client")
    assert world.token(expiring).status_code == 200
    clock.advance(timedelta(days=3))
    oauth_error(world.token(expiring), 401, "invalid_client")

    oauth_error(world.token(audience="weather/v1"), 400, "invalid_target")
    world.catalog.decide("rejectRegistration", world.registrations["roads"])
    oauth_error(world.token(audience="roads/v3"), 400, "invalid_target")
    world.catalog.decide("rejectRegistration", world.registrations["maps"])
    oauth_error(world.token(), 400, "invalid_target")  # no approved registration at all


def test_the_gateway_takes_the_token_and_the_live_checks(world: World, clock: MovableClock) -> None:
    token = world.access_token(audience="maps/v2")
    allowed = world.check(token, world.v2)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["X-Consumer-Application-Id"] == world.app_id
    assert allowed.headers["X-Consumer-Developer-Email"] == "ada@example.com"
    assert world.check(token, world.v2).status_code == 200  # from memory
    # Its aud lacks roads/v3, though the application is approved there.
    denied = world.check(token, world.v3)
    assert (denied.status_code, denied.json()["message"]) == (403, DENIED)
    for name in CONSUMER_HEADERS:
        assert name not in denied.headers

    unregister = "mutation($id: ID!) { unregisterApplication(registrationId: $id) }"
    world.api.data(unregister, {"id": world.registrations["maps"]}, world.dev.token)
    assert world.check(token, world.v2).status_code == 403  # the very next call

    everywhere = world.access_token()
    assert world.check(everywhere, world.v3).status_code == 200
    clock.advance(timedelta(seconds=301))
    expired = world.check(everywhere, world.v3)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]

    fresh = world.access_token()
    assert world.check(fresh, world.v3).status_code == 200
    world.api.data(REVOKE, {"id": world.client.id}, world.dev.token)
    assert world.check(fresh, world.v3).status_code == 401

    forged = fresh.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(b"x" * 64).decode()
    assert world.check(forged.rstrip("="), world.v3).status_code == 401
    claims = jwt.decode(fresh, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, "none")  # type: ignore[arg-type]
    assert world.check(unsigned, world.v3).status_code == 401


def test_client_credentials_are_audited_without_their_secret(world: World) -> None:
    world.api.data(REVOKE, {"id": world.client.id}, world.dev.token)
    query = """query($s: ID) { auditLog(subjectId: $s) { nodes { action summary
      actor { ... on Developer { email } } subject { __typename } } } }"""
    entries = world.api.data(query, {"s": world.client.id}, world.portal.admin)["auditLog"]
    actions = [entry["action"] for entry in entries["nodes"]]
    assert actions == ["CREDENTIAL_REVOKED", "CREDENTIAL_CREATED"]
    for entry in entries["nodes"]:
        assert world.client.client_id in entry["summary"]
        assert world.client.secret not in entry["summary"]
        assert entry["actor"] == {"email": "ada@example.com"}
