"""CORS for ``/graphql``: SPAs on the origins of ``DEVPORTAL_CORS_ORIGINS`` may call it.

Starlette's ``CORSMiddleware``, for that path only: exact origins, no credentials
(a token travels in the Authorization header, never a cookie), and the headers
GraphQL clients send. Outermost, so that refusals made before the view (413,
503) still reach the SPA as answers it can read rather than as network errors.
The same origins are allowed to open WebSockets (``GraphQLView``'s Origin check).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

GRAPHQL_PATH = "/graphql"
# What browsers' GraphQL clients add: Apollo Client's and graphql-request's headers, and
# the CSRF-prevention header Apollo Server taught them to send.
CLIENT_HEADERS = (
    "Accept",
    "Authorization",
    "Content-Type",
    "Apollo-Require-Preflight",
    "Apollographql-Client-Name",
    "Apollographql-Client-Version",
    "X-Apollo-Operation-Name",
    "X-Request-Id",
)
PREFLIGHT_MAX_AGE = 600  # seconds; Chromium caps what it keeps at 2 hours


class GraphQLCORS:
    """``CORSMiddleware`` in front of ``/graphql``; any other path passes untouched."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=("GET", "POST"),
            allow_headers=CLIENT_HEADERS,
            allow_credentials=False,
            expose_headers=("Retry-After", "X-Request-Id"),
            max_age=PREFLIGHT_MAX_AGE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == GRAPHQL_PATH:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
