"""Who may call what: every root field of the schema by every kind of caller.

``CASES`` holds, for each query, mutation and subscription, an operation on
real objects of one seeded world, and what each actor must get: data
(``OK``), a null answer (``NULL``), or an error code. A root field without a
row fails ``test_every_root_field_has_a_row``; each (row, actor) cell is a test
of its own, named ``field[case]-actor``.

The actors:

- ``anonymous``: no Authorization header; ``garbage``: ``Bearer not-a-token``.
- ``unconfirmed`` (signed up, never confirmed) and ``pending`` (confirmed, not
  approved) cannot log in, so they never hold a session. They carry the only
  secret they have, their confirmation link's token (unused, and spent), as a
  bearer token: it must count for nothing, so they are anonymous callers.
- ``owner``: an approved developer who owns the world's application,
  registration and key; ``other``: another approved developer.
- ``revoked``: logged in while approved, then revoked by an admin: that token.
- ``admin``.

One world is seeded per module. A row whose operation changes something gets
a new target (a pending developer, an application, a key, a registration, a
session) for each actor it must let through, and one target shared by all the
actors it must refuse: each of them meets it untouched, unless the server let
an earlier one through, which fails that earlier cell. So no cell's outcome
depends on which cells ran before it while the server is right.
Subscriptions run over a real WebSocket: refused at ``connection_init``
(close code 4403), an error as the first message, or started (the server logs
"subscriber joined").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx2
import pytest
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.schema import sdl
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, fresh_database, make_settings
from tests.flows import CONFIRM, LOG_IN, PASSWORD, Catalog, DeveloperLogin, Portal, Teams, Version
from tests.receiver import UPDATE as UPDATE_WEBHOOK
from tests.receiver import create_webhook, deliveries
from tests.servers import GraphQLWebSocket, graphql_websocket, threaded_server
from tests.support import (
    WAIT,
    Api,
    LogCounter,
    SmtpServer,
    attached,
    free_port,
    token_from,
)

OK = "data"  # no error, a non-null answer
NULL = "null"  # no error, a null answer
STARTS = "starts"  # a subscription that is listening
REFUSED = "refused (4403)"  # a WebSocket closed at connection_init
UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"
WRONG_PASSWORD = "INVALID_CREDENTIALS"

LOGGED_OUT = ("anonymous", "garbage", "unconfirmed", "pending", "revoked")
ACTORS = ("anonymous", "garbage", "unconfirmed", "pending", "owner", "other", "revoked", "admin")


def expect(logged_out: str, owner: str, other: str, admin: str) -> dict[str, str]:
    """One row's outcomes: the callers without a session all get ``logged_out``."""
    return {**dict.fromkeys(LOGGED_OUT, logged_out), "owner": owner, "other": other, "admin": admin}


ANYONE = expect(OK, OK, OK, OK)
ADMINS = expect(UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, OK)
DEVELOPERS = expect(UNAUTHENTICATED, OK, OK, FORBIDDEN)
OWNER = expect(UNAUTHENTICATED, OK, NOT_FOUND, FORBIDDEN)  # the owner's objects
NODE = expect(NULL, OK, NULL, OK)  # node(id) of the owner's objects
BAD_TOKEN = dict.fromkeys(ACTORS, "INVALID_TOKEN")  # a made-up token, whoever sends it
SHARED = "refused"  # stands for every caller of a row that the server must refuse


@dataclass
class World:
    """What the cells act on, and the factories of one-shot targets."""

    url: str
    portal: Portal
    catalog: Catalog
    joined: LogCounter
    tokens: dict[str, str | None]
    owner: DeveloperLogin
    other: DeveloperLogin
    admin_id: str
    weather: Version  # published, registration by an admin's approval
    hidden: Version  # an unpublished service
    spare: Version  # what the admin-only catalog mutations change
    app: str  # the owner's application
    registration: str  # its pending registration for weather v1
    key: str  # one of its keys
    team: str  # the owner's team
    webhook: str  # disabled, to a local port where nothing listens
    delivery: str  # one of its deliveries
    joins: int = 0
    _serial: Iterator[int] = field(default_factory=itertools.count)
    _shared: dict[str, str] = field(default_factory=dict)
    _accounts: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> Api:
        return self.portal.api

    def tag(self, what: str, actor: str) -> str:
        return f"{what}-{actor}-{next(self._serial)}"

    def email(self, what: str, actor: str) -> str:
        return f"{self.tag(what, actor)}@matrix.test"

    def confirm_token(self, email: str) -> str:
        self.portal.sign_up(email)
        return token_from(self.portal.inbox.wait_for(email, "Confirm your email"))

    def confirmable(self, who: str) -> str:
        """A confirmation link's token, of an account that ``reset_token`` may reuse."""
        email = self.email("confirm", who)
        token = self.confirm_token(email)
        self._accounts[who] = email
        return token

    def target(self, kind: str, who: str, make: Callable[[], str]) -> str:
        """A new target for a caller who may change it; one, shared, for those who may not:
        the server must leave it as it was, so each of them meets it untouched."""
        if who != SHARED:
            return make()
        if kind not in self._shared:
            self._shared[kind] = make()
        return self._shared[kind]

    def _pending(self, who: str) -> str:
        token = self.confirm_token(self.email("pending", who))
        return str(self.api.data(CONFIRM, {"token": token})["confirmEmail"]["id"])

    def pending_developer(self, who: str) -> str:
        return self.target("pending developer", who, lambda: self._pending(who))

    def approved_developer(self, who: str) -> str:
        def make() -> str:
            return str(self.portal.decide("approveDeveloper", self._pending(who))["id"])

        return self.target("approved developer", who, make)

    def reset_token(self, who: str) -> str:
        """A reset link's token. Of the account that ``confirmable`` made for ``who`` if
        there is one: its confirmation is done by now, and a reset works either way."""
        email = self._accounts.pop(who, "")
        if not email:
            email = self.email("reset", who)
            self.portal.sign_up(email)
        self.api.data("mutation($e: String!) { requestPasswordReset(email: $e) }", {"e": email})
        return token_from(self.portal.inbox.wait_for(email, "Reset your password"))

    def _app(self, who: str) -> str:
        return self.catalog.application(self.owner.token, self.tag("app", who))

    def new_app(self, who: str) -> str:
        return self.target("application", who, lambda: self._app(who))

    def new_key(self, who: str) -> str:
        return self.target(
            "key", who, lambda: self.catalog.key(self.owner.token, self._app(who)).id
        )

    def new_client(self, who: str) -> str:
        def make() -> str:
            query = (
                "mutation($a: ID!) { generateClientCredential(applicationId: $a) "
                "{ credential { id } } }"
            )
            data = self.api.data(query, {"a": self._app(who)}, self.owner.token)
            return str(data["generateClientCredential"]["credential"]["id"])

        return self.target("client", who, make)

    def new_webhook(self, who: str) -> str:
        return self.target(
            "webhook",
            who,
            lambda: create_webhook(self.api, self.portal.admin, **WEBHOOK_INPUT)["id"],
        )

    def new_registration(self, who: str) -> str:
        def make() -> str:
            registration = self.catalog.register(self.owner.token, self._app(who), self.weather)
            assert registration["status"] == "PENDING"
            return str(registration["id"])

        return self.target("registration", who, make)

    def new_team(self, who: str) -> str:
        return self.target("team", who, lambda: self.teams.create(self.owner.token))

    def team_with_other(self, who: str) -> str:
        """A team of the owner's with ``other`` in it: the owner removes, ``other`` leaves."""

        def make() -> str:
            team = self.teams.create(self.owner.token)
            self.teams.join(self.owner.token, team, self.other)
            return team

        return self.target("team with other", who, make)

    def invitation(self, who: str) -> str:
        """An invitation of ``other``'s team, to the owner's address."""

        def make() -> str:
            return self.teams.invite(
                self.other.token, self.teams.create(self.other.token), self.owner.email
            )

        return self.target("invitation", who, make)

    @property
    def teams(self) -> Teams:
        return Teams(self.portal)

    def session(self, actor: str) -> str | None:
        """A session of the actor's own to end, or the actor's token if they cannot get one."""
        if actor in ("owner", "other"):
            return self.portal.log_in(self.owner.email if actor == "owner" else self.other.email)
        if actor == "admin":
            answer = self.api.data(ADMIN_LOG_IN, {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD})
            return str(answer["adminLogIn"]["token"])
        if actor == "revoked":  # if the server wrongly let it end, the actor's token lives on
            return revoked_token(self.portal, self.email("revoked", actor))
        return self.tokens[actor]


def revoked_token(portal: Portal, email: str) -> str:
    """The token of a developer who logged in while approved and was then revoked."""
    developer = portal.developer(email)
    me = portal.api.data("{ me { ... on Developer { status } } }", token=developer.token)
    assert me == {"me": {"status": "APPROVED"}}
    portal.decide("revokeDeveloper", developer.id)
    return developer.token


Variables = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    document: str
    expected: dict[str, str]
    variables: Variables = lambda world, who: {}
    label: str = ""
    own_session: bool = False  # ends the session it runs in: runs in a new one

    @property
    def root(self) -> tuple[str, str]:
        """(operation type, root field) of the document: a row cannot name another field."""
        document = graphql.parse(self.document)
        (operation,) = document.definitions
        assert isinstance(operation, graphql.OperationDefinitionNode)
        (selection,) = operation.selection_set.selections
        assert isinstance(selection, graphql.FieldNode)
        return operation.operation.value, selection.name.value

    @property
    def name(self) -> str:
        return self.root[1] + (f"[{self.label}]" if self.label else "")


ADMIN_LOG_IN = (
    "mutation($e: String!, $p: String!) { adminLogIn(email: $e, password: $p) { token } }"
)
NODE_QUERY = "query($id: ID!) { node(id: $id) { id } }"
SERVICE = "query($slug: String!) { service(slug: $slug) { id } }"
APP_INPUT = {"name": "Owned", "referenceId": "owned-app"}
SERVICE_INPUT = {"slug": "spare", "name": "Spare", "description": "The spare API"}
REGISTER = """mutation($app: ID!, $v: ID!) {
  registerApplication(applicationId: $app, serviceVersionId: $v) { id } }"""
WEBHOOK_INPUT: dict[str, Any] = {
    "url": f"http://127.0.0.1:{free_port()}/in",
    "events": ["DEVELOPER_SIGNED_UP"],
    "enabled": False,
}
EVENTS = "subscription($app: ID) { registrationEvents(applicationId: $app) { kind } }"


def _id(name: str) -> Variables:
    """``{"id": <the world's attribute or factory result>}``."""

    def variables(world: World, who: str) -> dict[str, Any]:
        value = getattr(world, name)
        return {"id": value(who) if callable(value) else value}

    return variables


CASES = [
    # --- queries ---------------------------------------------------------------------------
    Case("{ me { __typename } }", expect(NULL, OK, OK, OK)),
    Case("{ portal { name } }", ANYONE),
    Case("{ pendingDevelopers { totalCount } }", ADMINS),
    Case("{ developers { totalCount } }", ADMINS),
    Case("{ catalog { totalCount } }", expect(UNAUTHENTICATED, OK, OK, OK), label="private"),
    Case(
        SERVICE,
        expect(UNAUTHENTICATED, OK, OK, OK),
        lambda w, who: {"slug": w.weather.slug},
        "published",
    ),
    Case(
        SERVICE,
        expect(UNAUTHENTICATED, NULL, NULL, OK),
        lambda w, who: {"slug": w.hidden.slug},
        "unpublished",
    ),
    Case("{ services { totalCount } }", ADMINS),
    Case("{ myApplications { totalCount } }", DEVELOPERS),
    Case(
        "query($id: ID!) { application(id: $id) { id } }",
        expect(UNAUTHENTICATED, OK, NOT_FOUND, OK),
        _id("app"),
    ),
    Case("{ myTeams { id } }", DEVELOPERS),
    Case(
        "query($id: ID!) { team(id: $id) { id } }",
        expect(UNAUTHENTICATED, OK, NOT_FOUND, OK),
        _id("team"),
    ),
    Case(NODE_QUERY, NODE, _id("team"), "Team"),
    Case("{ pendingRegistrations { totalCount } }", ADMINS),
    Case("{ registrations { totalCount } }", ADMINS),
    Case("{ auditLog { totalCount } }", ADMINS),
    Case("{ applications { totalCount } }", ADMINS),
    Case("{ admins { totalCount } }", ADMINS),
    Case(NODE_QUERY, NODE, _id("app"), "Application"),
    Case(NODE_QUERY, NODE, _id("registration"), "Registration"),
    Case(NODE_QUERY, NODE, _id("key"), "Credential"),
    Case(NODE_QUERY, NODE, lambda w, who: {"id": w.owner.id}, "Developer"),
    Case(NODE_QUERY, expect(NULL, NULL, NULL, OK), _id("admin_id"), "Admin"),
    Case(
        NODE_QUERY, expect(NULL, OK, OK, OK), lambda w, who: {"id": w.weather.service_id}, "Service"
    ),
    Case(
        NODE_QUERY,
        expect(NULL, NULL, NULL, OK),
        lambda w, who: {"id": w.hidden.service_id},
        "unpublished Service",
    ),
    Case(
        NODE_QUERY, expect(NULL, OK, OK, OK), lambda w, who: {"id": w.weather.id}, "ServiceVersion"
    ),
    Case(
        NODE_QUERY,
        expect(NULL, NULL, NULL, OK),
        lambda w, who: {"id": w.hidden.id},
        "unpublished ServiceVersion",
    ),
    Case("{ webhooks { totalCount } }", ADMINS),
    Case(NODE_QUERY, expect(NULL, NULL, NULL, OK), _id("webhook"), "Webhook"),
    Case(NODE_QUERY, expect(NULL, NULL, NULL, OK), _id("delivery"), "WebhookDelivery"),
    # --- mutations: accounts ----------------------------------------------------------------
    Case(
        "mutation($i: SignUpInput!) { signUp(input: $i) }",
        ANYONE,
        lambda w, who: {"i": {"email": w.email("new", who), "fullName": "N", "password": PASSWORD}},
    ),
    Case(
        "mutation($t: String!) { confirmEmail(token: $t) { id } }",
        ANYONE,
        lambda w, who: {"t": w.confirmable(who)},
    ),
    Case(LOG_IN, ANYONE, lambda w, who: {"email": w.owner.email, "password": PASSWORD}),
    Case(ADMIN_LOG_IN, ANYONE, lambda w, who: {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD}),
    Case("mutation { logOut }", expect(UNAUTHENTICATED, OK, OK, OK), own_session=True),
    Case(
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        ANYONE,
        lambda w, who: {"e": w.other.email},
    ),
    Case(
        "mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }",
        ANYONE,
        lambda w, who: {"t": w.reset_token(who), "p": "a brand new password"},
    ),
    Case(
        "mutation($id: ID!) { approveDeveloper(id: $id) { id } }", ADMINS, _id("pending_developer")
    ),
    Case(
        "mutation($id: ID!) { rejectDeveloper(id: $id) { id } }", ADMINS, _id("pending_developer")
    ),
    Case(
        "mutation($id: ID!) { revokeDeveloper(id: $id) { id } }", ADMINS, _id("approved_developer")
    ),
    Case(
        'mutation { updatePortalSettings(input: {name: "Matrix"}) { name } }',
        ADMINS,
    ),
    # --- mutations: catalog -----------------------------------------------------------------
    Case(
        "mutation($i: ServiceInput!) { createService(input: $i) { id } }",
        ADMINS,
        lambda w, who: {"i": {**SERVICE_INPUT, "slug": w.tag("new", who)}},
    ),
    Case(
        "mutation($id: ID!, $i: ServiceInput!) { updateService(id: $id, input: $i) { id } }",
        ADMINS,
        lambda w, who: {"id": w.spare.service_id, "i": SERVICE_INPUT},
    ),
    Case(
        "mutation($id: ID!) { publishService(id: $id, published: false) { id } }",
        ADMINS,
        lambda w, who: {"id": w.spare.service_id},
    ),
    Case(
        "mutation($id: ID!, $n: String!) { createServiceVersion(serviceId: $id, name: $n) { id } }",
        ADMINS,
        lambda w, who: {"id": w.spare.service_id, "n": w.tag("v", who)},
    ),
    Case(
        "mutation($id: ID!) { enableAppRegistration(serviceVersionId: $id) { id } }",
        ADMINS,
        lambda w, who: {"id": w.spare.id},
    ),
    Case(
        "mutation($id: ID!) { disableAppRegistration(serviceVersionId: $id) { id } }",
        ADMINS,
        lambda w, who: {"id": w.spare.id},
    ),
    # --- mutations: applications, keys, registrations ---------------------------------------
    Case(
        "mutation($i: ApplicationInput!) { createApplication(input: $i) { id } }",
        DEVELOPERS,
        lambda w, who: {"i": {"name": "New", "referenceId": w.tag("created", who)}},
    ),
    Case(
        "mutation($id: ID!, $i: ApplicationInput!) { updateApplication(id: $id, input: $i) "
        "{ id } }",
        OWNER,
        lambda w, who: {"id": w.app, "i": APP_INPUT},
    ),
    Case("mutation($id: ID!) { deleteApplication(id: $id) }", OWNER, _id("new_app")),
    Case(
        "mutation($id: ID!) { generateCredential(applicationId: $id) { key } }", OWNER, _id("app")
    ),
    Case(
        "mutation($id: ID!) { rotateCredential(id: $id, gracePeriodSeconds: 0) { key } }",
        OWNER,
        _id("new_key"),
    ),
    Case(
        "mutation($id: ID!) { generateClientCredential(applicationId: $id) { clientSecret } }",
        OWNER,
        _id("app"),
    ),
    Case(  # as for keys: admins may revoke any client credential
        "mutation($id: ID!) { revokeClientCredential(id: $id) }",
        expect(UNAUTHENTICATED, OK, NOT_FOUND, OK),
        _id("new_client"),
    ),
    Case(  # admins may revoke any key: a leaked one
        "mutation($id: ID!) { revokeCredential(id: $id) }",
        expect(UNAUTHENTICATED, OK, NOT_FOUND, OK),
        _id("new_key"),
    ),
    Case(
        REGISTER,
        OWNER,
        lambda w, who: {"app": w.new_app(who), "v": w.weather.id},
    ),
    Case(
        REGISTER,
        expect(UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, FORBIDDEN),
        lambda w, who: {"app": w.new_app(who), "v": w.hidden.id},
        "unpublished",
    ),
    Case(
        "mutation($id: ID!) { unregisterApplication(registrationId: $id) }",
        OWNER,
        _id("new_registration"),
    ),
    Case(
        "mutation($id: ID!) { approveRegistration(id: $id) { id } }",
        ADMINS,
        _id("new_registration"),
    ),
    Case(
        "mutation($id: ID!) { rejectRegistration(id: $id) { id } }", ADMINS, _id("new_registration")
    ),
    Case("mutation($id: ID!) { deleteRegistration(id: $id) }", ADMINS, _id("new_registration")),
    Case(  # a wrong current password: the cell shows who may try at all
        'mutation { changePassword(currentPassword: "wrong password!", newPassword: '
        '"never set, never") }',
        expect(UNAUTHENTICATED, WRONG_PASSWORD, WRONG_PASSWORD, WRONG_PASSWORD),
    ),
    Case("mutation { updateProfile(input: {}) { id } }", DEVELOPERS),
    Case(
        'mutation { deleteMyAccount(password: "wrong password!") }',
        expect(UNAUTHENTICATED, WRONG_PASSWORD, WRONG_PASSWORD, FORBIDDEN),
    ),
    Case("mutation($id: ID!) { deleteDeveloper(id: $id) }", ADMINS, _id("pending_developer")),
    Case(
        'mutation { requestEmailChange(newEmail: "moved@matrix.test", password: "wrong one!") }',
        expect(UNAUTHENTICATED, WRONG_PASSWORD, WRONG_PASSWORD, FORBIDDEN),
    ),
    Case('mutation { confirmEmailChange(token: "made-up") { id } }', BAD_TOKEN),
    Case(
        "mutation($e: String!) { inviteAdmin(email: $e) }",
        ADMINS,
        lambda w, who: {"e": w.email("invited", who)},
    ),
    Case(
        'mutation { acceptAdminInvitation(token: "made-up", password: "long enough pass") '
        "{ token } }",
        BAD_TOKEN,
    ),
    Case(  # the only admin: removing it is refused even to itself
        "mutation($id: ID!) { removeAdmin(id: $id) }",
        expect(UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, "CONFLICT"),
        _id("admin_id"),
    ),
    # --- mutations: teams (every role on a team application: test_team_access.py) -----------
    Case(
        "mutation($n: String!) { createTeam(name: $n) { id } }",
        DEVELOPERS,
        lambda w, who: {"n": "T"},
    ),
    Case('mutation($id: ID!) { renameTeam(id: $id, name: "Renamed") { id } }', OWNER, _id("team")),
    Case("mutation($id: ID!) { deleteTeam(id: $id) }", OWNER, _id("new_team")),
    Case(
        "mutation($t: ID!, $e: String!) { inviteToTeam(teamId: $t, email: $e) { id } }",
        OWNER,
        lambda w, who: {"t": w.team, "e": w.email("invited", who)},
    ),
    Case(
        "mutation($t: String!) { acceptTeamInvitation(token: $t) { id } }",
        expect(UNAUTHENTICATED, OK, FORBIDDEN, FORBIDDEN),
        lambda w, who: {"t": w.invitation(who)},
    ),
    Case(
        "mutation($t: ID!, $d: ID!) { setTeamMemberRole(teamId: $t, developerId: $d, "
        "role: OWNER) { id } }",
        OWNER,
        lambda w, who: {"t": w.team, "d": w.owner.id},
    ),
    Case(  # the owner removes other; other leaves
        "mutation($t: ID!, $d: ID!) { removeTeamMember(teamId: $t, developerId: $d) { id } }",
        expect(UNAUTHENTICATED, OK, OK, FORBIDDEN),
        lambda w, who: {"t": w.team_with_other(who), "d": w.other.id},
    ),
    Case(
        "mutation($id: ID!, $t: ID) { moveApplication(id: $id, teamId: $t) { id } }",
        OWNER,
        lambda w, who: {"id": w.new_app(who), "t": w.team},
    ),
    # --- mutations: webhooks ---------------------------------------------------------------
    Case(
        "mutation($i: WebhookInput!) { createWebhook(input: $i) { secret } }",
        ADMINS,
        lambda w, who: {"i": WEBHOOK_INPUT},
    ),
    Case(
        "mutation($id: ID!, $i: WebhookInput!) { updateWebhook(id: $id, input: $i) { id } }",
        ADMINS,
        lambda w, who: {"id": w.webhook, "i": WEBHOOK_INPUT},
    ),
    Case("mutation($id: ID!) { deleteWebhook(id: $id) }", ADMINS, _id("new_webhook")),
    Case(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }", ADMINS, _id("delivery")
    ),
    # --- subscriptions ----------------------------------------------------------------------
    Case(EVENTS, expect(REFUSED, STARTS, STARTS, STARTS), label="all"),
    Case(
        EVENTS,
        expect(REFUSED, STARTS, NOT_FOUND, STARTS),
        lambda w, who: {"app": w.app},
        "one application",
    ),
    Case(
        "subscription { developerStatusChanged { id } }",
        expect(REFUSED, FORBIDDEN, FORBIDDEN, STARTS),
    ),
]


def _cells(kind: str) -> list[Any]:
    return [
        pytest.param(case, actor, id=f"{case.name}-{actor}")
        for case in CASES
        if (case.root[0] == "subscription") == (kind == "subscription")
        for actor in ACTORS
    ]


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = fresh_database(tmp_path_factory.mktemp("authorization"))
    smtp = SmtpServer(free_port()).start()
    try:
        # Webhooks may go to 127.0.0.1, where nothing listens: no request leaves the machine.
        settings = make_settings(
            url, smtp.port, webhook_allow_http=True, webhook_allow_private=True
        )
        app = create_app(settings)
        with (
            attached("devportal.live", LogCounter("subscriber joined")) as joined,
            threaded_server(app) as base_url,
            httpx2.Client(base_url=base_url, timeout=WAIT) as client,
        ):
            portal = Portal(
                Api(client), smtp.inbox, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD
            )
            yield _seed(base_url, portal, joined)
    finally:
        smtp.stop()


def _seed(url: str, portal: Portal, joined: LogCounter) -> World:
    catalog = Catalog(portal)
    api = portal.api
    owner = portal.developer("owner@matrix.test")
    other = portal.developer("other@matrix.test")
    portal.sign_up("unconfirmed@matrix.test")
    unconfirmed = token_from(portal.inbox.wait_for("unconfirmed@matrix.test", "Confirm"))
    portal.sign_up("pending@matrix.test")
    pending = token_from(portal.inbox.wait_for("pending@matrix.test", "Confirm"))
    assert api.data(CONFIRM, {"token": pending})["confirmEmail"]["status"] == "PENDING"
    app = catalog.application(owner.token, APP_INPUT["referenceId"], APP_INPUT["name"])
    weather = catalog.service("weather")
    webhook, delivery = _webhook_with_a_delivery(portal)
    return World(
        url=url,
        portal=portal,
        catalog=catalog,
        joined=joined,
        tokens={
            "anonymous": None,
            "garbage": "not-a-token",
            "unconfirmed": unconfirmed,
            "pending": pending,
            "owner": owner.token,
            "other": other.token,
            "revoked": revoked_token(portal, "revoked@matrix.test"),
            "admin": portal.admin,
        },
        owner=owner,
        other=other,
        admin_id=api.data("{ me { ... on Admin { id } } }", token=portal.admin)["me"]["id"],
        weather=weather,
        hidden=catalog.service("hidden", published=False),
        spare=catalog.service(SERVICE_INPUT["slug"]),
        app=app,
        registration=catalog.register(owner.token, app, weather)["id"],
        key=catalog.key(owner.token, app).id,
        team=Teams(portal).create(owner.token),
        webhook=webhook,
        delivery=delivery,
    )


def _webhook_with_a_delivery(portal: Portal) -> tuple[str, str]:
    """A webhook with one delivery (of a sign-up), then disabled: nothing more is queued."""
    hook = create_webhook(portal.api, portal.admin, **{**WEBHOOK_INPUT, "enabled": True})
    portal.sign_up("signed-up@matrix.test")
    portal.api.data(UPDATE_WEBHOOK, {"id": hook["id"], "input": WEBHOOK_INPUT}, portal.admin)
    [delivery] = deliveries(portal.api, portal.admin, hook["id"])
    return hook["id"], delivery["id"]


# --- the tests ---------------------------------------------------------------------------------


def test_every_root_field_has_a_row() -> None:
    schema = graphql.build_schema(sdl())
    fields = {
        (kind, name)
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        if root is not None
        for name in root.fields
    }
    rows = {case.root for case in CASES}
    assert fields - rows == set(), "root fields without a row in CASES"
    assert rows - fields == set(), "rows for fields the schema does not have"
    for case in CASES:
        errors = graphql.validate(schema, graphql.parse(case.document))
        assert errors == [], (case.name, errors)
        assert set(case.expected) == set(ACTORS), case.name


def test_the_developers_without_a_session_cannot_log_in(world: World) -> None:
    """So the unconfirmed and pending never hold a session token (their cells carry their
    email link's), and the revoked one has only the token from before."""
    for email, code in (
        ("unconfirmed@matrix.test", "EMAIL_NOT_CONFIRMED"),
        ("pending@matrix.test", "ACCOUNT_PENDING_APPROVAL"),
        ("revoked@matrix.test", "ACCOUNT_DISABLED"),
    ):
        assert world.api.error(LOG_IN, {"email": email, "password": PASSWORD}).code == code


@pytest.mark.parametrize(("case", "actor"), _cells("http"))
def test_query_or_mutation(world: World, case: Case, actor: str) -> None:
    token = world.session(actor) if case.own_session else world.tokens[actor]
    variables = case.variables(world, _who(case, actor))
    payload = world.api.post(case.document, variables, token).json()
    got = _outcome(payload, case.root[1])
    assert got == case.expected[actor], f"{case.name} as {actor}: {payload}"
    if got == OK and case.root[0] == "query" and "id" in variables:
        assert payload["data"][case.root[1]]["id"] == variables["id"], "another object"


@pytest.mark.parametrize(("case", "actor"), _cells("subscription"))
def test_subscription(world: World, case: Case, actor: str) -> None:
    variables = case.variables(world, _who(case, actor))
    with graphql_websocket(world.url, world.tokens[actor]) as feed:
        try:
            first = feed.receive()
        except ConnectionClosed:
            got = REFUSED if feed.ws.close_code == 4403 else f"closed {feed.ws.close_code}"
        else:
            assert first["type"] == "connection_ack", first
            feed.subscribe(case.document, variables)
            got = _subscription_outcome(world, feed, case.expected[actor])
    assert got == case.expected[actor], f"{case.name} as {actor}"


def _who(case: Case, actor: str) -> str:
    """Whom the row's targets are made for: the actor, or ``SHARED`` if it must be refused."""
    return actor if case.expected[actor] in (OK, NULL, STARTS) else SHARED


def _outcome(payload: dict[str, Any], field_name: str) -> str:
    errors = payload.get("errors")
    if errors:
        return "+".join(sorted({str(e.get("extensions", {}).get("code")) for e in errors}))
    return OK if payload["data"][field_name] is not None else NULL


def _subscription_outcome(world: World, feed: GraphQLWebSocket, expected: str) -> str:
    """What became of a subscription: waits on what ``expected`` says happens first (the join,
    or a message), then on the other, so only a cell that fails takes a timeout's time."""
    joined = world.joins + 1
    if expected == STARTS:
        try:
            world.joined.wait_for(joined)
        except AssertionError:
            pass
        else:
            world.joins = joined
            return STARTS
    try:
        message = feed.receive()
    except TimeoutError:
        try:
            world.joined.wait_for(joined, timeout=0)
        except AssertionError:
            return "nothing"
        world.joins = joined
        return STARTS
    if message["type"] == "error":
        return _outcome({"errors": message["payload"]}, "")
    payload = message.get("payload") or {}
    return _outcome(payload, "") if payload.get("errors") else f"a message: {message}"
