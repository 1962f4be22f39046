"""GraphiQL in Chromium with no way out to the internet: it loads, logs an admin in,
runs a query, and shows a subscription's event as an approval is made over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from playwright.sync_api import Browser, Page, expect

from devportal.app import create_app
from tests.browser import Offline, chromium
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings, portal_on
from tests.flows import Catalog, Portal
from tests.servers import threaded_server
from tests.support import LogCounter, SmtpServer, attached

pytestmark = pytest.mark.browser


@pytest.fixture
def live(
    request: pytest.FixtureRequest, database_url: str, smtp: SmtpServer
) -> Iterator[tuple[str, Portal]]:
    """Introspection for everyone, unless the test is marked ``admins_only``."""
    admins_only = request.node.get_closest_marker("admins_only") is not None
    settings = make_settings(database_url, smtp.port, introspection_admins_only=admins_only)
    with (
        threaded_server(create_app(settings)) as url,
        httpx2.Client(base_url=url, timeout=30) as client,
    ):
        portal = portal_on(client, smtp)
        yield url, portal


def _run(page: Page, operation: str) -> None:
    """Replace the operation in GraphiQL's editor, as typed, and run it."""
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(operation)
    # GraphiQL parses the editor's text a moment after a change (and then stores it):
    # run before that, and it runs the operation it parsed before.
    page.wait_for_function("text => localStorage.getItem('graphiql:query') === text", arg=operation)
    page.locator(".graphiql-execute-button").click()


def _log_in(page: Page) -> None:
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Logged in as {ADMIN_EMAIL}")


@pytest.fixture
def browser(live: tuple[str, Portal]) -> Iterator[Browser]:
    """Started after the database is made: Playwright's sync API holds an event loop."""
    with chromium() as browser:
        yield browser


def test_graphiql_works_offline_logs_in_queries_and_subscribes(
    live: tuple[str, Portal], browser: Browser
) -> None:
    url, portal = live
    offline = Offline(browser)
    page = offline.page()
    page.goto(f"{url}/graphql")
    expect(page.locator(".graphiql-container")).to_be_visible()
    _log_in(page)
    expect(page.locator(".graphiql-editor-tool textarea").first).to_be_attached()

    _run(page, "{ pendingDevelopers { nodes { email } } me { ... on Admin { email } } }")
    response = page.locator(".graphiql-response")
    expect(response).to_contain_text(ADMIN_EMAIL)

    catalog = Catalog(portal)
    version = catalog.service("weather")
    developer = portal.developer("ada@example.com")
    application = catalog.application(developer.token)
    registration = catalog.register(developer.token, application, version)
    with attached("devportal.live", LogCounter("subscriber joined")) as joined:
        _run(page, "subscription { registrationEvents { kind registration { id status } } }")
        joined.wait_for(1)
    catalog.decide("approveRegistration", registration["id"])
    expect(response).to_contain_text("APPROVED")
    expect(response).to_contain_text(registration["id"])

    assert offline.outside == []
    assert offline.errors == []


@pytest.mark.admins_only
def test_with_introspection_for_admins_the_schema_comes_with_the_log_in(
    live: tuple[str, Portal], browser: Browser
) -> None:
    url, _ = live
    page = Offline(browser).page()
    page.goto(f"{url}/graphql")
    expect(page.locator(".graphiql-response")).to_contain_text("Introspection is for admins only")
    _log_in(page)
    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    expect(docs.get_by_role("link", name="Query", exact=True)).to_be_visible()
