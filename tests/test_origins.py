"""Pages on other origins: CORS for /graphql and the Origin check of WebSocket handshakes,
both from DEVPORTAL_CORS_ORIGINS (exact origins; none by default)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from pydantic import ValidationError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import make_settings
from tests.servers import TRANSPORT_WS, threaded_server
from tests.support import WAIT, SmtpServer

SPA = "https://spa.example.com"
OTHER = "https://evil.example.net"
PORTAL = "{ portal { name } }"


@pytest.fixture
def server(database_url: str, smtp: SmtpServer) -> Iterator[str]:
    settings = make_settings(database_url, smtp.port, cors_origins=f"{SPA}, http://localhost:5173")
    with threaded_server(create_app(settings)) as url:
        yield url


def _preflight(url: str, origin: str) -> httpx2.Response:
    return httpx2.options(
        f"{url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_listed_origin_may_call_graphql_without_credentials(server: str) -> None:
    allowed = _preflight(server, SPA)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in allowed.headers
    assert {"authorization", "content-type"} <= {
        name.strip().lower() for name in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert "POST" in allowed.headers["access-control-allow-methods"]

    answer = httpx2.post(f"{server}/graphql", json={"query": PORTAL}, headers={"Origin": SPA})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SPA
    assert "origin" in answer.headers["vary"].lower()


def test_any_other_origin_is_refused(server: str) -> None:
    for origin in (OTHER, "https://spa.example.com.evil.net", "http://spa.example.com", "null"):
        refused = _preflight(server, origin)
        assert refused.status_code == 400, origin
        assert "access-control-allow-origin" not in refused.headers
        answer = httpx2.post(
            f"{server}/graphql", json={"query": PORTAL}, headers={"Origin": origin}
        )
        assert "access-control-allow-origin" not in answer.headers


def test_refusals_before_the_view_still_reach_a_listed_origin(server: str) -> None:
    """A 413 without CORS headers would be a network error to the SPA, not an answer."""
    huge = httpx2.post(
        f"{server}/graphql", content=b"x" * (2 << 20), headers={"Origin": SPA}, timeout=WAIT
    )
    assert huge.status_code == 413
    assert huge.headers["access-control-allow-origin"] == SPA


def test_cors_is_for_graphql_only(server: str) -> None:
    gateway = httpx2.options(
        f"{server}/gateway/verify/weather/v1",
        headers={"Origin": SPA, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in gateway.headers


def test_by_default_no_other_origin_may_call(settings: Settings) -> None:
    with threaded_server(create_app(settings)) as url:
        assert _preflight(url, SPA).status_code == 400
        with pytest.raises(InvalidStatus) as refused:
            _handshake(url, SPA)
        assert refused.value.response.status_code == 403


def _handshake(url: str, origin: str | None) -> None:
    """A WebSocket handshake to /graphql from a page on ``origin``; raises if refused."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    with connect(
        ws_url,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=WAIT,
    ) as ws:
        assert ws.subprotocol == TRANSPORT_WS


def test_websockets_from_other_origins_are_refused(server: str) -> None:
    _handshake(server, SPA)
    _handshake(server, "http://localhost:5173")
    _handshake(server, server)  # the page devportal serves itself: same origin
    _handshake(server, None)  # not a browser: no page to speak for
    for origin in (OTHER, "http://spa.example.com", "null"):
        with pytest.raises(InvalidStatus) as refused:
            _handshake(server, origin)
        assert refused.value.response.status_code == 403, origin


def test_only_exact_origins_are_taken(database_url: str) -> None:
    for wrong in ("*", "https://spa.example.com/app", "spa.example.com", "null"):
        with pytest.raises(ValidationError):
            Settings(database_url=database_url, cors_origins=wrong)
    taken = Settings(database_url=database_url, cors_origins="HTTPS://Spa.Example.com:443,")
    assert taken.cors_origins == (SPA,)
