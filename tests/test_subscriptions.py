"""Subscriptions over real WebSockets against a real uvicorn server: who sees which events
(how they end, and what they cost: test_subscriptions_ending, _costs)."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.flows import UNREGISTER, Portal
from tests.live import DEVELOPERS, EVENTS, Live, registered
from tests.servers import LEGACY_WS
from tests.support import watching


def test_a_developer_sees_approval_live_and_nothing_of_others(live: Live) -> None:
    ada, ada_app, registration = registered(live, "ada@example.com", "ada-app")
    bob = live.portal.developer("bob@example.com")
    ada_feed = live.subscribe(ada.token, variables={"app": ada_app})
    bob_feed = live.subscribe(bob.token)

    live.catalog.decide("approveRegistration", registration["id"])
    event = ada_feed.next_payload(timeout=1.0)["data"]["registrationEvents"]
    assert event["kind"] == "APPROVED"
    assert event["registration"]["id"] == registration["id"]
    assert event["registration"]["status"] == "APPROVED"
    assert event["registration"]["application"]["referenceId"] == "ada-app"
    assert event["registration"]["serviceVersion"] == {"name": "v1", "service": {"slug": "weather"}}

    # Events arrive in order: Bob's first event is his own, so Ada's never reached him.
    bob_app = live.catalog.application(bob.token, "bob-app")
    live.catalog.register(bob.token, bob_app, live.catalog.service("maps"))
    bobs = bob_feed.next_payload()["data"]["registrationEvents"]
    assert bobs["kind"] == "CREATED"
    assert bobs["registration"]["application"]["referenceId"] == "bob-app"
    ada_feed.close()
    bob_feed.close()


def test_admins_see_every_registration_event(live: Live) -> None:
    feed = live.subscribe(live.portal.admin)
    dev, _, registration = registered(live, "ada@example.com", "ada-app")
    created = feed.next_payload()["data"]["registrationEvents"]
    assert (created["kind"], created["registration"]["status"]) == ("CREATED", "PENDING")
    live.portal.api.data(UNREGISTER, {"id": registration["id"]}, dev.token)
    gone = feed.next_payload()["data"]["registrationEvents"]
    assert gone["kind"] == "UNREGISTERED"
    assert gone["registration"]["application"]["referenceId"] == "ada-app"


def test_an_event_about_a_deleted_application_still_names_it(live: Live) -> None:
    dev, app_id, _ = registered(live, "ada@example.com", "ada-app")
    feed = live.subscribe(live.portal.admin)
    live.portal.api.data(
        "mutation($id: ID!) { deleteApplication(id: $id) }", {"id": app_id}, dev.token
    )
    event = feed.next_payload()
    assert "errors" not in event, event
    assert event["data"]["registrationEvents"]["kind"] == "UNREGISTERED"
    assert event["data"]["registrationEvents"]["registration"]["application"]["name"] == "My App"


def test_the_older_graphql_ws_protocol_works_too(live: Live) -> None:
    ada, ada_app, registration = registered(live, "ada@example.com", "ada-app")
    feed = live.subscribe(ada.token, variables={"app": ada_app}, protocol=LEGACY_WS)
    live.catalog.decide("rejectRegistration", registration["id"])
    event = feed.next_payload()["data"]["registrationEvents"]
    assert (event["kind"], event["registration"]["status"]) == ("REJECTED", "REJECTED")


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_missing_or_bad_token_closes_the_connection(live: Live, token: str | None) -> None:
    subscriber = live.subscriber(token)
    with pytest.raises(ConnectionClosed) as closed:
        subscriber.receive()
    assert subscriber.ws.close_code == 4403, closed.value
    legacy = live.subscriber(token, LEGACY_WS)
    assert legacy.receive()["type"] == "connection_error"


def test_another_developers_application_is_an_error_not_a_feed(live: Live) -> None:
    _, ada_app, _ = registered(live, "ada@example.com", "ada-app")
    bob = live.portal.developer("bob@example.com")
    feed = live.subscriber(bob.token)
    assert feed.acknowledged()
    feed.subscribe(EVENTS, {"app": ada_app})
    message = feed.receive()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


def test_developer_status_changes_are_for_admins(live: Live) -> None:
    feed = live.subscribe(live.portal.admin, DEVELOPERS)
    live.portal.sign_up("new@example.com")
    live.portal.confirm("new@example.com")
    changed = feed.next_payload()["data"]["developerStatusChanged"]
    assert (changed["email"], changed["status"]) == ("new@example.com", "PENDING")
    live.portal.decide("approveDeveloper", changed["id"])
    assert feed.next_payload()["data"]["developerStatusChanged"]["status"] == "APPROVED"

    dev = live.portal.log_in("new@example.com")
    refused = live.subscriber(dev)
    assert refused.acknowledged()
    refused.subscribe(DEVELOPERS)
    message = refused.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_a_subscription_over_plain_http_is_bad_input_not_a_bug(portal: Portal) -> None:
    """It needs a WebSocket; Strawberry ran it as a query, which failed inside."""
    developer = portal.developer("ada@example.com")
    query = "subscription { registrationEvents { kind } }"
    client, headers = portal.api.client, {"Authorization": f"Bearer {developer.token}"}
    with watching("devportal.graphql", "unexpected") as logged:
        answers = {
            "POST": client.post("/graphql", json={"query": query}, headers=headers),
            "GET": client.get("/graphql", params={"query": query}, headers=headers),
        }
    for method, answer in answers.items():
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == f"subscriptions are not allowed when using {method}"
    assert logged.records == []
