"""The demo's catalog: which services and versions ``devportal demo`` makes, and making them.

Each version is open (auto-approved), reviewed by an admin, or closed; the
services are made through ``resolvers.catalog``, as an admin would make them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.models import Admin, AuthStrategy, ServiceVersion
from devportal.resolvers import catalog
from devportal.resolvers.catalog import ServiceData

# open: registration enabled, auto-approved; review: enabled, an admin decides;
# closed: was open, then disabled (existing registrations stay, the gateway denies it).
Access = Literal["open", "review", "closed"]


@dataclass(frozen=True)
class VersionPlan:
    name: str
    access: Access


@dataclass(frozen=True)
class ServicePlan:
    slug: str
    name: str
    description: str
    published: bool
    versions: tuple[VersionPlan, ...]


SERVICES = (
    ServicePlan(
        slug="weather",
        name="Weather",
        description=(
            "Current conditions, hourly and 14-day forecasts and severe-weather alerts for any "
            "place on Earth, by coordinates or place name. v2 adds air quality and pollen."
        ),
        published=True,
        versions=(VersionPlan("v1", "review"), VersionPlan("v2", "open")),
    ),
    ServicePlan(
        slug="payments",
        name="Payments",
        description=(
            "Take card and bank payments, issue refunds and follow payouts. Every application "
            "is reviewed before it gets access, as our card-scheme rules require."
        ),
        published=True,
        versions=(VersionPlan("v1", "review"),),
    ),
    ServicePlan(
        slug="maps",
        name="Maps",
        description=(
            "Geocoding, reverse geocoding, routing and static map images. v1 is deprecated "
            "and takes no new applications; use v2."
        ),
        published=True,
        versions=(VersionPlan("v1", "closed"), VersionPlan("v2", "open")),
    ),
    ServicePlan(
        slug="internal-billing",
        name="Internal billing",
        description="Invoices and usage metering for our own teams. Not published.",
        published=False,
        versions=(VersionPlan("v1", "review"),),
    ),
)


def describe(service: ServicePlan) -> str:
    """One service for the summary: its slug, versions, and whether it is hidden."""
    versions = ", ".join(
        f"{version.name} closed" if version.access == "closed" else version.name
        for version in service.versions
    )
    hidden = "; unpublished" if not service.published else ""
    return f"{service.slug} ({versions}{hidden})"


async def make_catalog(session: AsyncSession, admin: Admin) -> dict[tuple[str, str], int]:
    """The services and versions of ``SERVICES``; their version IDs by (slug, name)."""
    versions: dict[tuple[str, str], int] = {}
    for plan in SERVICES:
        service = await catalog.create_service(
            session=session,
            admin=admin,
            data=ServiceData(slug=plan.slug, name=plan.name, description=plan.description),
        )
        assert service.id is not None
        if plan.published:
            await catalog.publish_service(
                session=session, admin=admin, service_id=service.id, published=True
            )
        for version_plan in plan.versions:
            version = await _version(session, admin, service.id, version_plan)
            versions[plan.slug, version_plan.name] = version
    return versions


async def _version(session: AsyncSession, admin: Admin, service_id: int, plan: VersionPlan) -> int:
    version: ServiceVersion = await catalog.create_service_version(
        session=session, admin=admin, service_id=service_id, name=plan.name
    )
    assert version.id is not None
    await catalog.enable_app_registration(
        session=session,
        admin=admin,
        version_id=version.id,
        auto_approve=plan.access == "open",
        auth_strategy=AuthStrategy.KEY_AUTH,
    )
    if plan.access == "closed":
        await catalog.disable_app_registration(session=session, admin=admin, version_id=version.id)
    return version.id
