"""Mail settings: the retry delays and their defaults, values left empty in the environment,
and the SMTP port a URL means."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.mailer.delivery import SmtpTransport, retry_delay
from devportal.settings import Settings
from tests.support import WAIT, watching
from tests.test_mail import sign_up


def test_retry_delays_double_up_to_the_cap_and_stay_there() -> None:
    delays = [retry_delay(attempts, base=1.0, cap=10.0) for attempts in range(1, 9)]
    assert delays == [1, 2, 4, 8, 10, 10, 10, 10]
    assert retry_delay(5_000, base=5.0, cap=3600.0) == 3600  # no overflow, however many tries
    assert retry_delay(3, base=60.0, cap=30.0) == 30  # a cap under the base wins


def test_by_default_mail_is_retried_for_most_of_a_day(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_ATTEMPTS", "RETRY_BASE_SECONDS", "RETRY_MAX_SECONDS"):
        monkeypatch.delenv(f"DEVPORTAL_MAIL_{name}", raising=False)
    settings = Settings()
    assert settings.mail_retry_max_seconds == 3600
    # The last try comes this long after the first: waits after each failed try but the last.
    span = sum(
        retry_delay(
            attempts, base=settings.mail_retry_base_seconds, cap=settings.mail_retry_max_seconds
        )
        for attempts in range(1, settings.mail_max_attempts)
    )
    assert 18 * 3600 <= span <= 30 * 3600, span / 3600

    monkeypatch.setenv("DEVPORTAL_MAIL_RETRY_MAX_SECONDS", "600")
    assert Settings().mail_retry_max_seconds == 600


def test_an_empty_smtp_url_in_the_environment_means_mail_to_the_log(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As compose and .env files often leave them: set, but empty.
    monkeypatch.setenv("DEVPORTAL_SMTP_URL", "")
    monkeypatch.setenv("DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL", "")
    settings = Settings(database_url=database_url)
    assert settings.smtp_url is None
    assert settings.bootstrap_admin_email is None
    with (
        watching("devportal.mailer", "confirm-email") as log,
        TestClient(create_app(settings)) as client,
    ):
        sign_up(client)
        assert log.seen.wait(WAIT)
    assert "no DEVPORTAL_SMTP_URL set" in log.records[0].getMessage()


def test_an_empty_database_url_is_refused_not_taken_for_a_local_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEVPORTAL_DATABASE_URL", "")
    with pytest.raises(ValidationError, match="database_url"):
        Settings()


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("smtp://relay.example", 25),
        ("smtp://user:secret@relay.example", 25),  # STARTTLS does not move it to 587
        ("smtps://user:secret@relay.example", 465),
        ("smtp://user:secret@relay.example:587", 587),
    ],
)
def test_the_smtp_port_is_the_urls_or_the_schemes_usual_one(url: str, port: int) -> None:
    assert SmtpTransport(url, timeout=1).port == port
