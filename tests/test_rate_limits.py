"""Rate limits: guessing passwords, and making the portal mail someone over and over."""

from __future__ import annotations

from tests.flows import ADMIN_LOG_IN, ASK_RESET_PASSWORD, LOG_IN, PASSWORD, Portal


def test_too_many_wrong_passwords_lock_the_address_for_a_while(portal: Portal) -> None:
    portal.developer("ada@example.com")
    portal.developer("bob@example.com")
    wrong = {"email": "ada@example.com", "password": "not the password"}
    for _ in range(10):
        assert portal.api.error(LOG_IN, wrong).code == "INVALID_CREDENTIALS"
    locked = portal.api.error(LOG_IN, {"email": "ADA@example.com", "password": PASSWORD})
    assert locked.code == "RATE_LIMITED"
    assert "try again in 15 minutes" in locked.message
    # Someone else's account is not affected.
    assert portal.log_in("bob@example.com")


def test_a_successful_log_in_forgets_earlier_mistakes(portal: Portal) -> None:
    portal.developer("ada@example.com")
    wrong = {"email": "ada@example.com", "password": "not the password"}
    for _ in range(9):
        portal.api.error(LOG_IN, wrong)
    assert portal.log_in("ada@example.com")
    for _ in range(9):
        portal.api.error(LOG_IN, wrong)
    assert portal.log_in("ada@example.com")


def test_guessing_an_admin_password_is_limited_too(portal: Portal) -> None:
    wrong = {"email": "admin@portal.test", "password": "not the password"}
    for _ in range(10):
        assert portal.api.error(ADMIN_LOG_IN, wrong).code == "INVALID_CREDENTIALS"
    assert portal.api.error(ADMIN_LOG_IN, wrong).code == "RATE_LIMITED"


def test_an_address_gets_at_most_five_such_mails_an_hour(portal: Portal) -> None:
    portal.developer("ada@example.com")
    for _ in range(7):
        assert portal.api.data(ASK_RESET_PASSWORD, {"email": "ada@example.com"}) == {
            "requestPasswordReset": True
        }
    # Mail leaves in order: once a later one has arrived, all earlier ones have.
    portal.sign_up("later@example.com")
    portal.inbox.wait_for("later@example.com", "Confirm your email")
    resets = [m for m in portal.inbox.drain() if "Reset your password" in str(m["Subject"])]
    assert len(resets) == 4  # the sign-up's confirmation mail was the first of the five
