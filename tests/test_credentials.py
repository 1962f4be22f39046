"""Named keys that expire, the portal's lifetime limit, and rotation with a grace period.

Time is moved with the ``clock`` fixture, never slept through: the gateway holds a
decision in memory, and only the key's expiry it carries can end it (no write does).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import MovableClock
from tests.flows import Catalog
from tests.gateway import BAD_KEY, Setup, assert_refused, verify

GENERATE = """
mutation($app: ID!, $name: String, $expiresAt: DateTime) {
  generateCredential(applicationId: $app, name: $name, expiresAt: $expiresAt) {
    key credential { id name keyPrefix createdAt expiresAt } } }
"""
ROTATE = """
mutation($id: ID!, $grace: Int!) {
  rotateCredential(id: $id, gracePeriodSeconds: $grace) {
    key credential { id name keyPrefix createdAt expiresAt } } }
"""
ROTATE_DEFAULT = """
mutation($id: ID!) { rotateCredential(id: $id) { key credential { id expiresAt } } }
"""
KEYS = "query($id: ID!) { application(id: $id) { credentials { id name expiresAt } } }"


def at(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


def generate(setup: Setup, **arguments: Any) -> dict[str, Any]:
    data = setup.api.data(GENERATE, {"app": setup.app_id, **arguments}, setup.dev.token)
    return dict(data["generateCredential"])


def rotate(setup: Setup, credential_id: str, grace: int) -> dict[str, Any]:
    data = setup.api.data(ROTATE, {"id": credential_id, "grace": grace}, setup.dev.token)
    return dict(data["rotateCredential"])


def code_of(setup: Setup, query: str, variables: dict[str, Any]) -> str:
    return setup.api.error(query, variables, setup.dev.token).code


def stored_keys(setup: Setup) -> dict[str, dict[str, Any]]:
    data = setup.api.data(KEYS, {"id": setup.app_id}, setup.dev.token)
    return {key["id"]: key for key in data["application"]["credentials"]}


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_a_named_key_passes_until_it_expires_with_no_event(
    setup: Setup, clock: MovableClock
) -> None:
    new = generate(setup, name="production", expiresAt=in_days(2))
    assert new["credential"]["name"] == "production"
    assert at(new["credential"]["expiresAt"]) > datetime.now(UTC) + timedelta(days=1)
    assert setup.check(new["key"]).status_code == 200
    assert setup.check(new["key"]).status_code == 200  # now from the cached decision

    clock.advance(timedelta(days=2, minutes=1))
    assert_refused(setup.check(new["key"]), 401, BAD_KEY)
    # A key without an expiry is untouched by time.
    assert setup.check().status_code == 200
    assert stored_keys(setup)[new["credential"]["id"]]["name"] == "production"


def test_an_expiry_in_the_past_or_without_a_zone(setup: Setup) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert code_of(setup, GENERATE, {"app": setup.app_id, "expiresAt": past}) == "BAD_USER_INPUT"
    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    taken_as_utc = generate(setup, expiresAt=naive)["credential"]["expiresAt"]
    assert at(taken_as_utc) == datetime.fromisoformat(naive).replace(tzinfo=UTC)
    too_long = "x" * 101
    assert code_of(setup, GENERATE, {"app": setup.app_id, "name": too_long}) == "BAD_USER_INPUT"


def test_the_portal_limit_caps_and_defaults_the_lifetime(setup: Setup) -> None:
    portal = setup.portal
    assert portal.settings(maxCredentialLifetimeDays=30)  # admins only, as every setting
    limit = setup.api.data("{ portal { maxCredentialLifetimeDays } }")["portal"]
    assert limit == {"maxCredentialLifetimeDays": 30}

    beyond = {"app": setup.app_id, "expiresAt": in_days(31)}
    assert code_of(setup, GENERATE, beyond) == "BAD_USER_INPUT"
    within = generate(setup, expiresAt=in_days(29))
    assert at(within["credential"]["expiresAt"]) < datetime.now(UTC) + timedelta(days=29.1)
    defaulted = at(generate(setup)["credential"]["expiresAt"])
    assert abs(defaulted - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)

    portal.settings(maxCredentialLifetimeDays=0)
    assert generate(setup)["credential"]["expiresAt"] is None
    assert generate(setup, expiresAt=in_days(400))["credential"]["expiresAt"]
    bad = setup.api.error(
        "mutation { updatePortalSettings(input: {maxCredentialLifetimeDays: -1}) { name } }",
        token=portal.admin,
    )
    assert bad.code == "BAD_USER_INPUT"
    refused = setup.api.error(
        "mutation { updatePortalSettings(input: {maxCredentialLifetimeDays: 5}) { name } }",
        token=setup.dev.token,
    )
    assert refused.code == "FORBIDDEN"


def test_rotation_keeps_name_and_lifetime_and_both_pass_during_the_grace(
    setup: Setup, clock: MovableClock
) -> None:
    old = generate(setup, name="ci", expiresAt=in_days(10))
    old_id = old["credential"]["id"]
    assert setup.check(old["key"]).status_code == 200

    new = rotate(setup, old_id, 3600)
    assert new["credential"]["name"] == "ci"
    assert new["key"] != old["key"]
    lifetime = at(new["credential"]["expiresAt"]) - at(new["credential"]["createdAt"])
    assert abs(lifetime - timedelta(days=10)) < timedelta(minutes=1)
    old_end = at(stored_keys(setup)[old_id]["expiresAt"])
    assert abs(old_end - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)
    assert setup.check(old["key"]).status_code == 200
    assert setup.check(new["key"]).status_code == 200

    clock.advance(timedelta(hours=1, minutes=1))
    assert_refused(setup.check(old["key"]), 401, BAD_KEY)
    assert setup.check(new["key"]).status_code == 200


def test_rotation_grace_never_lengthens_and_zero_stops_at_once(setup: Setup) -> None:
    soon = generate(setup, expiresAt=in_days(0.5))
    rotate(setup, soon["credential"]["id"], 86400)
    kept = at(stored_keys(setup)[soon["credential"]["id"]]["expiresAt"])
    assert kept == at(soon["credential"]["expiresAt"])

    # The setup's key never expires: its successor does not either, and it stops at once.
    new = rotate(setup, setup.key.id, 0)
    assert new["credential"]["expiresAt"] is None
    assert_refused(setup.check(), 401, BAD_KEY)
    assert setup.check(new["key"]).status_code == 200
    default = setup.api.data(ROTATE_DEFAULT, {"id": new["credential"]["id"]}, setup.dev.token)
    successor_key = default["rotateCredential"]["key"]
    assert setup.check(new["key"]).status_code == 200  # a day's grace by default
    assert setup.check(successor_key).status_code == 200


def test_rotation_under_a_limit_and_its_refusals(setup: Setup, catalog: Catalog) -> None:
    setup.portal.settings(maxCredentialLifetimeDays=7)
    # An unlimited key's successor gets the limit; a long one's is cut to it.
    capped = rotate(setup, setup.key.id, 60)["credential"]["expiresAt"]
    assert abs(at(capped) - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)

    for grace in (-1, 30 * 86400 + 1):
        variables = {"id": setup.key.id, "grace": grace}
        assert code_of(setup, ROTATE, variables) == "BAD_USER_INPUT"
    stranger = setup.portal.developer("grace@example.com")
    refused = setup.api.error(ROTATE, {"id": setup.key.id, "grace": 0}, stranger.token)
    assert refused.code == "NOT_FOUND"
    assert setup.check().status_code == 200  # the refused rotation changed nothing


def test_an_expired_key_is_401_on_an_uncached_check_too(setup: Setup, clock: MovableClock) -> None:
    key = generate(setup, expiresAt=in_days(1))["key"]
    clock.advance(timedelta(days=1, seconds=1))
    assert_refused(verify(setup.client, setup.version, key), 401, BAD_KEY)
    assert_refused(verify(setup.client, ("weather", "v9"), key), 401, BAD_KEY)
