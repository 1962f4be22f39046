"""Admins: invited by mail, accepted on a page or by a mutation, removed (never the last),
and a forgotten admin password reset through the usual reset flow."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import MovableClock
from tests.flows import ADMIN_LOG_IN, ASK_RESET_PASSWORD, ME, Portal
from tests.support import body, token_from

INVITE = "mutation($email: String!) { inviteAdmin(email: $email) }"
ACCEPT = """
mutation($token: String!, $password: String!) {
  acceptAdminInvitation(token: $token, password: $password) {
    token account { __typename ... on Admin { id email createdAt } } } }
"""
REMOVE = "mutation($id: ID!) { removeAdmin(id: $id) }"
RESET = """
mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }
"""
ADMINS = "{ admins { totalCount nodes { id email } } }"
LOG = """
query($action: AuditAction) { auditLog(action: $action) { nodes { summary actor { __typename } } } }
"""
NEW = "grace@portal.test"
NEW_PASSWORD = "grace's own password"


def invite(portal: Portal, email: str = NEW) -> str:
    assert portal.api.data(INVITE, {"email": email}, portal.admin) == {"inviteAdmin": True}
    mail = portal.inbox.wait_for(email, "invited")
    assert "http://portal.test/accept-invitation?token=" in body(mail)
    return token_from(mail)


def joined(portal: Portal, email: str = NEW) -> tuple[str, str]:
    """An invited admin who accepted: (id, token)."""
    answer = portal.api.data(ACCEPT, {"token": invite(portal, email), "password": NEW_PASSWORD})
    payload = answer["acceptAdminInvitation"]
    return payload["account"]["id"], payload["token"]


def test_an_invited_admin_accepts_and_runs_the_portal(portal: Portal) -> None:
    api = portal.api
    token = invite(portal)
    short = api.error(ACCEPT, {"token": token, "password": "short"})
    assert short.code == "BAD_USER_INPUT"
    payload = api.data(ACCEPT, {"token": token, "password": NEW_PASSWORD})["acceptAdminInvitation"]
    assert payload["account"]["email"] == NEW
    assert payload["account"]["createdAt"]
    assert api.data(ME, token=payload["token"])["me"]["email"] == NEW
    assert api.error(ACCEPT, {"token": token, "password": NEW_PASSWORD}).code == "INVALID_TOKEN"
    assert api.error(ACCEPT, {"token": "made-up", "password": NEW_PASSWORD}).code == "INVALID_TOKEN"
    assert api.data(ADMIN_LOG_IN, {"email": NEW, "password": NEW_PASSWORD})["adminLogIn"]["token"]
    listed = api.data(ADMINS, token=payload["token"])["admins"]
    assert [n["email"] for n in listed["nodes"]] == ["admin@portal.test", NEW]
    invited = api.data(LOG, {"action": "ADMIN_INVITED"}, portal.admin)["auditLog"]["nodes"]
    assert NEW in invited[0]["summary"]
    joins = api.data(LOG, {"action": "ADMIN_JOINED"}, portal.admin)["auditLog"]["nodes"]
    assert joins[0]["actor"] == {"__typename": "Admin"}


def test_the_invitation_page_sets_the_password(portal: Portal) -> None:
    client = portal.api.client
    token = invite(portal)
    shown = client.get(f"/accept-invitation?token={token}")
    assert shown.status_code == 200
    assert f'value="{token}"' in shown.text
    reset_page = client.get("/reset-password?token=x")
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cache-Control",
    ):
        assert shown.headers[header] == reset_page.headers[header]
    # Showing the page spends nothing.
    accepted = client.post("/accept-invitation", data={"token": token, "password": NEW_PASSWORD})
    assert accepted.status_code == 200
    assert "you are an admin" in accepted.text
    again = client.post("/accept-invitation", data={"token": token, "password": NEW_PASSWORD})
    assert again.status_code == 400
    assert portal.api.data(ADMIN_LOG_IN, {"email": NEW, "password": NEW_PASSWORD})


def test_an_invitation_expires_after_7_days(portal: Portal, clock: MovableClock) -> None:
    token = invite(portal)
    clock.advance(timedelta(days=7, minutes=1))
    expired = portal.api.error(ACCEPT, {"token": token, "password": NEW_PASSWORD})
    assert expired.code == "INVALID_TOKEN"
    del portal.admin  # the inviting admin's session ended with the week too: log in again
    fresh = invite(portal)  # a new invitation works: the address was never taken
    assert portal.api.data(ACCEPT, {"token": fresh, "password": NEW_PASSWORD})


def test_invitations_refused(portal: Portal) -> None:
    api = portal.api
    dev = portal.developer("ada@example.com")
    assert api.error(INVITE, {"email": NEW}, dev.token).code == "FORBIDDEN"
    assert api.error(INVITE, {"email": NEW}).code == "UNAUTHENTICATED"
    assert api.error(INVITE, {"email": "not an address"}, portal.admin).code == "BAD_USER_INPUT"
    assert api.error(INVITE, {"email": "admin@portal.test"}, portal.admin).code == "CONFLICT"


def test_removing_an_admin_ends_their_sessions_and_never_the_last(portal: Portal) -> None:
    api = portal.api
    me = api.data(ME, token=portal.admin)["me"]["id"]
    other_id, other_token = joined(portal)
    developer = portal.developer("ada@example.com")
    # The other admin decides something, then is removed: the decision stays, unnamed.
    revoke = "mutation($id: ID!) { revokeDeveloper(id: $id) { decidedBy { email } } }"
    assert api.data(revoke, {"id": developer.id}, other_token)["revokeDeveloper"]["decidedBy"]
    bystander = portal.developer("bob@example.com")
    assert api.error(REMOVE, {"id": other_id}, bystander.token).code == "FORBIDDEN"
    assert api.data(REMOVE, {"id": other_id}, portal.admin) == {"removeAdmin": other_id}
    assert api.data(ME, token=other_token) == {"me": None}
    assert api.error(REMOVE, {"id": other_id}, portal.admin).code == "NOT_FOUND"
    node = "query($id: ID!) { node(id: $id) { ... on Developer { status decidedBy { id } } } }"
    assert api.data(node, {"id": developer.id}, portal.admin)["node"] == {
        "status": "REVOKED",
        "decidedBy": None,
    }
    assert api.error(REMOVE, {"id": me}, portal.admin).code == "CONFLICT"  # the last one
    removed = api.data(LOG, {"action": "ADMIN_REMOVED"}, portal.admin)["auditLog"]["nodes"]
    assert NEW in removed[0]["summary"]


def test_an_admin_may_remove_themselves_while_another_remains(portal: Portal) -> None:
    other_id, other_token = joined(portal)
    assert portal.api.data(REMOVE, {"id": other_id}, other_token) == {"removeAdmin": other_id}
    assert portal.api.data(ME, token=other_token) == {"me": None}


def test_an_admin_resets_a_forgotten_password(portal: Portal) -> None:
    api = portal.api
    _id, session = joined(portal)
    assert api.data(ASK_RESET_PASSWORD, {"email": NEW}) == {"requestPasswordReset": True}
    mail = portal.inbox.wait_for(NEW, "Reset your password")
    token = token_from(mail)
    assert api.data(RESET, {"token": token, "password": "a newer admin password"})
    assert api.data(ME, token=session) == {"me": None}
    logged_in = api.data(ADMIN_LOG_IN, {"email": NEW, "password": "a newer admin password"})
    assert logged_in["adminLogIn"]["token"]
    assert api.error(RESET, {"token": token, "password": "yet another password"}).code == (
        "INVALID_TOKEN"
    )
    # An unknown address answers the same and gets nothing.
    assert api.data(ASK_RESET_PASSWORD, {"email": "nobody@portal.test"}) == {
        "requestPasswordReset": True
    }
