"""What reaches the transport: over HTTP and both WebSocket protocols, from a real server,
and what its access log keeps."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import ROOT
from tests.flows import CREATE_SERVICE, LOG_IN, PASSWORD
from tests.servers import LEGACY_WS, ServerProcess, graphql_websocket, threaded_server
from tests.support import WAIT, Api, GraphQLError, watching
from tests.test_errors import JSON, PORTAL_NAME, admin_login, global_id

NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[str, Api]]:
    """The app behind a real server: its URL, and GraphQL over HTTP to it."""
    with (
        threaded_server(create_app(settings)) as url,
        httpx2.Client(base_url=url, timeout=WAIT) as client,
    ):
        yield url, Api(client)


def test_node_of_an_id_no_object_can_have_is_null(live: tuple[str, Api]) -> None:
    _, api = live
    no_node_type = ["Node", "Query", "Mutation", "PageInfo", "Edge", "ServiceInput", "Nope", ""]
    with watching("devportal") as log:
        for type_name in no_node_type:
            answer = api.post(NODE, {"id": global_id(type_name, 1)}).json()
            assert answer == {"data": {"node": None}}, (type_name, answer)
        for malformed in ("Node:1", "%%%", base64.b64encode(b"Developer").decode()):
            assert api.error(NODE, {"id": malformed}).code == "BAD_USER_INPUT", malformed
    assert [r.getMessage() for r in log.records if r.exc_info] == []


def test_queries_and_mutations_run_over_the_older_graphql_ws_protocol(
    live: tuple[str, Api],
) -> None:
    url, api = live
    token, _ = admin_login(api)
    rename = 'mutation { updatePortalSettings(input: {name: "Renamed"}) { name } }'
    with (
        watching("devportal") as ours,
        watching("strawberry") as strawberry,
        graphql_websocket(url, token, LEGACY_WS) as connection,
    ):
        assert connection.acknowledged()
        connection.subscribe(PORTAL_NAME, id="query")
        assert connection.next_payload() == {"data": {"portal": {"name": "Developer Portal"}}}
        assert connection.receive() == {"type": "complete", "id": "query"}
        connection.subscribe(rename, id="mutation")
        renamed = {"data": {"updatePortalSettings": {"name": "Renamed"}}}
        assert connection.next_payload() == renamed
        assert connection.receive() == {"type": "complete", "id": "mutation"}
    records = ours.records + strawberry.records
    assert [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_json_nested_deeper_than_python_parses_is_a_clear_refusal(live: tuple[str, Api]) -> None:
    url, api = live
    with watching("devportal") as ours, watching("uvicorn.error") as server:
        for depth in (2_000, 50_000):  # a few KB, and 100 KB: each body size has its path
            deep = "[" * depth + "]" * depth
            response = api.client.post("/graphql", content=deep, headers=JSON)
            assert response.status_code == 400, response.text
            [error] = response.json()["errors"]
            assert error["extensions"] == {"code": "BAD_USER_INPUT"}
            assert "nests too deeply" in error["message"]
        # Over a WebSocket it is a message that is not JSON, as the protocol says.
        token, _ = admin_login(api)
        with graphql_websocket(url, token) as connection:
            assert connection.acknowledged()
            connection.ws.send(deep)
            with pytest.raises(ConnectionClosed):
                connection.receive()
            assert connection.ws.close_code == 4400
    records = ours.records + server.records
    assert [r.getMessage() for r in records if r.exc_info] == []


def test_text_longer_than_any_field_takes_is_refused_before_a_resolver_reads_it(
    live: tuple[str, Api], settings: Settings
) -> None:
    _, api = live
    limit = settings.max_text_length
    token, _ = admin_login(api)
    too_long = f"Text cannot be longer than {limit} characters."
    service = {"slug": "weather", "name": "Weather", "description": "x" * (limit + 1)}
    cases: list[tuple[str, dict[str, Any] | None]] = [
        (LOG_IN, {"email": "a" * limit + "@example.com", "password": PASSWORD}),
        (LOG_IN, {"email": "ada@example.com", "password": "p" * (limit + 1)}),
        (CREATE_SERVICE, {"input": service}),
        ('{ catalog(search: "%s") { totalCount } }' % ("x" * (limit + 1)), None),
    ]
    for query, variables in cases:
        assert api.error(query, variables, token) == GraphQLError("BAD_USER_INPUT", too_long)
    # A description of the longest length is as welcome as ever.
    service["description"] = "x" * limit
    assert api.data(CREATE_SERVICE, {"input": service}, token)["createService"]["slug"] == "weather"


def test_email_link_tokens_stay_out_of_the_access_log(database_url: str) -> None:
    env = {"DEVPORTAL_DATABASE_URL": database_url, "DEVPORTAL_SMTP_URL": ""}
    server = ServerProcess(env, cwd=ROOT)
    try:
        secrets = {"/reset-password": "reset-secret-123", "/confirm-email": "confirm-secret-456"}
        with httpx2.Client(base_url=server.url, timeout=WAIT) as client:
            for path, secret in secrets.items():
                assert client.get(path, params={"token": secret}).status_code == 200
                line = server.wait_for_line(f'"GET {path}')
                assert secret not in line
                assert "token=[redacted]" in line
    finally:
        server.stop()
