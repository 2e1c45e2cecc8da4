"""The ASGI application: `build_app`, and `serve_app` for each `ticketgate serve` process
(the command line is commands.py)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Mount, Route, WebSocketRoute, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

import pages
from front import Front
from models import db
from observe import logs
from observe.http import endpoint as metrics_endpoint
from observe.middleware import Observe
from resolvers import credentials, custom_fields, health, permissions
from resolvers.files import LocalStorage
from resolvers.live import EventHub
from resolvers.ratelimit import RateLimiter
from resolvers.webhook_worker import WebhookWorker, use_payloads
from rest.budget import RequestBudget
from rest.conditional import Conditional
from rest.kit.guard import DialectGuard
from rest.kit.http import JSONResponse
from rest.origin import PublicOrigin, parse_base_url
from rest.registry import DIALECTS, WEBHOOK_PAYLOADS
from schema import graphiql
from schema.downloads import download
from schema.http import GraphQLApp
from settings import Settings

log = logging.getLogger("ticketgate")

# Dialects whose every answer carries X-RateLimit-* (their reference documents them).
BUDGET_HEADERS = {"platform_v1"}
GRAPHQL_CODES = {413: "PAYLOAD_TOO_LARGE"}  # of answers made outside the schema

# Answers that change with the time of day, not only with the data (ETag buckets).
CLOCK_DEPENDENT = ("/api/stats", "/api/user")


async def healthz(request: Request) -> JSONResponse:
    """The process is alive (no database, no authentication, no rate limit)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers, every migration is applied, and the webhook
    worker runs where this process should run one. 503 with the failing checks otherwise."""
    checks: dict[str, object] = {}
    try:
        pending = await health.pending_migrations()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if not pending else {"pending": pending}
    except Exception as exc:  # out of reach, or not migrated at all
        log.warning("readiness: database check failed: %s", exc)
        checks["database"] = "unreachable"
    state = request.app.state
    if state.worker_expected:
        checks["webhook_worker"] = "ok" if state.webhook_worker.running else "stopped"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


def _graphql_render(status: int, message: str):
    code = GRAPHQL_CODES.get(status, "INTERNAL_SERVER_ERROR")
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def _graphql_throttled(message: str, retry_after: int):
    extensions = {"code": "RATE_LIMITED", "retryAfter": retry_after}
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, 429)


def _graphql_budget(app: ASGIApp) -> ASGIApp:
    """The request budget every door shares, refused in GraphQL's shape (rest/budget.py)."""
    return RequestBudget(app, _graphql_render, throttled=_graphql_throttled)


class _GraphQLBodyLimit:
    """GraphQL's body limit: `max_bytes`, or for multipart uploads the REST doors' limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.documents = DialectGuard(app, _graphql_render, max_bytes)
        self.uploads = DialectGuard(app, _graphql_render, max_upload_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or ()).get(b"content-type", b"")
        chosen = self.uploads if content_type.startswith(b"multipart/form-data") else self.documents
        await chosen(scope, receive, send)


# What a page on an allowed origin may send and read (docs/graphql.md "Browsers"). Credentials
# travel in headers, never cookies, so no `Access-Control-Allow-Credentials`.
CORS_REQUEST_HEADERS = [
    "authorization",
    "content-type",
    "x-token",
    "x-request-id",
    "if-none-match",
    "apollo-require-preflight",  # apollo-upload-client's multipart requests
    "x-apollo-operation-name",
]
CORS_EXPOSED_HEADERS = [
    "etag",
    "x-request-id",
    "retry-after",
    "link",
    "content-disposition",
    "x-max-tickets",
    "x-truncated",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
]


def _cors(settings: Settings) -> list[Middleware]:
    """CORS for every door when `CORS_ALLOW_ORIGINS` names origins; none otherwise."""
    if not settings.cors_allow_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    ]


def _clock_bucket(settings: Settings):
    """How long answers that depend on the clock stay the same: the nephthys stats."""
    seconds = max(1.0, settings.stats_cache_seconds)
    return lambda path: seconds if path.startswith(CLOCK_DEPENDENT) else None


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: the public origin (absolute URLs), CORS, then one layer (`front.py`)
    for request ids, metrics and the access log (docs/operations.md) and conditional GETs."""
    doors = [(d.prefix, d.name) for d in DIALECTS] + [("/graphql", "graphql")]
    observe = Observe(doors, collect=settings.metrics_enabled)
    conditional = Conditional(settings.secret_key, _clock_bucket(settings))
    stack = [*_cors(settings), Middleware(Front, observe=observe, conditional=conditional)]
    if settings.public_base_url:
        parse_base_url(settings.public_base_url)  # (refused at start, not at the first request)
        stack.insert(0, Middleware(PublicOrigin, base_url=settings.public_base_url))
    return stack


def build_app(
    settings: Settings | None = None, *, manage_db: bool = True, webhook_worker: bool | None = None
) -> Starlette:
    """The whole server. `manage_db=False` leaves opening the database to the caller (tests).

    The webhook worker runs when `settings.webhooks_enabled` and `webhook_worker` (default:
    `manage_db`, so tests drive deliveries themselves with `webhook_worker.deliver_due`).
    """
    settings = settings or Settings.from_env()
    run_worker = settings.webhooks_enabled and (
        manage_db if webhook_worker is None else webhook_worker
    )
    storage = LocalStorage(settings.data_dir / "files")
    graphql_app = GraphQLApp(settings, storage)
    graphql = _GraphQLBodyLimit(
        _graphql_budget(graphql_app), settings.graphql_max_body_bytes, settings.max_body_bytes
    )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),  # subscriptions (graphql-transport-ws)
        *graphiql.routes(settings),
        Route(
            "/graphql/files/{id}",
            _graphql_budget(request_response(download)),
            methods=["GET"],
            name="graphql_file",
        ),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
    ]
    if settings.metrics_token:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    routes += pages.routes  # `/` and the API docs pages
    for dialect in DIALECTS:
        render = dialect.error
        guard = Middleware(DialectGuard, render=render, max_body_bytes=settings.max_body_bytes)
        budget = Middleware(RequestBudget, render=render, headers=dialect.name in BUDGET_HEADERS)
        middleware = [budget, guard, *dialect.middleware]
        routes.append(Mount(dialect.prefix, routes=dialect.routes, middleware=middleware))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.open_db(settings.database_url)
        worker = app.state.webhook_worker
        if run_worker:
            await worker.start()
        if manage_db:  # (a serving process; tests build many apps and keep nothing frozen)
            _freeze_startup_heap()
        try:
            yield
        finally:
            await worker.stop(grace=settings.shutdown_timeout)
            await app.state.event_hub.stop()
            await credentials.drain()
            if manage_db:
                await db.close_db()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=_middleware(settings))
    app.state.settings = settings
    use_payloads(WEBHOOK_PAYLOADS)
    app.state.webhook_worker = WebhookWorker(allow_private=settings.webhooks_allow_private)
    app.state.worker_expected = run_worker
    app.state.event_hub = EventHub(settings.subscription_poll_seconds)
    app.state.storage = storage
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_storage, key_prefix=settings.rate_limit_prefix
    )
    credentials.configure(settings.credential_cache_seconds)
    custom_fields.configure(settings.helpdesk_custom_fields)
    permissions.configure(per_queue=settings.helpdesk_enable_per_queue_staff_permission)
    return app


def _freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, the schema, models, settings: most of
    the heap) out of the cyclic garbage collector's reach. A full collection then scans only
    what requests left behind: under load it took 50-80 ms on the event loop, every request
    waiting (the longest stalls of docs/reliability.md), and now takes a few."""
    gc.collect()
    gc.freeze()


def serve_app() -> Starlette:
    """The app of one `ticketgate serve` process (uvicorn's factory, also in each worker)."""
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT"))
    return build_app()


if __name__ == "__main__":  # `python server.py <command>` is `ticketgate <command>`
    from commands import main

    main()
