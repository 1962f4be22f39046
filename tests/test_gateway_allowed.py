"""``/gateway/verify/{serviceSlug}/{versionName}``: a key allowed in, the consumer named in
ASCII headers whatever the method or key header, and its use recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.flows import Catalog, Portal
from tests.gateway import CONSUMER_HEADERS, METHODS, Setup, last_used, verify
from tests.support import WAIT, watching


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
