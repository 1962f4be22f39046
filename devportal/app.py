"""The Starlette application: GraphQL, the gateway check, health probes, background workers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from devportal.bootstrap import bootstrap_admin
from devportal.db import Database
from devportal.drain import Drain
from devportal.gateway import gateway_routes
from devportal.graphiql import asset_routes
from devportal.health import health_routes
from devportal.housekeeping import Housekeeper
from devportal.mailer.delivery import MailWorker
from devportal.metrics import Sampler
from devportal.middleware import guards
from devportal.middleware.answers import exception_handlers
from devportal.oauth import oauth_routes
from devportal.pages import page_routes
from devportal.resolvers.bearer import TokenCheck
from devportal.resolvers.gateway import Gateway
from devportal.resolvers.signing_keys import SigningKeys
from devportal.schema.transport import PortalView
from devportal.settings import Settings
from devportal.spa import spa_routes
from devportal.team_pages import team_invitation_route
from devportal.webhooks.worker import WebhookWorker

log = logging.getLogger("devportal")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the database must already be migrated (``devportal migrate``)."""
    settings = settings or Settings()
    db = Database(
        settings.database_url,
        subscriber_queue=settings.subscriber_queue_size,
        event_gap_seconds=settings.event_gap_seconds,
        event_log_keep_seconds=settings.event_log_keep_seconds,
    )
    mailer = MailWorker(settings, db)
    webhook_worker = WebhookWorker(settings, db)
    housekeeper = Housekeeper(settings, db)
    signing_keys = SigningKeys(db, _secret(settings.signing_key_passphrase))
    tokens = TokenCheck(
        db, signing_keys, settings.public_url.rstrip("/"), settings.gateway_cache_entries
    )
    gateway = Gateway(db, max_entries=settings.gateway_cache_entries, tokens=tokens)
    graphql = PortalView(settings=settings, db=db)
    drain = Drain()
    sampler = Sampler(db, settings.metrics_sample_seconds) if settings.metrics else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await bootstrap_admin(settings, db)
        await db.bus.start()
        async with (
            gateway.running(),
            mailer.running(),
            webhook_worker.running(),
            housekeeper.running(),
            sampler.running() if sampler else contextlib.nullcontext(),
        ):
            log.info("devportal ready")
            with drain.on_signals():
                yield
        await db.bus.stop()
        await db.dispose()

    app = Starlette(
        routes=[  # the gateway check first: the router tries routes in order
            *gateway_routes(gateway),
            *health_routes(db, drain),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *oauth_routes(settings, db, signing_keys),
            *page_routes(settings, db),
            team_invitation_route(settings, db),
            *(asset_routes() if settings.graphiql else []),
            *spa_routes(settings.spa_dir),
        ],
        lifespan=lifespan,
        middleware=guards(settings, drain, measure=sampler is not None),
        exception_handlers=exception_handlers(),
    )
    app.state.settings = settings
    app.state.db = db
    app.state.gateway = gateway
    app.state.drain = drain
    return app


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
