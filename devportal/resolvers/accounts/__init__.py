"""Accounts: sign-up, email confirmation, approval, log-in, sessions, password reset.

One module per concern; this package re-exports what the rest of devportal uses.
"""

from devportal.resolvers.accounts.admins import (
    accept_admin_invitation,
    any_admin_exists,
    create_admin,
    invite_admin,
    remove_admin,
)
from devportal.resolvers.accounts.decisions import (
    DeveloperDecision,
    approve_developer,
    reject_developer,
    revoke_developer,
)
from devportal.resolvers.accounts.email_change import confirm_email_change, request_email_change
from devportal.resolvers.accounts.erasure import delete_developer, delete_my_account
from devportal.resolvers.accounts.inputs import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    check_password,
    normalize_email,
)
from devportal.resolvers.accounts.listing import (
    get_admin,
    get_developer,
    list_admins,
    list_developers,
)
from devportal.resolvers.accounts.login import IssuedSession, admin_log_in, issue_session, log_in
from devportal.resolvers.accounts.profile import ProfileChange, change_password, update_profile
from devportal.resolvers.accounts.reset import request_password_reset, reset_password
from devportal.resolvers.accounts.sessions import Authenticated, authenticate, log_out
from devportal.resolvers.accounts.shared import confirm_unconfirmed
from devportal.resolvers.accounts.signup import SignUpData, confirm_email, sign_up

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "Authenticated",
    "DeveloperDecision",
    "IssuedSession",
    "ProfileChange",
    "SignUpData",
    "accept_admin_invitation",
    "admin_log_in",
    "any_admin_exists",
    "approve_developer",
    "authenticate",
    "change_password",
    "check_password",
    "confirm_email",
    "confirm_email_change",
    "confirm_unconfirmed",
    "create_admin",
    "delete_developer",
    "delete_my_account",
    "get_admin",
    "get_developer",
    "invite_admin",
    "issue_session",
    "list_admins",
    "list_developers",
    "log_in",
    "log_out",
    "normalize_email",
    "reject_developer",
    "remove_admin",
    "request_email_change",
    "request_password_reset",
    "reset_password",
    "revoke_developer",
    "sign_up",
    "update_profile",
]
