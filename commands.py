"""The command line, `ticketgate <command>` (`main`). It imports only what each command
needs, so that a command starts in a fraction of the time the server takes to import
(`serve` and `export-schema` load the server and the schema when they run)."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import logging
import os
import sys
import tempfile
from pathlib import Path

import admin_cli
from importers import cli as import_cli
from models import db
from observe import logs, progress
from settings import Settings

log = logging.getLogger("ticketgate")


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
        from schema import build_schema

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
