"""Names that try to become mail headers: encoded words, line breaks and any mix of them go
out as the subject's literal text, and nothing more."""

from __future__ import annotations

import base64
import email
import email.policy
import random
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message

from devportal.mailer import templates
from devportal.mailer.delivery import compose
from devportal.models import OutboxMessage
from tests.flows import Catalog, Portal
from tests.support import body
from tests.test_mail_subjects import ADA, ADMIN


def _b(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


INJECTION = "=?utf-8?q?=0D=0AReply-To:_evil@x.test?="
HOSTILE_NAMES = [
    pytest.param(INJECTION, id="q encoding"),
    pytest.param("=?UTF-8?Q?=0d=0aReply-To:_evil@x.test?=", id="upper case"),
    pytest.param("=?utf-8?b?" + _b("\r\nReply-To: evil@x.test") + "?=", id="b encoding"),
    pytest.param("=?Utf-8?B?" + _b("\nBcc: evil@x.test") + "?=", id="b encoding mixed case"),
    pytest.param("=?iso-8859-1?q?=0D=0ABcc:_evil@x.test?=", id="latin-1"),
    pytest.param("=?utf-8*en?q?=0D=0AReply-To:_evil@x.test?=", id="language tag"),
    pytest.param("=?utf-8?q?=0D=0A=0D=0A<html><body>Click_me</body></html>?=", id="a body"),
    pytest.param("=?utf-8?q?=0D?= =?utf-8?q?=0AReply-To:_evil@x.test?=", id="split"),
    pytest.param("=?utf-8?q?=0D?==?utf-8?q?=0AReply-To:_evil@x.test?=", id="split, no space"),
    pytest.param(f"My{INJECTION}App", id="inside a word"),
    pytest.param("x" * 70 + " " + INJECTION, id="folded"),
    pytest.param("Dashboard " * 15 + INJECTION, id="folded many times"),
    pytest.param("Tableau de bord ünïcödé " * 4 + INJECTION, id="folded, not ASCII"),
    pytest.param("=?utf-8?q?=E2=80=A8Reply-To:_evil@x.test?=", id="line separator"),
    pytest.param("=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0AReply-To:_x@x.test=3F=3D?=", id="nested"),
]
# What every mail holds: From and To come from settings and checked addresses, the rest
# from the mailer. No name may add to them.
HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
]


def _only_our_headers(message: EmailMessage, subject: str) -> None:
    assert sorted(message.keys()) == sorted(HEADERS), message.keys()
    assert not message.is_multipart()
    assert message.get_content_type() == "text/plain"
    assert message.defects == [], message.defects
    assert str(message["Subject"]) == subject


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_encoded_words_in_names_never_become_headers(
    portal: Portal, catalog: Catalog, name: str
) -> None:
    weather = catalog.service("weather", "v1")
    dev = portal.developer(ADA)
    app_id = catalog.application(dev.token, "hostile", name)
    registration = catalog.register(dev.token, app_id, weather)

    request = portal.inbox.wait_for(ADMIN, "Access request")
    _only_our_headers(request, f"Access request: {name} for Weather v1")
    assert f'The application "{name}" (hostile) asks' in body(request)

    catalog.decide("approveRegistration", registration["id"])
    decision = portal.inbox.wait_for(ADA, "v1 approved")
    _only_our_headers(decision, f"{name}: access to Weather v1 approved")


# Pieces of encoded words, line breaks, long words and wide characters, put together at random.
PIECES = [
    "=?",
    "?=",
    "utf-8",
    "UTF-8",
    "iso-8859-1",
    "?q?",
    "?Q?",
    "?b?",
    "?B?",
    "=0D",
    "=0A",
    "=0d",
    "_",
    " ",
    "  ",
    "Reply-To:",
    "Bcc: x@x.test",
    "\r\n",
    "\n",
    "\u2028",
    "\t",
    "DQo=",
    "x" * 40,
    "é",
    "中文",
    "\U0001f600",
    "\u202e",
    "\u200b",
    "<html>",
    '"',
    "\\",
    "(",
    ")",
]


def _random_names(count: int) -> list[str]:
    pick = random.Random(2047)  # the same names on every run
    names = []
    for _ in range(count):
        parts = pick.choices(PIECES, k=pick.randint(1, 20))
        names.append("".join(parts)[:200])
    return names


def _serialised(subject: str, *, utf8: bool) -> EmailMessage:
    """``subject`` in a mail as it goes out over SMTP (with or without SMTPUTF8), read back."""
    row = OutboxMessage(recipient=ADA, subject=subject, body="Hello", created_at=datetime.now(UTC))
    wire = flatten_message(compose(row, mail_from="Portal <no-reply@portal.test>"), utf8=utf8)
    for line in wire.split(b"\r\n\r\n")[0].split(b"\r\n"):
        assert len(line) <= 78, line  # folded by us, not refolded from a parse
    message = email.message_from_bytes(wire, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("utf8", [False, True], ids=["ascii", "smtputf8"])
def test_any_subject_goes_out_as_its_literal_text_and_nothing_more(utf8: bool) -> None:
    hostile = [str(param.values[0]) for param in HOSTILE_NAMES]
    for name in hostile + _random_names(300):
        subject = templates.registration_requested(
            application=name, reference_id="app", service=name, version="v1", link="x"
        ).subject
        message = _serialised(subject, utf8=utf8)
        _only_our_headers(message, subject)
