"""The root Query: each area's fields, plus ``node``."""

import strawberry
from strawberry import relay

from devportal.schema.accounts import AccountQuery
from devportal.schema.admins import AdminQuery
from devportal.schema.applications import ApplicationQuery
from devportal.schema.arguments import Id
from devportal.schema.audit import AuditQuery
from devportal.schema.catalog import CatalogQuery
from devportal.schema.context import Info
from devportal.schema.registrations import RegistrationQuery
from devportal.schema.relay import find_node
from devportal.schema.teams import TeamQuery
from devportal.schema.webhooks import WebhookQuery


@strawberry.type(description="Everything that can be read.")
class Query(
    AccountQuery,
    CatalogQuery,
    ApplicationQuery,
    RegistrationQuery,
    AuditQuery,
    AdminQuery,
    TeamQuery,
    WebhookQuery,
):
    @strawberry.field(
        description="Any object by its global ID, or null if it does not exist or is not yours."
    )
    async def node(self, info: Info, id: Id) -> relay.Node | None:
        # Not relay.node(): its field extension cannot be applied to a second schema.
        return await find_node(info, id)
