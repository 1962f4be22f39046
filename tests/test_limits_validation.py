"""Validating a document: done once and cached across requests, and with no suggestion that
gives a hidden schema away."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import make_settings
from tests.flows import SIGN_UP, Portal
from tests.support import Api, free_port
from tests.test_limits import CATALOG, FAN_OUT, MY_APPLICATIONS, refused, schema_of


def test_a_document_is_validated_once_and_the_cache_hits_across_requests(
    client: TestClient, api: Api, portal: Portal
) -> None:
    developer = portal.developer("ada@example.com")
    validation = schema_of(client).validation
    api.data(MY_APPLICATIONS, {"first": 10}, developer.token)
    before = validation.cache_info()
    # The same text from other requests (other variables, so no cached answer serves
    # them): ParserCache hands out the same document, and validation, keyed on that
    # document, is not run again.
    api.data(MY_APPLICATIONS, {"first": 20}, developer.token)
    api.data(MY_APPLICATIONS, {"first": 30}, developer.token)
    after = validation.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (2, 0)
    # A new text is validated, once.
    api.data(CATALOG, {"first": 10}, developer.token)
    api.data(CATALOG, {"first": 20}, developer.token)
    assert validation.cache_info().misses == after.misses + 1
    # A document over a limit is refused before GraphQL's own rules see it.
    assert refused(api.post(FAN_OUT, {"n": 100}, developer.token))[0] == "QUERY_TOO_COMPLEX"
    assert validation.cache_info().misses == after.misses + 1


# A mistake, its variables, and the name a suggestion would give away.
MISTAKES: list[tuple[str, dict[str, Any], str]] = [
    ("{ portl { name } }", {}, "portal"),
    ("{ catalog(frist: 1) { totalCount } }", {}, "first"),
    ("{ developers(status: APROVED) { totalCount } }", {}, "APPROVED"),
    (
        "query($s: DeveloperStatus) { developers(status: $s) { totalCount } }",
        {"s": "APROVED"},
        "APPROVED",
    ),
    (
        "query($s: DevloperStatus) { developers(status: $s) { totalCount } }",
        {},
        "DeveloperStatus",
    ),
    (
        "mutation($input: SignUpInput!) { signUp(input: $input) }",
        {
            "input": {
                "email": "a@b.test",
                "fullName": "A",
                "password": "long enough",
                "organisation": "x",
            }
        },
        "organization",
    ),
]


def test_no_suggestions_give_the_schema_away_when_introspection_is_off(database_url: str) -> None:
    def messages(graphiql: bool) -> list[str]:
        settings = make_settings(database_url, free_port(), graphiql=graphiql)
        with TestClient(create_app(settings)) as client:
            api = Api(client)
            answers = [api.error(query, variables) for query, variables, _ in MISTAKES]
            # Variables are read as ever when they are right.
            sign_up = {
                "email": "ada@example.com",
                "fullName": "Ada",
                "password": "long enough password",
            }
            assert api.data(SIGN_UP, {"input": sign_up}) == {"signUp": True}
        assert {answer.code for answer in answers} == {"BAD_USER_INPUT"}, answers
        return [answer.message for answer in answers]

    hidden = messages(graphiql=False)
    for message, (_, _, name) in zip(hidden, MISTAKES, strict=True):
        assert "Did you mean" not in message, message
        assert f"'{name}'" not in message, message
    shown = messages(graphiql=True)
    for message, (_, _, name) in zip(shown, MISTAKES, strict=True):
        assert "Did you mean" in message, message
        assert f"'{name}'" in message, message
