"""What is loaded, on devportal and on its baseline, and the answers the baseline gives.

Each workload is one request sent again and again: to devportal, and to the
bare baseline server (benchmarks/baseline.py) that answers the very bytes
devportal answered, or checks keys in memory, with nothing else to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx2

from benchmarks.load import Request
from benchmarks.seed import Seeded
from tests.flows import Version

CATALOG = """query Catalog { catalog(first: 20) { totalCount nodes {
  id slug name description versions { id name appRegistrationEnabled autoApprove authStrategy }
} } }"""
MY_APPLICATIONS = """query MyApplications { myApplications(first: 50) { totalCount nodes {
  id name referenceId description createdAt
  registrations { id status serviceVersion { id name service { id slug name } } }
  credentials { id keyPrefix createdAt }
} } }"""
PORTAL = "{ portal { name } }"
UNKNOWN_KEY = "dpk_bench-unknown-"  # + a counter: a new unknown key in each request
# Headers every server adds by itself; the rest of devportal's answer is copied.
OWN_HEADERS = frozenset({"date", "server", "content-length", "content-type"})


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    devportal: Request
    baseline: Request
    baseline_title: str
    target: str


def graphql_workloads(seeded: Seeded) -> list[Workload]:
    """The catalog and ``myApplications`` as a developer loads them, and the portal's name.

    The catalog needs a log-in unless the portal is public (it is not by default).
    """
    token = {"Authorization": f"Bearer {seeded.developer.token}"}
    made = []
    for name, title, query, headers, target in (
        ("catalog", "`catalog(first: 20)` with versions", CATALOG, token, "≥ 0.5"),
        (
            "my_applications",
            "`myApplications(first: 50)` with registrations, versions, services, keys",
            MY_APPLICATIONS,
            token,
            "≥ 0.3",
        ),
        ("portal", "`{ portal { name } }`, anonymous", PORTAL, {}, "≥ 0.5"),
    ):
        body = json.dumps({"query": query})
        json_headers = {"Content-Type": "application/json", **headers}
        made.append(
            Workload(
                name=name,
                title=title,
                devportal=Request("/graphql", "POST", json_headers, body),
                baseline=Request(f"/answer/{name}", "POST", json_headers, body),
                baseline_title="bare endpoint, same bytes",
                target=target,
            )
        )
    return made


def gateway_workloads(seeded: Seeded) -> list[Workload]:
    """The check with a key allowed for the version, one not registered for it, unknown keys."""
    allowed, other = _allowed_and_other(seeded)
    key, unknown = {"apikey": seeded.applications[0].keys[0].key}, {"apikey": UNKNOWN_KEY}
    cases = (
        ("allowed", "allowed key (200)", allowed, key, 200, ""),
        ("denied", "key not registered for the version (403)", other, key, 403, ""),
        ("unknown", "unknown keys, a new one each request (401)", allowed, unknown, 401, "apikey"),
    )
    made = []
    for name, title, version, headers, status, vary in cases:
        request = Request(
            f"/gateway/verify/{version.slug}/{version.name}",
            headers=headers,
            expect=status,
            vary_header=vary,
        )
        made.append(
            Workload(
                name=f"gateway_{name}",
                title=f"`/gateway/verify`: {title}",
                devportal=request,
                baseline=request,
                baseline_title="in-memory key check",
                target="≥ 0.8",
            )
        )
    return made


def _allowed_and_other(seeded: Seeded) -> tuple[Version, Version]:
    """A version the first application is registered for, and one it is not."""
    return seeded.applications[0].versions[0], seeded.applications[1].versions[0]


def baseline_answers(client: httpx2.Client, seeded: Seeded) -> dict[str, Any]:
    """What the baseline server answers: devportal's own answers, asked for once here."""
    graphql = {}
    for workload in graphql_workloads(seeded):
        request = workload.devportal
        response = client.post(request.path, content=request.body, headers=request.headers)
        assert response.status_code == 200, response.text
        assert not response.json().get("errors"), response.text
        graphql[workload.name] = {
            "body": response.text,
            "content_type": response.headers["content-type"],
        }
    return {"graphql": graphql, "gateway": _gateway_answers(client, seeded)}


def _gateway_answers(client: httpx2.Client, seeded: Seeded) -> dict[str, Any]:
    keys = {}
    for app in seeded.applications:
        version = app.versions[0]
        answer = _outcome(client, f"/gateway/verify/{version.slug}/{version.name}", app.keys[0].key)
        assert answer["status"] == 200, answer
        for key in app.keys:
            keys[hashlib.sha256(key.key.encode()).hexdigest()] = {
                "versions": [(v.slug, v.name) for v in app.versions],
                "headers": answer["headers"],
            }
    first_key = seeded.applications[0].keys[0].key
    mine, other = (f"/gateway/verify/{v.slug}/{v.name}" for v in _allowed_and_other(seeded))
    outcomes = {
        "allowed": _outcome(client, mine, first_key),
        "denied": _outcome(client, other, first_key),
        "unknown": _outcome(client, mine, UNKNOWN_KEY),
        "no_key": _outcome(client, mine, None),
    }
    return {"keys": keys, "outcomes": outcomes}


def _outcome(client: httpx2.Client, path: str, key: str | None) -> dict[str, Any]:
    response = client.get(path, headers={"apikey": key} if key else {})
    return {
        "status": response.status_code,
        "body": response.text,
        "content_type": response.headers["content-type"],
        "headers": {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in OWN_HEADERS
        },
    }
