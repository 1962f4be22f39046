"""The typed context, and the extension that gives each operation its own scope.

One ``Context`` serves a whole HTTP request or a whole WebSocket connection;
what must not be shared between the operations of a connection (the read
session and the DataLoaders' caches) lives in an ``OperationScope`` that
``OperationScopes`` opens for each operation, in a ContextVar: every operation
runs in its own task. The view that builds contexts is in ``schema.view``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from devportal import logs
from devportal.db import Database
from devportal.errors import Forbidden, RateLimited, Unauthenticated
from devportal.events import Event
from devportal.metrics import SUBSCRIPTIONS
from devportal.models import Admin, Developer
from devportal.resolvers import accounts
from devportal.resolvers.fanout import Hub
from devportal.schema.authentication import Tokens
from devportal.schema.loaders import Loaders, ProcessRows, make_loaders
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
