"""Domain errors, each with the contract's ``extensions.code``.

Resolvers raise these; graphql-core copies an exception's ``extensions`` onto the
GraphQL error, and ``devportal.schema.errors`` is the one place that decides what
reaches a client for everything else.
"""

from typing import ClassVar


class DomainError(Exception):
    """An expected failure with a message that is safe to show."""

    code: ClassVar[str] = "BAD_USER_INPUT"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extensions = {"code": self.code}


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    default_message = "You must be logged in."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Not found."


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"
    default_message = "The input is not valid."


class Conflict(DomainError):
    code = "CONFLICT"
    default_message = "This conflicts with the current state."


class AppRegistrationDisabled(DomainError):
    code = "APP_REGISTRATION_DISABLED"
    default_message = "Application registration is not enabled for this Service."


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    default_message = "Invalid email or password."


class EmailNotConfirmed(DomainError):
    code = "EMAIL_NOT_CONFIRMED"
    default_message = "Please confirm your email address first: follow the link we sent you."


class AccountPendingApproval(DomainError):
    code = "ACCOUNT_PENDING_APPROVAL"
    default_message = "Your account is waiting for an administrator's approval."


class AccountDisabled(DomainError):
    code = "ACCOUNT_DISABLED"
    default_message = "This account is disabled."


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"
    default_message = "This link or token is invalid or has expired."


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Too many attempts; try again later."
