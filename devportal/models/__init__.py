"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from devportal.models.account import (
    Admin,
    AdminToken,
    AdminTokenPurpose,
    AuthSession,
    Developer,
    DeveloperStatus,
    EmailToken,
    EmailTokenPurpose,
)
from devportal.models.application import (
    Application,
    Credential,
    Registration,
    RegistrationStatus,
)
from devportal.models.audit import AuditAction, AuditEntry
from devportal.models.catalog import AuthStrategy, Service, ServiceVersion
from devportal.models.event_log import EventLogEntry
from devportal.models.mail import MailStatus, OutboxMessage
from devportal.models.oauth import ClientCredential, SigningKey
from devportal.models.portal import PORTAL_SETTINGS_ID, PortalSettings
from devportal.models.team import Team, TeamInvitation, TeamMember, TeamRole
from devportal.models.throttle import Throttle
from devportal.models.webhook import DeliveryStatus, Webhook, WebhookDelivery, WebhookEventType

__all__ = [
    "PORTAL_SETTINGS_ID",
    "Admin",
    "AdminToken",
    "AdminTokenPurpose",
    "Application",
    "AuditAction",
    "AuditEntry",
    "AuthSession",
    "AuthStrategy",
    "ClientCredential",
    "Credential",
    "DeliveryStatus",
    "Developer",
    "DeveloperStatus",
    "EmailToken",
    "EmailTokenPurpose",
    "EventLogEntry",
    "MailStatus",
    "OutboxMessage",
    "PortalSettings",
    "Registration",
    "RegistrationStatus",
    "Service",
    "ServiceVersion",
    "SigningKey",
    "Team",
    "TeamInvitation",
    "TeamMember",
    "TeamRole",
    "Throttle",
    "Webhook",
    "WebhookDelivery",
    "WebhookEventType",
]
