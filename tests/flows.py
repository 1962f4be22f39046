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
