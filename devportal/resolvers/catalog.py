"""Services and their versions: what admins publish and developers browse."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from devportal.db import execute_update
from devportal.errors import NotFound
from devportal.models import Admin, AuditAction, AuthStrategy, Service, ServiceVersion
from devportal.models.base import utcnow
from devportal.resolvers import audit
from devportal.resolvers.checks import optional_text, required_text, slug, version_name
from devportal.resolvers.common import Account, require_catalog_reader, save_unique
from devportal.resolvers.pagination import Page, paginate
from devportal.resolvers.portal import get_portal_settings

MAX_SEARCH = 200
MAX_DESCRIPTION = 20_000


@dataclass(frozen=True)
class ServiceData:
    slug: str
    name: str
    description: str


def _checked(data: ServiceData) -> ServiceData:
    description = optional_text(data.description, "The description", MAX_DESCRIPTION, lines=True)
    return ServiceData(
        slug=slug(data.slug, "The slug"),
        name=required_text(data.name, "The name"),
        description=description or "",
    )


# --- admins ----------------------------------------------------------------------------------


async def create_service(*, session: AsyncSession, admin: Admin, data: ServiceData) -> Service:
    data = _checked(data)
    service = Service(slug=data.slug, name=data.name, description=data.description)
    await save_unique(session, service, f"A service with slug '{data.slug}' exists already.")
    _audit(session, AuditAction.SERVICE_CREATED, admin, service, f"Service {service.slug} created")
    return service


async def update_service(
    *, session: AsyncSession, admin: Admin, service_id: int, data: ServiceData
) -> Service:
    data = _checked(data)
    service = await _service(session, service_id)
    service.slug, service.name, service.description = data.slug, data.name, data.description
    service.updated_at = utcnow()
    await save_unique(session, service, f"A service with slug '{data.slug}' exists already.")
    _audit(session, AuditAction.SERVICE_UPDATED, admin, service, f"Service {service.slug} updated")
    return service


async def publish_service(
    *, session: AsyncSession, admin: Admin, service_id: int, published: bool
) -> Service:
    service = await _service(session, service_id)
    service.published = published
    service.updated_at = utcnow()
    action = AuditAction.SERVICE_PUBLISHED if published else AuditAction.SERVICE_UNPUBLISHED
    _audit(session, action, admin, service, f"Service {service.slug} {action.value.lower()[8:]}")
    return service


async def create_service_version(
    *, session: AsyncSession, admin: Admin, service_id: int, name: str
) -> ServiceVersion:
    service = await _service(session, service_id)
    version = ServiceVersion(service_id=service_id, name=version_name(name))
    await save_unique(session, version, f"This service has a version '{version.name}' already.")
    what = f"Version {version.name} of {service.slug} created"
    _audit(session, AuditAction.VERSION_CREATED, admin, version, what)
    return version


async def enable_app_registration(
    *,
    session: AsyncSession,
    admin: Admin,
    version_id: int,
    auto_approve: bool,
    auth_strategy: AuthStrategy,
) -> ServiceVersion:
    version = await _set_registration(
        session, version_id, enabled=True, auto_approve=auto_approve, auth_strategy=auth_strategy
    )
    how = "approving every request" if auto_approve else "each request for an admin"
    what = f"Registration enabled on version {version.name} ({how})"
    _audit(session, AuditAction.VERSION_REGISTRATION_ENABLED, admin, version, what)
    return version


async def disable_app_registration(
    *, session: AsyncSession, admin: Admin, version_id: int
) -> ServiceVersion:
    """Existing registrations stay; the gateway denies the version until it is enabled again."""
    version = await _set_registration(session, version_id, enabled=False)
    what = f"Registration disabled on version {version.name}"
    _audit(session, AuditAction.VERSION_REGISTRATION_DISABLED, admin, version, what)
    return version


def _audit(
    session: AsyncSession, action: AuditAction, admin: Admin, subject: SQLModel, summary: str
) -> None:
    audit.record(session, action=action, actor=admin, subject=subject, summary=summary)


async def _set_registration(
    session: AsyncSession, version_id: int, *, enabled: bool, **values: object
) -> ServiceVersion:
    changed = await execute_update(
        session,
        sa.update(ServiceVersion)
        .where(col(ServiceVersion.id) == version_id)
        .values(app_registration_enabled=enabled, **values),
    )
    if not changed:
        raise NotFound("No such service version.")
    version = await session.get(ServiceVersion, version_id, populate_existing=True)
    assert version is not None
    return version


async def list_services(
    *, session: AsyncSession, admin: Admin, first: int | None, after: str | None
) -> Page[Service]:
    return await paginate(
        session, sa.select(Service), key=col(Service.id), first=first, after=after
    )


# --- everyone who may read the catalog ---------------------------------------------------------


async def catalog(
    *,
    session: AsyncSession,
    viewer: Account | None,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[Service]:
    """Published services, oldest first, optionally matching ``search`` in name,
    slug or description (case-insensitive)."""
    await require_catalog_reader(session, viewer)
    statement = sa.select(Service).where(col(Service.published).is_(True))
    term = (search or "").strip()[:MAX_SEARCH]
    if term:
        statement = statement.where(
            sa.or_(
                col(Service.name).icontains(term, autoescape=True),
                col(Service.slug).icontains(term, autoescape=True),
                col(Service.description).icontains(term, autoescape=True),
            )
        )
    return await paginate(session, statement, key=col(Service.id), first=first, after=after)


async def service_by_slug(
    *, session: AsyncSession, viewer: Account | None, slug: str
) -> Service | None:
    """A published service; an unpublished one only for admins."""
    await require_catalog_reader(session, viewer)
    service = await session.scalar(sa.select(Service).where(col(Service.slug) == slug.strip()))
    return service if service and can_see(viewer, service) else None


def can_see(viewer: Account | None, service: Service) -> bool:
    return service.published or isinstance(viewer, Admin)


async def visible_service(
    *, session: AsyncSession, viewer: Account | None, service_id: int
) -> Service | None:
    """The service if the viewer may see it; None (not an error) otherwise, as ``node`` wants."""
    service = await session.get(Service, service_id)
    if service is None or not can_see(viewer, service):
        return None
    if viewer is None and not (await get_portal_settings(session)).public:
        return None
    return service


async def visible_version(
    *, session: AsyncSession, viewer: Account | None, version_id: int
) -> ServiceVersion | None:
    version = await session.get(ServiceVersion, version_id)
    if version is None:
        return None
    service = await visible_service(session=session, viewer=viewer, service_id=version.service_id)
    return version if service else None


# --- helpers -------------------------------------------------------------------------------------


async def _service(session: AsyncSession, service_id: int) -> Service:
    service = await session.get(Service, service_id)
    if service is None:
        raise NotFound("No such service.")
    return service
