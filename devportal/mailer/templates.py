"""Plain-text mail, one function per message in the contract's email table."""

from dataclasses import dataclass
from textwrap import dedent


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _text(body: str) -> str:
    return dedent(body).strip() + "\n"


def confirm_email(*, full_name: str, link: str) -> Mail:
    return Mail(
        "Confirm your email address",
        _text(f"""
            Hello {full_name},

            Thanks for signing up to the developer portal. Confirm your email
            address by opening this link:

            {link}

            The link works once. If you did not sign up, ignore this message.
            """),
    )


def account_exists(*, reset_link: str) -> Mail:
    return Mail(
        "You already have an account",
        _text(f"""
            Hello,

            Someone (hopefully you) tried to sign up to the developer portal with
            this address, but you already have an account. Log in as usual, or
            reset your password here:

            {reset_link}

            If this was not you, ignore this message: nothing has changed.
            """),
    )


def developer_decision(*, full_name: str, decision: str, login_link: str) -> Mail:
    lines = {
        "APPROVED": f"Your developer account is approved. You can log in now:\n\n{login_link}",
        "REJECTED": "Your request for a developer account has been declined.",
        "REVOKED": "Your developer account has been revoked; your API keys no longer work.",
    }
    return Mail(
        f"Your developer account: {decision.lower()}",
        f"Hello {full_name},\n\n{lines[decision]}\n",
    )


def password_reset(*, full_name: str, link: str) -> Mail:
    return Mail(
        "Reset your password",
        _text(f"""
            Hello {full_name},

            Someone asked to reset the password of your developer portal account.
            To choose a new password, open this link:

            {link}

            The link works once and expires soon. If you did not ask for this,
            ignore this message: your password has not changed.
            """),
    )


def registration_requested(
    *, application: str, reference_id: str, service: str, version: str, link: str
) -> Mail:
    return Mail(
        f"Access request: {application} for {service} {version}",
        _text(f"""
            Hello,

            The application "{application}" ({reference_id}) asks for access to
            {service} {version}. Approve or reject it here:

            {link}
            """),
    )


def registration_decision(
    *, full_name: str, application: str, service: str, version: str, decision: str, link: str
) -> Mail:
    verdict = {
        "APPROVED": "has been approved: you can call it with your application's API keys",
        "REJECTED": "has been rejected",
    }[decision]
    return Mail(
        f"{application}: access to {service} {version} {decision.lower()}",
        _text(f"""
            Hello {full_name},

            The access of your application "{application}" to {service} {version}
            {verdict}.

            {link}
            """),
    )
