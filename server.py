"""The ASGI application (`build_app`) and the command line (`main`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Mount, Route, WebSocketRoute, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

import admin_cli
import pages
from front import Front
from importers import cli as import_cli
from models import db
from observe import logs, progress
from observe.http import endpoint as metrics_endpoint
from observe.middleware import Observe
from resolvers import credentials, custom_fields, health
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
from schema import build_schema, graphiql
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
    return app


# ---------------------------------------------------------------- command line


def _version() -> str:
    try:
        return importlib.metadata.version("ticketgate")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"ticketgate: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ticketgate", description="ticketgate server and tools")
    parser.add_argument("--version", action="version", version=f"ticketgate {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = sub.add_parser("serve", help="serve HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (1); more want PostgreSQL and REDIS_URL (docs/operations.md)",
    )
    sub.add_parser("migrate", help="apply the committed migrations")
    seed = sub.add_parser("seed", help="load demo data and/or N synthetic tickets")
    seed.add_argument("--demo", action="store_true", help="demo users, queues and tickets")
    seed.add_argument("--tickets", type=int, default=0, metavar="N", help="N bulk tickets")
    seed.add_argument("--if-empty", action="store_true", help="only when there are no users")
    user = sub.add_parser("create-user", help="create a user")
    user.add_argument("username", help="login name: letters, digits and @/./+/-/_")
    user.add_argument(
        "--role", choices=["admin", "agent", "customer"], required=True, help="what they may do"
    )
    user.add_argument("--email", default="", help="e-mail address (also a login)")
    user.add_argument("--name", default="", help="display name")
    user.add_argument("--password", help="asked for on a terminal when omitted")
    token = sub.add_parser("create-token", help="create an API token (printed once)")
    token.add_argument("username", help="whose token")
    token.add_argument("--name", default="", help="a label, e.g. where it is used")
    public = sub.add_parser(
        "queue-public", help="show a queue's tickets in the anonymous nephthys feed, or not"
    )
    public.add_argument("slug", help="the queue's slug")
    public.add_argument("state", choices=["on", "off"], help="on: public; off: not")
    sub.add_parser("export-schema", help="print the GraphQL SDL")
    admin_cli.add_parsers(sub)
    import_cli.add_parser(sub)
    return parser


async def _with_db(settings: Settings, work):
    await db.open_db(settings.database_url)
    try:
        return await work()
    finally:
        await db.close_db()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    os.umask(0o077)  # the database, the secret key and attachments: readable by us alone
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT"))
    if args.command == "export-schema":
        print(build_schema().as_str())
        return
    settings = Settings.from_env()
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "migrate":
        with progress.spinner("applying migrations"):
            asyncio.run(db.migrate(settings.database_url))
    elif args.command == "seed":
        _seed(settings, args)
    elif args.command == "create-user":
        _create_user(settings, args)
    elif args.command == "create-token":
        _create_token(settings, args)
    elif args.command == "queue-public":
        _queue_public(settings, args)
    elif args.command in admin_cli.COMMANDS:
        admin_cli.run(settings, args)
    elif args.command == "import-helpdesk":
        import_cli.run(settings, args)


def _serve(settings: Settings, args) -> None:
    import uvicorn

    if args.workers < 1:
        raise SystemExit("ticketgate: --workers must be at least 1")
    if args.workers > 1 and settings.is_sqlite:
        log.info("%d workers take turns at SQLite's write lock", args.workers)
    if args.workers > 1 and settings.rate_limit_storage.startswith("memory"):
        log.warning(
            "rate limits and password throttles are counted per process without REDIS_URL:"
            " %d workers allow %d times each budget",
            args.workers,
            args.workers,
        )
    if args.workers > 1:  # each worker writes its metrics here; any worker's /metrics sums them
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ticketgate-metrics-")
    print(f"ticketgate: GraphiQL at http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "server:serve_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("LOG_LEVEL", "INFO").lower(),
        log_config=None,  # our handlers (observe/logs.py), set up by serve_app in each worker
        access_log=False,  # replaced by the access log of observe/middleware.py
        app_dir=str(Path(__file__).resolve().parent),
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


def serve_app() -> Starlette:
    """The app of one `ticketgate serve` process (uvicorn's factory, also in each worker)."""
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT"))
    return build_app()


def _seed(settings: Settings, args) -> None:
    from resolvers import seed

    if args.tickets < 0 or args.tickets > 10_000_000:
        raise SystemExit("ticketgate: --tickets must be between 0 and 10000000")

    async def work():
        if args.if_empty and not await seed.is_empty():
            print("ticketgate: database already has data; not seeding")
            return
        if args.demo:
            for line in await seed.demo(settings):
                print(line)
        if args.tickets:
            with progress.bar("seeding tickets", args.tickets) as advance:
                count = await seed.bulk_tickets(args.tickets, progress=advance)
            print(f"ticketgate: inserted {count} tickets")

    asyncio.run(_with_db(settings, work))


def _create_user(settings: Settings, args) -> None:
    from resolvers.errors import DomainError
    from resolvers.permissions import SYSTEM
    from resolvers.users import create_user

    password = admin_cli.ask_password(args.password)

    async def work():
        return await create_user(
            SYSTEM,
            username=args.username,
            email=args.email,
            name=args.name,
            role=args.role,
            password=password,
        )

    try:
        user = asyncio.run(_with_db(settings, work))
    except DomainError as exc:
        raise SystemExit(f"ticketgate: {exc.message}") from None
    print(f"created {user.role.value} {user.username} (id {user.id})")


def _create_token(settings: Settings, args) -> None:
    from models import User
    from resolvers.errors import DomainError
    from resolvers.permissions import SYSTEM
    from resolvers.tokens import create_token

    async def work():
        user = await User.get_or_none(username=args.username)
        if user is None:
            raise SystemExit(f"ticketgate: no user named {args.username!r}")
        return await create_token(SYSTEM, user.id, args.name)

    try:
        _, raw = asyncio.run(_with_db(settings, work))
    except DomainError as exc:
        raise SystemExit(f"ticketgate: {exc.message}") from None
    print(raw)


def _queue_public(settings: Settings, args) -> None:
    from resolvers.errors import DomainError
    from resolvers.permissions import SYSTEM
    from resolvers.queues import queue_by_slug, set_queue_public

    async def work():
        queue = await queue_by_slug(SYSTEM, args.slug)
        return await set_queue_public(SYSTEM, queue.id, args.state == "on")

    try:
        queue = asyncio.run(_with_db(settings, work))
    except DomainError as exc:
        raise SystemExit(f"ticketgate: {exc.message}") from None
    print(f"queue {queue.slug} is {'public' if queue.is_public else 'private'}")


if __name__ == "__main__":
    main()
