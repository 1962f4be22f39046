"""What a client sees when something goes wrong, and what the log keeps of it."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from sqlmodel import col
from starlette.applications import Starlette
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed

from devportal.app import create_app
from devportal.db import Database
from devportal.models import Developer, EmailToken
from devportal.schema.errors import INTERNAL_MESSAGE
from devportal.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_settings
from tests.flows import (
    ADMIN_LOG_IN,
    ASK_RESET_PASSWORD,
    CONFIRM,
    CREATE_APP,
    CREATE_SERVICE,
    CREATE_VERSION,
    LOG_IN,
    PASSWORD,
    PORTAL_SETTINGS,
    SIGN_UP,
    Catalog,
    Portal,
)
from tests.servers import LEGACY_WS, ServerProcess, graphql_websocket, threaded_server
from tests.support import WAIT, Api, GraphQLError, free_port, watching

RESET = """
mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }
"""
APPROVE = "mutation($id: ID!) { approveDeveloper(id: $id) { id status } }"
PORTAL_NAME = "{ portal { name } }"


# --- helpers --------------------------------------------------------------------------------------


def refusal(
    api: Api, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> GraphQLError:
    """The one error of a refused request, checked to carry nothing but a message and a code."""
    response = api.post(query, variables, token)
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error = errors[0]
    assert set(error) <= {"message", "locations", "path", "extensions"}, error
    assert set(error["extensions"]) == {"code"}, error
    return GraphQLError(error["extensions"]["code"], error["message"])


def database(client: TestClient) -> Database:
    app = client.app
    assert isinstance(app, Starlette)
    db = app.state.db
    assert isinstance(db, Database)
    return db


def execute(client: TestClient, sql: str) -> None:
    """Run a statement on the app's own engine, from the app's event loop."""
    db = database(client)

    async def run() -> None:
        async with db.engine.begin() as connection:
            await connection.execute(sa.text(sql))

    assert client.portal is not None
    client.portal.call(run)


def count(client: TestClient, statement: sa.Select[Any]) -> int:
    db = database(client)

    async def run() -> int:
        async with db.session() as session:
            return int(await session.scalar(statement) or 0)

    assert client.portal is not None
    return client.portal.call(run)


def global_id(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def admin_login(api: Api) -> tuple[str, str]:
    """The bootstrap admin's token and global ID."""
    data = api.data(ADMIN_LOG_IN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return data["adminLogIn"]["token"], data["adminLogIn"]["account"]["id"]


# --- bad input ------------------------------------------------------------------------------------


def sign_up_input(**change: str) -> dict[str, Any]:
    return {
        "input": {"email": "ada@example.com", "fullName": "Ada", "password": PASSWORD, **change}
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fullName": "   "}, "full name"),
        ({"fullName": ""}, "full name"),
        ({"password": "x" * 11}, "at least 12 characters"),
        ({"email": "not-an-address"}, "valid email"),
        ({"email": "ada@example"}, "valid email"),
        ({"email": "ada lovelace@example.com"}, "valid email"),
        # Not ASCII before the @: it could travel neither in headers nor in plain SMTP.
        ({"email": "łukasz@example.pl"}, "valid email"),
    ],
)
def test_sign_up_refuses_bad_input_clearly(
    api: Api, client: TestClient, change: dict[str, str], message: str
) -> None:
    error = refusal(api, SIGN_UP, sign_up_input(**change))
    assert error.code == "BAD_USER_INPUT"
    assert message in error.message
    # Nothing was created.
    assert count(client, sa.select(sa.func.count()).select_from(Developer)) == 0


def test_unknown_tokens_are_invalid(api: Api) -> None:
    confirm = refusal(api, CONFIRM, {"token": "made-up-token"})
    assert confirm.code == "INVALID_TOKEN"
    reset = refusal(api, RESET, {"token": "made-up-token", "password": "a long enough password"})
    assert reset.code == "INVALID_TOKEN"
    assert reset.message == confirm.message


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param("{ portal { name ", None, id="unterminated"),
        pytest.param("{ portal { name } } }", None, id="stray brace"),
        pytest.param("query { portal(: ) }", None, id="garbage"),
        pytest.param("{ portal { nope } }", None, id="unknown field"),
        pytest.param("{ nope }", None, id="unknown root field"),
        pytest.param("mutation { confirmEmail(token: 5) { id } }", None, id="wrong literal type"),
        pytest.param(CONFIRM, {"token": 5}, id="wrong variable type"),
        pytest.param(CONFIRM, {}, id="missing variable"),
        pytest.param(CONFIRM, {"token": None}, id="null variable"),
    ],
)
def test_malformed_graphql_is_bad_user_input(
    api: Api, query: str, variables: dict[str, Any] | None
) -> None:
    error = refusal(api, query, variables)
    assert error.code == "BAD_USER_INPUT", error
    assert error.message


def test_malformed_global_id_is_bad_input_and_an_id_of_another_type_not_found(api: Api) -> None:
    token, admin_id = admin_login(api)
    for bad in ("bad", "", "%%%"):
        assert refusal(api, APPROVE, {"id": bad}, token).code == "BAD_USER_INPUT"
    # Well-formed, but not a developer's, or no developer's.
    for other in (admin_id, global_id("Developer", 999), global_id("Developer", "abc")):
        error = refusal(api, APPROVE, {"id": other}, token)
        assert error.code == "NOT_FOUND", (other, error)


# --- query limits ---------------------------------------------------------------------------------


def test_too_many_aliases(api: Api, settings: Settings) -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"

    allowed = api.data(aliased(settings.max_aliases))
    assert len(allowed) == settings.max_aliases
    error = refusal(api, aliased(settings.max_aliases + 1))
    assert error.code == "QUERY_TOO_COMPLEX"
    assert "aliases" in error.message


def test_too_many_tokens(api: Api, settings: Settings) -> None:
    # Comments count as tokens here, so a valid query of any length can be built.
    def padded(comments: int) -> str:
        return "#\n" * comments + PORTAL_NAME

    assert api.data(padded(settings.max_tokens - 10)) == {"portal": {"name": "Developer Portal"}}
    error = refusal(api, padded(settings.max_tokens + 1))
    assert error.code == "QUERY_TOO_COMPLEX"
    assert f"more than {settings.max_tokens} tokens" in error.message


def test_a_query_too_costly_to_validate_is_too_complex(api: Api) -> None:
    """graphql-core gives up validating many overlapping fields; the client is told why."""
    error = refusal(api, "{ portal { " + "name " * 1000 + "} }")
    assert error.code == "QUERY_TOO_COMPLEX"


def test_a_document_nested_too_deeply_to_parse_is_too_complex(api: Api) -> None:
    error = refusal(api, "{ portal " + "{ name " * 400 + "}" * 401)
    assert error.code == "QUERY_TOO_COMPLEX"


def test_too_deep(database_url: str) -> None:
    # The schema has no type deep enough for the default (10): lower the limit instead.
    settings = make_settings(database_url, free_port(), max_query_depth=2)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        token, _ = admin_login(api)
        shallow = "{ developers { pageInfo { hasNextPage } } }"
        assert api.data(shallow, token=token) == {
            "developers": {"pageInfo": {"hasNextPage": False}}
        }
        error = refusal(api, "{ developers { edges { node { id } } } }", token=token)
        assert error.code == "QUERY_TOO_COMPLEX"
        assert "depth of 2" in error.message


# --- unexpected failures --------------------------------------------------------------------------


def test_an_unexpected_exception_is_logged_and_hidden(api: Api, client: TestClient) -> None:
    execute(client, "DROP TABLE portal_settings")
    with watching("devportal") as log:
        response = api.post(PORTAL_NAME)
        assert log.seen.wait(WAIT)
    assert response.status_code == 200
    payload = response.json()
    assert payload == {
        "data": None,
        "errors": [
            {
                "message": INTERNAL_MESSAGE,
                "locations": [{"line": 1, "column": 3}],
                "path": ["portal"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }
    assert "portal_settings" not in response.text
    [record] = [r for r in log.records if r.exc_info]
    assert record.name == "devportal.graphql"
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], sa.exc.DBAPIError)
    assert record.exc_info[2] is not None  # the traceback itself
    assert "portal" in record.getMessage()


def test_a_failure_inside_a_mutation_leaves_the_database_as_before(
    api: Api, client: TestClient
) -> None:
    execute(client, "DROP TABLE outbox_message")  # sign-up queues its mail last
    with watching("devportal.graphql", "unexpected error") as log:
        error = refusal(api, SIGN_UP, sign_up_input())
        assert log.seen.wait(WAIT)
    assert error == GraphQLError("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE)
    developers = sa.select(sa.func.count()).select_from(Developer)
    assert count(client, developers.where(col(Developer.email) == "ada@example.com")) == 0
    assert count(client, sa.select(sa.func.count()).select_from(EmailToken)) == 0
    # The app goes on working.
    assert api.data(PORTAL_NAME) == {"portal": {"name": "Developer Portal"}}


def test_an_expected_refusal_is_one_log_line_without_traceback(portal: Portal) -> None:
    portal.developer("ada@example.com")
    with watching("devportal") as log:
        wrong = {"email": "ada@example.com", "password": "not the password"}
        assert refusal(portal.api, LOG_IN, wrong).code == "INVALID_CREDENTIALS"
        # Logging happens before the answer is sent: nothing more is coming.
    graphql_records = [r for r in log.records if r.name == "devportal.graphql"]
    assert len(graphql_records) <= 1, [r.getMessage() for r in graphql_records]
    for record in log.records:
        assert record.exc_info is None, record.getMessage()
        assert record.levelno < logging.ERROR, record.getMessage()
        assert "\n" not in record.getMessage()
        assert PASSWORD not in record.getMessage()
        assert "not the password" not in record.getMessage()


def test_sibling_fields_reading_the_database_are_no_internal_error(api: Api) -> None:
    """GraphQL resolves sibling fields concurrently; they must not trip over one session."""
    token, _ = admin_login(api)
    query = """{
      a: portal { name } b: portal { public }
      developers { totalCount } pendingDevelopers { totalCount }
    }"""
    assert api.data(query, token=token) == {
        "a": {"name": "Developer Portal"},
        "b": {"public": False},
        "developers": {"totalCount": 0},
        "pendingDevelopers": {"totalCount": 0},
    }


# --- control characters ---------------------------------------------------------------------------

NUL = "\x00"
UNSTORABLE = "Text cannot contain the NUL character (U+0000) or unpaired surrogates."


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(SIGN_UP, sign_up_input(fullName="Ada\nLovelace"), id="full name line break"),
        pytest.param(SIGN_UP, sign_up_input(fullName="Ada\u2028Lovelace"), id="line separator"),
        pytest.param(SIGN_UP, sign_up_input(organization="A\x1bB"), id="organization escape"),
        pytest.param(
            CREATE_SERVICE,
            {"input": {"slug": "weather", "name": "Wea\tther", "description": ""}},
            id="service name tab",
        ),
        pytest.param(
            PORTAL_SETTINGS, {"input": {"name": "Dev\rPortal"}}, id="portal name carriage return"
        ),
    ],
)
def test_names_with_line_breaks_or_control_characters_are_bad_user_input(
    api: Api, query: str, variables: dict[str, Any]
) -> None:
    token, _ = admin_login(api)
    refused = refusal(api, query, variables, token)
    assert refused.code == "BAD_USER_INPUT"
    assert "no line breaks, control, invisible or text-direction characters" in refused.message


# What reorders or hides text in an admin's view: "app\u202egnp.exe" shows as "appexe.png".
UNSEEN = [
    pytest.param("\u202e", id="right-to-left override"),
    pytest.param("\u202a", id="left-to-right embedding"),
    pytest.param("\u2066", id="left-to-right isolate"),
    pytest.param("\u2069", id="pop directional isolate"),
    pytest.param("\u200f", id="right-to-left mark"),
    pytest.param("\u061c", id="arabic letter mark"),
    pytest.param("\u200b", id="zero width space"),
    pytest.param("\u200c", id="zero width non-joiner"),
    pytest.param("\u200d", id="zero width joiner"),
    pytest.param("\u2060", id="word joiner"),
    pytest.param("\u2064", id="invisible plus"),
    pytest.param("\ufeff", id="byte order mark"),
    pytest.param("\u180e", id="mongolian vowel separator"),
    pytest.param("\u00ad", id="soft hyphen"),
    pytest.param("\U000e0041", id="tag letter"),
    pytest.param("\U0001d173", id="musical format control"),
    pytest.param("\u3164", id="hangul filler"),  # a letter, but shows as nothing
    pytest.param("\u034f", id="combining grapheme joiner"),
    pytest.param("\u2065", id="reserved ignorable"),
]


@pytest.mark.parametrize("char", UNSEEN)
def test_names_with_invisible_or_text_direction_characters_are_bad_user_input(
    api: Api, char: str
) -> None:
    token, _ = admin_login(api)
    for name in (f"app{char}gnp.exe", char, f"{char}Weather"):
        entry = {"slug": "weather", "name": name, "description": ""}
        refused = refusal(api, CREATE_SERVICE, {"input": entry}, token)
        assert refused.code == "BAD_USER_INPUT"
        # The character cannot be seen: the message says which one it is.
        assert f"The name cannot contain U+{ord(char):04X}:" in refused.message


Request = tuple[str, dict[str, Any], str | None]


def _sign_up(portal: Portal, catalog: Catalog, text: str) -> Request:
    return SIGN_UP, sign_up_input(fullName=f"Ada {text}"), None


def _organization(portal: Portal, catalog: Catalog, text: str) -> Request:
    return SIGN_UP, sign_up_input(organization=text), None


def _portal_name(portal: Portal, catalog: Catalog, text: str) -> Request:
    return PORTAL_SETTINGS, {"input": {"name": text}}, portal.admin


def _service(field: str) -> Callable[[Portal, Catalog, str], Request]:
    def request(portal: Portal, catalog: Catalog, text: str) -> Request:
        entry = {"slug": "weather", "name": "Weather", "description": "One.\nTwo"}
        entry[field] += f"{text}three"
        return CREATE_SERVICE, {"input": entry}, portal.admin

    return request


def _version(portal: Portal, catalog: Catalog, text: str) -> Request:
    service = catalog.service("weather", "v1").service_id
    return CREATE_VERSION, {"serviceId": service, "name": f"v2{text}"}, portal.admin


def _application(field: str) -> Callable[[Portal, Catalog, str], Request]:
    def request(portal: Portal, catalog: Catalog, text: str) -> Request:
        developer = portal.developer("ada@example.com")
        entry = {"name": "Dashboard", "referenceId": "dashboard", "description": "One.\nTwo"}
        entry[field] += f"{text}three"
        return CREATE_APP, {"input": entry}, developer.token

    return request


def _application_update(portal: Portal, catalog: Catalog, text: str) -> Request:
    developer = portal.developer("ada@example.com")
    app_id = catalog.application(developer.token, "dashboard", "Dashboard")
    update = """mutation($id: ID!, $input: ApplicationInput!) {
      updateApplication(id: $id, input: $input) { name } }"""
    variables = {"id": app_id, "input": {"name": f"Dash{text}board", "referenceId": "dashboard"}}
    return update, variables, developer.token


@pytest.mark.parametrize(
    "request_with",
    [
        pytest.param(_sign_up, id="full name"),
        pytest.param(_organization, id="organization"),
        pytest.param(_portal_name, id="portal name"),
        pytest.param(_service("name"), id="service name"),
        pytest.param(_service("description"), id="service description"),
        pytest.param(_version, id="version name"),
        pytest.param(_application("name"), id="application name"),
        pytest.param(_application("description"), id="application description"),
        pytest.param(_application_update, id="application renamed"),
    ],
)
def test_every_name_and_description_refuses_text_direction_overrides(
    portal: Portal,
    catalog: Catalog,
    request_with: Callable[[Portal, Catalog, str], Request],
) -> None:
    """Descriptions keep their line breaks, but no more than names may they hide or reorder."""
    query, variables, token = request_with(portal, catalog, "\u202e")
    refused = refusal(portal.api, query, variables, token)
    assert refused.code == "BAD_USER_INPUT"
    assert "202E" in refused.message or "version name" in refused.message, refused.message


@pytest.mark.parametrize(
    "name",
    [
        "Wetter \u2764\ufe0f",  # a variation selector picks the emoji's glyph: allowed
        "M\u00e9t\u00e9o \u00e0 Z\u00fcrich",
        "\u5929\u6c14\u9884\u62a5",
        "\u0637\u0642\u0633 \u0627\u0644\u064a\u0648\u0645",  # Arabic, right to left unaided
        "\u05de\u05d6\u05d2 \u05d0\u05d5\u05d5\u05d9\u05e8",  # Hebrew
        "e\u0301t\u00e9",  # a combining accent
    ],
)
def test_names_in_any_script_are_accepted(api: Api, name: str) -> None:
    token, _ = admin_login(api)
    entry = {"slug": "weather", "name": name, "description": f"{name}\n\n\tmore"}
    created = api.data(
        "mutation($i: ServiceInput!) { createService(input: $i) { name description } }",
        {"i": entry},
        token,
    )
    assert created == {"createService": {"name": name, "description": f"{name}\n\n\tmore"}}


def test_descriptions_keep_their_line_breaks(api: Api) -> None:
    token, _ = admin_login(api)
    entry = {"slug": "weather", "name": "Weather", "description": "One.\n\n\tTwo."}
    created = api.data(
        "mutation($i: ServiceInput!) { createService(input: $i) { description } }",
        {"i": entry},
        token,
    )
    assert created == {"createService": {"description": "One.\n\n\tTwo."}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(LOG_IN, {"email": f"ada{NUL}@example.com", "password": PASSWORD}, id="logIn"),
        pytest.param(ADMIN_LOG_IN, {"email": NUL, "password": NUL}, id="adminLogIn"),
        pytest.param(CONFIRM, {"token": NUL}, id="confirmEmail"),
        pytest.param(ASK_RESET_PASSWORD, {"email": f"{NUL}@example.com"}, id="reset"),
        pytest.param(SIGN_UP, sign_up_input(fullName=f"Ada{NUL}"), id="signUp"),
        pytest.param(
            CREATE_SERVICE,
            {"input": {"slug": "weather", "name": "Weather", "description": f"x{NUL}"}},
            id="inside an input object",
        ),
        pytest.param("query($s: String) { catalog(search: $s) { totalCount } }", {"s": NUL}),
        pytest.param("query($s: String!) { service(slug: $s) { id } }", {"s": NUL}),
        pytest.param('{ catalog(search: "a\\u0000") { totalCount } }', None, id="literal"),
        pytest.param(
            'query($s: String = "\\u0000") { catalog(search: $s) { totalCount } }',
            None,
            id="variable default",
        ),
        pytest.param(SIGN_UP, sign_up_input(fullName="Ada\ud800"), id="lone surrogate"),
    ],
)
def test_text_no_database_can_store_is_bad_user_input(
    api: Api, query: str, variables: dict[str, Any] | None
) -> None:
    """Refused before any resolver runs: on PostgreSQL these were internal errors."""
    token, _ = admin_login(api)
    body = json.dumps({"query": query, "variables": variables or {}})  # escapes surrogates
    response = api.client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("BAD_USER_INPUT", UNSTORABLE)


def test_variables_nested_deeper_than_python_recurses_are_no_error(api: Api) -> None:
    deep: Any = "leaf"
    for _ in range(800):  # past the depth where a recursive walk failed, within JSON's
        deep = [deep]
    response = api.post(PORTAL_NAME, {"unused": deep})
    assert response.json() == {"data": {"portal": {"name": "Developer Portal"}}}


# --- what reaches the transport -------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}
NODE = "query($id: ID!) { node(id: $id) { id } }"
ROOT = Path(__file__).resolve().parent.parent


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
