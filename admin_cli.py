"""The operator's commands: `ticketgate queue|user|token ...`, `backup`, `restore`
(docs/operations.md).

Each acts as the system (an administrator recorded as no user) through the same domain
functions as the GraphQL mutations, so the same rules hold and the same events are written.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import backups
from models import db
from resolvers import queues, tokens, users
from resolvers.errors import DomainError
from resolvers.pagination import MAX_PAGE_SIZE, Window
from resolvers.permissions import SYSTEM
from settings import Settings

ROLES = ["admin", "agent", "customer"]


def add_parsers(sub) -> None:
    """Register the `queue`, `user` and `token` command groups."""
    queue = sub.add_parser(
        "queue", help="create, list, rename, archive or restore queues; give agents queues"
    )
    qsub = queue.add_subparsers(dest="action", required=True, parser_class=type(queue))
    create = qsub.add_parser("create", help="a new queue")
    create.add_argument("slug", help="short name: lower-case letters, digits, '-' and '_'")
    create.add_argument("--title", required=True, help="the queue's display name")
    create.add_argument("--public", action="store_true", help="list it in the nephthys feed")
    qsub.add_parser("list", help="every queue, with its state")
    rename = qsub.add_parser("rename", help="change a queue's title")
    rename.add_argument("slug", help="the queue's slug")
    rename.add_argument("title", help="the new title")
    for action, text in (("archive", "take no new tickets"), ("restore", "take tickets again")):
        qsub.add_parser(action, help=f"the queue will {text}").add_argument(
            "slug", help="the queue's slug"
        )
    for action, text in (
        ("grant", "give an agent the queue (per-queue staff permission)"),
        ("revoke", "take the queue from an agent"),
        ("members", "the agents who have the queue"),
    ):
        member = qsub.add_parser(action, help=text)
        member.add_argument("slug", help="the queue's slug")
        if action != "members":
            member.add_argument("username", help="the agent's username")

    user = sub.add_parser("user", help="list users, change roles, deactivate, reset passwords")
    usub = user.add_subparsers(dest="action", required=True, parser_class=type(user))
    listing = usub.add_parser("list", help="users, oldest first")
    listing.add_argument("--role", choices=ROLES, help="only users with this role")
    listing.add_argument("--inactive", action="store_true", help="only deactivated users")
    for action, text in (
        ("deactivate", "refuse every credential of the user"),
        ("reactivate", "accept the user's credentials again"),
    ):
        usub.add_parser(action, help=text).add_argument("username", help="the user's username")
    role = usub.add_parser("set-role", help="change a user's role")
    role.add_argument("username", help="the user's username")
    role.add_argument("role", choices=ROLES, help="the new role")
    reset = usub.add_parser("reset-password", help="set a new password for a user")
    reset.add_argument("username", help="the user's username")
    reset.add_argument("--password", help="the new password (asked for on a terminal when omitted)")

    token = sub.add_parser("token", help="list or revoke API tokens")
    tsub = token.add_subparsers(dest="action", required=True, parser_class=type(token))
    tlist = tsub.add_parser("list", help="API tokens (never their secrets)")
    tlist.add_argument("--user", metavar="USERNAME", help="only this user's tokens")
    revoke = tsub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int, help="the token's id (see `token list`)")

    save = sub.add_parser("backup", help="copy the database, attachments and key, while serving")
    save.add_argument("path", type=Path, help="a new (or empty) directory")
    load = sub.add_parser("restore", help="put a backup in place (stop the server first)")
    load.add_argument("path", type=Path, help="a directory written by `ticketgate backup`")
    load.add_argument("--force", action="store_true", help="replace an existing database")


COMMANDS = ("queue", "user", "token", "backup", "restore")


def run(settings: Settings, args: argparse.Namespace) -> None:
    """Run one operator command; domain errors print one line and exit 1."""
    if args.command in ("backup", "restore"):
        try:
            if args.command == "backup":
                lines = backups.backup(settings, args.path)
            else:
                lines = backups.restore(settings, args.path, force=args.force)
        except backups.BackupError as exc:
            raise SystemExit(f"ticketgate: {exc}") from None
        print("\n".join(lines))
        return
    handler: Callable[[argparse.Namespace], Awaitable[list[str]]] = HANDLERS[
        (args.command, args.action)
    ]

    async def work() -> list[str]:
        await db.open_db(settings.database_url)
        try:
            return await handler(args)
        finally:
            await db.close_db()

    try:
        lines = asyncio.run(work())
    except DomainError as exc:
        raise SystemExit(f"ticketgate: {exc.message}") from None
    for line in lines:
        print(line)


def ask_password(given: str | None) -> str | None:
    """The password given, else asked twice on a terminal, else None."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise SystemExit("ticketgate: passwords do not match")
        return first
    return None


async def _all(listing: Callable[[Window], Awaitable]) -> list:
    """Every item of a paginated domain listing, page by page."""
    items, offset = [], 0
    while True:
        page = await listing(Window(offset, MAX_PAGE_SIZE))
        items += page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return items


def _queue_line(queue) -> str:
    state = "archived" if queue.archived_at else "public" if queue.is_public else "private"
    return f"{queue.id}\t{queue.slug}\t{state}\t{queue.title}"


async def _queue_create(args) -> list[str]:
    queue = await queues.create_queue(
        SYSTEM, title=args.title, slug=args.slug, is_public=args.public
    )
    return [f"created queue {queue.slug} (id {queue.id})"]


async def _queue_list(args) -> list[str]:
    return [_queue_line(q) for q in await _all(lambda win: queues.list_queues(SYSTEM, win))]


async def _queue_change(args, **changes) -> list[str]:
    queue = await queues.queue_by_slug(SYSTEM, args.slug)
    return [_queue_line(await queues.update_queue(SYSTEM, queue.id, **changes))]


async def _queue_member(args, change) -> list[str]:
    queue = await queues.queue_by_slug(SYSTEM, args.slug)
    await change(SYSTEM, queue.id, (await _user(args.username)).id)
    return [f"{args.username}: {'has' if change is queues.add_member else 'has not'} {args.slug}"]


async def _queue_members(args) -> list[str]:
    queue = await queues.queue_by_slug(SYSTEM, args.slug)
    return [f"{u.id}\t{u.username}" for u in await queues.members_of(SYSTEM, queue.id)]


async def _user(username: str):
    return await users.user_by_username(SYSTEM, username)


async def _user_list(args) -> list[str]:
    filt = users.UserFilter(role=args.role, is_active=False if args.inactive else None)
    found = await _all(lambda win: users.list_users(SYSTEM, filt, win))
    return [
        f"{u.id}\t{u.username}\t{u.role.value}\t{'active' if u.is_active else 'inactive'}"
        f"\t{u.email}"
        for u in found
    ]


async def _user_update(args, **changes) -> list[str]:
    user = await users.update_user(SYSTEM, (await _user(args.username)).id, **changes)
    state = "active" if user.is_active else "inactive"
    return [f"{user.username}: {user.role.value}, {state}"]


async def _reset_password(args) -> list[str]:
    user = await _user(args.username)
    password = ask_password(args.password)
    if password is None:
        raise SystemExit("ticketgate: give --password or run on a terminal")
    await users.set_password(SYSTEM, user.id, password)
    return [f"{user.username}: password changed"]


async def _token_list(args) -> list[str]:
    user_id = (await _user(args.user)).id if args.user else None
    found = await _all(lambda win: tokens.list_tokens(SYSTEM, user_id, win))
    owners = await users.users_by_ids(sorted({t.user_id for t in found}))
    return [
        f"{t.id}\t{owners[t.user_id].username}\t{t.name or '-'}\tcreated {t.created_at:%Y-%m-%d}"
        f"\tlast used {f'{t.last_used_at:%Y-%m-%d %H:%M}' if t.last_used_at else 'never'}"
        for t in found
    ]


async def _token_revoke(args) -> list[str]:
    await tokens.revoke_token(SYSTEM, args.id)
    return [f"token {args.id} revoked"]


HANDLERS = {
    ("queue", "create"): _queue_create,
    ("queue", "list"): _queue_list,
    ("queue", "rename"): lambda args: _queue_change(args, title=args.title),
    ("queue", "archive"): lambda args: _queue_change(args, archived=True),
    ("queue", "restore"): lambda args: _queue_change(args, archived=False),
    ("queue", "grant"): lambda args: _queue_member(args, queues.add_member),
    ("queue", "revoke"): lambda args: _queue_member(args, queues.remove_member),
    ("queue", "members"): _queue_members,
    ("user", "list"): _user_list,
    ("user", "deactivate"): lambda args: _user_update(args, is_active=False),
    ("user", "reactivate"): lambda args: _user_update(args, is_active=True),
    ("user", "set-role"): lambda args: _user_update(args, role=args.role),
    ("user", "reset-password"): _reset_password,
    ("token", "list"): _token_list,
    ("token", "revoke"): _token_revoke,
}
