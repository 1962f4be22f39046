"""The whole life of an account, over HTTP, with mail read from a real SMTP server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.flows import CONFIRM, LOG_IN, ME, PASSWORD, SIGN_UP, Portal
from tests.support import body, token_from

PENDING_DEVELOPERS = "{ pendingDevelopers { totalCount nodes { id email status } } }"


def test_sign_up_confirm_approve_log_in_log_out(portal: Portal) -> None:
    api = portal.api
    assert portal.sign_up("ada@example.com", organization="Analytical Engines")

    developer = portal.confirm("ada@example.com")
    assert developer["status"] == "PENDING"
    refused = api.error(LOG_IN, {"email": "ada@example.com", "password": PASSWORD})
    assert refused.code == "ACCOUNT_PENDING_APPROVAL"

    pending = api.data(PENDING_DEVELOPERS, token=portal.admin)["pendingDevelopers"]
    assert pending["totalCount"] == 1
    assert pending["nodes"][0]["email"] == "ada@example.com"

    assert portal.decide("approveDeveloper", developer["id"])["status"] == "APPROVED"
    approval = portal.inbox.wait_for("ada@example.com", "approved")
    assert "approved" in body(approval)

    token = portal.log_in("ada@example.com")
    me = api.data(ME, token=token)["me"]
    assert me == {
        "__typename": "Developer",
        "id": developer["id"],
        "email": "ada@example.com",
        "fullName": "Ada Lovelace",
        "status": "APPROVED",
    }
    assert api.data("mutation { logOut }", token=token) == {"logOut": True}
    assert api.data(ME, token=token) == {"me": None}
    assert api.error("mutation { logOut }", token=token).code == "UNAUTHENTICATED"


def test_auto_approve_lets_a_confirmed_developer_log_in(portal: Portal) -> None:
    assert portal.settings(autoApproveDevelopers=True)["autoApproveDevelopers"] is True
    portal.sign_up("grace@example.com")
    assert portal.confirm("grace@example.com")["status"] == "APPROVED"
    token = portal.log_in("grace@example.com")
    assert portal.api.data(ME, token=token)["me"]["status"] == "APPROVED"
    pending = portal.api.data(PENDING_DEVELOPERS, token=portal.admin)["pendingDevelopers"]
    assert pending["totalCount"] == 0


def test_unconfirmed_developer_cannot_log_in(portal: Portal) -> None:
    portal.sign_up("lin@example.com")
    refused = portal.api.error(LOG_IN, {"email": "lin@example.com", "password": PASSWORD})
    assert refused.code == "EMAIL_NOT_CONFIRMED"


def test_rejected_developer_cannot_log_in(portal: Portal) -> None:
    portal.sign_up("eve@example.com")
    developer = portal.confirm("eve@example.com")
    assert portal.decide("rejectDeveloper", developer["id"])["status"] == "REJECTED"
    assert "declined" in body(portal.inbox.wait_for("eve@example.com", "rejected"))
    refused = portal.api.error(LOG_IN, {"email": "eve@example.com", "password": PASSWORD})
    assert refused.code == "ACCOUNT_DISABLED"
    # A rejected developer can still be approved later.
    assert portal.decide("approveDeveloper", developer["id"])["status"] == "APPROVED"
    assert portal.log_in("eve@example.com")


def test_revoked_developer_loses_their_session_at_once(portal: Portal) -> None:
    dev = portal.developer("mallory@example.com")
    assert portal.api.data(ME, token=dev.token)["me"]["email"] == dev.email
    assert portal.decide("revokeDeveloper", dev.id)["status"] == "REVOKED"
    assert portal.api.data(ME, token=dev.token) == {"me": None}
    refused = portal.api.error(LOG_IN, {"email": dev.email, "password": PASSWORD})
    assert refused.code == "ACCOUNT_DISABLED"


def test_wrong_password_and_unknown_email_look_the_same(portal: Portal) -> None:
    portal.developer("ada@example.com")
    wrong = portal.api.error(LOG_IN, {"email": "ada@example.com", "password": "not the password"})
    unknown = portal.api.error(LOG_IN, {"email": "nobody@example.com", "password": PASSWORD})
    assert wrong == unknown
    assert wrong.code == "INVALID_CREDENTIALS"


def test_wrong_password_is_refused_before_the_account_status_is_told(portal: Portal) -> None:
    portal.sign_up("lin@example.com")
    refused = portal.api.error(LOG_IN, {"email": "lin@example.com", "password": "wrong password!"})
    assert refused.code == "INVALID_CREDENTIALS"


def test_sign_up_with_a_taken_email_answers_the_same_and_mails_a_note(portal: Portal) -> None:
    portal.sign_up("ada@example.com")
    first = portal.inbox.wait_for("ada@example.com", "Confirm your email")
    again = portal.api.post(
        SIGN_UP,
        {"input": {"email": "ADA@example.com", "fullName": "Someone Else", "password": "x" * 12}},
    )
    assert again.status_code == 200
    assert again.json() == {"data": {"signUp": True}}
    note = portal.inbox.wait_for("ada@example.com", "already have an account")
    assert "token=" not in body(note)
    assert "token=" in body(first)


def test_confirmation_token_works_once(portal: Portal) -> None:
    portal.sign_up("ada@example.com")
    token = token_from(portal.inbox.wait_for("ada@example.com", "Confirm"))
    assert portal.api.data(CONFIRM, {"token": token})["confirmEmail"]["status"] == "PENDING"
    assert portal.api.error(CONFIRM, {"token": token}).code == "INVALID_TOKEN"
    assert portal.api.error(CONFIRM, {"token": "made-up"}).code == "INVALID_TOKEN"


def test_admin_log_in_and_me(portal: Portal) -> None:
    me = portal.api.data(ME, token=portal.admin)["me"]
    assert me["__typename"] == "Admin"
    assert me["email"] == "admin@portal.test"
    bad = portal.api.error(
        'mutation { adminLogIn(email: "admin@portal.test", password: "nope") { token } }'
    )
    assert bad.code == "INVALID_CREDENTIALS"


def test_developer_cannot_log_in_as_admin(portal: Portal) -> None:
    portal.developer("ada@example.com")
    refused = portal.api.error(
        "mutation($e: String!, $p: String!) { adminLogIn(email: $e, password: $p) { token } }",
        {"e": "ada@example.com", "p": PASSWORD},
    )
    assert refused.code == "INVALID_CREDENTIALS"


RESET = """
mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }
"""
ASK_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"


def test_password_reset_sets_a_new_password_and_ends_sessions(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    assert portal.api.data(ASK_RESET, {"email": "ada@example.com"}) == {
        "requestPasswordReset": True
    }
    token = token_from(portal.inbox.wait_for("ada@example.com", "Reset your password"))
    short = portal.api.error(RESET, {"token": token, "password": "short"})
    assert short.code == "BAD_USER_INPUT"
    new_password = "a brand new passphrase"
    assert portal.api.data(RESET, {"token": token, "password": new_password})
    assert portal.api.data(ME, token=dev.token) == {"me": None}
    refused = portal.api.error(LOG_IN, {"email": dev.email, "password": PASSWORD})
    assert refused.code == "INVALID_CREDENTIALS"
    assert portal.log_in(dev.email, new_password)
    assert portal.api.error(RESET, {"token": token, "password": new_password}).code == (
        "INVALID_TOKEN"
    )


def _reset_links(portal: Portal, email: str, count: int) -> list[str]:
    links = []
    for _ in range(count):
        portal.api.data(ASK_RESET, {"email": email})
        links.append(token_from(portal.inbox.wait_for(email, "Reset your password")))
    return links


def test_a_reset_ends_every_older_reset_link_too(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    older, newer = _reset_links(portal, dev.email, 2)
    assert portal.api.data(RESET, {"token": newer, "password": "the owner's new passphrase"})
    stale = portal.api.error(RESET, {"token": older, "password": "somebody else's choice"})
    assert stale.code == "INVALID_TOKEN"
    assert portal.log_in(dev.email, "the owner's new passphrase")


def test_several_reset_links_used_at_once_set_one_password(portal: Portal) -> None:
    """Each use spends every link of the account: one wins, the rest are INVALID_TOKEN."""
    dev = portal.developer("ada@example.com")
    links = _reset_links(portal, dev.email, 4)

    def use(n: int) -> dict[str, Any]:
        variables = {"token": links[n % 4], "password": f"passphrase number {n}"}
        return dict(portal.api.post(RESET, variables).json())

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(use, range(8)))
    winners = [n for n, r in enumerate(results) if not r.get("errors")]
    codes = {r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")}
    assert len(winners) == 1, results
    assert codes == {"INVALID_TOKEN"}
    assert portal.log_in(dev.email, f"passphrase number {winners[0]}")


def test_password_reset_for_an_unknown_email_says_nothing(portal: Portal) -> None:
    assert portal.api.data(ASK_RESET, {"email": "nobody@example.com"}) == {
        "requestPasswordReset": True
    }


def test_a_reset_link_confirms_an_unconfirmed_address(portal: Portal) -> None:
    """Someone who lost the confirmation mail recovers through a password reset."""
    portal.sign_up("lin@example.com")
    portal.api.data(ASK_RESET, {"email": "lin@example.com"})
    token = token_from(portal.inbox.wait_for("lin@example.com", "Reset your password"))
    portal.api.data(RESET, {"token": token, "password": "another good passphrase"})
    refused = portal.api.error(
        LOG_IN, {"email": "lin@example.com", "password": "another good passphrase"}
    )
    assert refused.code == "ACCOUNT_PENDING_APPROVAL"


def test_stale_decisions_are_conflicts(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    approve = portal.api.error(
        "mutation($id: ID!) { approveDeveloper(id: $id) { id } }", {"id": dev.id}, portal.admin
    )
    assert approve.code == "CONFLICT"
    reject = portal.api.error(
        "mutation($id: ID!) { rejectDeveloper(id: $id) { id } }", {"id": dev.id}, portal.admin
    )
    assert reject.code == "CONFLICT"


def test_developers_list_filters_by_status_and_pages(portal: Portal) -> None:
    for n in range(3):
        portal.sign_up(f"dev{n}@example.com")
    query = """
      query($status: DeveloperStatus, $after: String) {
        developers(status: $status, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { email }
        }
      }"""
    first = portal.api.data(query, {"status": "UNCONFIRMED"}, portal.admin)["developers"]
    assert first["totalCount"] == 3
    assert [n["email"] for n in first["nodes"]] == ["dev0@example.com", "dev1@example.com"]
    assert first["pageInfo"]["hasNextPage"] is True
    portal.sign_up("dev3@example.com")  # inserted between pages: nothing shifts
    second = portal.api.data(
        query, {"status": "UNCONFIRMED", "after": first["pageInfo"]["endCursor"]}, portal.admin
    )["developers"]
    assert [n["email"] for n in second["nodes"]] == ["dev2@example.com", "dev3@example.com"]
    none = portal.api.data(query, {"status": "REVOKED"}, portal.admin)["developers"]
    assert none["totalCount"] == 0


def test_node_shows_a_developer_to_admins_and_themselves_only(portal: Portal) -> None:
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@example.com")
    query = "query($id: ID!) { node(id: $id) { id ... on Developer { email } } }"
    assert portal.api.data(query, {"id": ada.id}, ada.token)["node"]["email"] == ada.email
    assert portal.api.data(query, {"id": ada.id}, portal.admin)["node"]["email"] == ada.email
    assert portal.api.data(query, {"id": ada.id}, bob.token) == {"node": None}
    assert portal.api.data(query, {"id": ada.id}) == {"node": None}


def test_portal_settings_are_public_and_changed_by_admins_only(portal: Portal) -> None:
    query = "{ portal { name public autoApproveDevelopers } }"
    assert portal.api.data(query) == {
        "portal": {"name": "Developer Portal", "public": False, "autoApproveDevelopers": False}
    }
    assert portal.settings(name="Acme APIs", public=True)["name"] == "Acme APIs"
    assert portal.api.data(query)["portal"]["public"] is True
    dev = portal.developer("ada@example.com")
    change = "mutation { updatePortalSettings(input: {public: false}) { public } }"
    assert portal.api.error(change, token=dev.token).code == "FORBIDDEN"
    assert portal.api.error(change).code == "UNAUTHENTICATED"
    empty = 'mutation { updatePortalSettings(input: {name: "  "}) { name } }'
    assert portal.api.error(empty, token=portal.admin).code == "BAD_USER_INPUT"


def test_admin_operations_refuse_developers_and_anonymous_callers(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    for query in (PENDING_DEVELOPERS, "{ developers { totalCount } }"):
        assert portal.api.error(query, token=dev.token).code == "FORBIDDEN"
        assert portal.api.error(query).code == "UNAUTHENTICATED"
    approve = "mutation($id: ID!) { approveDeveloper(id: $id) { id } }"
    assert portal.api.error(approve, {"id": dev.id}, dev.token).code == "FORBIDDEN"
    assert portal.api.error(approve, {"id": dev.id}).code == "UNAUTHENTICATED"
