"""The pages a mailed link opens when no frontend is in front: confirm an email
address, choose a new password, accept an admin invitation, confirm a new address.

A GET only shows a form: mail scanners fetch links, and must not spend a
one-time token. The form's POST does the work, through the same resolvers as
the ``confirmEmail`` and ``resetPassword`` mutations (the flow: page_flow).
"""

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from devportal.db import Database
from devportal.page_flow import APP_POLICY, html_headers, message, page, token_form
from devportal.resolvers import accounts
from devportal.settings import Settings

__all__ = ["APP_POLICY", "html_headers", "page_routes"]  # the first two for graphiql, spa

_CONFIRM_FORM = """<p>Confirm the email address of your developer account.</p>
<form method="post"><input type="hidden" name="token" value="{token}">
<button type="submit">Confirm my email address</button></form>"""

_RESET_FORM = """{error}<form method="post"><input type="hidden" name="token" value="{token}">
<p><label>New password (at least 12 characters)<br>
<input type="password" name="password" minlength="12" required autocomplete="new-password">
</label></p><button type="submit">Set my new password</button></form>"""

_INVITATION_FORM = """{error}<p>Choose the password of your new admin account.</p>
<form method="post"><input type="hidden" name="token" value="{token}">
<p><label>Password (at least 12 characters)<br>
<input type="password" name="password" minlength="12" required autocomplete="new-password">
</label></p><button type="submit">Become an admin</button></form>"""

_EMAIL_CHANGE_FORM = """<p>Confirm the new email address of your developer account.</p>
<form method="post"><input type="hidden" name="token" value="{token}">
<button type="submit">Use this address</button></form>"""

_ASK_RESET_FORM = """<p>Enter the email address of your developer account, and we will send
you a link to choose a new password.</p>
<form method="post"><p><label>Email address<br>
<input type="email" name="email" required autocomplete="email"></label></p>
<button type="submit">Send me a link</button></form>"""

_CONFIRMED = {
    "PENDING": "Thank you: your email address is confirmed. An administrator will "
    "review your account; you will get an email when it is approved.",
    "APPROVED": "Thank you: your email address is confirmed, and your account is ready. "
    "You can log in now.",
}


def page_routes(settings: Settings, db: Database) -> list[Route]:
    async def confirm(request: Request, token: str, form: FormData) -> str:
        async with db.transaction() as session:
            developer = await accounts.confirm_email(session=session, token=token)
        return _CONFIRMED[developer.status.value]

    async def reset(request: Request, token: str, form: FormData) -> str:
        async with db.transaction() as session:
            await accounts.reset_password(
                session=session, token=token, password=str(form.get("password", ""))
            )
        return "Your password is changed. Log in with the new one."

    async def accept(request: Request, token: str, form: FormData) -> str:
        async with db.transaction() as session:
            await accounts.accept_admin_invitation(
                session=session, token=token, password=str(form.get("password", ""))
            )
        return "Welcome: you are an admin now. Log in as an admin."

    async def confirm_change(request: Request, token: str, form: FormData) -> str:
        async with db.transaction() as session:
            await accounts.confirm_email_change(session=session, token=token)
        return "Your email address is changed. Log in with the new one."

    reset_with_token = token_form("Choose a new password", _RESET_FORM, reset)

    async def reset_password(request: Request) -> HTMLResponse:
        """Without a token: the form that asks for a link, and its POST."""
        if request.method == "GET":
            if not request.query_params.get("token"):
                return page("Reset your password", _ASK_RESET_FORM)
        elif not (form := await request.form()).get("token"):
            return await ask_for_reset(str(form.get("email", "")))
        return await reset_with_token(request)

    async def ask_for_reset(email: str) -> HTMLResponse:
        async with db.transaction() as session:
            await accounts.request_password_reset(session=session, settings=settings, email=email)
        sent = "If an account has this address, a link to choose a new password is on its way."
        return page("Reset your password", message(sent))

    confirm_email = token_form(
        "Confirm your email address", _CONFIRM_FORM, confirm, error_in_form=False
    )
    accept_invitation = token_form("Accept your invitation", _INVITATION_FORM, accept)
    confirm_email_change = token_form(
        "Confirm your new email address", _EMAIL_CHANGE_FORM, confirm_change, error_in_form=False
    )
    return [
        Route("/confirm-email", confirm_email, methods=["GET", "POST"]),
        Route("/reset-password", reset_password, methods=["GET", "POST"]),
        Route("/accept-invitation", accept_invitation, methods=["GET", "POST"]),
        Route("/confirm-email-change", confirm_email_change, methods=["GET", "POST"]),
    ]
