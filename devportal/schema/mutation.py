"""The root Mutation: each area's mutations. Each mutation is one transaction."""

import strawberry

from devportal.schema.account_mutations import AccountMutation
from devportal.schema.admins import AdminMutation
from devportal.schema.applications import ApplicationMutation
from devportal.schema.catalog import CatalogMutation
from devportal.schema.client_credentials import ClientCredentialMutation
from devportal.schema.credentials import CredentialMutation
from devportal.schema.registrations import RegistrationMutation
from devportal.schema.self_service import SelfServiceMutation
from devportal.schema.team_mutations import TeamMutation
from devportal.schema.webhooks import WebhookMutation


@strawberry.type(description="Everything that changes something.")
class Mutation(
    AccountMutation,
    CatalogMutation,
    ApplicationMutation,
    CredentialMutation,
    ClientCredentialMutation,
    RegistrationMutation,
    SelfServiceMutation,
    AdminMutation,
    TeamMutation,
    WebhookMutation,
):
    pass
