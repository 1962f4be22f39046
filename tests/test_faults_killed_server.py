"""A server killed mid-mutation (SIGKILL, several writers at once) leaves nothing half written:
what it acknowledged is stored whole, and nothing else is."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, portal_on
from tests.faults import KillableServer, Tally, assert_written_whole
from tests.flows import CREATE_APP, REGISTER, Catalog
from tests.support import WAIT, Api, SmtpServer
from tests.test_faults import DECIDE

WRITERS = 3
APPROVE = DECIDE % "approveRegistration"


def _data(response: httpx2.Response) -> dict[str, Any]:
    payload = response.json()
    assert not payload.get("errors"), payload
    return dict(payload["data"])


def _write_until_cut(
    base: str, developer: str, admin: str, version_id: str, n: int, tally: Tally
) -> list[tuple[str, str]]:
    """Create applications, register each, approve every other one, until the server
    is gone. What the server acknowledged, as (what, application reference)."""
    acknowledged: list[tuple[str, str]] = []
    with httpx2.Client(base_url=base, timeout=WAIT) as client:
        api = Api(client)
        for i in itertools.count():
            name = f"w{n}-{i:04}"
            try:
                app = _data(
                    api.post(CREATE_APP, {"input": {"name": name, "referenceId": name}}, developer)
                )
                acknowledged.append(("application", name))
                variables = {"app": app["createApplication"]["id"], "version": version_id}
                registration = _data(api.post(REGISTER, variables, developer))
                acknowledged.append(("registration", name))
                if i % 2:
                    _data(
                        api.post(APPROVE, {"id": registration["registerApplication"]["id"]}, admin)
                    )
                    acknowledged.append(("approval", name))
            except httpx2.TransportError as cut:
                tally.add(type(cut).__name__)
                return acknowledged
            tally.add("written")
    raise AssertionError("unreachable")


def test_a_server_killed_mid_mutation_leaves_nothing_half_written(
    database_url: str, smtp: SmtpServer
) -> None:
    env = {
        "DEVPORTAL_DATABASE_URL": database_url,
        "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Every request of this one developer must mail the admins, however many it makes.
        "DEVPORTAL_ACCESS_REQUEST_MAILS_PER_HOUR": "1000000",
    }
    server = KillableServer(env, cwd=ROOT)
    try:
        with httpx2.Client(base_url=server.url, timeout=WAIT) as client:
            portal = portal_on(client, smtp)
            version = Catalog(portal).service()
            developer = portal.developer("ada@example.com")
            admin = portal.admin
        tally = Tally()
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            writers = [
                pool.submit(
                    _write_until_cut, server.url, developer.token, admin, version.id, n, tally
                )
                for n in range(WRITERS)
            ]
            tally.wait_until(lambda counts: counts["written"] >= 5 * WRITERS, timeout=WAIT * 3)
            server.kill()
            acknowledged = [entry for writer in writers for entry in writer.result(WAIT)]
    finally:
        server.close()
    assert tally["ReadError"] + tally["RemoteProtocolError"] >= 1, "no request was in flight"
    assert_written_whole(database_url, acknowledged)

    restarted = KillableServer(env, cwd=ROOT)  # and the portal goes on, mail included
    try:
        with httpx2.Client(base_url=restarted.url, timeout=WAIT) as client:
            api = Api(client)
            variables = {"input": {"name": "after", "referenceId": "after"}}
            app = _data(api.post(CREATE_APP, variables, developer.token))["createApplication"]
            _data(api.post(REGISTER, {"app": app["id"], "version": version.id}, developer.token))
        smtp.inbox.wait_for(ADMIN_EMAIL, "Access request: after for")
    finally:
        restarted.close()
