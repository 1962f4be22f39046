"""Self-service: a password changed by its owner, a profile, and admins' list of applications."""

from __future__ import annotations

from tests.flows import ME, PASSWORD, Catalog, Portal
from tests.support import body, token_from

CHANGE = """
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) }
"""
PROFILE = """
mutation($input: ProfileInput!) { updateProfile(input: $input) { fullName organization } }
"""
APPLICATIONS = """
query($search: String) { applications(search: $search) { totalCount nodes { referenceId } } }
"""
NEW_PASSWORD = "a brand new passphrase"


def test_changing_a_password_ends_every_other_session(portal: Portal) -> None:
    api = portal.api
    dev = portal.developer("ada@example.com")
    other = portal.log_in("ada@example.com")
    wrong = api.error(CHANGE, {"current": "not the password", "new": NEW_PASSWORD}, dev.token)
    assert wrong.code == "INVALID_CREDENTIALS"
    short = api.error(CHANGE, {"current": PASSWORD, "new": "short"}, dev.token)
    assert short.code == "BAD_USER_INPUT"
    assert api.data(ME, token=other)["me"] is not None  # refusals change nothing

    assert api.data(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, dev.token) == {
        "changePassword": True
    }
    assert api.data(ME, token=dev.token)["me"]["email"] == "ada@example.com"
    assert api.data(ME, token=other) == {"me": None}
    assert portal.log_in("ada@example.com", NEW_PASSWORD)
    assert api.error(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}).code == ("UNAUTHENTICATED")


def test_an_admin_changes_their_password(portal: Portal) -> None:
    api = portal.api
    admin = portal.admin
    other = api.data(
        'mutation { adminLogIn(email: "admin@portal.test", password: "admin-password-123") '
        "{ token } }"
    )["adminLogIn"]["token"]
    changed = api.data(CHANGE, {"current": "admin-password-123", "new": NEW_PASSWORD}, admin)
    assert changed == {"changePassword": True}
    assert api.data(ME, token=admin)["me"]["__typename"] == "Admin"
    assert api.data(ME, token=other) == {"me": None}


def test_updating_a_profile_keeps_what_is_left_out(portal: Portal) -> None:
    api = portal.api
    dev = portal.developer("ada@example.com")
    named = api.data(PROFILE, {"input": {"fullName": "Ada King"}}, dev.token)["updateProfile"]
    assert named == {"fullName": "Ada King", "organization": None}
    both = {"input": {"organization": "Analytical Engines"}}
    assert api.data(PROFILE, both, dev.token)["updateProfile"] == {
        "fullName": "Ada King",
        "organization": "Analytical Engines",
    }
    cleared = api.data(PROFILE, {"input": {"organization": ""}}, dev.token)["updateProfile"]
    assert cleared == {"fullName": "Ada King", "organization": None}
    bad = api.error(PROFILE, {"input": {"fullName": "x" * 201}}, dev.token)
    assert bad.code == "BAD_USER_INPUT"
    assert api.error(PROFILE, {"input": {}}, portal.admin).code == "FORBIDDEN"
    assert api.data(ME, token=dev.token)["me"]["fullName"] == "Ada King"


def test_admins_list_and_search_every_application(portal: Portal, catalog: Catalog) -> None:
    api = portal.api
    ada = portal.developer("ada@example.com")
    bob = portal.developer("bob@builders.test")
    catalog.application(ada.token, "ada-weather", "Weather Dashboard")
    catalog.application(ada.token, "ada-maps", "Maps")
    catalog.application(bob.token, "bob-tools", "Tools")

    every = api.data(APPLICATIONS, {}, portal.admin)["applications"]
    assert [n["referenceId"] for n in every["nodes"]] == ["bob-tools", "ada-maps", "ada-weather"]
    assert every["totalCount"] == 3

    def search(text: str) -> list[str]:
        found = api.data(APPLICATIONS, {"search": text}, portal.admin)["applications"]
        return [n["referenceId"] for n in found["nodes"]]

    assert search("dashboard") == ["ada-weather"]  # the name, whatever the case
    assert search("ADA-M") == ["ada-maps"]  # the referenceId
    assert search("builders") == ["bob-tools"]  # the owner's email
    assert search("100%") == []  # LIKE's wildcards are text here
    assert api.error(APPLICATIONS, {"search": "x" * 201}, portal.admin).code == "BAD_USER_INPUT"
    assert api.error(APPLICATIONS, {}, ada.token).code == "FORBIDDEN"


def test_admins_list_the_admins(portal: Portal) -> None:
    admins = "{ admins { totalCount nodes { email createdAt } } }"
    listed = portal.api.data(admins, token=portal.admin)["admins"]
    assert listed["totalCount"] == 1
    assert listed["nodes"][0]["email"] == "admin@portal.test"
    dev = portal.developer("ada@example.com")
    assert portal.api.error(admins, token=dev.token).code == "FORBIDDEN"


ASK_CHANGE = """
mutation($email: String!, $password: String!) {
  requestEmailChange(newEmail: $email, password: $password) }
"""
CONFIRM_CHANGE = "mutation($token: String!) { confirmEmailChange(token: $token) { email } }"


def test_changing_the_email_address(portal: Portal) -> None:
    api = portal.api
    dev = portal.developer("ada@example.com")
    wrong = api.error(ASK_CHANGE, {"email": "ada@new.test", "password": "wrong one!"}, dev.token)
    assert wrong.code == "INVALID_CREDENTIALS"
    asked = api.data(ASK_CHANGE, {"email": "Ada@New.test", "password": PASSWORD}, dev.token)
    assert asked == {"requestEmailChange": True}
    notice = portal.inbox.wait_for("ada@example.com", "email address is changing")
    assert "ada@new.test" in body(notice)
    assert "token=" not in body(notice)
    link = portal.inbox.wait_for("ada@new.test", "Confirm your new email")
    assert "http://portal.test/confirm-email-change?token=" in body(link)
    token = token_from(link)
    assert api.data(ME, token=dev.token)["me"]["email"] == "ada@example.com"  # not yet

    changed = api.data(CONFIRM_CHANGE, {"token": token})  # no session needed
    assert changed == {"confirmEmailChange": {"email": "ada@new.test"}}
    assert api.error(CONFIRM_CHANGE, {"token": token}).code == "INVALID_TOKEN"
    assert portal.log_in("ada@new.test")
    assert api.data(ME, token=dev.token)["me"]["email"] == "ada@new.test"


def test_a_taken_address_gets_a_note_and_a_late_one_a_conflict(portal: Portal) -> None:
    api = portal.api
    ada = portal.developer("ada@example.com")
    portal.developer("bob@example.com")
    taken = api.data(ASK_CHANGE, {"email": "bob@example.com", "password": PASSWORD}, ada.token)
    assert taken == {"requestEmailChange": True}
    note = portal.inbox.wait_for("bob@example.com", "already has an account")
    assert "token=" not in body(note)

    api.data(ASK_CHANGE, {"email": "shared@example.com", "password": PASSWORD}, ada.token)
    token = token_from(portal.inbox.wait_for("shared@example.com", "Confirm your new email"))
    portal.developer("shared@example.com")  # someone takes it meanwhile
    assert api.error(CONFIRM_CHANGE, {"token": token}).code == "CONFLICT"
    same = api.error(ASK_CHANGE, {"email": "ada@example.com", "password": PASSWORD}, ada.token)
    assert same.code == "BAD_USER_INPUT"
    assert api.error(ASK_CHANGE, {"email": "x@y.test", "password": PASSWORD}).code == (
        "UNAUTHENTICATED"
    )


def test_the_email_change_page_confirms_on_submit(portal: Portal) -> None:
    dev = portal.developer("ada@example.com")
    portal.api.data(ASK_CHANGE, {"email": "ada@new.test", "password": PASSWORD}, dev.token)
    token = token_from(portal.inbox.wait_for("ada@new.test", "Confirm your new email"))
    shown = portal.api.client.get(f"/confirm-email-change?token={token}")
    assert shown.status_code == 200
    assert shown.headers["X-Frame-Options"] == "DENY"
    done = portal.api.client.post("/confirm-email-change", data={"token": token})
    assert done.status_code == 200
    assert portal.log_in("ada@new.test")
