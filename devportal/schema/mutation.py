"""The root Mutation: each area's mutations. Each mutation is one transaction."""

import strawberry

from devportal.schema.account_mutations import AccountMutation
from devportal.schema.applications import ApplicationMutation
from devportal.schema.catalog import CatalogMutation
from devportal.schema.registrations import RegistrationMutation


@strawberry.type(description="Everything that changes something.")
class Mutation(AccountMutation, CatalogMutation, ApplicationMutation, RegistrationMutation):
    pass
