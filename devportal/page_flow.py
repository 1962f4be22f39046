"""What the HTML pages devportal serves share: their headers (CSP and the rest), the
frame of a page a mailed link opens, and the flow of such a page.

That flow: a GET only shows a form for the token in the URL (mail scanners fetch
links, and must not spend a one-time token); the form's POST does the work and
answers the outcome, or the error with status 400.
"""

from collections.abc import Awaitable, Callable
from html import escape

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from devportal.errors import DomainError

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
input,button{{font:inherit;padding:.4rem .6rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

# Content-Security-Policy of each kind of page: nothing from anywhere but devportal itself.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"
"""The pages mailed links open: a form and its inline style, no script at all."""
APP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'"
)
"""GraphiQL and the reference SPA: scripts, styles and connections to devportal only
('self' covers its WebSocket too); fonts and icons inlined as data: URLs."""

Endpoint = Callable[[Request], Awaitable[HTMLResponse]]
Action = Callable[[Request, str, FormData], Awaitable[str]]
"""The work of a POST: given the request, its token and its form, the text of the
outcome; a refusal raises DomainError."""


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


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A page of the mailed links' kind: ``body`` is HTML, already escaped."""
    html = _PAGE.format(title=title, body=body)
    return HTMLResponse(html, status_code=status, headers=html_headers(PAGE_POLICY))


def message(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def token_form(title: str, form: str, act: Action, *, error_in_form: bool = True) -> Endpoint:
    """The endpoint of a page whose ``form`` (with ``{token}`` and ``{error}`` fields)
    posts the token of its URL to ``act``. A refusal shows the form again above its
    message when ``error_in_form`` (the form asks for more than the token), else the
    message alone."""

    async def endpoint(request: Request) -> HTMLResponse:
        if request.method == "GET":
            token = escape(request.query_params.get("token", ""))
            return page(title, form.format(token=token, error=""))
        data = await request.form()
        token = str(data.get("token", ""))
        try:
            outcome = await act(request, token, data)
        except DomainError as error:
            refused = message(error.message)
            if error_in_form:
                refused = form.format(token=escape(token), error=refused)
            return page(title, refused, status=400)
        return page(title, message(outcome))

    return endpoint
