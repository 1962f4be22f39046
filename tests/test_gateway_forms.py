"""The gateway check as Envoy and Traefik call it, the README's snippets for them, and the
``WWW-Authenticate`` challenge on every 401, per auth strategy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import yaml  # type: ignore[import-untyped]

from tests.gateway import BAD_KEY, CONSUMER_HEADERS, DENIED, NO_KEY, NOT_FOUND, Setup

README = Path(__file__).resolve().parent.parent / "README.md"
SUFFIXES = ["/weather/v1/forecast", "/a/b/c?city=Paris&x=/y", "/", ""]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE"]
ENABLE_OIDC = """
mutation($id: ID!) { enableAppRegistration(serviceVersionId: $id, autoApprove: true,
  authStrategy: OPENID_CONNECT) { id authStrategy } }
"""
KEY_CHALLENGE = 'Key realm="devportal"'


def call(
    client: httpx2.Client, path: str, key: str | None = None, method: str = "GET", **headers: str
) -> httpx2.Response:
    if key is not None:
        headers["apikey"] = key
    return client.request(method, path, headers=headers)


def outcome(response: httpx2.Response) -> tuple[Any, ...]:
    """What a proxy acts on: status, challenge, consumer headers, body."""
    body = response.json() if response.request.method != "HEAD" else None
    consumer = tuple(response.headers.get(name) for name in CONSUMER_HEADERS)
    return response.status_code, response.headers.get("www-authenticate"), consumer, body


def test_anything_after_the_version_with_any_method_answers_as_the_check(setup: Setup) -> None:
    other = setup.catalog.application(setup.dev.token, "ada-other")
    unregistered = setup.catalog.key(setup.dev.token, other).key
    cases = [
        ("weather/v1", setup.key.key, 200),
        ("weather/v1", None, 401),
        ("weather/v1", "not-a-real-key", 401),
        ("weather/v1", unregistered, 403),
        ("weather/v9", setup.key.key, 404),
    ]
    for target, key, status in cases:
        plain = call(setup.client, f"/gateway/verify/{target}", key)
        assert plain.status_code == status
        for suffix in SUFFIXES:
            for method in METHODS:
                path = f"/gateway/verify/{target}{suffix}"
                got = outcome(call(setup.client, path, key, method))
                assert got[:3] == outcome(plain)[:3], (path, method)
                assert got[3] in (None, plain.json()), (path, method)  # None: HEAD


def test_every_401_carries_a_key_challenge_on_key_auth_versions(setup: Setup) -> None:
    no_key = call(setup.client, "/gateway/verify/weather/v1")
    assert (no_key.status_code, no_key.json()["message"]) == (401, NO_KEY)
    bad = call(setup.client, "/gateway/verify/weather/v1/x", "nope")
    assert (bad.status_code, bad.json()["message"]) == (401, BAD_KEY)
    unknown_path = call(setup.client, "/gateway/verify/nothing/v0")
    for refused in (no_key, bad, unknown_path):
        assert refused.headers["www-authenticate"] == KEY_CHALLENGE
    allowed = setup.check()
    denied = call(setup.client, "/gateway/verify/weather/v9", setup.key.key)
    assert denied.json()["message"] == NOT_FOUND
    for answer in (allowed, denied):
        assert "www-authenticate" not in answer.headers


def test_openid_connect_versions_take_bearer_tokens_not_keys(setup: Setup) -> None:
    maps = setup.catalog.service("maps", "v2", registration=False)
    setup.api.data(ENABLE_OIDC, {"id": maps.id}, setup.portal.admin)
    setup.catalog.register(setup.dev.token, setup.app_id, maps)  # approved at once
    path = "/gateway/verify/maps/v2"
    with_key = call(setup.client, path, setup.key.key)
    assert with_key.status_code == 401
    assert with_key.headers["www-authenticate"].startswith("Bearer ")
    nothing = call(setup.client, path + "/tiles", method="POST")
    assert nothing.status_code == 401
    assert nothing.headers["www-authenticate"] == 'Bearer realm="devportal"'
    garbage = call(setup.client, path, Authorization="Bearer not.a.token")
    assert garbage.status_code == 401
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    # A bearer token on a KEY_AUTH version is no key at all.
    on_key_auth = call(setup.client, "/gateway/verify/weather/v1", Authorization="Bearer x.y.z")
    assert (on_key_auth.status_code, on_key_auth.json()["message"]) == (401, NO_KEY)
    assert on_key_auth.headers["www-authenticate"] == KEY_CHALLENGE


def snippet(marker: str) -> dict[str, Any]:
    """The README's YAML block that holds ``marker``."""
    for block in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S):
        if marker in block:
            loaded = yaml.safe_load(block)
            assert isinstance(loaded, dict)
            return loaded
    raise AssertionError(f"no YAML block with {marker} in the README")


def patterns(config: dict[str, Any]) -> list[str]:
    return [next(iter(p.values())) for p in config["patterns"]]


def test_the_readme_envoy_filter_as_envoy_would_call(setup: Setup) -> None:
    """Envoy: path_prefix + the original path, the original method, the allowed headers."""
    filters = snippet("ext_authz")["http_filters"]
    service = filters[0]["typed_config"]["http_service"]
    prefix = service["path_prefix"]
    sent = patterns(service["authorization_request"]["allowed_headers"])
    assert {"apikey", "authorization"} <= set(sent)
    upstream = patterns(service["authorization_response"]["allowed_upstream_headers"])
    answer = call(setup.client, prefix + "/weather/v1/forecast?city=Paris", setup.key.key, "POST")
    setup.assert_allowed(answer)
    for name in CONSUMER_HEADERS:
        assert any(name.lower().startswith(p) for p in upstream), name
    refused = call(setup.client, prefix + "/weather/v1/forecast", None, "DELETE")
    client_headers = patterns(service["authorization_response"]["allowed_client_headers"])
    assert refused.status_code == 401
    assert "www-authenticate" in client_headers
    assert refused.headers["www-authenticate"] == KEY_CHALLENGE


def test_the_readme_traefik_middleware_as_traefik_would_call(setup: Setup) -> None:
    """Traefik: a GET to the address with X-Forwarded-* headers and the client's own."""
    config = snippet("forwardAuth")["http"]
    auth = config["middlewares"]["weather-v1-auth"]["forwardAuth"]
    address = urlsplit(auth["address"]).path
    forwarded = {"X-Forwarded-Method": "POST", "X-Forwarded-Uri": "/weather/v1/forecast?x=1"}
    answer = call(setup.client, address, setup.key.key, **forwarded)
    setup.assert_allowed(answer)
    copied = re.compile(auth["authResponseHeadersRegex"], re.I)
    for name in CONSUMER_HEADERS:
        assert copied.search(name), name
    assert "/weather/v1" in config["routers"]["weather-v1"]["rule"]
    other = setup.catalog.application(setup.dev.token, "ada-unregistered")
    denied = call(setup.client, address, setup.catalog.key(setup.dev.token, other).key)
    assert (denied.status_code, denied.json()["message"]) == (403, DENIED)
