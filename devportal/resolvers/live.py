"""Live updates: which events a subscriber asks for, who may see them, when it must end.

The rules only; ``devportal.resolvers.fanout`` carries events to subscribers by
them. A subscription ends (with UNAUTHENTICATED) when its session expires, is
logged out, or its developer is revoked or resets their password; and (with
RATE_LIMITED) when the subscriber falls too far behind to keep up.

Who may see an event is decided in ONE place, ``readers_of``, called once per
event per process whatever the number of subscribers (a read it makes is one
read per event); it applies ``access``'s rule. Subscribers are told apart by
``audience_of``: subscribers with the same audience, document and variables
share one execution of each event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devportal.db import Database
from devportal.errors import NotFound
from devportal.events import (
    AccessChanged,
    DeveloperStatusChanged,
    Event,
    RegistrationChanged,
    SessionsEnded,
)
from devportal.models import Admin, Developer, TeamRole
from devportal.models.base import utcnow
from devportal.resolvers.access import Viewer, application_for, members_roles, sees_event
from devportal.resolvers.accounts import Authenticated

ADMINS = ("admin", 0)

Audience = tuple[str, int]
"""Subscribers an answer may be shared by: all admins, or one developer's sessions.

Whatever a subscription's answer shows must depend on its viewer through this
only: subscribers of one audience get the very same bytes.
"""


def audience_of(viewer: Authenticated) -> Audience:
    account = viewer.account
    if isinstance(account, Admin):
        return ADMINS
    assert account.id is not None
    return ("developer", account.id)


Readers = Callable[[Viewer], bool]
"""Whether a viewer may see one event: asked once per audience that wants it."""


async def readers_of(db: Database, event: Event) -> Readers:
    """Who may see ``event``: ``access``'s rule for an application's events; developers'
    status changes are for admins.

    Called once per event per process, for all of its subscribers at once (never
    per subscriber): a rule that needs a read makes it here, one read an event
    (a team application's: its team's members, as they are now).
    """
    if isinstance(event, RegistrationChanged):
        members: dict[int, TeamRole] = {}
        if event.team_id is not None:
            async with db.session() as session:
                members = await members_roles(session, event.team_id)

        def reads(viewer: Viewer) -> bool:
            role = members.get(viewer.id or 0) if isinstance(viewer, Developer) else None
            roles = {event.team_id: role} if event.team_id is not None and role else {}
            return sees_event(viewer, event, roles)

        return reads
    if isinstance(event, DeveloperStatusChanged):
        return lambda viewer: isinstance(viewer, Admin)
    return lambda viewer: False


@dataclass(frozen=True)
class Interest:
    """Which events a subscription asks for, whoever asks (``readers_of`` decides who may)."""

    kind: type[RegistrationChanged] | type[DeveloperStatusChanged]
    application_id: int | None = None

    def wants(self, event: Event) -> bool:
        if not isinstance(event, self.kind):
            return False
        return self.application_id is None or (
            isinstance(event, RegistrationChanged) and event.application_id == self.application_id
        )


async def registration_interest(
    *, db: Database, viewer: Authenticated, application_id: int | None
) -> Interest:
    """Developers: the registrations of the applications they may read (optionally one).
    Admins: all.

    The application is checked in a session of its own, closed before the first
    event: a subscription waits for hours and must not hold a pooled connection.
    """
    if application_id is not None:
        async with db.session() as session:
            await application_for(session, viewer.account, application_id)
    return Interest(RegistrationChanged, application_id)


def developer_status_interest(admin: Admin) -> Interest:
    """Admins: every developer whose status changes, new sign-ups waiting for approval too."""
    return Interest(DeveloperStatusChanged)


async def loses_access(
    db: Database, event: AccessChanged, viewer: Authenticated, interest: Interest
) -> bool:
    """Whether a subscription to one application must end after ``event``: its viewer
    left the team, or the application moved, and ``access``'s rule no longer lets
    them read it. Read only for the subscriptions the change may concern."""
    account = viewer.account
    if interest.application_id is None or not isinstance(account, Developer):
        return False
    if event.developer_id != account.id and event.application_id != interest.application_id:
        return False
    async with db.session() as session:
        try:
            await application_for(session, account, interest.application_id)
        except NotFound:
            return True
    return False


def seconds_left(viewer: Authenticated) -> float:
    """How long the viewer's session lasts: their subscriptions end with it."""
    return (viewer.expires_at - utcnow()).total_seconds()


def ends_session(event: Event, viewer: Authenticated) -> bool:
    if not isinstance(event, SessionsEnded):
        return False
    if event.token_digest is not None:
        return event.token_digest == viewer.token_digest
    return isinstance(viewer.account, Developer) and event.developer_id == viewer.account.id
