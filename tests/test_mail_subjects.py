"""Mail subjects built from names people choose: one line, and short enough for the outbox."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col
from starlette.applications import Starlette
from starlette.testclient import TestClient
from strawberry import relay

from devportal.db import Database
from devportal.mailer import templates
from devportal.mailer.templates import SUBJECT_LIMIT
from devportal.models import Application, Service
from tests.flows import Catalog, Portal
from tests.support import body

ADMIN = "admin@portal.test"
ADA = "ada@example.com"


def _one_line_and_short(subject: str) -> None:
    assert len(subject) <= SUBJECT_LIMIT, (len(subject), subject)
    assert subject.isprintable(), repr(subject)
    assert "  " not in subject, repr(subject)


def test_names_at_their_longest_make_subjects_that_fit_the_outbox(
    portal: Portal, catalog: Catalog
) -> None:
    application, service, version = "A" * 199 + "Z", "S" * 199 + "Z", "v" * 49 + "Z"
    weather = catalog.service("weather", version, name=service)
    dev = portal.developer(ADA)
    app_id = catalog.application(dev.token, "long-names", application)

    # On PostgreSQL a subject over 300 characters rolls the registration back.
    registration = catalog.register(dev.token, app_id, weather)
    assert registration["status"] == "PENDING"
    request = portal.inbox.wait_for(ADMIN, "Access request")
    subject = str(request["Subject"])
    _one_line_and_short(subject)
    # Both long names are shortened, visibly; the body still names them in full.
    assert subject.count("\u2026") == 2, subject
    assert "Z\u2026" not in subject
    assert subject.startswith("Access request: AAAA")
    assert " for SSSS" in subject
    assert subject.endswith(version), subject
    assert application in body(request)
    assert service in body(request)

    assert catalog.decide("approveRegistration", registration["id"])["status"] == "APPROVED"
    decision = portal.inbox.wait_for(ADA, f"{version} approved")
    _one_line_and_short(str(decision["Subject"]))
    assert str(decision["Subject"]).startswith("AAAA")


async def _rename(
    db: Database, application_id: str, service_id: str, application: str, service: str
) -> None:
    """Give an application and a service names saved before input checks refused them."""
    async with db.transaction() as session:
        await session.execute(
            sa.update(Application)
            .where(col(Application.id) == _row_id(application_id))
            .values(name=application)
        )
        await session.execute(
            sa.update(Service).where(col(Service.id) == _row_id(service_id)).values(name=service)
        )


def _row_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


def test_line_breaks_and_tabs_in_stored_names_do_not_stop_the_mail(
    client: TestClient, portal: Portal, catalog: Catalog
) -> None:
    registration = _registered_with_stored_names(
        client, portal, catalog, "Ada's\r\nweather\n\n dashboard", "Weather\tforecasts"
    )

    # A line break in a header is refused: the mail would fail for good, unsent.
    request = portal.inbox.wait_for(ADMIN, "Access request")
    assert request["Subject"] == "Access request: Ada's weather dashboard for Weather forecasts v1"
    catalog.decide("rejectRegistration", registration["id"])
    decision = portal.inbox.wait_for(ADA, "rejected")
    assert decision["Subject"] == (
        "Ada's weather dashboard: access to Weather forecasts v1 rejected"
    )


def test_invisible_and_text_direction_characters_in_stored_names_are_left_out(
    client: TestClient, portal: Portal, catalog: Catalog
) -> None:
    # Saved before the input checks refused them: shown as is, the override would
    # make the admin read "Weather appexe.png" where the name says "gnp.exe".
    _registered_with_stored_names(
        client, portal, catalog, "\ufeffAda's\u200b app\u202egnp.exe", "\u2066Weather\u2069\u3164"
    )
    request = portal.inbox.wait_for(ADMIN, "Access request")
    assert request["Subject"] == "Access request: Ada's appgnp.exe for Weather v1"
    assert 'The application "Ada\'s appgnp.exe" (dashboard)' in body(request)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada's\napp", "Ada's app"),
        ("app\u202egnp.exe", "appgnp.exe"),  # right-to-left override
        ("Ada's\u200b \ufeffapp\u2066\u2069", "Ada's app"),  # zero width, byte order mark
        ("\u3164 Ada's \u00adapp\U000e0041", "Ada's app"),  # Hangul filler, soft hyphen, tag
        ("Wetter \u2764\ufe0f", "Wetter \u2764\ufe0f"),  # a variation selector stays
        ("  Ada's \r\n\t app  ", "Ada's app"),
        ("Ada's\u2028app", "Ada's app"),  # Unicode line separator
        ("Ada's\x00\x1b[31m app\x7f", "Ada's[31m app"),  # other control characters go
        ("Ada's \x00 app", "Ada's app"),
        ("Ünïcödé app ✓", "Ünïcödé app ✓"),
    ],
)
def test_names_in_subjects_are_flattened_to_one_line(name: str, shown: str) -> None:
    request = templates.registration_requested(
        application=name, reference_id="app", service="Weather", version="v1", link="x"
    )
    assert request.subject == f"Access request: {shown} for Weather v1"
    decision = templates.registration_decision(
        full_name="Ada",
        application=name,
        service="Weather",
        version="v1",
        decision="APPROVED",
        link="x",
    )
    assert decision.subject == f"{shown}: access to Weather v1 approved"


def test_only_names_that_are_too_long_are_shortened() -> None:
    too_long = templates.registration_requested(
        application="A" * 200, reference_id="app", service="S" * 100, version="v1", link="x"
    )
    assert len(too_long.subject) == SUBJECT_LIMIT
    assert too_long.subject.startswith("Access request: AAA")
    assert too_long.subject.endswith(f"A\u2026 for {'S' * 100} v1")

    fits = templates.registration_requested(
        application="A" * 130, reference_id="app", service="S" * 130, version="v1", link="x"
    )
    assert "\u2026" not in fits.subject
    assert len(fits.subject) <= SUBJECT_LIMIT

    for decision in ("APPROVED", "REJECTED"):
        longest = templates.registration_decision(
            full_name="Ada",
            application="A\n" * 100,
            service="S" * 200,
            version="v" * 50,
            decision=decision,
            link="x",
        )
        _one_line_and_short(longest.subject)
        assert longest.subject.endswith(f"{'v' * 50} {decision.lower()}")


def _registered_with_stored_names(
    client: TestClient, portal: Portal, catalog: Catalog, application: str, service: str
) -> dict[str, Any]:
    """Ada's application asks for weather v1, both renamed as rows stored before the
    input checks (which refuse such names now) could hold them."""
    weather = catalog.service("weather", "v1")
    dev = portal.developer(ADA)
    app_id = catalog.application(dev.token, "dashboard", "Dashboard")
    app = client.app
    assert isinstance(app, Starlette)
    assert client.portal is not None
    client.portal.call(_rename, app.state.db, app_id, weather.service_id, application, service)
    return catalog.register(dev.token, app_id, weather)
