"""The pages a mailed link opens: confirm an address, choose a new password."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import tomllib
from pathlib import Path

import httpx2
from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import make_settings
from tests.flows import ASK_RESET_PASSWORD, LOG_IN, ME, PASSWORD, Portal
from tests.support import SmtpServer, body, token_from


def test_the_confirmation_link_shows_a_form_and_confirms_on_submit(portal: Portal) -> None:
    client = portal.api.client
    portal.sign_up("ada@example.com")
    mail = portal.inbox.wait_for("ada@example.com", "Confirm your email")
    token = token_from(mail)
    link = f"/confirm-email?token={token}"
    assert f"http://portal.test{link}" in body(mail)

    shown = client.get(link)
    assert shown.status_code == 200
    assert f'value="{token}"' in shown.text
    # Opening the link (as a mail scanner does) spends nothing.
    refused = portal.api.error(LOG_IN, {"email": "ada@example.com", "password": PASSWORD})
    assert refused.code == "EMAIL_NOT_CONFIRMED"

    confirmed = client.post("/confirm-email", data={"token": token})
    assert confirmed.status_code == 200
    assert "An administrator will review your account" in confirmed.text
    pending = portal.api.error(LOG_IN, {"email": "ada@example.com", "password": PASSWORD})
    assert pending.code == "ACCOUNT_PENDING_APPROVAL"

    again = client.post("/confirm-email", data={"token": token})
    assert again.status_code == 400
    assert "invalid or has expired" in again.text


def test_the_reset_link_sets_a_new_password(portal: Portal) -> None:
    client = portal.api.client
    dev = portal.developer("ada@example.com")
    portal.api.data(ASK_RESET_PASSWORD, {"email": dev.email})
    token = token_from(portal.inbox.wait_for(dev.email, "Reset your password"))

    assert 'type="password"' in client.get(f"/reset-password?token={token}").text
    short = client.post("/reset-password", data={"token": token, "password": "short"})
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    assert f'value="{token}"' in short.text  # the form is shown again, still usable

    done = client.post("/reset-password", data={"token": token, "password": "a new passphrase!"})
    assert done.status_code == 200
    assert portal.api.data(ME, token=dev.token) == {"me": None}
    assert portal.log_in(dev.email, "a new passphrase!")


def test_the_pages_escape_what_they_are_given(portal: Portal) -> None:
    page = portal.api.client.get('/confirm-email?token="><script>alert(1)</script>')
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_reset_page_without_a_token_sends_a_link(portal: Portal) -> None:
    """Where the 'you already have an account' mail leads."""
    client = portal.api.client
    portal.developer("ada@example.com")
    assert 'type="email"' in client.get("/reset-password").text
    sent = client.post("/reset-password", data={"email": "ada@example.com"})
    assert sent.status_code == 200
    assert "on its way" in sent.text
    token = token_from(portal.inbox.wait_for("ada@example.com", "Reset your password"))
    assert client.post("/reset-password", data={"token": token, "password": "x" * 12}).is_success
    nobody = client.post("/reset-password", data={"email": "nobody@example.com"})
    assert nobody.text == sent.text


def _never_framed(response: httpx2.Response) -> None:
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_page_refuses_frames_and_referrers(portal: Portal) -> None:
    client = portal.api.client
    for path in ("/confirm-email?token=x", "/reset-password?token=x", "/reset-password"):
        page = client.get(path)
        _never_framed(page)
        assert "default-src 'none'" in page.headers["content-security-policy"]
    _never_framed(client.get("/graphql", headers={"Accept": "text/html"}))


def test_graphiql_keeps_no_token_and_takes_no_operation_from_a_link(portal: Portal) -> None:
    """A link cannot open GraphiQL with a mutation ready to run, nor headers filled in."""
    client = portal.api.client
    page = client.get("/graphql?q=mutation%7BrevokeDeveloper%7D", headers={"Accept": "text/html"})
    assert page.status_code == 200
    script = client.get("/graphiql-assets/devportal-graphiql.js")
    assert script.status_code == 200
    assert "shouldPersistHeaders: false" in script.text
    assert "location.search" not in script.text
    assert "revokeDeveloper" not in page.text


def test_graphiql_needs_nothing_from_another_origin(portal: Portal) -> None:
    """Every script and style is devportal's, pinned by a hash the browser checks."""
    client = portal.api.client
    page = client.get("/graphql", headers={"Accept": "text/html"})
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert not re.search(r"https?:|\*|unsafe", policy), policy
    assets = re.findall(r'(?:src|href)="([^"]+)" integrity="(sha384-[^"]+)"', page.text)
    assert len(assets) == 8, page.text
    for path, integrity in assets:
        assert path.startswith("/graphiql-assets/"), path
        asset = client.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["x-content-type-options"] == "nosniff"
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert integrity == f"sha384-{digest}", path


def test_without_graphiql_its_assets_are_not_served(database_url: str, smtp: SmtpServer) -> None:
    settings = make_settings(database_url, smtp.port, graphiql=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/graphiql-assets/devportal-graphiql.js").status_code == 404
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code != 200


def test_a_huge_address_on_the_reset_page_is_refused_before_it_is_parsed(portal: Portal) -> None:
    """The page's form is no GraphQL request, whose text limit would refuse it first."""
    client = portal.api.client

    def fastest_of_three(form: dict[str, str]) -> float:
        """The fastest try: a hiccup of a busy machine slows one, not all three."""
        times = []
        for _ in range(3):
            start = time.perf_counter()
            answer = client.post("/reset-password", data=form)
            times.append(time.perf_counter() - start)
            assert answer.status_code in (200, 400)
        return min(times)

    # The same bytes to send and to read as a form; only where they stand differs.
    usual = fastest_of_three({"email": "ada@example.com", "padding": "a" * 900_000})
    took = fastest_of_three({"email": "a" * 900_000 + "@example.com"})
    assert took < 3 * usual + 0.1, (took, usual)


def test_the_spa_is_served_with_the_headers_of_every_page(
    database_url: str, smtp: SmtpServer
) -> None:
    """``serve --spa examples/spa``: its routes (where mailed links point) get its page."""
    spa = Path(__file__).parent.parent / "examples" / "spa"
    settings = make_settings(database_url, smtp.port, spa_dir=spa)
    with TestClient(create_app(settings)) as client:
        index = (spa / "index.html").read_text()
        for path in ("/", "/index.html", "/login", "/applications", "/admin/registrations"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert page.text == index, path
            _never_framed(page)
            policy = page.headers["content-security-policy"]
            assert "script-src 'self';" in policy
            assert not re.search(r"https?:|\*|unsafe", policy), policy
        script = client.get("/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.headers["x-content-type-options"] == "nosniff"
        assert client.get("/missing.js").status_code == 404
        # devportal's own routes come first.
        assert client.get("/graphql", headers={"Accept": "text/html"}).text != index
        assert client.get("/healthz").json() == {"status": "ok"}


def test_the_wheel_carries_every_file_graphiql_needs() -> None:
    """GraphiQL works from a wheel only if its files are package data: each is listed."""
    root = Path(__file__).parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["devportal"]
    package = root / "devportal"
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    needed = {path for path in (package / "static").rglob("*") if path.is_file()}
    assert needed - shipped == set()
    assert len(needed) > 10
