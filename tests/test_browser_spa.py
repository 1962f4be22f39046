"""The reference SPA (examples/spa) in Chromium: the whole developer flow, on devportal's
own origin and from another origin through DEVPORTAL_CORS_ORIGINS, with the
registration's APPROVED arriving live; and a page on an origin not listed, refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from devportal.app import create_app
from devportal.settings import Settings
from tests.browser import Offline, chromium
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings, portal_on
from tests.flows import PASSWORD, Catalog, Portal
from tests.servers import threaded_server
from tests.support import LogCounter, SmtpServer, attached

pytestmark = pytest.mark.browser

SPA = Path(__file__).parent.parent / "examples" / "spa"
EMAIL = "ada@example.com"
INVALID = "Invalid email or password."


def _elsewhere(stack: ExitStack, directory: Path) -> tuple[str, Path]:
    """A copy of the SPA served by a plain static server, on another origin (localhost
    rather than 127.0.0.1, and another port). Its config.js is written once the API is up."""
    copy = directory / "spa"
    shutil.copytree(SPA, copy)
    files = StaticFiles(directory=copy, html=True)
    url = stack.enter_context(threaded_server(Starlette(routes=[Mount("/", files)])))
    return url.replace("127.0.0.1", "localhost"), copy


def _serve_api(stack: ExitStack, settings: Settings, smtp: SmtpServer) -> tuple[str, Portal]:
    url = stack.enter_context(threaded_server(create_app(settings)))
    client = stack.enter_context(httpx2.Client(base_url=url, timeout=30))
    portal = portal_on(client, smtp)
    return url, portal


@pytest.fixture(params=["same origin", "another origin"])
def spa(
    request: pytest.FixtureRequest, database_url: str, smtp: SmtpServer, tmp_path: Path
) -> Iterator[tuple[str, Portal]]:
    """The SPA's address, and the portal behind it."""
    with ExitStack() as stack:
        if request.param == "same origin":  # devportal serve --spa examples/spa
            settings = make_settings(database_url, smtp.port, spa_dir=SPA)
            url, portal = _serve_api(stack, settings, smtp)
            yield url, portal
        else:
            page_url, copy = _elsewhere(stack, tmp_path)
            settings = make_settings(database_url, smtp.port, cors_origins=page_url)
            api_url, portal = _serve_api(stack, settings, smtp)
            (copy / "config.js").write_text(f'export const API_URL = "{api_url}/graphql";\n')
            yield page_url, portal


@pytest.fixture
def browser(database_url: str) -> Iterator[Browser]:
    """Started after the database is made: Playwright's sync API holds an event loop."""
    with chromium() as browser:
        yield browser


def _sign_up_and_log_in(page: Page, portal: Portal) -> None:
    form = page.locator("#sign-up")
    form.get_by_label("Email").fill(EMAIL)
    form.get_by_label("Full name").fill("Ada Lovelace")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    expect(page.locator("#notice")).to_contain_text(f"Check {EMAIL}")
    # She follows the mailed link; an admin approves her.
    developer = portal.confirm(EMAIL)
    portal.decide("approveDeveloper", developer["id"])

    form = page.locator("#log-in")
    form.get_by_label("Email").fill(EMAIL)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("#who")).to_have_text(f"Ada Lovelace ({EMAIL})")


def test_the_whole_developer_flow_with_the_approval_live(
    spa: tuple[str, Portal], browser: Browser
) -> None:
    url, portal = spa
    Catalog(portal).service("weather", name="Weather")
    offline = Offline(browser)
    page = offline.page()
    page.goto(f"{url}/")
    with attached("devportal.live", LogCounter("subscriber joined")) as joined:
        _sign_up_and_log_in(page, portal)
        joined.wait_for(1)  # the SPA's subscription is in
    expect(page.locator("#catalog")).to_contain_text("Weather")

    form = page.locator("#new-application")
    form.get_by_label("Name").fill("Ada's dashboard")
    form.get_by_label("Reference ID").fill("ada-dashboard")
    form.get_by_role("button", name="Create application").click()
    application = page.locator("li.application", has_text="Ada's dashboard")
    application.get_by_label("Service version for Ada's dashboard").select_option(
        label="Weather v1"
    )
    application.get_by_role("button", name="Register").click()
    status = application.locator(".status")
    expect(status).to_have_text("PENDING")
    application.get_by_role("button", name="Generate key").click()
    key = application.locator("code.key").inner_text()

    verify = portal.api.client.get("/gateway/verify/weather/v1", headers={"apikey": key})
    assert verify.status_code == 403
    registration = status.get_attribute("data-registration")
    assert registration
    Catalog(portal).decide("approveRegistration", registration)
    expect(status).to_have_text("APPROVED")  # pushed over the WebSocket: no reload, no poll
    verify = portal.api.client.get("/gateway/verify/weather/v1", headers={"apikey": key})
    assert verify.status_code == 200

    assert offline.outside == []
    assert offline.errors == []


def test_a_page_on_an_origin_not_listed_is_refused(
    database_url: str, smtp: SmtpServer, tmp_path: Path, browser: Browser
) -> None:
    with ExitStack() as stack:
        page_url, copy = _elsewhere(stack, tmp_path)
        settings = make_settings(database_url, smtp.port, cors_origins="https://portal.example.com")
        api_url, portal = _serve_api(stack, settings, smtp)
        (copy / "config.js").write_text(f'export const API_URL = "{api_url}/graphql";\n')
        token = portal.admin
        page = Offline(browser).page()
        page.goto(f"{page_url}/")

        form = page.locator("#log-in")
        form.get_by_label("Email").fill(EMAIL)
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Log in").click()
        expect(page.locator("#notice")).to_have_text("The portal cannot be reached.")

        # Even with a valid token, neither HTTP nor a WebSocket reaches the API.
        outcome = page.evaluate(
            """async ([url, token]) => {
                const http = await fetch(url, {
                    method: "POST",
                    headers: {"Content-Type": "application/json", Authorization: `Bearer ${token}`},
                    body: JSON.stringify({query: "{ me { __typename } }"}),
                }).then(() => "answered", () => "refused");
                const ws = await new Promise((resolve) => {
                    const ws = url.replace(/^http/, "ws");
                    const socket = new WebSocket(ws, "graphql-transport-ws");
                    socket.onopen = () => resolve("open");
                    socket.onerror = () => resolve("refused");
                });
                return {http, ws};
            }""",
            [f"{api_url}/graphql", token],
        )
        assert outcome == {"http": "refused", "ws": "refused"}
        # The same page, once its origin is listed, gets through: the refusal was CORS's.
        allowed = make_settings(database_url, smtp.port, cors_origins=page_url)
        api_url = stack.enter_context(threaded_server(create_app(allowed)))
        (copy / "config.js").write_text(f'export const API_URL = "{api_url}/graphql";\n')
        page.reload()
        form.get_by_label("Email").fill(ADMIN_EMAIL)
        form.get_by_label("Password").fill(ADMIN_PASSWORD)
        form.get_by_role("button", name="Log in").click()
        # An admin is no developer: the API answered, and said so.
        expect(page.locator("#notice")).to_have_text(INVALID)
