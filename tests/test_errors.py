"""What a client sees when something goes wrong, and what the log keeps of it: bad input and
unexpected failures (query limits, text input and the transport: the other test_errors_*)."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col
from starlette.testclient import TestClient

from devportal.models import Developer, EmailToken
from devportal.schema.errors import INTERNAL_MESSAGE
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.flows import (
    ADMIN_LOG_IN,
    CONFIRM,
    LOG_IN,
    PASSWORD,
    SIGN_UP,
    Portal,
)
from tests.support import WAIT, Api, GraphQLError, app_database, watching

RESET = """
mutation($token: String!, $password: String!) { resetPassword(token: $token, password: $password) }
"""
APPROVE = "mutation($id: ID!) { approveDeveloper(id: $id) { id status } }"
PORTAL_NAME = "{ portal { name } }"
JSON = {"Content-Type": "application/json"}


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


def execute(client: TestClient, sql: str) -> None:
    """Run a statement on the app's own engine, from the app's event loop."""
    db = app_database(client)

    async def run() -> None:
        async with db.engine.begin() as connection:
            await connection.execute(sa.text(sql))

    assert client.portal is not None
    client.portal.call(run)


def count(client: TestClient, statement: sa.Select[Any]) -> int:
    db = app_database(client)

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
