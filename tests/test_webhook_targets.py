"""Where webhooks may not go: refused at creation and update, and again at delivery,
after resolving the name, so a name that resolves inside by then is not called."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.db import create_engine
from devportal.resolvers.webhooks import Backlog, backlog
from tests.conftest import ADMIN_EMAIL as ADMIN
from tests.conftest import ADMIN_PASSWORD as PASSWORD
from tests.conftest import make_settings
from tests.flows import Portal
from tests.receiver import UPDATE, Receiver, create_webhook, deliveries
from tests.support import WAIT, Api, SmtpServer, watching


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().serving() as serving:
        yield serving


REFUSED = {
    "http://hooks.example.com/in": "https://",
    "https://127.0.0.1/in": "loopback",
    "https://10.1.2.3/in": "private",
    "https://169.254.169.254/latest/meta-data/": "link-local",
    "https://localhost:8443/in": "localhost resolves to",
    "https://[::1]/in": "loopback",
    "https://224.0.0.1/in": "multicast",
    "https://[::ffff:127.0.0.1]/in": "loopback",  # IPv4 inside IPv6
    "https://100.64.0.1/in": "reserved",  # shared address space (carrier NAT)
    "https://0.0.0.0/in": "unspecified",
    "https://user:pass@hooks.example.com/in": "user name",
    "ftp://hooks.example.com/in": "https://",
}


def test_urls_that_may_not_be_called_are_refused_at_creation_and_on_update(
    database_url: str, smtp: SmtpServer
) -> None:
    strict = make_settings(database_url, smtp.port)  # neither http nor private allowed
    with TestClient(create_app(strict)) as client:
        portal = Portal(Api(client), smtp.inbox, admin_email=ADMIN, admin_password=PASSWORD)
        events = ["DEVELOPER_SIGNED_UP"]
        create = {"url": "", "events": events}
        # A public address, disabled so nothing is ever sent there.
        public = create_webhook(
            portal.api, portal.admin, "https://1.1.1.1/in", events, enabled=False
        )
        for url, reason in REFUSED.items():
            refused = portal.api.error(
                "mutation($input: WebhookInput!) { createWebhook(input: $input) { secret } }",
                {"input": {**create, "url": url}},
                portal.admin,
            )
            assert (refused.code, reason in refused.message) == ("BAD_USER_INPUT", True), url
            update = {**create, "url": url, "enabled": False}
            refused = portal.api.error(UPDATE, {"id": public["id"], "input": update}, portal.admin)
            assert (refused.code, reason in refused.message) == ("BAD_USER_INPUT", True), url


def test_a_name_that_resolves_inside_by_delivery_time_is_not_called(
    database_url: str, smtp: SmtpServer, receiver: Receiver
) -> None:
    """DNS rebinding: the host was public when checked; at delivery it resolves to
    127.0.0.1 (here: the stored URL is changed under the portal). Nothing is sent."""
    strict = make_settings(database_url, smtp.port, webhook_allow_http=True)
    with TestClient(create_app(strict)) as client:
        portal = Portal(Api(client), smtp.inbox, admin_email=ADMIN, admin_password=PASSWORD)
        hook = create_webhook(
            portal.api, portal.admin, "http://1.1.1.1/in", ["DEVELOPER_SIGNED_UP"]
        )
        asyncio.run(_set_url(database_url, f"http://localhost:{receiver.port}/hooks"))
        with watching("devportal.webhooks", "localhost resolves to") as refused:
            portal.sign_up("ada@example.com")
            assert refused.seen.wait(WAIT)
        assert receiver.pending() == 0
        [row] = deliveries(portal.api, portal.admin, hook["id"])
        assert (row["status"], row["responseStatus"]) == ("PENDING", None)
        waiting = client.portal.call(_backlog, client)  # type: ignore[union-attr]
        assert (waiting.pending, waiting.failed) == (1, 0)
        assert 0 <= waiting.oldest_seconds < WAIT


async def _backlog(client: TestClient) -> Backlog:
    async with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        return await backlog(session)


async def _set_url(database_url: str, url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE webhook SET url = :url"), {"url": url})
    await engine.dispose()
