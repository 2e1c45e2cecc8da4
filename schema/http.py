"""`/graphql` over HTTP: Strawberry's view, with a fast lane for compiled queries.

A `POST` JSON body or a `GET ?query=…` whose document compiles (schema/compiled/) is answered
straight from the compiled plan, without Strawberry's request pipeline; everything else
(GraphiQL, multipart, batches, mutations, uncovered documents, errors) goes to Strawberry with
the body replayed, and answers exactly as before.
"""

from __future__ import annotations

import json

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from resolvers import auth
from resolvers.errors import Unauthenticated
from resolvers.files import Storage
from schema import build_schema
from schema.compiled import CompiledQueries
from schema.context import Context
from settings import Settings


class GraphQLApp(GraphQL):
    """Strawberry over HTTP; the context carries the caller and fresh DataLoaders."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        schema = build_schema(
            settings.graphql_max_depth, settings.graphql_max_aliases, settings.graphql_max_tokens
        )
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.settings, self.storage = settings, storage
        self.compiled = CompiledQueries(schema)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body() if scope["method"] == "POST" else b""
        data = await self._compiled_answer(request, body)
        if data is not None:
            response = Response(orjson.dumps({"data": data}), media_type="application/json")
            await response(scope, receive, send)
            return
        await super().__call__(scope, _replay(body, receive), send)

    async def _compiled_answer(self, request: Request, body: bytes) -> dict | None:
        """The `data` of a compiled query, None when Strawberry must answer."""
        params = _params(request, body)
        if params is None:
            return None
        query, variables, operation_name = params
        context = await self.get_context(request, None)
        request.scope["graphql_context"] = context
        return await self.compiled.execute(query, operation_name, variables, context)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """JSON by orjson, whose errors are `json.JSONDecodeError`s (Strawberry's 400), so deep
        nesting and invalid UTF-8 are malformed JSON rather than a 500. A POST body (bytes;
        query-string values are str) must be an object or a batch array."""
        decoded = orjson.loads(data)
        if isinstance(data, bytes) and not isinstance(decoded, dict | list):
            raise json.JSONDecodeError("Expected a JSON object.", data.decode(errors="replace"), 0)
        return decoded

    async def get_context(self, request: Request, response) -> Context:
        if "graphql_context" in request.scope:  # built by the fast lane
            return request.scope["graphql_context"]
        context = Context(request=request, settings=self.settings, storage=self.storage)
        try:
            context.user = await auth.authenticate(request.headers, self.settings.secret_key)
        except Unauthenticated as exc:
            context.auth_error = exc
        return context


def _params(request: Request, body: bytes) -> tuple[str, dict | None, str | None] | None:
    """(query, variables, operationName) of a plain JSON POST or a non-browser GET."""
    try:
        if request.method == "POST":
            if not request.headers.get("content-type", "").startswith("application/json"):
                return None
            given = orjson.loads(body)
        else:
            if "text/html" in request.headers.get("accept", ""):
                return None  # GraphiQL
            given = dict(request.query_params)
            if "variables" in given:
                given["variables"] = orjson.loads(given["variables"])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(given, dict):
        return None
    query, variables, name = given.get("query"), given.get("variables"), given.get("operationName")
    if not isinstance(query, str) or not isinstance(variables, dict | None):
        return None
    if not isinstance(name, str | None):
        return None
    return query, variables, name


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` that first hands the already-read body to Strawberry."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
