"""DEVPORTAL_INTROSPECTION_ADMINS_ONLY: the schema is shown to admins, and to no one else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from devportal.app import create_app
from tests.conftest import make_settings, portal_on
from tests.flows import Portal
from tests.support import SmtpServer

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = 'query Look { portal { name } __type(name: "Developer") { fields { name } } }'
NESTED = "fragment F on Query { __schema { types { name } } } query { ...F }"


@pytest.fixture
def admins_only(database_url: str, smtp: SmtpServer) -> Iterator[Portal]:
    settings = make_settings(database_url, smtp.port, introspection_admins_only=True)
    with TestClient(create_app(settings)) as client:
        yield portal_on(client, smtp)


def test_only_an_admin_may_introspect(admins_only: Portal) -> None:
    portal = admins_only
    developer = portal.developer("ada@example.com")
    for query in (SCHEMA, TYPE, NESTED):
        assert portal.api.error(query).code == "FORBIDDEN"
        assert portal.api.error(query, token=developer.token).code == "FORBIDDEN"
        assert portal.api.data(query, token=portal.admin)
    # __typename is no introspection: every client adds it.
    assert portal.api.data("{ __typename portal { name } }") == {
        "__typename": "Query",
        "portal": {"name": portal.api.data("{ portal { name } }")["portal"]["name"]},
    }


def test_no_suggestion_names_what_introspection_hides(admins_only: Portal) -> None:
    error = admins_only.api.error("{ portl { name } }")
    assert error.code == "BAD_USER_INPUT"
    assert "Did you mean" not in error.message


def test_by_default_anyone_may_introspect(portal: Portal) -> None:
    assert portal.api.data(SCHEMA) == {"__schema": {"queryType": {"name": "Query"}}}
    assert "Did you mean" in portal.api.error("{ portl { name } }").message
