"""Live updates: which events a subscriber may see, for as long as their session lasts.

A subscription ends (with UNAUTHENTICATED) when its session expires, is
logged out, or its developer is revoked or resets their password; and (with
RATE_LIMITED) when the subscriber falls too far behind to keep up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from devportal.db import Database
from devportal.errors import RateLimited, Unauthenticated
from devportal.events import (
    DeveloperStatusChanged,
    Event,
    InProcessBus,
    RegistrationChanged,
    SessionsEnded,
    SubscriberOverflow,
    Subscription,
)
from devportal.models import Admin, Developer
from devportal.models.base import utcnow
from devportal.resolvers.access import application_for, sees_event
from devportal.resolvers.accounts import Authenticated

log = logging.getLogger("devportal.live")


async def registration_events(
    *,
    db: Database,
    viewer: Authenticated,
    application_id: int | None,
    on_overflow: Callable[[], None] | None = None,
) -> AsyncIterator[RegistrationChanged]:
    """Developers: their own applications' registrations (optionally one). Admins: all.

    The application is checked in a session of its own, closed before the first
    event: a subscription waits for hours and must not hold a pooled connection.
    """
    if application_id is not None:
        async with db.session() as session:
            await application_for(session, viewer.account, application_id)
    account = viewer.account
    async for event in _while_signed_in(db.bus, viewer, on_overflow):
        if not isinstance(event, RegistrationChanged):
            continue
        if not sees_event(account, event):
            continue
        if application_id is not None and event.application_id != application_id:
            continue
        yield event


async def developer_status_changes(
    *,
    bus: InProcessBus,
    viewer: Authenticated,
    admin: Admin,
    on_overflow: Callable[[], None] | None = None,
) -> AsyncIterator[DeveloperStatusChanged]:
    """Admins: every developer whose status changes, new sign-ups waiting for approval too."""
    async for event in _while_signed_in(bus, viewer, on_overflow):
        if isinstance(event, DeveloperStatusChanged):
            yield event


async def _while_signed_in(
    bus: InProcessBus, viewer: Authenticated, on_overflow: Callable[[], None] | None
) -> AsyncIterator[Event]:
    who = f"{type(viewer.account).__name__.lower()} {viewer.account.id}"
    async with bus.subscribe(on_overflow) as subscription:
        log.debug("subscriber joined: %s (%d listening)", who, bus.subscriber_count)
        try:
            while True:
                event = await _next_while_signed_in(subscription, viewer)
                yield event
        finally:
            log.debug("subscriber left: %s", who)


async def _next_while_signed_in(subscription: Subscription, viewer: Authenticated) -> Event:
    while True:
        remaining = (viewer.expires_at - utcnow()).total_seconds()
        if remaining <= 0:
            raise Unauthenticated("Your session has expired; log in again.")
        try:
            async with asyncio.timeout(remaining):
                event = await subscription.next()
        except TimeoutError:
            continue
        except SubscriberOverflow:
            raise RateLimited(
                "Too many undelivered events: this subscription was dropped. Subscribe again."
            ) from None
        if _ends_session(event, viewer):
            raise Unauthenticated("Your session has ended; log in again.")
        return event


def _ends_session(event: Event, viewer: Authenticated) -> bool:
    if not isinstance(event, SessionsEnded):
        return False
    if event.token_digest is not None:
        return event.token_digest == viewer.token_digest
    return isinstance(viewer.account, Developer) and event.developer_id == viewer.account.id
