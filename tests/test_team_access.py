"""Every role on a team application and its team, for every operation: allowed, or
NOT_FOUND / FORBIDDEN as behaviour.md's "Teams" says.

The roles: the team's ``owner`` and ``member``; ``former``, who created the
world's application, registration and key while a member and was then removed
(a team application's ``owner`` keeps no right from that); an ``outsider``; an
``admin``. Operations that change something act on a target made for the cell
by the team's owner, so no cell depends on another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import fresh_database, make_settings, portal_on
from tests.flows import Catalog, DeveloperLogin, Portal, Teams, Version
from tests.support import Api, SmtpServer, free_port

OK, NULL, LISTED, ABSENT = "data", "null", "listed", "absent"
NOT_FOUND, FORBIDDEN, CONFLICT = "NOT_FOUND", "FORBIDDEN", "CONFLICT"
ROLES = ("owner", "member", "former", "outsider", "admin")


def expect(owner: str, member: str, admin: str, gone: str = NOT_FOUND) -> dict[str, str]:
    """Former members and outsiders get ``gone``: for them the team does not exist."""
    return {"owner": owner, "member": member, "former": gone, "outsider": gone, "admin": admin}


READ = expect(OK, OK, OK)
NODE = expect(OK, OK, OK, gone=NULL)
USE = expect(OK, OK, FORBIDDEN)  # admins are not developers
MANAGE = expect(OK, FORBIDDEN, FORBIDDEN)
REVOKE = expect(OK, OK, OK)  # admins may revoke any key


@dataclass
class World:
    api: Api
    catalog: Catalog
    teams: Teams
    tokens: dict[str, str]
    owner: DeveloperLogin
    member: DeveloperLogin
    team: str
    version: Version
    app: str  # made by ``former`` while a member
    registration: str
    key: str
    serial: Iterator[int]

    def tag(self, what: str) -> str:
        return f"{what}-{next(self.serial)}"

    def new_app(self) -> str:
        return self.teams.application(self.owner.token, self.team, self.tag("app"))

    def new_registration(self) -> str:
        return str(self.catalog.register(self.owner.token, self.new_app(), self.version)["id"])

    def new_key(self) -> str:
        return self.catalog.key(self.owner.token, self.new_app()).id

    def new_member(self) -> str:
        developer = self.catalog.portal.developer(f"{self.tag('joiner')}@team.test")
        self.teams.join(self.owner.token, self.team, developer)
        return developer.id


Variables = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    expected: dict[str, str]
    variables: Variables


def _app(w: World) -> dict[str, Any]:
    return {"id": w.app}


NODE_Q = "query($id: ID!) { node(id: $id) { id } }"
CASES = [
    Case("application", "query($id: ID!) { application(id: $id) { id } }", READ, _app),
    Case("node Application", NODE_Q, NODE, _app),
    Case("node Registration", NODE_Q, NODE, lambda w: {"id": w.registration}),
    Case("node Credential", NODE_Q, NODE, lambda w: {"id": w.key}),
    Case(
        "myApplications",
        "{ myApplications { nodes { id } } }",
        expect(LISTED, LISTED, FORBIDDEN, gone=ABSENT),
        _app,
    ),
    Case(
        "team",
        "query($id: ID!) { team(id: $id) { id applications { nodes { id } } } }",
        READ,
        lambda w: {"id": w.team},
    ),
    Case("node Team", NODE_Q, NODE, lambda w: {"id": w.team}),
    Case(
        "createApplication in the team",
        "mutation($i: ApplicationInput!) { createApplication(input: $i) { id } }",
        USE,
        lambda w: {"i": {"name": "N", "referenceId": w.tag("new"), "teamId": w.team}},
    ),
    Case(
        "updateApplication",
        "mutation($id: ID!, $i: ApplicationInput!) { updateApplication(id: $id, input: $i) "
        "{ id } }",
        USE,
        lambda w: {"id": w.new_app(), "i": {"name": "R", "referenceId": w.tag("renamed")}},
    ),
    Case(
        "registerApplication",
        "mutation($id: ID!, $v: ID!) { registerApplication(applicationId: $id, "
        "serviceVersionId: $v) { id } }",
        USE,
        lambda w: {"id": w.new_app(), "v": w.version.id},
    ),
    Case(
        "unregisterApplication",
        "mutation($id: ID!) { unregisterApplication(registrationId: $id) }",
        USE,
        lambda w: {"id": w.new_registration()},
    ),
    Case(
        "generateCredential",
        "mutation($id: ID!) { generateCredential(applicationId: $id) { key } }",
        USE,
        lambda w: {"id": w.new_app()},
    ),
    Case(
        "revokeCredential",
        "mutation($id: ID!) { revokeCredential(id: $id) }",
        REVOKE,
        lambda w: {"id": w.new_key()},
    ),
    Case(
        "deleteApplication",
        "mutation($id: ID!) { deleteApplication(id: $id) }",
        MANAGE,
        lambda w: {"id": w.new_app()},
    ),
    Case(
        "moveApplication",
        "mutation($id: ID!) { moveApplication(id: $id, teamId: null) { id } }",
        MANAGE,
        lambda w: {"id": w.new_app()},
    ),
    Case(
        "renameTeam",
        'mutation($id: ID!) { renameTeam(id: $id, name: "Platform") { id } }',
        MANAGE,
        lambda w: {"id": w.team},
    ),
    Case(
        "inviteToTeam",
        "mutation($id: ID!, $e: String!) { inviteToTeam(teamId: $id, email: $e) { id } }",
        MANAGE,
        lambda w: {"id": w.team, "e": f"{w.tag('guest')}@team.test"},
    ),
    Case(
        "setTeamMemberRole",
        "mutation($id: ID!, $d: ID!) { setTeamMemberRole(teamId: $id, developerId: $d, "
        "role: MEMBER) { id } }",
        MANAGE,
        lambda w: {"id": w.team, "d": w.member.id},
    ),
    Case(
        "removeTeamMember",
        "mutation($id: ID!, $d: ID!) { removeTeamMember(teamId: $id, developerId: $d) { id } }",
        MANAGE,
        lambda w: {"id": w.team, "d": w.new_member()},
    ),
    Case(
        "deleteTeam holding applications",
        "mutation($id: ID!) { deleteTeam(id: $id) }",
        expect(CONFLICT, FORBIDDEN, FORBIDDEN),
        lambda w: {"id": w.team},
    ),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = fresh_database(tmp_path_factory.mktemp("team_access"))
    smtp = SmtpServer(free_port()).start()
    try:
        with TestClient(create_app(make_settings(url, smtp.port))) as client:
            portal = portal_on(client, smtp)
            yield _seed(portal)
    finally:
        smtp.stop()


def _seed(portal: Portal) -> World:
    catalog, teams = Catalog(portal), Teams(portal)
    people = {role: portal.developer(f"{role}@team.test") for role in ROLES[:4]}
    owner, member, former = people["owner"], people["member"], people["former"]
    team = teams.create(owner.token)
    teams.join(owner.token, team, member)
    teams.join(owner.token, team, former)
    version = catalog.service()
    app = teams.application(former.token, team, "made-by-former")
    registration = catalog.register(former.token, app, version)["id"]
    key = catalog.key(former.token, app).id
    teams.remove(owner.token, team, former)
    tokens = {role: person.token for role, person in people.items()}
    return World(
        api=portal.api,
        catalog=catalog,
        teams=teams,
        tokens={**tokens, "admin": portal.admin},
        owner=owner,
        member=member,
        team=team,
        version=version,
        app=app,
        registration=registration,
        key=key,
        serial=iter(range(1_000_000)),
    )


def _outcome(payload: dict[str, Any], case: Case, variables: dict[str, Any]) -> str:
    errors = payload.get("errors")
    if errors:
        return "+".join(sorted({str(e.get("extensions", {}).get("code")) for e in errors}))
    answer = next(iter(payload["data"].values()))
    if case.expected["owner"] == LISTED:
        return LISTED if {"id": variables["id"]} in answer["nodes"] else ABSENT
    return OK if answer is not None else NULL


@pytest.mark.parametrize(
    ("case", "role"),
    [pytest.param(case, role, id=f"{case.name}-{role}") for case in CASES for role in ROLES],
)
def test_role_on_a_team_application(world: World, case: Case, role: str) -> None:
    variables = case.variables(world)
    payload = world.api.post(case.document, variables, world.tokens[role]).json()
    assert _outcome(payload, case, variables) == case.expected[role], payload


def test_every_team_operation_has_a_row() -> None:
    """The team area's root fields, and every operation on an application, have a row."""
    names = {case.name.split()[0] for case in CASES}
    assert {
        "team",
        "createApplication",
        "updateApplication",
        "deleteApplication",
        "moveApplication",
        "registerApplication",
        "unregisterApplication",
        "generateCredential",
        "revokeCredential",
        "renameTeam",
        "deleteTeam",
        "inviteToTeam",
        "setTeamMemberRole",
        "removeTeamMember",
    } <= names
