"""The world test_authorization's cells act on: one seeded portal, the actors' tokens,
its objects, and the factories of one-shot targets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.flows import CONFIRM, Catalog, DeveloperLogin, Portal, Teams, Version
from tests.receiver import UPDATE as UPDATE_WEBHOOK
from tests.receiver import create_webhook, deliveries
from tests.support import Api, LogCounter, free_port, token_from

SHARED = "refused"  # stands for every caller of a row that the server must refuse
ADMIN_LOG_IN = (
    "mutation($e: String!, $p: String!) { adminLogIn(email: $e, password: $p) { token } }"
)
APP_INPUT = {"name": "Owned", "referenceId": "owned-app"}
SERVICE_INPUT = {"slug": "spare", "name": "Spare", "description": "The spare API"}
WEBHOOK_INPUT: dict[str, Any] = {
    "url": f"http://127.0.0.1:{free_port()}/in",
    "events": ["DEVELOPER_SIGNED_UP"],
    "enabled": False,
}


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


def seed(url: str, portal: Portal, joined: LogCounter) -> World:
    """The world, seeded through the portal at ``url``: see test_authorization."""
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
