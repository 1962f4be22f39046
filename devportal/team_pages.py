"""``/team-invitation``: the page an invitation's mailed link opens when no frontend is in
front. Like the reset page, a GET only shows a form (mail scanners fetch links and
must not spend the token); its POST logs the invitee in with their address and
password, accepts through the same resolver as ``acceptTeamInvitation``, and
ends the session it opened for that.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.routing import Route

from devportal.db import Database
from devportal.models import Developer
from devportal.page_flow import token_form
from devportal.resolvers import accounts, team_invitations
from devportal.resolvers.clients import client_address
from devportal.settings import Settings

TITLE = "Join a team"
_FORM = """{error}<p>Log in with the developer account of the address the invitation
was sent to, to join the team.</p>
<form method="post"><input type="hidden" name="token" value="{token}">
<p><label>Email address<br>
<input type="email" name="email" required autocomplete="email"></label></p>
<p><label>Password<br>
<input type="password" name="password" required autocomplete="current-password"></label></p>
<button type="submit">Join the team</button></form>"""


def team_invitation_route(settings: Settings, db: Database) -> Route:
    async def join(request: Request, token: str, form: FormData) -> str:
        """Log in, accept, and end the session opened for that, whatever came of it."""
        client = client_address(
            request.client.host if request.client else None,
            request.headers.getlist("x-forwarded-for"),
            settings.trusted_proxies,
        )
        issued = await accounts.log_in(
            db=db,
            settings=settings,
            email=str(form.get("email", "")),
            password=str(form.get("password", "")),
            client=client,
        )
        try:
            assert isinstance(issued.account, Developer)
            async with db.transaction() as session:
                team = await team_invitations.accept(
                    session=session, developer=issued.account, token=token
                )
        finally:
            async with db.transaction() as session:
                await accounts.log_out(session=session, token=issued.token)
        return f"You are now a member of the team {team.name}."

    return Route("/team-invitation", token_form(TITLE, _FORM, join), methods=["GET", "POST"])
