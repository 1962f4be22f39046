"""The Strawberry view: builds each request's ``Context`` and authenticates its caller.

It also owns what lives as long as the process: the token cache, the kept
answers (``schema.responses``), the rows loaders share, and the subscribers' hub.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from devportal import logs
from devportal.db import Database
from devportal.graphiql import graphiql_page
from devportal.resolvers import live
from devportal.resolvers.fanout import Hub
from devportal.schema.authentication import Tokens
from devportal.schema.context import Context
from devportal.schema.loaders import ProcessRows
from devportal.schema.responses import Responses, operation_name
from devportal.security import bearer_token
from devportal.settings import Settings

OPERATIONS_IN_FLIGHT = 100  # queries and mutations one WebSocket may run at once


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, *, settings: Settings, db: Database) -> None:
        from devportal.schema import build_schema

        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            # Context.subscription_slot counts subscriptions, with a code. Strawberry's
            # cap counts every operation in flight (queries too) and answers without
            # one: kept only as a guard against floods, above the subscriptions' room.
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection
            + OPERATIONS_IN_FLIGHT,
            keep_alive=True,
            keep_alive_interval=settings.websocket_keep_alive_seconds,
            # Browsers let any page open a WebSocket: a handshake from a page on another
            # origin than these (or devportal's own) is refused with 403.
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.db = db
        self.tokens = Tokens(max_entries=settings.gateway_cache_entries)
        db.bus.observe(self.tokens)
        self.responses = Responses()
        db.bus.observe(self.responses.audiences)
        db.bus.observe(self.responses.accounts)
        self.rows = ProcessRows()
        self.rows.observe(db.bus)
        self.hub = Hub(db.bus, partial(live.readers_of, db), partial(live.loses_access, db))

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return graphiql_page()

    async def run(  # type: ignore[override]  # one body for the base's two overloads
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        """POSTed queries kept for an audience or an account are answered from memory."""
        if not isinstance(request, Request) or request.method != "POST":
            return await super().run(request, context, root_value)
        context = await self.get_context(request, response=None)
        body = await request.body()
        place = self.responses.place(body, context.auth)
        if place is None:
            return await super().run(request, context, root_value)
        answers, key = place
        answer = answers.get(key)
        if answer is not None:
            logs.note(operation=operation_name(body) or logs.ANONYMOUS)
            return Response(answer, media_type="application/json")
        generation = answers.generation
        response = await super().run(request, context, root_value)
        if response.status_code == 200:
            answers.keep(generation, key, bytes(response.body))
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            db=self.db,
            tokens=self.tokens,
            rows=self.rows,
            hub=self.hub,
        )
        if isinstance(request, Request):
            await self._authenticate(context, request.headers.get("authorization"))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Subscriptions need a log-in: the token comes in the connection_init payload."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        await self._authenticate(context, header)
        if context.connection_auth is None:
            raise ConnectionRejectionError({"message": "Unauthorized"})
        return await super().on_ws_connect(context)

    async def _authenticate(self, context: Context, header: object) -> None:
        context.token = bearer_token(header)
        context.connection_auth = await context.tokens.authenticate(self.db, context.token)
        if context.connection_auth is not None:
            account = context.connection_auth.account
            logs.note(account_id=f"{type(account).__name__}:{account.id}")
