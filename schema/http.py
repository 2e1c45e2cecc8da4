"""`/graphql` over HTTP: Strawberry's view, with a fast lane for compiled queries.

A `POST` JSON body or a `GET ?query=…` whose document compiles (schema/compiled/) is answered
straight from the compiled plan, without Strawberry's request pipeline; everything else
(GraphiQL, multipart, batches, mutations, uncovered documents, errors) goes to Strawberry with
the body replayed, and answers exactly as before.
"""

from __future__ import annotations

import asyncio
import json

import orjson
from cross_web import HTTPException
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from resolvers.errors import DomainError, RateLimited, Unauthenticated
from resolvers.files import Storage
from schema import build_schema
from schema.compiled import CompiledQueries
from schema.context import Context
from schema.cost import QueryTooCostly
from schema.errors import domain_extensions
from settings import Settings
from web import caller, client_address


class GraphQLApp(GraphQL):
    """Strawberry over HTTP; the context carries the caller and fresh DataLoaders."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        schema = build_schema(
            settings.graphql_max_depth, settings.graphql_max_aliases, settings.graphql_max_tokens
        )
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,  # credentials are headers: no cookie to forge
        )
        self.settings, self.storage = settings, storage
        self.compiled = CompiledQueries(schema)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body() if scope["method"] == "POST" else b""
        answer = await self._answer(request, body)
        if answer is not None:
            await answer(scope, receive, send)
            return
        await super().__call__(scope, _replay(body, receive), send)

    async def _answer(self, request: Request, body: bytes) -> Response | None:
        """Check a document's size and cost before anything runs; answer compiled queries.
        None: Strawberry answers (with the checked cost on the context)."""
        params = _params(request, body)
        if params is None:
            return None
        query, variables, operation_name = params
        if len(query) > self.settings.graphql_max_document_chars:
            message = (
                f"Documents may be at most {self.settings.graphql_max_document_chars} characters."
            )
            return _error_response(message, {"code": "PAYLOAD_TOO_LARGE"}, status=413)
        prepared = self.compiled.prepared(query, operation_name)
        coerced = None if prepared is None else self.compiled.variables(prepared, variables)
        if coerced is None:
            return None  # Strawberry reports the syntax, validation or variable errors
        context = await self.get_context(request, None)
        request.scope["graphql_context"] = context
        cost = self.compiled.cost(prepared, coerced)
        try:
            context.cost = await self._spend(request, context, cost)
        except QueryTooCostly as exc:
            extensions = {"code": "QUERY_TOO_COSTLY", "cost": exc.cost, "maximum": exc.maximum}
            return _error_response(str(exc), extensions)
        except DomainError as exc:
            return _error_response(exc.message, domain_extensions(exc))
        if prepared.operation.operation != OperationType.QUERY:
            return None
        try:
            async with asyncio.timeout(self.settings.graphql_timeout_seconds):
                data = await self.compiled.execute(prepared, coerced, context)
                if data is None:
                    return await self._standard(request, body)
        except TimeoutError:
            message = f"The query ran longer than {self.settings.graphql_timeout_seconds:g} s."
            return _error_response(message, {"code": "QUERY_TIMEOUT"})
        return Response(
            orjson.dumps({"data": data, "extensions": {"cost": context.cost}}),
            media_type="application/json",
        )

    async def parse_multipart(self, request) -> dict:
        """A GraphQL multipart request (file uploads, docs/graphql.md "Uploads"): one mutation,
        its document and cost checked as the fast lane checks JSON bodies."""
        data = await super().parse_multipart(request)
        query = data.get("query") if isinstance(data, dict) else None
        if not isinstance(query, str):
            raise HTTPException(400, "A multipart request carries one operation.")
        if len(query) > self.settings.graphql_max_document_chars:
            raise HTTPException(413, "Document too large.")
        prepared = self.compiled.prepared(query, data.get("operationName"))
        variables = data.get("variables")
        coerced = None
        if prepared is not None and isinstance(variables, dict | None):
            coerced = self.compiled.variables(prepared, variables)
        if coerced is None:
            return data  # Strawberry reports the syntax, validation or variable errors
        if prepared.operation.operation != OperationType.MUTATION:
            raise HTTPException(400, "Multipart requests carry mutations (file uploads) only.")
        starlette_request: Request = request._request  # (cross_web's adapter keeps it there)
        context = await self.get_context(starlette_request, None)
        starlette_request.scope["graphql_context"] = context
        cost = self.compiled.cost(prepared, coerced)
        try:
            context.cost = await self._spend(starlette_request, context, cost)
        except QueryTooCostly as exc:
            raise HTTPException(400, str(exc)) from None
        except DomainError as exc:
            raise HTTPException(429 if isinstance(exc, RateLimited) else 401, exc.message) from None
        return data

    async def _spend(self, request: Request, context: Context, cost: int) -> dict:
        """Refuse a document above the cost limit; spend its cost from the caller's budget
        per minute. The answer's `extensions.cost`."""
        maximum = self.settings.graphql_max_cost
        if cost > maximum:
            raise QueryTooCostly(cost, maximum)
        report = {"requested": cost, "maximum": maximum}
        per_minute = self.settings.graphql_cost_per_minute
        if per_minute > 0 and cost > 0:
            user = context.user
            who = f"user:{user.id}" if user is not None else f"address:{client_address(request)}"
            limiter = request.app.state.rate_limiter
            budget = await limiter.hit(f"{per_minute}/minute", "graphql-cost", who, cost=cost)
            report["remaining"] = budget.remaining
        return report

    async def _standard(self, request: Request, body: bytes) -> Response:
        """Strawberry's answer, as a response (inside the caller's time limit)."""
        try:
            return await self.run(Request(request.scope, _replay(body, request.receive)))
        except HTTPException as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

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
            context.user = await caller(request)
        except (Unauthenticated, RateLimited) as exc:
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


def _error_response(message: str, extensions: dict, status: int = 200) -> Response:
    """A request refused before it ran, as Strawberry shapes errors."""
    body = {"data": None, "errors": [{"message": message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


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
