"""Plain-text mail, one function per message in the contract's email table."""

import re
from dataclasses import dataclass
from textwrap import dedent

from devportal.resolvers.checks import LINE_BREAKS, unseen

# The outbox's subject column is VARCHAR(300): PostgreSQL refuses anything longer,
# which would roll back the change that queued the mail.
SUBJECT_LIMIT = 300
_WHITESPACE = re.compile(r"\s+")
_ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def one_line(text: str) -> str:
    """``text`` fit for a header: whitespace runs (line breaks too) become one space, and
    characters the input checks refuse (control, invisible, text-direction) go. Names
    stored before those checks may hold them; a line break in a header is refused, and
    an override would show an admin the name in another order."""
    kept = "".join(c for c in text if c.isspace() or not unseen(c))
    return _WHITESPACE.sub(" ", kept).strip()


def _visible(body: str) -> str:
    """``body`` without the characters the input checks refuse, line breaks and tabs aside."""
    return "".join(c for c in body if c in LINE_BREAKS or not unseen(c))


def _shorten(name: str, length: int) -> str:
    if len(name) <= length:
        return name
    return name[: max(length - 1, 0)].rstrip() + _ELLIPSIS


def _subject(template: str, **names: str) -> str:
    """``template`` with ``names`` filled in, on one line and at most SUBJECT_LIMIT long.

    Names come from users (applications, services, versions) and may be long or hold
    line breaks; the longest ones are shortened, with an ellipsis, until the subject fits.
    """
    names = {key: one_line(value) for key, value in names.items()}
    room = SUBJECT_LIMIT - len(template.format(**dict.fromkeys(names, "")))
    longest = max((len(value) for value in names.values()), default=0)
    while longest > 1 and sum(min(len(value), longest) for value in names.values()) > room:
        longest -= 1
    shortened = {key: _shorten(value, longest) for key, value in names.items()}
    return one_line(template.format(**shortened))[:SUBJECT_LIMIT]


def _text(body: str) -> str:
    return _visible(dedent(body).strip()) + "\n"


def confirm_email(*, full_name: str, link: str) -> Mail:
    return Mail(
        _subject("Confirm your email address"),
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
        _subject("You already have an account"),
        _text(f"""
            Hello,

            Someone (hopefully you) tried to sign up to the developer portal with
            this address, but you already have an account. Log in as usual, or
            reset your password here:

            {reset_link}

            If this was not you, ignore this message: nothing has changed.
            """),
    )


def _reason(reason: str | None) -> str:
    return f"\n\nThe reason given:\n\n{reason}" if reason else ""


def developer_decision(
    *, full_name: str, decision: str, login_link: str, reason: str | None = None
) -> Mail:
    lines = {
        "APPROVED": f"Your developer account is approved. You can log in now:\n\n{login_link}",
        "REJECTED": "Your request for a developer account has been declined.",
        "REVOKED": "Your developer account has been revoked; your API keys no longer work.",
    }
    return Mail(
        _subject("Your developer account: {decision}", decision=decision.lower()),
        _visible(f"Hello {full_name},\n\n{lines[decision]}{_reason(reason)}\n"),
    )


def password_reset(*, full_name: str, link: str) -> Mail:
    return Mail(
        _subject("Reset your password"),
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
    *,
    application: str,
    reference_id: str,
    service: str,
    version: str,
    link: str,
    message: str | None = None,
) -> Mail:
    note = f"\n\nThe developer wrote:\n\n{message}" if message else ""
    return Mail(
        _subject(
            "Access request: {application} for {service} {version}",
            application=application,
            service=service,
            version=version,
        ),
        _text(f"""
            Hello,

            The application "{application}" ({reference_id}) asks for access to
            {service} {version}. Approve or reject it here:

            {link}
            """).rstrip("\n")
        + _visible(note)
        + "\n",
    )


def registration_decision(
    *,
    full_name: str,
    application: str,
    service: str,
    version: str,
    decision: str,
    link: str,
    reason: str | None = None,
) -> Mail:
    verdict = {
        "APPROVED": "has been approved: you can call it with your application's API keys",
        "REJECTED": "has been rejected",
    }[decision]
    return Mail(
        _subject(
            "{application}: access to {service} {version} {decision}",
            application=application,
            service=service,
            version=version,
            decision=decision.lower(),
        ),
        _text(f"""
            Hello {full_name},

            The access of your application "{application}" to {service} {version}
            {verdict}.

            {link}
            """).rstrip("\n")
        + _visible(_reason(reason))
        + "\n",
    )


def credential_expiring(
    *, full_name: str, application: str, credential: str, name: str | None, expires: str, link: str
) -> Mail:
    """``credential`` is a key's prefix or a client ID: enough to recognise it, never secret."""
    label = f'"{name}" ({credential})' if name else credential
    return Mail(
        _subject(
            "{application}: credential {credential} expires {expires}",
            application=application,
            credential=credential,
            expires=expires,
        ),
        _text(f"""
            Hello {full_name},

            The credential {label} of your application "{application}" expires
            on {expires}. After that, calls made with it are refused. Rotate it
            (or generate a new one) and put the new one in place before then:

            {link}
            """),
    )


def admin_invitation(*, inviter: str, link: str, days: int) -> Mail:
    return Mail(
        _subject("You are invited to run the developer portal"),
        _text(f"""
            Hello,

            {inviter} invites you to be an administrator of the developer portal.
            To accept, choose your password here:

            {link}

            The link works once and for {days} days. If you did not expect this,
            ignore this message.
            """),
    )


def email_change(*, full_name: str, link: str) -> Mail:
    return Mail(
        _subject("Confirm your new email address"),
        _text(f"""
            Hello {full_name},

            You asked to use this address for your developer portal account.
            Confirm it by opening this link:

            {link}

            The link works once and expires soon. If you did not ask for this,
            ignore this message.
            """),
    )


def email_change_notice(*, full_name: str, new_email: str) -> Mail:
    return Mail(
        _subject("Your account's email address is changing"),
        _text(f"""
            Hello {full_name},

            Someone logged in to your developer portal account asked to use
            {new_email} instead of this address. It changes once the link sent
            there is opened. If this was not you, change your password now.
            """),
    )


def email_change_taken() -> Mail:
    return Mail(
        _subject("This address already has an account"),
        _text("""
            Hello,

            Someone asked to move their developer portal account to this address,
            but it already has an account, so nothing changes. If this was you,
            log in with this address instead.
            """),
    )


def team_invitation(*, team: str, inviter: str, role: str, link: str) -> Mail:
    return Mail(
        _subject("Join the team {team} on the developer portal", team=team),
        _text(f"""
            Hello,

            {inviter} invites you to the team "{team}" as {role.lower()}: its members
            share applications, their access and their API keys.

            To join, log in with the developer account of this address and open:

            {link}

            The link works once and expires in 7 days. If you do not want to join,
            ignore this message.
            """),
    )
