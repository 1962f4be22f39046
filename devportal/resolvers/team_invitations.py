"""Invitations to a team, by mail: single use, 7 days, accepted only by the invited address.

Only the token's SHA-256 is stored. Inviting an address again replaces its
invitation (the older link stops working). Accepting with another account is
FORBIDDEN and leaves the invitation for the invited address.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, Forbidden, InvalidToken, RateLimited
from devportal.events import AccessChanged
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Developer, Team, TeamInvitation, TeamMember, TeamRole
from devportal.models.base import utcnow
from devportal.resolvers import throttle
from devportal.resolvers.access import team_for
from devportal.resolvers.accounts import normalize_email
from devportal.security import new_token, token_digest
from devportal.settings import Settings

INVITATION_LIFETIME = timedelta(days=7)
MAX_PENDING_PER_TEAM = 100
MAX_TOKEN = 100  # characters: ours are 43


async def invite(
    *,
    session: AsyncSession,
    settings: Settings,
    developer: Developer,
    team_id: int,
    email: str,
    role: TeamRole,
) -> TeamInvitation:
    """OWNERs invite an address; a mail carries the link to ``/team-invitation``."""
    team, _ = await team_for(session, developer, team_id, manage=True, lock=True)
    address = normalize_email(email)
    member = await session.scalar(
        sa.select(col(TeamMember.developer_id))
        .join(Developer, col(Developer.id) == col(TeamMember.developer_id))
        .where(col(TeamMember.team_id) == team_id, col(Developer.email) == address)
    )
    if member is not None:
        raise Conflict("This address belongs to a member of the team already.")
    await execute_update(
        session,
        sa.delete(TeamInvitation).where(
            col(TeamInvitation.team_id) == team_id, col(TeamInvitation.email) == address
        ),
    )
    if len(await pending_invitations(session, team_id)) >= MAX_PENDING_PER_TEAM:
        raise Conflict(f"A team has at most {MAX_PENDING_PER_TEAM} invitations waiting.")
    limit = throttle.TEAM_INVITATIONS
    if not limit.allows(await throttle.count(session, limit, str(developer.id))):
        raise RateLimited(f"You may send at most {limit.hits} team invitations an hour.")
    token = new_token()
    now = utcnow()
    invitation = TeamInvitation(
        team_id=team_id,
        email=address,
        role=role,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    mail = templates.team_invitation(
        team=team.name,
        inviter=developer.full_name,
        role=role.value,
        link=settings.link(f"/team-invitation?token={token}"),
    )
    enqueue(session, to=address, mail=mail)
    return invitation


async def accept(*, session: AsyncSession, developer: Developer, token: str) -> Team:
    """Join the team as the invitation says, if it was sent to the developer's address."""
    invitation = await session.scalar(
        sa.select(TeamInvitation).where(
            col(TeamInvitation.token_hash) == token_digest(token[:MAX_TOKEN]),
            col(TeamInvitation.expires_at) > utcnow(),
        )
    )
    if invitation is None or len(token) > MAX_TOKEN:
        raise InvalidToken()
    if invitation.email != developer.email:
        raise Forbidden("This invitation was sent to another address: log in with that one.")
    spent = await execute_update(
        session, sa.delete(TeamInvitation).where(col(TeamInvitation.id) == invitation.id)
    )
    if not spent:
        raise InvalidToken()  # spent by a simultaneous use of the same link
    team = await session.get(Team, invitation.team_id)
    assert team is not None
    assert team.id is not None
    assert developer.id is not None
    if await session.get(TeamMember, (team.id, developer.id)) is None:
        session.add(TeamMember(team_id=team.id, developer_id=developer.id, role=invitation.role))
        await session.flush()
        queue_event(session, AccessChanged(developer.id, team.id, invitation.role.value))
    return team


async def pending_invitations(session: AsyncSession, team_id: int) -> list[TeamInvitation]:
    """A team's invitations not accepted and not expired, oldest first."""
    rows = await session.scalars(
        sa.select(TeamInvitation)
        .where(col(TeamInvitation.team_id) == team_id, col(TeamInvitation.expires_at) > utcnow())
        .order_by(col(TeamInvitation.id))
    )
    return list(rows)
