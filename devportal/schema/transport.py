"""The GraphQL view as served, with what Strawberry's transports get wrong for us.

- Errors of the HTTP request itself (a body that is not JSON, or nests deeper
  than Python's parser recurses, no query, a mutation over GET) are answered
  as GraphQL over HTTP answers them, ``{"errors": [...]}`` with a contract
  code, not in plain text; a JSON body nested 50,000 deep was a 500.
- The older ``graphql-ws`` protocol runs queries and mutations too, as its
  reference server did: Strawberry's handler only subscribes, so a query
  failed inside it as an internal error.
- A WebSocket client that went away while answers were on their way is one
  DEBUG line per answer, not a traceback ("Exception in worker task", "Task
  exception was never retrieved").
"""

from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from collections.abc import Mapping

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected as SocketClosed
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import CompleteMessage, ErrorMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError

from devportal.middleware.answers import graphql_error
from devportal.schema.context import Context
from devportal.schema.shared import Wire, on_wire
from devportal.schema.view import GraphQLView

log = logging.getLogger("devportal.graphql")


class NestedTooDeeply(json.JSONDecodeError):
    """Python's parser recurses: a document nested past its limit is refused as bad JSON."""

    def __init__(self, document: str) -> None:
        super().__init__("JSON nested too deeply", document, 0)


class WebSocketAdapter(ASGIWebSocketAdapter):
    """Every send to a socket that is gone says so the same way.

    Strawberry turns the first failed send into its ``WebSocketDisconnected``,
    but Starlette refuses each later one with its own, a RuntimeError that
    the protocol handlers took for a bug, with a traceback per operation.
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await super().send_json(message)
        except SocketClosed as closed:
            raise WebSocketDisconnected from closed

    async def send_text(self, text: str) -> None:
        """A message serialized already (an answer shared by many subscribers)."""
        try:
            await self.ws.send_text(text)
        except (SocketClosed, WebSocketDisconnect) as closed:
            raise WebSocketDisconnected from closed


def _wire(
    websocket: object,
    message_type: str,
    operation_id: str,
    query: str,
    variables: dict[str, object] | None,
    operation_name: str | None,
) -> None:
    """Let this operation's subscription write shared answers straight to the socket."""
    assert isinstance(websocket, WebSocketAdapter)
    on_wire(Wire(operation_id, query, variables, operation_name, message_type, websocket.send_text))


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        _wire(
            self.websocket,
            "next",
            operation.id,
            operation.query,
            operation.variables,
            operation.operation_name,
        )
        await super().run_operation(operation)

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            log.debug("WebSocket client went away before its answer was sent")
        else:
            await super().handle_task_exception(error)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """``graphql-ws``: any operation, a query or mutation answered by one ``data``."""

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        """Strawberry's own, but through ``schema.stream`` (any operation), not ``subscribe``.

        A client gone mid-answer ends the task quietly: Strawberry's let the
        error escape a task that nobody awaits ("Task exception was never
        retrieved", with a traceback, once per operation in flight).
        """
        _wire(self.websocket, "data", operation_id, query, variables, operation_name)
        try:
            try:
                await self._answer(operation_id, query, operation_name, variables)
            except CancelledError:
                await self.send_message(CompleteMessage(type="complete", id=operation_id))
        except WebSocketDisconnected:
            log.debug("WebSocket client went away before its answer was sent")
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)

    async def _answer(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        results = await self.schema.stream(
            query=query,
            variable_values=variables,
            operation_name=operation_name,
            context_value=self.context,
            root_value=self.root_value,
        )
        self.subscriptions[operation_id] = results
        first = True
        async for result in results:
            if first and isinstance(result, PreExecutionError):
                assert result.errors
                error = result.errors[0].formatted
                await self.send_message(ErrorMessage(type="error", id=operation_id, payload=error))
                return
            if isinstance(result, ExecutionResult):  # no @defer or @stream here
                await self.send_data_message(result, operation_id)
            first = False
        await self.send_message(CompleteMessage(type="complete", id=operation_id))


class PortalView(GraphQLView):
    websocket_adapter_class = WebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def decode_json(self, data: str | bytes) -> object:
        """Also for WebSocket messages, where a ``JSONDecodeError`` is a bad message."""
        try:
            return super().decode_json(data)
        except RecursionError:
            raise NestedTooDeeply(data if isinstance(data, str) else "") from None

    def parse_json(self, data: str | bytes) -> object:
        try:
            return self.decode_json(data)
        except NestedTooDeeply:
            raise HTTPException(400, "The JSON body nests too deeply to be read.") from None
        except json.JSONDecodeError:
            raise HTTPException(400, "The request body is not valid JSON.") from None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
            assert isinstance(response, Response)  # an HTTP request gets an HTTP response
        except HTTPException as error:
            log.info("refused (%d): %s", error.status_code, error.reason)
            code = "NOT_FOUND" if error.status_code == 404 else "BAD_USER_INPUT"
            response = graphql_error(error.reason, code, error.status_code)
        await response(scope, receive, send)
