"""The pages a mailed link opens when no frontend is in front: confirm an email
address, choose a new password, accept an admin invitation, confirm a new address.

A GET only shows a form: mail scanners fetch links, and must not spend a
one-time token. The form's POST does the work, through the same resolvers as
the ``confirmEmail`` and ``resetPassword`` mutations.
"""

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from devportal.db import Database
from devportal.errors import DomainError
from devportal.resolvers import accounts
from devportal.settings import Settings

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
input,button{{font:inherit;padding:.4rem .6rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

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


# Content-Security-Policy of each kind of page: nothing from anywhere but devportal itself.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"
"""The pages mailed links open: a form and its inline style, no script at all."""
APP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'"
)
"""GraphiQL and the reference SPA: scripts, styles and connections to devportal only
('self' covers its WebSocket too); fonts and icons inlined as data: URLs."""


def html_headers(policy: str = PAGE_POLICY) -> dict[str, str]:
    """Headers of every HTML page devportal serves: never framed, never leaking its URL,
    never sniffed into another type, and running nothing from another origin.

    A page in a frame could be made to run an admin's clicks (clickjacking); the
    URLs of these pages may hold a one-time token, so no Referer carries them on.
    """
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": f"{policy}; frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = _PAGE.format(title=title, body=body)
    return HTMLResponse(page, status_code=status, headers=html_headers(PAGE_POLICY))


def _message(text: str) -> str:
    return f"<p>{escape(text)}</p>"


page = _page  # for the other pages devportal serves (team_pages)
message = _message


def page_routes(settings: Settings, db: Database) -> list[Route]:
    async def confirm_email(request: Request) -> HTMLResponse:
        title = "Confirm your email address"
        if request.method == "GET":
            token = escape(request.query_params.get("token", ""))
            return _page(title, _CONFIRM_FORM.format(token=token))
        form = await request.form()
        try:
            async with db.transaction() as session:
                developer = await accounts.confirm_email(
                    session=session, token=str(form.get("token", ""))
                )
        except DomainError as error:
            return _page(title, _message(error.message), status=400)
        return _page(title, _message(_CONFIRMED[developer.status.value]))

    async def reset_password(request: Request) -> HTMLResponse:
        title = "Choose a new password"
        if request.method == "GET":
            token = escape(request.query_params.get("token", ""))
            if not token:
                return _page("Reset your password", _ASK_RESET_FORM)
            return _page(title, _RESET_FORM.format(token=token, error=""))
        form = await request.form()
        token = str(form.get("token", ""))
        if not token:
            return await ask_for_reset(str(form.get("email", "")))
        try:
            async with db.transaction() as session:
                await accounts.reset_password(
                    session=session, token=token, password=str(form.get("password", ""))
                )
        except DomainError as error:
            body = _RESET_FORM.format(token=escape(token), error=_message(error.message))
            return _page(title, body, status=400)
        return _page(title, _message("Your password is changed. Log in with the new one."))

    async def ask_for_reset(email: str) -> HTMLResponse:
        async with db.transaction() as session:
            await accounts.request_password_reset(session=session, settings=settings, email=email)
        sent = "If an account has this address, a link to choose a new password is on its way."
        return _page("Reset your password", _message(sent))

    async def accept_invitation(request: Request) -> HTMLResponse:
        title = "Accept your invitation"
        if request.method == "GET":
            token = escape(request.query_params.get("token", ""))
            return _page(title, _INVITATION_FORM.format(token=token, error=""))
        form = await request.form()
        token = str(form.get("token", ""))
        try:
            async with db.transaction() as session:
                await accounts.accept_admin_invitation(
                    session=session, token=token, password=str(form.get("password", ""))
                )
        except DomainError as error:
            body = _INVITATION_FORM.format(token=escape(token), error=_message(error.message))
            return _page(title, body, status=400)
        return _page(title, _message("Welcome: you are an admin now. Log in as an admin."))

    async def confirm_email_change(request: Request) -> HTMLResponse:
        title = "Confirm your new email address"
        if request.method == "GET":
            token = escape(request.query_params.get("token", ""))
            return _page(title, _EMAIL_CHANGE_FORM.format(token=token))
        form = await request.form()
        try:
            async with db.transaction() as session:
                await accounts.confirm_email_change(
                    session=session, token=str(form.get("token", ""))
                )
        except DomainError as error:
            return _page(title, _message(error.message), status=400)
        return _page(title, _message("Your email address is changed. Log in with the new one."))

    return [
        Route("/confirm-email", confirm_email, methods=["GET", "POST"]),
        Route("/reset-password", reset_password, methods=["GET", "POST"]),
        Route("/accept-invitation", accept_invitation, methods=["GET", "POST"]),
        Route("/confirm-email-change", confirm_email_change, methods=["GET", "POST"]),
    ]
