"""A portal to load, made through the public GraphQL API as its users would.

Services, each with versions that accept registrations and approve them at
once, and one developer owning applications, each registered for every version
of one service and holding keys.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.flows import CREATE_VERSION, ENABLE, Catalog, DeveloperLogin, Key, Portal, Version

ADMIN = ("bench-admin@portal.test", "bench-admin-password")
DEVELOPER = "bench-developer@portal.test"
THREADS = 4  # requests in flight while seeding: SQLite serialises writes anyway


@dataclass(frozen=True)
class Sizes:
    services: int = 20
    versions: int = 3
    applications: int = 50
    keys: int = 2


@dataclass
class Application:
    id: str
    reference_id: str
    versions: list[Version]
    keys: list[Key] = field(default_factory=list)


@dataclass
class Seeded:
    developer: DeveloperLogin
    versions: list[Version]
    applications: list[Application]


def seed(portal: Portal, sizes: Sizes) -> Seeded:
    """Fill an empty portal; applications register for the versions of service i % n."""
    catalog = Catalog(portal)
    with ThreadPoolExecutor(THREADS) as pool:
        services = list(
            pool.map(lambda n: _service(catalog, n, sizes.versions), range(sizes.services))
        )
        developer = portal.developer(DEVELOPER)
        applications = list(
            pool.map(
                lambda n: _application(catalog, developer, n, services[n % len(services)], sizes),
                range(sizes.applications),
            )
        )
    return Seeded(developer, [v for versions in services for v in versions], applications)


def _service(catalog: Catalog, n: int, versions: int) -> list[Version]:
    first = catalog.service(f"service-{n:03d}", "v1", auto_approve=True, name=f"Service {n}")
    made = [first]
    admin = catalog.portal.admin
    for number in range(2, versions + 1):
        created = catalog.api.data(
            CREATE_VERSION, {"serviceId": first.service_id, "name": f"v{number}"}, admin
        )["createServiceVersion"]
        catalog.api.data(ENABLE, {"id": created["id"], "autoApprove": True}, admin)
        made.append(Version(first.service_id, first.slug, created["id"], f"v{number}"))
    return made


def _application(
    catalog: Catalog, developer: DeveloperLogin, n: int, versions: list[Version], sizes: Sizes
) -> Application:
    reference_id = f"bench-app-{n:03d}"
    app_id = catalog.application(developer.token, reference_id, name=f"Bench app {n}")
    for version in versions:
        registration = catalog.register(developer.token, app_id, version)
        assert registration["status"] == "APPROVED", registration
    keys = [catalog.key(developer.token, app_id) for _ in range(sizes.keys)]
    return Application(app_id, reference_id, versions, keys)
