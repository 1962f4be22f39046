"""DataLoaders, one set per operation: nested fields load in batches, not one row at a time."""

from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from devportal.events import InProcessBus
from devportal.models import (
    Application,
    ClientCredential,
    Credential,
    Developer,
    Registration,
    Service,
    ServiceVersion,
)
from devportal.resolvers.batches import (
    RowsById,
    cached_rows_by_id,
    pages_grouped_by,
    rows_by_id,
    rows_grouped_by,
)
from devportal.resolvers.pagination import Page, PageRequest


@dataclass(frozen=True)
class Loaders:
    service: DataLoader[int, Service | None]
    version: DataLoader[int, ServiceVersion | None]
    versions_of_service: DataLoader[int, list[ServiceVersion]]
    application: DataLoader[int, Application | None]
    developer: DataLoader[int, Developer | None]
    applications_of_developer: DataLoader[PageRequest, Page[Application]]
    registrations_of_application: DataLoader[int, list[Registration]]
    credentials_of_application: DataLoader[int, list[Credential]]
    client_credentials_of_application: DataLoader[int, list[ClientCredential]]


@dataclass(frozen=True)
class ProcessRows:
    """What every operation of this process may share: the catalog's rows by id."""

    services: RowsById = field(default_factory=lambda: RowsById(Service))
    versions: RowsById = field(default_factory=lambda: RowsById(ServiceVersion))

    def observe(self, bus: InProcessBus) -> None:
        bus.observe(self.services)
        bus.observe(self.versions)


def make_loaders(session: AsyncSession, shared: ProcessRows) -> Loaders:
    return Loaders(
        service=DataLoader(partial(cached_rows_by_id, shared.services, session)),
        version=DataLoader(partial(cached_rows_by_id, shared.versions, session)),
        versions_of_service=DataLoader(
            partial(rows_grouped_by, session, ServiceVersion, "service_id")
        ),
        application=DataLoader(partial(rows_by_id, session, Application)),
        developer=DataLoader(partial(rows_by_id, session, Developer)),
        applications_of_developer=DataLoader(
            partial(
                pages_grouped_by,
                session,
                Application,
                "developer_id",
                where=col(Application.team_id).is_(None),  # their own, not their teams'
            )
        ),
        registrations_of_application=DataLoader(
            partial(rows_grouped_by, session, Registration, "application_id")
        ),
        credentials_of_application=DataLoader(
            partial(rows_grouped_by, session, Credential, "application_id")
        ),
        client_credentials_of_application=DataLoader(
            partial(rows_grouped_by, session, ClientCredential, "application_id")
        ),
    )
