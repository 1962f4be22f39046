"""Text a client sends: control, invisible and text-direction characters refused clearly,
any script welcome, line breaks kept where they belong, nothing unstorable stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

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
from tests.support import Api
from tests.test_errors import PORTAL_NAME, admin_login, refusal, sign_up_input

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
