"""Teams: invitations by mail, roles, the last owner, team applications, their mail,
the gateway's team header, and caches that see a membership change on the next call.

Who may do what on a team application is tests/test_team_access.py; live
subscriptions of removed members are tests/test_team_live.py.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient
from strawberry.relay import from_base64, to_base64

from devportal.app import create_app
from tests.conftest import MovableClock, make_settings, portal_on
from tests.flows import ACCEPT_INVITATION, PASSWORD, REMOVE_MEMBER, Catalog, Portal, Teams
from tests.support import Api, SmtpServer, body
from tests.test_expiry_warnings import GENERATE, in_days
from tests.test_oauth import World

MY_APPS = "{ myApplications { nodes { id team { id name } } } }"
TEAM = """query($id: ID!) { team(id: $id) {
  name members { developer { email } role } pendingInvitations { email role }
  applications { totalCount } } }"""
ROLE = """mutation($team: ID!, $dev: ID!, $role: TeamRole!) {
  setTeamMemberRole(teamId: $team, developerId: $dev, role: $role) { id } }"""
MOVE = """mutation($id: ID!, $team: ID) {
  moveApplication(id: $id, teamId: $team) { id owner { email } team { id } } }"""
DELETE_TEAM = "mutation($id: ID!) { deleteTeam(id: $id) }"
DELETE_APP = "mutation($id: ID!) { deleteApplication(id: $id) }"


def _team(api: Api, token: str, team_id: str) -> dict[str, object]:
    return dict(api.data(TEAM, {"id": team_id}, token)["team"])


def test_an_invitation_is_mailed_used_once_and_only_by_the_invited_address(
    portal: Portal, api: Api
) -> None:
    teams = Teams(portal)
    ada, bob, eve = (portal.developer(f"{n}@example.com") for n in ("ada", "bob", "eve"))
    team = teams.create(ada.token)
    invite = "mutation($t: ID!, $e: String!) { inviteToTeam(teamId: $t, email: $e) { email role } }"
    invited = api.data(invite, {"t": team, "e": " Bob@Example.com "}, ada.token)["inviteToTeam"]
    assert invited == {"email": "bob@example.com", "role": "MEMBER"}
    mail = portal.inbox.wait_for("bob@example.com", "Join the team Platform")
    assert "http://portal.test/team-invitation?token=" in body(mail)
    token = body(mail).split("token=")[1].split()[0]
    assert _team(api, ada.token, team)["pendingInvitations"] == [
        {"email": "bob@example.com", "role": "MEMBER"}
    ]

    refused = api.error(ACCEPT_INVITATION, {"token": token}, eve.token)
    assert refused.code == "FORBIDDEN"
    api.data(ACCEPT_INVITATION, {"token": token}, bob.token)  # still usable by bob
    assert api.error(ACCEPT_INVITATION, {"token": token}, bob.token).code == "INVALID_TOKEN"
    assert api.error(ACCEPT_INVITATION, {"token": "x" * 500}, bob.token).code == "INVALID_TOKEN"
    seen = _team(api, bob.token, team)
    assert seen["members"] == [
        {"developer": {"email": "ada@example.com"}, "role": "OWNER"},
        {"developer": {"email": "bob@example.com"}, "role": "MEMBER"},
    ]
    assert seen["pendingInvitations"] == []  # members see none
    assert _team(api, ada.token, team)["pendingInvitations"] == []  # accepted: gone
    assert api.error(TEAM, {"id": team}, eve.token).code == "NOT_FOUND"
    assert api.data("{ myTeams { id } }", token=bob.token) == {"myTeams": [{"id": team}]}


def test_an_invitation_expires_after_7_days(portal: Portal, api: Api, clock: MovableClock) -> None:
    teams = Teams(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    token = teams.invite(ada.token, team, bob.email)
    clock.advance(timedelta(days=7, seconds=1))  # sessions last 7 days too: log in again
    owner, invited = portal.log_in(ada.email), portal.log_in(bob.email)
    assert _team(api, owner, team)["pendingInvitations"] == []
    assert api.error(ACCEPT_INVITATION, {"token": token}, invited).code == "INVALID_TOKEN"


def test_the_last_owner_is_protected_and_a_team_with_applications_stays(
    portal: Portal, api: Api
) -> None:
    teams = Teams(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob)
    demote = {"team": team, "dev": ada.id, "role": "MEMBER"}
    assert api.error(ROLE, demote, ada.token).code == "CONFLICT"
    leave = {"team": team, "dev": ada.id}
    assert api.error(REMOVE_MEMBER, leave, ada.token).code == "CONFLICT"
    assert api.error(ROLE, {**demote, "dev": bob.id, "role": "OWNER"}, bob.token).code == (
        "FORBIDDEN"
    )
    api.data(ROLE, {**demote, "dev": bob.id, "role": "OWNER"}, ada.token)
    api.data(REMOVE_MEMBER, leave, ada.token)  # two owners: one may leave
    assert api.error(TEAM, {"id": team}, ada.token).code == "NOT_FOUND"

    app = teams.application(bob.token, team, "team-app")
    assert api.error(DELETE_TEAM, {"id": team}, bob.token).code == "CONFLICT"
    api.data(DELETE_APP, {"id": app}, bob.token)
    assert api.data(DELETE_TEAM, {"id": team}, bob.token) == {"deleteTeam": team}
    assert api.data("{ myTeams { id } }", token=bob.token) == {"myTeams": []}


def test_moving_an_application_shares_it_and_back_unshares_it(portal: Portal, api: Api) -> None:
    teams, catalog = Teams(portal), Catalog(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob)
    app = catalog.application(bob.token, "bobs-app")
    outsider_team = teams.create(ada.token, "Other")
    assert api.error(MOVE, {"id": app, "team": outsider_team}, bob.token).code == "NOT_FOUND"

    moved = api.data(MOVE, {"id": app, "team": team}, bob.token)["moveApplication"]
    assert moved == {"id": app, "owner": {"email": bob.email}, "team": {"id": team}}
    assert {"id": app, "team": {"id": team, "name": "Platform"}} in api.data(
        MY_APPS, token=ada.token
    )["myApplications"]["nodes"]
    assert api.error(MOVE, {"id": app, "team": None}, bob.token).code == "FORBIDDEN"
    back = api.data(MOVE, {"id": app, "team": None}, ada.token)["moveApplication"]
    assert back == {"id": app, "owner": {"email": ada.email}, "team": None}
    assert api.data(MY_APPS, token=bob.token) == {"myApplications": {"nodes": []}}


def test_owners_get_the_team_applications_mail_and_the_gateway_names_the_team(
    portal: Portal, api: Api
) -> None:
    teams, catalog = Teams(portal), Catalog(portal)
    ada, bob, cy = (portal.developer(f"{n}@example.com") for n in ("ada", "bob", "cy"))
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob, "OWNER")
    teams.join(ada.token, team, cy)
    version = catalog.service()
    app = teams.application(cy.token, team, "shared")
    registration = catalog.register(cy.token, app, version)
    catalog.decide("approveRegistration", registration["id"])
    for owner in (ada, bob):
        assert "approved" in body(portal.inbox.wait_for(owner.email, "Team App: access"))
    assert not [
        m for m in portal.inbox.drain() if m["To"] == cy.email and "Team App" in m["Subject"]
    ]

    key = catalog.key(cy.token, app)
    allowed = api.client.get("/gateway/verify/weather/v1", headers={"apikey": key.key})
    assert allowed.status_code == 200
    assert allowed.headers["X-Consumer-Team-Id"] == to_base64("Team", from_base64(team)[1])
    personal = catalog.approved_key(ada.token, catalog.service("maps"), "personal")
    plain = api.client.get("/gateway/verify/maps/v1", headers={"apikey": personal.key})
    assert plain.status_code == 200
    assert "X-Consumer-Team-Id" not in plain.headers


def test_the_gateway_names_the_team_for_a_bearer_token_too(portal: Portal, api: Api) -> None:
    world = World(portal, Catalog(portal))
    team = Teams(portal).create(world.dev.token)
    token = world.access_token(audience="maps/v2")
    personal = world.check(token, world.v2)
    assert personal.status_code == 200, personal.text
    assert "X-Consumer-Team-Id" not in personal.headers

    api.data(MOVE, {"id": world.app_id, "team": team}, world.dev.token)
    shared = world.check(token, world.v2)  # the move is seen on the very next call
    assert shared.status_code == 200, shared.text
    assert shared.headers["X-Consumer-Team-Id"] == to_base64("Team", from_base64(team)[1])


def test_a_membership_change_is_seen_on_the_next_call_despite_the_caches(
    portal: Portal, api: Api
) -> None:
    teams = Teams(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    app = teams.application(ada.token, team, "shared")
    one = "query($id: ID!) { application(id: $id) { id } }"
    for _ in range(2):  # the second answer comes from memory
        assert api.data(MY_APPS, token=bob.token) == {"myApplications": {"nodes": []}}
        assert api.error(one, {"id": app}, bob.token).code == "NOT_FOUND"
    teams.join(ada.token, team, bob)
    for _ in range(2):
        assert len(api.data(MY_APPS, token=bob.token)["myApplications"]["nodes"]) == 1
        assert api.data(one, {"id": app}, bob.token) == {"application": {"id": app}}
    teams.remove(ada.token, team, bob)
    assert api.data(MY_APPS, token=bob.token) == {"myApplications": {"nodes": []}}
    assert api.error(one, {"id": app}, bob.token).code == "NOT_FOUND"
    invitations = "{ me { ... on Developer { teams { pendingInvitations { email } } } } }"
    for _ in range(2):
        assert api.data(invitations, token=ada.token)["me"]["teams"] == [{"pendingInvitations": []}]
    teams.invite(ada.token, team, bob.email)
    assert api.data(invitations, token=ada.token)["me"]["teams"] == [
        {"pendingInvitations": [{"email": bob.email}]}
    ]


def test_team_owners_are_warned_of_a_team_key_about_to_expire(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = make_settings(database_url, smtp.port, housekeeping_interval_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        portal = portal_on(client, smtp)
        teams = Teams(portal)
        ada, bob, cy = (portal.developer(f"{n}@example.com") for n in ("ada", "bob", "cy"))
        team = teams.create(ada.token)
        teams.join(ada.token, team, bob, "OWNER")
        teams.join(ada.token, team, cy)
        app = teams.application(cy.token, team, "shared")
        portal.api.data(GENERATE, {"app": app, "expiresAt": in_days(3)}, cy.token)
        for owner in (ada, bob):
            assert "Team App" in body(portal.inbox.wait_for(owner.email, "expires"))
        to_cy = [m for m in portal.inbox.drain() if m["To"] == cy.email]
        assert not [m for m in to_cy if "expires" in str(m["Subject"])]


def test_the_invitation_link_opens_a_page_that_joins_on_submit(portal: Portal, api: Api) -> None:
    teams = Teams(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    token = teams.invite(ada.token, team, bob.email)
    shown = api.client.get(f"/team-invitation?token={token}")
    assert shown.status_code == 200
    assert f'value="{token}"' in shown.text
    assert _team(api, ada.token, team)["pendingInvitations"] != []  # opening spent nothing
    form = {"token": token, "email": bob.email, "password": "not the password"}
    wrong = api.client.post("/team-invitation", data=form)
    assert wrong.status_code == 400
    assert f'value="{token}"' in wrong.text  # the form again, still usable
    joined = api.client.post("/team-invitation", data={**form, "password": PASSWORD})
    assert joined.status_code == 200
    assert "member of the team Platform" in joined.text
    assert api.data("{ myTeams { id } }", token=bob.token) == {"myTeams": [{"id": team}]}


def test_an_erased_owners_team_application_stays_with_the_team(portal: Portal, api: Api) -> None:
    teams = Teams(portal)
    ada, bob = portal.developer("ada@example.com"), portal.developer("bob@example.com")
    team = teams.create(ada.token)
    teams.join(ada.token, team, bob)
    app = teams.application(ada.token, team, "shared")
    erase = "mutation($id: ID!) { deleteDeveloper(id: $id) }"
    api.data(erase, {"id": ada.id}, portal.admin)
    mine = "{ myApplications { nodes { id owner { email } } } }"
    assert api.data(mine, token=bob.token)["myApplications"]["nodes"] == [
        {"id": app, "owner": {"email": bob.email}}
    ]
    assert _team(api, bob.token, team)["members"] == [
        {"developer": {"email": bob.email}, "role": "OWNER"}
    ]
