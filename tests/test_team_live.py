"""Team members see their team's applications live; a removed member stops at once.

Their subscription to a team application ends (NOT_FOUND), a subscription to
everything shows the team's events no more, and their next operation is
refused: in one process (SQLite or PostgreSQL), and on PostgreSQL with the
member subscribed on one process and removed through another.
"""

from __future__ import annotations

import httpx2
import pytest

from tests.conftest import POSTGRES_URL, portal_on
from tests.flows import Teams
from tests.live import Live, ended
from tests.servers import GraphQLWebSocket, ServerProcess, graphql_websocket
from tests.support import Api, SmtpServer

EVENTS = """
subscription($app: ID) { registrationEvents(applicationId: $app) {
  kind registration { application { referenceId team { name } } } } }
"""
ONE = "query($id: ID!) { application(id: $id) { id } }"


def _reference(feed: GraphQLWebSocket) -> str:
    event = feed.next_payload()["data"]["registrationEvents"]
    return str(event["registration"]["application"]["referenceId"])


def test_members_see_the_team_live_until_removed(live: Live) -> None:
    teams, catalog = Teams(live.portal), live.catalog
    ada, bob = live.portal.developer("ada@example.com"), live.portal.developer("bob@example.com")
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob)
    version = catalog.service()
    shared = teams.application(ada.token, team, "shared")
    own = catalog.application(bob.token, "bobs-own")
    one = live.subscribe(bob.token, EVENTS, {"app": shared})
    every = live.subscribe(bob.token, EVENTS)

    catalog.register(ada.token, shared, version)  # the owner acts: the member sees it
    event = one.next_payload()["data"]["registrationEvents"]
    assert event["registration"]["application"] == {
        "referenceId": "shared",
        "team": {"name": "Platform"},
    }
    assert _reference(every) == "shared"

    teams.remove(ada.token, team, bob)
    assert ended(one) == "NOT_FOUND"
    catalog.register(ada.token, teams.application(ada.token, team, "later"), version)
    catalog.register(bob.token, own, version)
    assert _reference(every) == "bobs-own"  # in order: the team's event never came
    assert live.portal.api.error(ONE, {"id": shared}, bob.token).code == "NOT_FOUND"


def test_a_moved_application_follows_its_team_live(live: Live) -> None:
    teams, catalog = Teams(live.portal), live.catalog
    ada, bob = live.portal.developer("ada@example.com"), live.portal.developer("bob@example.com")
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob)
    app = catalog.application(ada.token, "moving")
    feed = live.subscribe(bob.token, EVENTS)
    move = "mutation($id: ID!, $t: ID) { moveApplication(id: $id, teamId: $t) { id } }"
    live.portal.api.data(move, {"id": app, "t": team}, ada.token)
    one = live.subscribe(bob.token, EVENTS, {"app": app})
    catalog.register(ada.token, app, catalog.service())
    assert _reference(feed) == "moving"
    assert _reference(one) == "moving"
    live.portal.api.data(move, {"id": app, "t": None}, ada.token)
    assert ended(one) == "NOT_FOUND"


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)")
def test_a_member_removed_on_one_process_loses_access_on_another(
    two_servers: tuple[ServerProcess, ServerProcess], smtp: SmtpServer
) -> None:
    a, b = two_servers
    with httpx2.Client(base_url=a.url) as on_a, httpx2.Client(base_url=b.url) as on_b:
        portal = portal_on(on_b, smtp)
        teams = Teams(portal)
        ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
        team = teams.create(ada.token)
        teams.join(ada.token, team, bob)
        shared = teams.application(ada.token, team, "shared")
        assert Api(on_a).data(ONE, {"id": shared}, bob.token) == {"application": {"id": shared}}
        with graphql_websocket(a.url, bob.token) as feed:
            assert feed.acknowledged()
            feed.subscribe(EVENTS, {"app": shared})
            a.wait_for_line("subscriber joined")
            teams.remove(ada.token, team, bob)  # on b
            assert ended(feed) == "NOT_FOUND"
        assert Api(on_a).error(ONE, {"id": shared}, bob.token).code == "NOT_FOUND"
        key = "mutation($id: ID!) { generateCredential(applicationId: $id) { key } }"
        assert Api(on_a).error(key, {"id": shared}, bob.token).code == "NOT_FOUND"
