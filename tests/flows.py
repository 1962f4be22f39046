"""The portal as a person uses it, step by step, over GraphQL and real mail."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tests.support import Api, Inbox, token_from

PASSWORD = "correct horse battery"

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) }
"""
CONFIRM = """
mutation($token: String!) { confirmEmail(token: $token) { id email status } }
"""
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) {
    token expiresAt account { __typename ... on Developer { id email status } }
  }
}
"""
ADMIN_LOG_IN = """
mutation($email: String!, $password: String!) {
  adminLogIn(email: $email, password: $password) {
    token expiresAt account { __typename ... on Admin { id email } }
  }
}
"""
ME = """
{ me { __typename ... on Developer { id email fullName status } ... on Admin { id email } } }
"""
DECIDE = """
mutation($id: ID!) { %s(id: $id) { id status } }
"""
ASK_RESET_PASSWORD = "mutation($email: String!) { requestPasswordReset(email: $email) }"
PORTAL_SETTINGS = """
mutation($input: PortalSettingsInput!) {
  updatePortalSettings(input: $input) { name public autoApproveDevelopers }
}
"""


@dataclass
class DeveloperLogin:
    id: str
    email: str
    token: str


class Portal:
    def __init__(self, api: Api, inbox: Inbox, *, admin_email: str, admin_password: str) -> None:
        self.api = api
        self.inbox = inbox
        self._admin = (admin_email, admin_password)

    @cached_property
    def admin(self) -> str:
        """An admin's bearer token."""
        email, password = self._admin
        data = self.api.data(ADMIN_LOG_IN, {"email": email, "password": password})
        return str(data["adminLogIn"]["token"])

    def sign_up(self, email: str, password: str = PASSWORD, **extra: Any) -> bool:
        payload = {"email": email, "fullName": extra.pop("full_name", "Ada Lovelace"), **extra}
        payload["password"] = password
        return bool(self.api.data(SIGN_UP, {"input": payload})["signUp"])

    def confirm(self, email: str) -> dict[str, Any]:
        token = token_from(self.inbox.wait_for(email, "Confirm your email"))
        return dict(self.api.data(CONFIRM, {"token": token})["confirmEmail"])

    def decide(self, action: str, developer_id: str) -> dict[str, Any]:
        data = self.api.data(DECIDE % action, {"id": developer_id}, token=self.admin)
        return dict(data[action])

    def log_in(self, email: str, password: str = PASSWORD) -> str:
        data = self.api.data(LOG_IN, {"email": email, "password": password})
        return str(data["logIn"]["token"])

    def settings(self, **change: Any) -> dict[str, Any]:
        data = self.api.data(PORTAL_SETTINGS, {"input": change}, token=self.admin)
        return dict(data["updatePortalSettings"])

    def developer(self, email: str) -> DeveloperLogin:
        """A signed-up, confirmed, approved and logged-in developer."""
        self.sign_up(email)
        developer = self.confirm(email)
        if developer["status"] == "PENDING":
            self.decide("approveDeveloper", developer["id"])
        return DeveloperLogin(id=developer["id"], email=email, token=self.log_in(email))


CREATE_SERVICE = """
mutation($input: ServiceInput!) { createService(input: $input) { id slug name published } }
"""
PUBLISH = """
mutation($id: ID!, $published: Boolean!) { publishService(id: $id, published: $published) {
  id published } }
"""
CREATE_VERSION = """
mutation($serviceId: ID!, $name: String!) {
  createServiceVersion(serviceId: $serviceId, name: $name) {
    id name appRegistrationEnabled autoApprove authStrategy } }
"""
ENABLE = """
mutation($id: ID!, $autoApprove: Boolean!) {
  enableAppRegistration(serviceVersionId: $id, autoApprove: $autoApprove) {
    id appRegistrationEnabled autoApprove authStrategy } }
"""
DISABLE = """
mutation($id: ID!) { disableAppRegistration(serviceVersionId: $id) { id appRegistrationEnabled } }
"""
CREATE_APP = """
mutation($input: ApplicationInput!) { createApplication(input: $input) {
  id name referenceId description } }
"""
REGISTER = """
mutation($app: ID!, $version: ID!) {
  registerApplication(applicationId: $app, serviceVersionId: $version) { id status } }
"""
UNREGISTER = "mutation($id: ID!) { unregisterApplication(registrationId: $id) }"
DECIDE_REGISTRATION = "mutation($id: ID!) { %s(id: $id) { id status } }"
GENERATE_KEY = """
mutation($app: ID!) { generateCredential(applicationId: $app) { key credential { id keyPrefix } } }
"""
REVOKE_KEY = "mutation($id: ID!) { revokeCredential(id: $id) }"


@dataclass
class Version:
    service_id: str
    slug: str
    id: str
    name: str


@dataclass
class Key:
    id: str
    key: str


class Catalog:
    """What an admin sets up and a developer then uses."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.api = portal.api

    def service(
        self,
        slug: str = "weather",
        version: str = "v1",
        *,
        published: bool = True,
        registration: bool = True,
        auto_approve: bool = False,
        name: str | None = None,
    ) -> Version:
        """A service with one version, as an admin sets it up."""
        admin = self.portal.admin
        entry = {"slug": slug, "name": name or slug.title(), "description": f"The {slug} API"}
        service = self.api.data(CREATE_SERVICE, {"input": entry}, admin)["createService"]
        if published:
            self.api.data(PUBLISH, {"id": service["id"], "published": True}, admin)
        created = self.api.data(
            CREATE_VERSION, {"serviceId": service["id"], "name": version}, admin
        )["createServiceVersion"]
        if registration:
            self.api.data(ENABLE, {"id": created["id"], "autoApprove": auto_approve}, admin)
        return Version(service_id=service["id"], slug=slug, id=created["id"], name=version)

    def application(self, token: str, reference_id: str = "app-1", name: str = "My App") -> str:
        data = self.api.data(
            CREATE_APP, {"input": {"name": name, "referenceId": reference_id}}, token
        )
        return str(data["createApplication"]["id"])

    def register(self, token: str, application_id: str, version: Version) -> dict[str, Any]:
        data = self.api.data(REGISTER, {"app": application_id, "version": version.id}, token)
        return dict(data["registerApplication"])

    def decide(self, action: str, registration_id: str) -> dict[str, Any]:
        data = self.api.data(
            DECIDE_REGISTRATION % action, {"id": registration_id}, self.portal.admin
        )
        return dict(data[action])

    def key(self, token: str, application_id: str) -> Key:
        data = self.api.data(GENERATE_KEY, {"app": application_id}, token)["generateCredential"]
        return Key(id=data["credential"]["id"], key=data["key"])

    def approved_key(self, token: str, version: Version, reference_id: str = "app-1") -> Key:
        """An application approved for ``version``, with a key."""
        application_id = self.application(token, reference_id)
        registration = self.register(token, application_id, version)
        if registration["status"] == "PENDING":
            self.decide("approveRegistration", registration["id"])
        return self.key(token, application_id)


CREATE_TEAM = "mutation($name: String!) { createTeam(name: $name) { id name } }"
INVITE = """
mutation($team: ID!, $email: String!, $role: TeamRole!) {
  inviteToTeam(teamId: $team, email: $email, role: $role) { id email role expiresAt } }
"""
ACCEPT_INVITATION = "mutation($token: String!) { acceptTeamInvitation(token: $token) { id } }"
REMOVE_MEMBER = """
mutation($team: ID!, $dev: ID!) { removeTeamMember(teamId: $team, developerId: $dev) { id } }
"""


class Teams:
    """Teams as their owners run them: invitations go by real mail."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.api = portal.api

    def create(self, token: str, name: str = "Platform") -> str:
        return str(self.api.data(CREATE_TEAM, {"name": name}, token)["createTeam"]["id"])

    def invite(self, token: str, team_id: str, email: str, role: str = "MEMBER") -> str:
        """The token of the invitation mailed to ``email``."""
        self.api.data(INVITE, {"team": team_id, "email": email, "role": role}, token)
        return token_from(self.portal.inbox.wait_for(email, "Join the team"))

    def join(self, owner: str, team_id: str, member: DeveloperLogin, role: str = "MEMBER") -> None:
        invitation = self.invite(owner, team_id, member.email, role)
        self.api.data(ACCEPT_INVITATION, {"token": invitation}, member.token)

    def remove(self, token: str, team_id: str, member: DeveloperLogin) -> None:
        self.api.data(REMOVE_MEMBER, {"team": team_id, "dev": member.id}, token)

    def application(self, token: str, team_id: str, reference_id: str) -> str:
        app = {"name": "Team App", "referenceId": reference_id, "teamId": team_id}
        return str(self.api.data(CREATE_APP, {"input": app}, token)["createApplication"]["id"])
