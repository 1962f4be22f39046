"""The rows of test_authorization: for each query, mutation and subscription, an operation
on the world's objects and what each actor must get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import graphql

from tests.authorization_world import ADMIN_LOG_IN, APP_INPUT, SERVICE_INPUT, WEBHOOK_INPUT, World
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.flows import LOG_IN, PASSWORD

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
NODE_QUERY = "query($id: ID!) { node(id: $id) { id } }"
SERVICE = "query($slug: String!) { service(slug: $slug) { id } }"
REGISTER = """mutation($app: ID!, $v: ID!) {
  registerApplication(applicationId: $app, serviceVersionId: $v) { id } }"""
EVENTS = "subscription($app: ID) { registrationEvents(applicationId: $app) { kind } }"


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
