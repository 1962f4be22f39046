"""Rate limits: guessing passwords, and making the portal mail someone over and over."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import make_settings, portal_on
from tests.flows import ADMIN_LOG_IN, ASK_RESET_PASSWORD, LOG_IN, PASSWORD, Catalog, Portal
from tests.servers import threaded_server
from tests.support import WAIT, SmtpServer

WRONG = "not the password"


def test_too_many_wrong_passwords_lock_the_address_for_a_while(portal: Portal) -> None:
    portal.developer("ada@example.com")
    portal.developer("bob@example.com")
    wrong = {"email": "ada@example.com", "password": WRONG}
    for _ in range(10):
        assert portal.api.error(LOG_IN, wrong).code == "INVALID_CREDENTIALS"
    locked = portal.api.error(LOG_IN, {"email": "ADA@example.com", "password": PASSWORD})
    assert locked.code == "RATE_LIMITED"
    assert "try again in 15 minutes" in locked.message
    # Someone else's account is not affected.
    assert portal.log_in("bob@example.com")


def test_a_successful_log_in_forgets_earlier_mistakes(portal: Portal) -> None:
    portal.developer("ada@example.com")
    wrong = {"email": "ada@example.com", "password": WRONG}
    for _ in range(9):
        portal.api.error(LOG_IN, wrong)
    assert portal.log_in("ada@example.com")
    for _ in range(9):
        portal.api.error(LOG_IN, wrong)
    assert portal.log_in("ada@example.com")


def test_guessing_an_admin_password_is_limited_too(portal: Portal) -> None:
    wrong = {"email": "admin@portal.test", "password": WRONG}
    for _ in range(10):
        assert portal.api.error(ADMIN_LOG_IN, wrong).code == "INVALID_CREDENTIALS"
    assert portal.api.error(ADMIN_LOG_IN, wrong).code == "RATE_LIMITED"


# --- several clients: the app behind a trusted proxy ------------------------------------------


@pytest.fixture
def proxied(database_url: str, smtp: SmtpServer) -> Iterator[Portal]:
    """The app behind a trusted proxy at 127.0.0.1: X-Forwarded-For names each client."""
    settings = make_settings(database_url, smtp.port, trusted_proxies="127.0.0.1")
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        yield portal_on(client, smtp)


def attempt(
    client: httpx2.Client, email: str, password: str = WRONG, *, via: str | None = None
) -> str:
    """Log in (from client address ``via``, as a proxy forwards it): "OK" or the error code."""
    # What a client writes itself comes first; the proxy appends the address it saw.
    headers = {"X-Forwarded-For": f"192.0.2.250, {via}"} if via else {}
    variables = {"email": email, "password": password}
    response = client.post(
        "/graphql", json={"query": LOG_IN, "variables": variables}, headers=headers
    )
    errors = response.json().get("errors")
    return str(errors[0]["extensions"]["code"]) if errors else "OK"


def at_once(client: httpx2.Client, attempts: Sequence[tuple[str, str, str | None]]) -> Counter[str]:
    """Make the (email, password, client address) attempts in parallel; count the answers."""
    with ThreadPoolExecutor(max_workers=min(len(attempts), 40)) as pool:
        return Counter(pool.map(lambda a: attempt(client, a[0], a[1], via=a[2]), attempts))


def test_parallel_guesses_get_no_more_tries_than_the_limit(portal: Portal) -> None:
    portal.developer("ada@example.com")
    answers = at_once(portal.api.client, [("ada@example.com", WRONG, None)] * 40)
    assert answers == {"INVALID_CREDENTIALS": 10, "RATE_LIMITED": 30}


def test_a_stranger_guessing_does_not_lock_out_the_owner(proxied: Portal) -> None:
    proxied.developer("ada@example.com")
    http = proxied.api.client
    owner, stranger = "198.51.100.7", "203.0.113.66"
    answers = at_once(http, [("ada@example.com", WRONG, stranger)] * 12)
    assert answers == {"INVALID_CREDENTIALS": 10, "RATE_LIMITED": 2}
    assert attempt(http, "ada@example.com", PASSWORD, via=stranger) == "RATE_LIMITED"
    assert attempt(http, "ada@example.com", PASSWORD, via=owner) == "OK"


def test_addresses_forwarded_by_an_untrusted_peer_are_ignored(portal: Portal) -> None:
    """Without a trusted proxy, X-Forwarded-For is the client's own word: not believed."""
    portal.developer("ada@example.com")
    http = portal.api.client
    spoofed = [("ada@example.com", WRONG, f"192.0.2.{n}") for n in range(12)]
    assert at_once(http, spoofed) == {"INVALID_CREDENTIALS": 10, "RATE_LIMITED": 2}
    assert attempt(http, "ada@example.com", PASSWORD, via="192.0.2.200") == "RATE_LIMITED"


def test_the_account_wide_ceiling_holds_except_for_the_owners_client(proxied: Portal) -> None:
    proxied.developer("ada@example.com")
    http = proxied.api.client
    owner = "198.51.100.7"
    assert attempt(http, "ada@example.com", PASSWORD, via=owner) == "OK"
    # 10 wrong guesses from each of 10 addresses: each within its own limit...
    guesses = [("ada@example.com", WRONG, f"203.0.113.{n // 10}") for n in range(100)]
    assert at_once(http, guesses) == {"INVALID_CREDENTIALS": 100}
    # ...but the account has had its 100: an 11th address is refused, password or not,
    assert attempt(http, "ada@example.com", PASSWORD, via="203.0.113.99") == "RATE_LIMITED"
    assert attempt(http, "ada@example.com", PASSWORD, via="192.0.2.1") == "RATE_LIMITED"
    # while the address the owner logged in from lately still gets in.
    assert attempt(http, "ada@example.com", PASSWORD, via=owner) == "OK"


def test_one_client_guessing_over_many_accounts_is_limited(proxied: Portal) -> None:
    """Password spraying: one wrong guess each for many accounts."""
    proxied.developer("ada@example.com")
    http = proxied.api.client
    sprayer = "203.0.113.5"
    spray = [(f"user{n}@example.com", WRONG, sprayer) for n in range(50)]
    assert at_once(http, spray) == {"INVALID_CREDENTIALS": 50}
    assert attempt(http, "ada@example.com", PASSWORD, via=sprayer) == "RATE_LIMITED"
    assert attempt(http, "ada@example.com", PASSWORD, via="198.51.100.7") == "OK"


# --- log-in bursts do not hold up the gateway -------------------------------------------------


def _gateway_times(
    client: httpx2.Client, key: str, until: threading.Event, at_least: int = 5
) -> list[float]:
    """Time gateway checks one after another, ``at_least`` of them and until ``until`` is set."""
    times: list[float] = []
    while len(times) < at_least or not until.is_set():
        start = time.perf_counter()
        response = client.get("/gateway/verify/weather/v1", headers={"apikey": key})
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    return times


def _burst(url: str, count: int, done: threading.Event) -> None:
    """``count`` wrong log-ins at once, each from a client address of its own."""

    async def burst() -> None:
        limits = httpx2.Limits(max_connections=count)
        async with httpx2.AsyncClient(base_url=url, timeout=300, limits=limits) as client:

            async def one(n: int) -> None:
                variables = {"email": f"guess{n}@example.com", "password": WRONG}
                headers = {"X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"}
                body = {"query": LOG_IN, "variables": variables}
                await client.post("/graphql", json=body, headers=headers)

            await asyncio.gather(*(one(n) for n in range(count)))

    try:
        asyncio.run(burst())
    finally:
        done.set()


def test_a_burst_of_log_ins_does_not_hold_up_the_gateway(
    database_url: str, smtp: SmtpServer
) -> None:
    settings = make_settings(database_url, smtp.port, trusted_proxies="127.0.0.1")
    with (
        threaded_server(create_app(settings)) as url,
        httpx2.Client(base_url=url, timeout=300) as client,
    ):
        portal = portal_on(client, smtp)
        catalog = Catalog(portal)
        version = catalog.service("weather")
        key = catalog.approved_key(portal.developer("ada@example.com").token, version).key
        done = threading.Event()
        done.set()
        baseline = statistics.median(_gateway_times(client, key, done, at_least=20))
        done.clear()
        burst = threading.Thread(target=_burst, args=(url, 60, done), daemon=True)
        burst.start()
        during = _gateway_times(client, key, done)
        burst.join(WAIT)
    # Each log-in used to hold a database connection while Argon2 ran, and the
    # gateway waited seconds for one; now it only shares the CPU with the hashing.
    assert statistics.median(during) < 30 * baseline, (baseline, during)


# --- mail ---------------------------------------------------------------------------------------


def test_an_address_gets_at_most_five_such_mails_an_hour(portal: Portal) -> None:
    portal.developer("ada@example.com")
    for _ in range(7):
        assert portal.api.data(ASK_RESET_PASSWORD, {"email": "ada@example.com"}) == {
            "requestPasswordReset": True
        }
    # Mail leaves in order: once a later one has arrived, all earlier ones have.
    portal.sign_up("later@example.com")
    portal.inbox.wait_for("later@example.com", "Confirm your email")
    resets = [m for m in portal.inbox.drain() if "Reset your password" in str(m["Subject"])]
    assert len(resets) == 4  # the sign-up's confirmation mail was the first of the five


def test_a_reset_that_is_not_mailed_makes_no_link(portal: Portal, settings: Settings) -> None:
    portal.developer("ada@example.com")
    for _ in range(7):
        portal.api.data(ASK_RESET_PASSWORD, {"email": "ada@example.com"})
    assert asyncio.run(_count(settings.database_url, "email_token", purpose="RESET_PASSWORD")) == 4


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL that requests make meanwhile (not the background workers)."""
    app = client.app
    assert isinstance(app, Starlette)
    engine = app.state.db.engine.sync_engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith("devportal-"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_a_reset_costs_the_same_whether_or_not_the_address_has_an_account(
    portal: Portal, client: TestClient
) -> None:
    """The same statements for both, so the time taken tells a client nothing.

    Both within the mail limit and beyond it: the first requests are mailed (or
    would be), the last are not.
    """
    portal.developer("ada@example.com")
    runs: dict[str, set[tuple[str, ...]]] = {"ada@example.com": set(), "nobody@example.com": set()}
    for _ in range(7):
        for email, seen_before in runs.items():
            with statements(client) as seen:
                assert portal.api.data(ASK_RESET_PASSWORD, {"email": email})["requestPasswordReset"]
            seen_before.add(tuple(seen))
    known, unknown = runs.values()
    assert known == unknown
    assert len(known) == 2  # mailed, and over the limit


async def _count(database_url: str, table: str, **where: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = sa.table(table, *(sa.column(name) for name in where))
            query = sa.select(sa.func.count()).select_from(rows)
            for name, value in where.items():
                query = query.where(rows.c[name] == value)
            return int(await connection.scalar(query) or 0)
    finally:
        await engine.dispose()
