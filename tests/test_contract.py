"""The schema as clients see it: committed SDL, the shared contract, descriptions everywhere."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from devportal.app import create_app
from devportal.schema import build_schema as build_devportal_schema
from devportal.schema import sdl
from devportal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "schema.graphql"
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"
CONTRACT_CHECK = ROOT.parent / "shared" / "tools" / "contract_check.py"
EDITION_2_AREAS = ["credentials", "accounts", "teams", "webhooks"]
"""The edition-2 areas (../shared/contract/edition-2) whose whole schema is in."""
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def ours() -> GraphQLSchema:
    return build_devportal_schema(Settings())._schema


def test_the_committed_sdl_is_the_running_schema() -> None:
    assert COMMITTED.read_text() == sdl(), (
        "schema.graphql is out of date: run `.venv/bin/devportal schema > schema.graphql`"
    )


def contract_gaps(contract: GraphQLSchema, actual: GraphQLSchema) -> Iterator[str]:
    """Every type, field, argument and enum value of the contract that we lack or type otherwise."""
    for name, wanted in contract.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        have = actual.type_map.get(name)
        if have is None or type(have) is not type(wanted):
            yield f"type {name}: {'missing' if have is None else 'of another kind'}"
            continue
        yield from _member_gaps(name, wanted, have)


def _member_gaps(name: str, wanted: GraphQLNamedType, have: GraphQLNamedType) -> Iterator[str]:
    if isinstance(wanted, GraphQLEnumType) and isinstance(have, GraphQLEnumType):
        yield from (f"enum {name}.{v}: missing" for v in wanted.values if v not in have.values)
    if isinstance(wanted, GraphQLUnionType) and isinstance(have, GraphQLUnionType):
        members = {t.name for t in have.types}
        yield from (f"union {name}: no {t.name}" for t in wanted.types if t.name not in members)
    if isinstance(wanted, GraphQLObjectType) and isinstance(have, GraphQLObjectType):
        interfaces = {i.name for i in have.interfaces}
        for interface in wanted.interfaces:
            if interface.name not in interfaces:
                yield f"type {name}: does not implement {interface.name}"
    if isinstance(wanted, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        assert isinstance(have, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType)
        for field_name, field in wanted.fields.items():
            mine = have.fields.get(field_name)
            if mine is None or str(mine.type) != str(field.type):
                yield f"{name}.{field_name}: {'missing' if mine is None else mine.type}"
                continue
            for arg_name, arg in getattr(field, "args", {}).items():
                my_arg = getattr(mine, "args", {}).get(arg_name)
                if my_arg is None or str(my_arg.type) != str(arg.type):
                    yield f"{name}.{field_name}({arg_name}): {my_arg.type if my_arg else 'missing'}"


@pytest.mark.skipif(not CONTRACT.exists(), reason="no ../shared/contract beside this checkout")
def test_the_schema_keeps_the_shared_contract() -> None:
    gaps = list(contract_gaps(build_schema(CONTRACT.read_text()), build_schema(sdl())))
    assert gaps == []


def contract_schema(areas: list[str]) -> GraphQLSchema:
    """The base contract plus ``areas``, merged by the shared contract_check tool."""
    spec = importlib.util.spec_from_file_location("contract_check", CONTRACT_CHECK)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    merged: GraphQLSchema = tool.contract_schema(areas)
    return merged


@pytest.mark.skipif(not CONTRACT_CHECK.exists(), reason="no ../shared/tools beside this checkout")
def test_the_schema_keeps_the_edition_2_areas_that_are_in() -> None:
    gaps = list(contract_gaps(contract_schema(EDITION_2_AREAS), build_schema(sdl())))
    assert gaps == []


def test_the_conformance_check_notices_a_gap() -> None:
    contract = build_schema("type Query { portal(first: Int): Portal } type Portal { name: ID! }")
    actual = build_schema("type Query { portal: Portal } type Portal { name: String! }")
    assert list(contract_gaps(contract, actual)) == [
        "Query.portal(first): missing",
        "Portal.name: String!",
    ]


def undescribed(schema: GraphQLSchema) -> Iterator[str]:
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not kind.description:
            yield f"type {name}"
        if isinstance(kind, GraphQLEnumType):
            yield from (f"{name}.{v}" for v, d in kind.values.items() if not d.description)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    yield f"{name}.{field_name}"
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        yield f"{name}.{field_name}({arg_name})"


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert list(undescribed(ours())) == []


def test_graphiql_and_introspection_can_be_switched_off(database_url: str) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    html = {"Accept": "text/html"}
    with TestClient(_app(database_url, graphiql=True)) as client:
        assert "graphiql" in client.get("/graphql", headers=html).text.lower()
        assert client.post("/graphql", json=introspect).json()["data"]["__schema"]
    with TestClient(_app(database_url, graphiql=False)) as client:
        assert "graphiql" not in client.get("/graphql", headers=html).text.lower()
        refused = client.post("/graphql", json=introspect).json()
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "introspection" in refused["errors"][0]["message"].lower()
        assert client.post("/graphql", json={"query": "{ portal { name } }"}).json()["data"]


def _app(database_url: str, *, graphiql: bool) -> Starlette:
    return create_app(Settings(database_url=database_url, graphiql=graphiql))


def test_devportal_schema_prints_the_committed_sdl() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "devportal.cli", "schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert printed.stdout == COMMITTED.read_text()
