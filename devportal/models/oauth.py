"""OAuth 2.0 client credentials of applications, and the keys that sign access tokens."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, utcnow


class ClientCredential(SQLModel, table=True):
    """A client ID and the SHA-256 of its secret: the secret itself is shown once."""

    __tablename__ = "client_credential"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", ondelete="CASCADE", index=True)
    client_id: str = Field(max_length=64, unique=True)
    secret_hash: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    expiry_warned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SigningKey(SQLModel, table=True):
    """An asymmetric key that signs access tokens; its public half is published (JWKS).

    The private key is kept as PKCS #8 PEM, encrypted with
    ``DEVPORTAL_SIGNING_KEY_PASSPHRASE`` when that is set. It is never served,
    logged or returned. ``retired_at`` is None for the current key.
    """

    __tablename__ = "signing_key"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    algorithm: str = Field(max_length=10)
    private_pem: str = Field(sa_type=sa.Text)
    public_jwk: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
