"""What an account's inputs must be: addresses as stored and compared, passwords."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from devportal.errors import BadUserInput

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_EMAIL = 254  # RFC 5321's longest path; checked before email-validator sees the text


def normalize_email(email: str) -> str:
    """An address as stored and compared: lower-case ASCII, an IDN domain in punycode.

    ASCII because addresses travel where only ASCII fits: the gateway's
    ``X-Consumer-Developer-Email`` header, and SMTP without SMTPUTF8.
    """
    email = email.strip()
    if len(email) > MAX_EMAIL:
        raise BadUserInput(f"Enter a valid email address: at most {MAX_EMAIL} characters.")
    try:
        checked = validate_email(
            email,
            check_deliverability=False,  # no DNS lookups while answering a request
            allow_smtputf8=False,
            test_environment=True,  # allows *.test, as in the demo
        )
    except EmailNotValidError as error:
        raise BadUserInput(f"Enter a valid email address. {error}") from None
    return (checked.ascii_email or checked.normalized).lower()


def login_email(email: str) -> str:
    """Log-in takes any string: a malformed address is just a wrong one."""
    try:
        return normalize_email(email)
    except BadUserInput:
        return email.strip().lower()[:320]


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(f"The password must be at least {MIN_PASSWORD} characters long.")
    if len(password) > MAX_PASSWORD:
        raise BadUserInput(f"The password must be at most {MAX_PASSWORD} characters long.")
    return password
