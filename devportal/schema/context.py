"""The typed per-request context, and the Strawberry view that builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import Info as StrawberryInfo

from devportal.db import Database
from devportal.errors import Forbidden, Unauthenticated
from devportal.models import Admin, Developer
from devportal.resolvers import accounts
from devportal.schema.loaders import Loaders, make_loaders
from devportal.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    db: Database
    session: AsyncSession
    """For reads; mutations write through ``db.transaction()``. Closed after each operation."""
    account: Admin | Developer | None = None
    token: str | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = make_loaders(self.session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A mutation's unit of work; what is read afterwards sees what it committed."""
        async with self.db.transaction() as session:
            yield session
        await self.reset()

    async def reset(self) -> None:
        """Forget what this operation read: release the connection, empty the loaders."""
        await self.session.close()
        self.loaders = make_loaders(self.session)

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


def bearer_token(value: object) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if it is one."""
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, *, settings: Settings, db: Database, **kwargs: object) -> None:
        from devportal.schema import build_schema

        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            **kwargs,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.db = db

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            db=self.db,
            session=self.db.session(),
        )
        if isinstance(request, Request):
            await self.authenticate(context, request.headers.get("authorization"))
        return context

    async def authenticate(self, context: Context, header: object) -> None:
        context.token = bearer_token(header)
        if context.token is not None:
            context.account = await accounts.authenticate(
                session=context.session, token=context.token
            )
            await context.session.close()
