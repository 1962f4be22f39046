"""Two server processes on one PostgreSQL database behave as one portal."""

from __future__ import annotations

import httpx2
import pytest

from tests.conftest import POSTGRES_URL, portal_on
from tests.flows import Catalog
from tests.servers import ServerProcess, graphql_websocket
from tests.support import SmtpServer
from tests.test_caches import eventually

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs DEVPORTAL_TEST_DATABASE_URL (PostgreSQL)"),
]

EVENTS = """
subscription($app: ID) { registrationEvents(applicationId: $app) { kind registration { status } } }
"""


def test_an_approval_on_one_process_reaches_subscribers_and_the_gateway_on_another(
    two_servers: tuple[ServerProcess, ServerProcess], smtp: SmtpServer
) -> None:
    a, b = two_servers
    with httpx2.Client(base_url=b.url) as on_b, httpx2.Client(base_url=a.url) as on_a:
        portal = portal_on(on_b, smtp)
        catalog = Catalog(portal)
        version = catalog.service()
        dev = portal.developer("ada@example.com")
        app_id = catalog.application(dev.token)
        registration = catalog.register(dev.token, app_id, version)
        key = catalog.key(dev.token, app_id)
        verify = "/gateway/verify/weather/v1"

        with graphql_websocket(a.url, dev.token) as feed:
            assert feed.acknowledged()
            feed.subscribe(EVENTS, {"app": app_id})
            a.wait_for_line("subscriber joined")
            catalog.decide("approveRegistration", registration["id"])
            event = feed.next_payload()["data"]["registrationEvents"]
            assert event == {"kind": "APPROVED", "registration": {"status": "APPROVED"}}

        assert on_a.get(verify, headers={"apikey": key.key}).status_code == 200
        catalog.decide("rejectRegistration", registration["id"])
        # A hears of it through NOTIFY: at once in practice, within 1 s promised.
        eventually(lambda: on_a.get(verify, headers={"apikey": key.key}), 403)
        denied = on_a.get(verify, headers={"apikey": key.key})
        assert denied.status_code == 403
        assert denied.json() == {"message": "You cannot consume this service"}
