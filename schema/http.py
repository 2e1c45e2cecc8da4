"""`/graphql` over HTTP: Strawberry's view, with a fast lane for compiled queries.

A `POST` JSON body or a `GET ?query=…` whose document compiles (schema/compiled/) is answered
straight from the compiled plan, without Strawberry's request pipeline; everything else
(GraphiQL, multipart, batches, mutations, uncovered documents, errors) goes to Strawberry with
the body replayed, and answers exactly as before.

Also here: persisted queries (schema/persisted.py: the hash becomes the document text before
anything else looks at the request), `application/graphql-response+json` (GraphQL over HTTP:
request errors answer 4xx without `data`), GraphiQL's page (schema/graphiql.py) and the
WebSocket's authentication for subscriptions.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import urlencode

import orjson
from cross_web import HTTPException
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from resolvers import auth
from resolvers.errors import DomainError, RateLimited, Unauthenticated
from resolvers.files import Storage
from schema import build_schema
from schema.compiled import CompiledQueries
from schema.compiled.plans import MutationPlan
from schema.context import Context
from schema.cost import QueryTooCostly
from schema.errors import domain_extensions
from schema.graphiql import graphiql_page
from schema.persisted import PersistedQueries, PersistedQueryError
from settings import Settings
from web import caller, client_address


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames (browsers' clients ignore binary ones)."""

    async def send_json(self, message) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLApp(GraphQL):
    """Strawberry over HTTP and WebSocket; the context carries the caller and fresh
    DataLoaders."""

    websocket_adapter_class = _TextFrames

    def __init__(self, settings: Settings, storage: Storage) -> None:
        schema = build_schema(
            settings.graphql_max_depth, settings.graphql_max_aliases, settings.graphql_max_tokens
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,  # credentials are headers: no cookie to forge
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        )
        self.settings, self.storage = settings, storage
        self.compiled = CompiledQueries(schema)
        self.persisted = PersistedQueries(
            settings.graphql_persisted_queries, settings.graphql_trusted_documents
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            scope["graphql_response_media"] = True
            send = _as_graphql_response(scope, send)
        body = await request.body() if scope["method"] == "POST" else b""
        answer = await self._answer(request, body)
        if answer is not None:
            await answer(scope, receive, send)
            return
        await super().__call__(scope, _replay(scope.get("graphql_body", body), receive), send)

    async def _answer(self, request: Request, body: bytes) -> Response | None:
        """Check a document's size and cost before anything runs; answer compiled queries.
        None: Strawberry answers (with the checked cost on the context)."""
        try:
            params = _params(request, body)
        except _BadParams as exc:
            return _refusal(request, str(exc), {"code": "BAD_REQUEST"}, 400)
        if params is None:
            if self.persisted.trusted is not None and not _wants_page(request):
                message = "Only trusted documents (JSON POST or GET) may run here."
                return _refusal(request, message, {"code": "PERSISTED_QUERY_NOT_IN_LIST"}, 400)
            return None
        given, query, variables, operation_name = params
        if given.get("extensions") is not None or self.persisted.trusted is not None:
            try:
                text = self.persisted.document(query, given.get("extensions"))
            except PersistedQueryError as exc:
                miss = exc.code == "PERSISTED_QUERY_NOT_FOUND"
                return _refusal(request, exc.message, {"code": exc.code}, exc.status, miss=miss)
            if text != query:
                _pass_on(request, given, text)
            query = text
        if query is None:
            return None  # Strawberry: "No GraphQL query found in the request"
        if len(query) > self.settings.graphql_max_document_chars:
            message = (
                f"Documents may be at most {self.settings.graphql_max_document_chars} characters."
            )
            return _refusal(request, message, {"code": "PAYLOAD_TOO_LARGE"}, 413)
        prepared = await self.compiled.prepared(query, operation_name)
        if prepared is not None:  # (for the access log and metrics, observe/)
            name = prepared.operation.name
            request.scope["graphql_operation"] = name.value if name else operation_name
        coerced = None if prepared is None else self.compiled.variables(prepared, variables)
        if coerced is None:
            return None  # Strawberry reports the syntax, validation or variable errors
        if prepared.operation.operation == OperationType.SUBSCRIPTION:
            message = "Subscriptions run over a WebSocket on /graphql (graphql-transport-ws)."
            return _refusal(request, message, {"code": "BAD_REQUEST"}, 400)
        context = await self.get_context(request, None)
        request.scope["graphql_context"] = context
        cost = self.compiled.cost(prepared, coerced)
        try:
            context.cost = await self._spend(request, context, cost)
        except QueryTooCostly as exc:
            extensions = {"code": "QUERY_TOO_COSTLY", "cost": exc.cost, "maximum": exc.maximum}
            return _refusal(request, str(exc), extensions)
        except DomainError as exc:
            return _refusal(request, exc.message, domain_extensions(exc))
        if isinstance(prepared.plan, MutationPlan):  # (no time limit: a write is not cut short)
            data = await self.compiled.mutate(prepared.plan, coerced, context)
            if data is None:
                return await self._standard(request, body)
        elif prepared.operation.operation != OperationType.QUERY:
            return None
        else:
            timed = prepared.plan is None or prepared.plan.reads  # (viewer, me: from memory)
            try:
                async with asyncio.timeout(
                    self.settings.graphql_timeout_seconds if timed else None
                ):
                    data = await self.compiled.execute(prepared, coerced, context)
                    if data is None:
                        return await self._standard(request, body)
            except TimeoutError:
                limit = self.settings.graphql_timeout_seconds
                return _refusal(request, f"The query ran longer than {limit:g} s.", TIMED_OUT)
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
        prepared = await self.compiled.prepared(query, data.get("operationName"))
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
            body = request.scope.get("graphql_body", body)
            return await self.run(Request(request.scope, _replay(body, request.receive)))
        except HTTPException as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

    async def process_result(self, request: Request, result) -> dict:
        """A request error (no data, no error with a path: parsing, validation, variables)
        answers 400 without `data` under application/graphql-response+json."""
        answer = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            request.scope["graphql_request_error"] = True
            if request.scope.get("graphql_response_media"):
                answer.pop("data", None)
        return answer

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page(request)

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

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate a WebSocket from `connection_init`'s payload (`Authorization` or
        `X-Token`, at its top or under `headers`), else from the upgrade request's headers.
        A wrong credential closes the socket (4403)."""
        given = context.connection_params or {}
        given = given.get("headers") if isinstance(given.get("headers"), dict) else given
        found = {k.lower(): v for k, v in given.items() if k.lower() in CREDENTIAL_HEADERS}
        if any(not isinstance(v, str) for v in found.values()):
            raise ConnectionRejectionError()
        request = context.request
        context.credentials = found or {k: request.headers.get(k, "") for k in CREDENTIAL_HEADERS}
        try:
            context.user = await auth.authenticate(
                context.credentials,
                self.settings.secret_key,
                limiter=request.app.state.rate_limiter,
                client=client_address(request),
            )
        except (Unauthenticated, RateLimited):
            raise ConnectionRejectionError() from None
        context.auth_error = None
        return UNSET


CREDENTIAL_HEADERS = ("authorization", "x-token")
TIMED_OUT = {"code": "QUERY_TIMEOUT"}
MAX_SUBSCRIPTIONS = 20  # per WebSocket


class _BadParams(ValueError):
    """Request parameters no GraphQL server can read (400)."""


def _wants_page(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def _params(
    request: Request, body: bytes
) -> tuple[dict, str | None, dict | None, str | None] | None:
    """(parameters, query, variables, operationName) of a plain JSON POST or a non-browser
    GET; None for anything else (Strawberry answers)."""
    try:
        if request.method == "POST":
            if not request.headers.get("content-type", "").startswith("application/json"):
                return None
            given = orjson.loads(body)
        else:
            if _wants_page(request):
                return None  # GraphiQL
            given = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in given:
                    given[name] = orjson.loads(given[name])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(given, dict):
        return None
    if not isinstance(given.get("extensions"), dict | None):
        raise _BadParams("extensions must be an object.")
    query, variables, name = given.get("query"), given.get("variables"), given.get("operationName")
    if not isinstance(query, str | None) or not isinstance(variables, dict | None):
        return None
    if not isinstance(name, str | None):
        return None
    return given, query, variables, name


def _pass_on(request: Request, given: dict, query: str) -> None:
    """Give Strawberry the document a persisted query's hash stands for."""
    if request.method == "POST":
        request.scope["graphql_body"] = orjson.dumps({**given, "query": query})
    else:
        request.scope["query_string"] = urlencode(
            [
                *((k, v) for k, v in request.query_params.multi_items() if k != "query"),
                ("query", query),
            ]
        ).encode()


GRAPHQL_RESPONSE = "application/graphql-response+json"


def _refusal(
    request: Request, message: str, extensions: dict, status: int = 200, *, miss: bool = False
) -> Response:
    """A request refused before it ran, as Strawberry shapes errors (under
    application/graphql-response+json: without `data`, 4xx). `miss`: an unknown persisted
    query, which must never be cached or revalidated (its own ETag matches nothing later)."""
    request.scope["graphql_request_error"] = True
    body: dict = {"errors": [{"message": message, "extensions": extensions}]}
    if not request.scope.get("graphql_response_media"):
        body = {"data": None, **body}
    headers = {"cache-control": "no-store", "etag": f'"miss-{uuid.uuid4().hex}"'} if miss else None
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _as_graphql_response(scope: Scope, send: Send) -> Send:
    """Answer JSON as application/graphql-response+json; a request error with 400."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, b"application/graphql-response+json; charset=utf-8")
                if k == b"content-type" and v.startswith(b"application/json")
                else (k, v)
                for k, v in message.get("headers", [])
            ]
            status = message["status"]
            if status == 200 and scope.get("graphql_request_error"):
                status = 400
            message = {**message, "headers": headers, "status": status}
        await send(message)

    return sending


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
