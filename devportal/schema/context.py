"""The typed context, and the Strawberry view that builds it and authenticates callers.

One ``Context`` serves a whole HTTP request or a whole WebSocket connection;
what must not be shared between the operations of a connection (the read
session and the DataLoaders' caches) lives in an ``OperationScope`` that
``OperationScopes`` opens for each operation, in a ContextVar: every operation
runs in its own task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo
from strawberry.types.unset import UNSET, UnsetType

from devportal import logs
from devportal.caches import TableCache
from devportal.db import Database
from devportal.errors import Forbidden, RateLimited, Unauthenticated
from devportal.events import Event
from devportal.graphiql import graphiql_page
from devportal.metrics import SUBSCRIPTIONS
from devportal.models import Admin, Developer
from devportal.models.base import utcnow
from devportal.resolvers import accounts, live
from devportal.resolvers.fanout import Hub
from devportal.schema.loaders import Loaders, ProcessRows, make_loaders
from devportal.schema.responses import Responses, operation_name
from devportal.security import token_digest
from devportal.settings import Settings


@dataclass
class OperationScope:
    session: AsyncSession
    loaders: Loaders
    # On a WebSocket, who this operation runs for, looked up for it (``checked``).
    auth: accounts.Authenticated | None = None
    checked: bool = False

    @classmethod
    def open(cls, context: Context) -> OperationScope:
        session = context.db.session()
        return cls(session=session, loaders=make_loaders(session, context.rows))


OPERATIONS_IN_FLIGHT = 100  # queries and mutations one WebSocket may run at once

_scope: ContextVar[OperationScope | None] = ContextVar("devportal_operation", default=None)


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    db: Database
    tokens: Tokens
    rows: ProcessRows
    hub: Hub
    connection_auth: accounts.Authenticated | None = None
    token: str | None = None
    connection_params: dict[str, Any] | None = field(default=None)
    subscriptions: int = 0  # running on this connection
    # Set for the one execution a group of subscribers shares: the events it executes.
    feed: AsyncIterator[Event] | None = None

    @property
    def auth(self) -> accounts.Authenticated | None:
        """Who the current operation runs for: checked for each operation on a WebSocket."""
        scope = _scope.get()
        if scope is not None and scope.checked:
            return scope.auth
        return self.connection_auth

    @property
    def account(self) -> Admin | Developer | None:
        return self.auth.account if self.auth else None

    @property
    def session(self) -> AsyncSession:
        """This operation's session for reads; mutations write through ``transaction()``."""
        return self._scope().session

    @property
    def loaders(self) -> Loaders:
        return self._scope().loaders

    def _scope(self) -> OperationScope:
        scope = _scope.get()
        if scope is None:
            scope = OperationScope.open(self)
            _scope.set(scope)
        return scope

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A mutation's unit of work; what is read afterwards sees what it committed."""
        async with self.db.transaction() as session:
            yield session
        await self.reset()

    async def reset(self) -> None:
        """Forget what this operation read: release the connection, empty the loaders."""
        scope = _scope.get()
        if scope is not None:
            await scope.session.close()
        fresh = OperationScope.open(self)
        if scope is not None:
            fresh.auth, fresh.checked = scope.auth, scope.checked
        _scope.set(fresh)

    async def release(self) -> None:
        """This operation reads nothing more: close its session, let its loaders go.

        A subscriber whose answers another execution makes holds neither for hours.
        """
        scope = _scope.get()
        if scope is not None:
            await scope.session.close()
            _scope.set(None)

    @asynccontextmanager
    async def subscription_slot(self) -> AsyncIterator[None]:
        """Hold one of this connection's subscriptions, or refuse with RATE_LIMITED.

        Counted here rather than by Strawberry, whose limit answers without a code.
        """
        limit = self.settings.max_subscriptions_per_connection
        if self.subscriptions >= limit:
            raise RateLimited(
                f"This connection already holds {limit} subscriptions, the most it may: "
                "end one first."
            )
        self.subscriptions += 1
        SUBSCRIPTIONS.inc()
        try:
            yield
        finally:
            self.subscriptions -= 1
            SUBSCRIPTIONS.dec()

    @property
    def admin(self) -> Admin:
        if isinstance(self.account, Admin):
            return self.account
        raise Forbidden("Only admins can do this.") if self.account else Unauthenticated()

    @property
    def admin_or_developer(self) -> Admin | Developer:
        if self.account is None:
            raise Unauthenticated()
        return self.account

    @property
    def developer(self) -> Developer:
        if isinstance(self.account, Developer):
            return self.account
        raise Forbidden("Only developers can do this.") if self.account else Unauthenticated()


Info = StrawberryInfo[Context, None]


class OperationScopes(SchemaExtension):
    """A fresh read session and DataLoaders for each operation, closed when it ends.

    A subscription's operation lasts as long as the subscription; its resolver
    resets the scope after each event, so no connection is held in between.

    On a WebSocket the token from ``connection_init`` is checked again for
    every operation: a connection outlives log-outs, revocations and expiry,
    and must not keep the rights it had when it opened. The check is made in
    ``on_execute``, where a failure becomes the operation's error (in
    ``on_operation`` it would end the operation without a word).
    """

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            _scope.set(OperationScope.open(context))
        try:
            yield
        finally:
            # Also when the operation fails or is cancelled (a client that completes its
            # subscription or goes away): the connection goes back to the pool.
            scope = _scope.get()
            if scope is not None:
                await asyncio.shield(scope.session.close())

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, WebSocket):
            logs.fork()  # one connection, many operations: each logs its own name
        logs.note(operation=self.execution_context.operation_name or logs.ANONYMOUS)
        scope = _scope.get()
        if isinstance(context, Context) and isinstance(context.request, WebSocket) and scope:
            scope.auth = await context.tokens.authenticate(context.db, context.token)
            scope.checked = True
        yield


SESSION_TABLES = ("auth_session", "developer", "admin")
"""What a token's holder is read from: a write to any of them empties ``Tokens``."""


class Tokens(TableCache[str, tuple[accounts.Authenticated | None]]):
    """Who holds a token, per token digest, for this process: no query per request.

    Emptied by any write to the tables above (a log-out, a revocation, a new
    log-in); an entry past its session's expiry is not used. The accounts held
    are shared by the requests that use them, and only ever read.
    """

    def __init__(self, max_entries: int) -> None:
        super().__init__(SESSION_TABLES, max_entries, "tokens")

    async def authenticate(self, db: Database, token: str | None) -> accounts.Authenticated | None:
        """Who holds ``token`` now; from memory, or in a session of its own, closed at once.

        Not the operation's read session: an operation refused before it runs may
        never get to close that one.
        """
        if token is None:
            return None
        digest = token_digest(token)
        cached = self.get(digest)
        if cached is not None and (cached[0] is None or cached[0].expires_at > utcnow()):
            return cached[0]
        generation = self.generation
        async with db.session() as session:
            auth = await accounts.authenticate(session=session, token=token)
        self.put(generation, digest, (auth,))
        return auth


def bearer_token(value: object) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, if it is one."""
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


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
