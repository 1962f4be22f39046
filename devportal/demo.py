"""``devportal demo``: fill an empty database with a believable portal to try things on.

Everything is made through the domain functions in ``devportal.resolvers``, as an
admin and developers would make it over GraphQL, so every rule holds; it all
happens in one transaction, and the mail those steps queue is deleted before it
commits, so the demo sends nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from devportal.db import Database, execute_update
from devportal.demo_catalog import SERVICES, ServicePlan, describe, make_catalog
from devportal.errors import Conflict
from devportal.models import Admin, Developer, DeveloperStatus, OutboxMessage, Registration, Service
from devportal.resolvers import (
    accounts,
    applications,
    credentials,
    registration_decisions,
    registrations,
)
from devportal.resolvers.applications import ApplicationData
from devportal.settings import Settings

DEMO_DOMAIN = "demo.devportal.test"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
DEVELOPER_EMAIL = f"developer@{DEMO_DOMAIN}"
PENDING_DEVELOPER_EMAIL = f"pending@{DEMO_DOMAIN}"


class NotEmpty(Conflict):
    default_message = "the database is not empty; demo fills only an empty one"


@dataclass(frozen=True)
class DemoPortal:
    """What the demo made, and how to log in to it."""

    admin_email: str
    admin_password: str | None  # None: that admin existed already; its password is unchanged
    developer_email: str
    developer_password: str
    pending_developer_email: str
    pending_developer_password: str
    pending_developer_waits: bool  # False when the portal auto-approves developers
    services: tuple[ServicePlan, ...]
    api_key: str
    key_application: str
    key_service: str
    key_version: str
    gateway_url: str

    def summary(self) -> str:
        admin = (
            f"{self.admin_email} / {self.admin_password}"
            if self.admin_password is not None
            else f"{self.admin_email} (existed already; its password is unchanged)"
        )
        services = ", ".join(describe(service) for service in self.services)
        waits = (
            "developer awaiting approval"
            if self.pending_developer_waits
            else "approved at once: the portal auto-approves developers"
        )
        return "\n".join(
            [
                "Demo portal ready.",
                f"  Services:   {services}",
                f"  Admin:      {admin}",
                f"  Developer:  {self.developer_email} / {self.developer_password}",
                f"  Waiting:    {self.pending_developer_email} / "
                f"{self.pending_developer_password} ({waits})",
                f'  API key:    {self.api_key} (application "{self.key_application}", '
                f"approved for {self.key_service} {self.key_version})",
                f'  Try:        curl -H "apikey: {self.api_key}" {self.gateway_url}',
            ]
        )


def new_password() -> str:
    return secrets.token_urlsafe(16)


async def seed(
    *, settings: Settings, db: Database, admin_password: str | None = None
) -> DemoPortal:
    """Fill an empty database (no service, no developer) with a demo portal.

    Raises ``NotEmpty`` otherwise. ``admin_password`` is the demo admin's; one is
    generated when it is None.
    """
    try:
        return await _seed(settings, db, admin_password)
    except sa.exc.IntegrityError:
        # Only a concurrent writer (another demo, say) can make an empty database's
        # unique columns clash: it is not empty any more.
        raise NotEmpty() from None


async def _seed(settings: Settings, db: Database, admin_password: str | None) -> DemoPortal:
    async with db.transaction() as session:
        queued: list[OutboxMessage] = []

        def collect(_session: Session, instance: object) -> None:
            if isinstance(instance, OutboxMessage):
                queued.append(instance)

        sa.event.listen(session.sync_session, "transient_to_pending", collect)
        try:
            made = await _fill(session, settings, admin_password)
            # No mailbox behind the demo addresses: what the steps queued is never sent.
            await session.flush()
            ids = [message.id for message in queued if message.id is not None]
            await execute_update(
                session, sa.delete(OutboxMessage).where(col(OutboxMessage.id).in_(ids))
            )
        finally:
            sa.event.remove(session.sync_session, "transient_to_pending", collect)
    return made


async def _fill(
    session: AsyncSession, settings: Settings, admin_password: str | None
) -> DemoPortal:
    if not await _is_empty(session):
        raise NotEmpty()

    admin = await session.scalar(sa.select(Admin).where(col(Admin.email) == ADMIN_EMAIL))
    if admin is None:
        admin_password = admin_password or new_password()
        admin = await accounts.create_admin(
            session=session, email=ADMIN_EMAIL, password=admin_password
        )
    else:
        admin_password = None

    versions = await make_catalog(session, admin)

    developer_password = new_password()
    developer = await _developer(
        session,
        settings,
        admin,
        accounts.SignUpData(
            email=DEVELOPER_EMAIL,
            full_name="Sam Rivera",
            organization="Acme Logistics",
            password=developer_password,
        ),
        approve=True,
    )
    pending_password = new_password()
    newcomer = await _developer(
        session,
        settings,
        admin,
        accounts.SignUpData(
            email=PENDING_DEVELOPER_EMAIL,
            full_name="Priya Natarajan",
            organization="Northwind Travel",
            password=pending_password,
        ),
        approve=False,
    )

    # Weather dashboard: asks for weather v1, which an admin reviews and approves.
    dashboard = await _application(
        session,
        developer,
        ApplicationData(
            name="Weather dashboard",
            reference_id="acme-weather-dashboard",
            description="Shows the forecast for each of our depots on the operations screen.",
        ),
    )
    approved = await _register(session, settings, developer, dashboard, versions["weather", "v1"])
    assert approved.id is not None
    await registration_decisions.approve_registration(
        session=session, settings=settings, admin=admin, registration_id=approved.id
    )
    key = await credentials.generate_credential(
        session=session, developer=developer, application_id=dashboard
    )

    # Checkout: asks for payments v1 and waits in the admins' queue.
    checkout = await _application(
        session,
        developer,
        ApplicationData(
            name="Checkout",
            reference_id="acme-checkout",
            description="Card payments for the customer shop.",
        ),
    )
    await _register(session, settings, developer, checkout, versions["payments", "v1"])

    # Fleet tracker: maps v2 is approved at once; payments v1 was turned down.
    tracker = await _application(
        session,
        developer,
        ApplicationData(
            name="Fleet tracker",
            reference_id="acme-fleet-tracker",
            description="Plots our delivery vans on a live map.",
        ),
    )
    await _register(session, settings, developer, tracker, versions["maps", "v2"])
    rejected = await _register(session, settings, developer, tracker, versions["payments", "v1"])
    assert rejected.id is not None
    await registration_decisions.reject_registration(
        session=session, settings=settings, admin=admin, registration_id=rejected.id
    )

    return DemoPortal(
        admin_email=ADMIN_EMAIL,
        admin_password=admin_password,
        developer_email=DEVELOPER_EMAIL,
        developer_password=developer_password,
        pending_developer_email=PENDING_DEVELOPER_EMAIL,
        pending_developer_password=pending_password,
        pending_developer_waits=newcomer.status == DeveloperStatus.PENDING,
        services=SERVICES,
        api_key=key.key,
        key_application="Weather dashboard",
        key_service="weather",
        key_version="v1",
        gateway_url=settings.link("/gateway/verify/weather/v1"),
    )


async def _is_empty(session: AsyncSession) -> bool:
    for table_id in (col(Service.id), col(Developer.id)):
        if await session.scalar(sa.select(table_id).limit(1)) is not None:
            return False
    return True


async def _developer(
    session: AsyncSession,
    settings: Settings,
    admin: Admin,
    data: accounts.SignUpData,
    *,
    approve: bool,
) -> Developer:
    """Sign up, confirm the address, and (if ``approve``) have the admin approve them.

    Nobody reads the demo's mail, so the address is confirmed the way a reset link
    confirms it, rather than with the token the confirmation mail carries.
    """
    await accounts.sign_up(session=session, settings=settings, data=data)
    developer = await session.scalar(
        sa.select(Developer).where(col(Developer.email) == accounts.normalize_email(data.email))
    )
    assert developer is not None, "sign-up made no account"
    assert developer.id is not None
    await accounts.confirm_unconfirmed(session, developer)
    # The portal may auto-approve developers; then they are APPROVED already.
    if approve and developer.status == DeveloperStatus.PENDING:
        developer = await accounts.approve_developer(
            session=session, settings=settings, admin=admin, developer_id=developer.id
        )
    return developer


async def _application(session: AsyncSession, developer: Developer, data: ApplicationData) -> int:
    application = await applications.create_application(
        session=session, developer=developer, data=data
    )
    assert application.id is not None
    return application.id


async def _register(
    session: AsyncSession,
    settings: Settings,
    developer: Developer,
    application_id: int,
    version_id: int,
) -> Registration:
    return await registrations.register_application(
        session=session,
        settings=settings,
        developer=developer,
        application_id=application_id,
        version_id=version_id,
    )
