"""Queries too large, too costly or too deep: refused with a clear code and message."""

from __future__ import annotations

from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.settings import Settings
from tests.conftest import make_settings
from tests.support import Api, free_port
from tests.test_errors import PORTAL_NAME, admin_login, refusal


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
