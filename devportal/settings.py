"""Settings, read from the environment (``DEVPORTAL_*``); see the README's settings table."""

from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from strawberry.http.websocket_origin import normalize_allowed_origins


class Settings(BaseSettings):
    """Everything an operator can set. Names and defaults follow the behaviour contract."""

    model_config = SettingsConfigDict(env_prefix="DEVPORTAL_", frozen=True)

    # Never empty: a blank DEVPORTAL_DATABASE_URL= is a mistake, not "a local file".
    database_url: str = Field(default="sqlite+aiosqlite:///./devportal.db", min_length=1)
    smtp_url: SecretStr | None = None
    mail_from: str = "Developer Portal <no-reply@localhost>"
    public_url: str = "http://localhost:8000"
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    session_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    confirm_email_ttl_seconds: int = Field(default=48 * 3600, gt=0)
    password_reset_ttl_seconds: int = Field(default=3600, gt=0)

    # Reverse proxies whose X-Forwarded-For is believed, for limits per client address
    # (addresses or networks, comma-separated). Empty: the peer's address is the client's.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()

    # 5 s doubling to an hour, then hourly: the last of 30 tries is about 20 hours
    # after the first, so an SMTP outage of most of a day loses no mail.
    mail_max_attempts: int = Field(default=30, ge=1)
    mail_retry_base_seconds: float = Field(default=5.0, gt=0)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    housekeeping_interval_seconds: float = Field(default=3600.0, gt=0)
    # OAuth client credentials: how long an access token lasts, and the passphrase that
    # encrypts the token-signing private keys in the database (unset: kept unencrypted).
    access_token_ttl_seconds: int = Field(default=300, gt=0, le=86400)
    signing_key_passphrase: SecretStr | None = None
    # Days before a key or client secret expires that its owners are mailed; 0: never.
    credential_expiry_warning_days: int = Field(default=7, ge=0, le=365)
    # PostgreSQL's event log (devportal.pgbus): how long a process waits for an event id
    # drawn by a transaction not committed yet, and how long rows stay for catching up.
    event_gap_seconds: float = Field(default=60.0, gt=0)
    event_log_keep_seconds: float = Field(default=3600.0, gt=0)

    graphiql: bool = True
    # With GraphiQL on: introspection (and "Did you mean" suggestions) for admins only.
    introspection_admins_only: bool = False
    # Exact origins (scheme://host[:port]) whose pages may call /graphql: CORS for HTTP,
    # and the Origin check of WebSocket handshakes. Empty: same-origin pages only.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # A single-page app's files (index.html and what it loads), served at /.
    spa_dir: Path | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Where `devportal serve` serves /metrics ("host:port", or a port on 127.0.0.1); unset: off.
    metrics: str | None = Field(default=None, pattern=r"^([^\s:]+:|\[[0-9a-fA-F:.]+\]:)?\d{1,5}$")
    metrics_sample_seconds: float = Field(default=5.0, gt=0)
    # SIGTERM: how long requests in flight may take to finish before they are cancelled.
    shutdown_timeout_seconds: int = Field(default=30, gt=0)
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=15, ge=1)
    max_tokens: int = Field(default=2000, ge=1)
    max_directives: int = Field(default=50, ge=1)
    # Fields an operation may resolve at most, lists multiplied by their size (schema/cost.py).
    max_query_cost: int = Field(default=50_000, ge=1)
    max_subscriptions_per_connection: int = Field(default=20, ge=1)
    subscriber_queue_size: int = Field(default=100, ge=1)
    websocket_keep_alive_seconds: float = Field(default=15.0, gt=0)
    # nginx's client_max_body_size and the websockets library's max_size: the largest
    # real request (a 20,000-character description in a mutation) is a few dozen KB.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The longest text any field takes (a service's description); checked for every
    # string before a resolver, so nothing expensive (email-validator, Argon2) sees more.
    max_text_length: int = Field(default=20_000, ge=1)
    # Per lane (gateway checks; everything else but /healthz and WebSockets).
    max_concurrent_requests: int = Field(default=64, ge=1)
    queue_timeout_seconds: float = Field(default=5.0, gt=0)
    # Access-request mails one developer's requests may send the admins, per hour.
    access_request_mails_per_hour: int = Field(default=20, ge=0)
    # Decisions the gateway check keeps in memory, per process (about 300 bytes each).
    gateway_cache_entries: int = Field(default=100_000, ge=1)
    # Webhooks (devportal.webhooks): where they may go, and how long they are retried.
    # 10 s doubling, 14 tries: the last is about 23 hours after the first.
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=14, ge=1, le=100)
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1, le=100)

    @field_validator(
        "smtp_url",
        "bootstrap_admin_email",
        "bootstrap_admin_password",
        "spa_dir",
        "metrics",
        "signing_key_passphrase",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        """``DEVPORTAL_SMTP_URL=`` (as compose and .env files leave it) means not set."""
        return None if value == "" else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(value.replace(",", " ").split())
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        """Comma-separated, each an exact origin as a browser sends it: no ``*``, no path."""
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if not isinstance(value, list | tuple):
            return value  # pydantic refuses it
        origins = tuple(str(origin) for origin in value)
        if "*" in origins:
            raise ValueError("'*' is not an origin: list the exact origins of your frontends")
        return tuple(sorted(normalize_allowed_origins(origins)))

    @cached_property
    def is_sqlite(self) -> bool:
        return urlsplit(self.database_url).scheme.startswith("sqlite")

    @cached_property
    def metrics_address(self) -> tuple[str, int] | None:
        """``DEVPORTAL_METRICS`` as (host, port); a bare port listens on 127.0.0.1 only."""
        if self.metrics is None:
            return None
        host, _, port = self.metrics.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    def link(self, path: str) -> str:
        """An absolute link for an email, on the portal's public address."""
        return self.public_url.rstrip("/") + path
