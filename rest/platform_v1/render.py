"""The platform's JSON: tickets, comments, files, users, webhooks and deliveries, `{"data":
…}` bodies and the pagination block. Tickets and comments render from projection rows read in
bulk (`related`); writes answer through the same renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models import Comment, Ticket, User, Webhook, WebhookDelivery
from resolvers import projections, reads, webhooks
from resolvers.clock import timestamp
from resolvers.custom_fields import visible as visible_custom_fields
from resolvers.pagination import Page
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.sql import json_value
from resolvers.webhooks import PERSON_COLUMNS, PLATFORM_STATUS, PRIORITY_NAMES, Person, user_ref
from rest.kit.http import JSONResponse, row_of
from rest.kit.paging import pagination_block

TICKET_COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "created_at",
    "updated_at",
    "opened_by_id",
    "assigned_to_id",
    "custom_fields",
)
UPDATED_AT = TICKET_COLUMNS.index("updated_at")
COMMENT_COLUMNS = ("id", "body", "created_at", "author_id", "is_internal")
FILE_COLUMNS = ("id", "filename", "size", "mime_type", "created_at")


def listing(request: Request, page: Page, data: list) -> Response:
    return JSONResponse({"data": data, "pagination": pagination_block(request, page)})


def one(data: Any, status: int = 200) -> Response:
    return JSONResponse({"data": data}, status)


@dataclass
class Related:
    """What ticket and comment rows refer to, read in bulk."""

    people: dict[int, dict] = field(default_factory=dict)  # user id → rendered reference
    tags: dict[int, list[str]] = field(default_factory=dict)
    files: dict[int, list[Row]] = field(default_factory=dict)  # comment id → FILE_COLUMNS rows


def _people(user_ids: set[int | None]) -> Read[dict[int, dict]]:
    found = yield from projections.users_by_ids(user_ids - {None}, PERSON_COLUMNS)
    return {uid: user_ref(Person(uid, *row)) for uid, row in found.items()}


def related(tickets_: list[Row], comments_: list[Row]) -> Read[Related]:
    """Tags of the tickets, files of the comments, and everyone they name."""
    rel = Related()
    if tickets_:
        rel.tags = yield from projections.tags_for([t[0] for t in tickets_])
    if comments_:
        rel.files = yield from projections.comment_attachments(
            [c[0] for c in comments_], FILE_COLUMNS
        )
    people = {p for t in tickets_ for p in (t[7], t[8])} | {c[3] for c in comments_}
    rel.people = yield from _people(people)
    return rel


def files_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "")


def attachment(base: str, row: Row) -> dict[str, Any]:
    """A file from its FILE_COLUMNS; `base` from `files_base`."""
    att_id, filename, size, mime_type, created_at = row
    return {
        "id": str(att_id),
        "filename": filename,
        "size": size,
        "mime_type": mime_type,
        "url": f"{base}/attachments/{att_id}",
        "created_at": timestamp(created_at),
    }


def ticket(row: Row, rel: Related, actor: Actor | None) -> dict[str, Any]:
    """A ticket from its TICKET_COLUMNS, as `actor` may see it."""
    ticket_id, title, description, status, priority, created_at, updated_at = row[:7]
    opened_by_id, assigned_to_id, custom_fields = row[7:]
    return {
        "id": str(ticket_id),
        "title": title,
        "description": description,
        "status": PLATFORM_STATUS[status],
        "priority": PRIORITY_NAMES.get(priority, "low"),
        "created_at": timestamp(created_at),
        "updated_at": timestamp(updated_at),
        "created_by": rel.people.get(opened_by_id),
        "assigned_to": rel.people.get(assigned_to_id),
        "tags": rel.tags.get(ticket_id, []),
        "custom_fields": visible_custom_fields(actor, json_value(custom_fields)),
    }


def comment(base: str, row: Row, rel: Related) -> dict[str, Any]:
    """A comment from its COMMENT_COLUMNS."""
    comment_id, body, created_at, author_id, is_internal = row
    return {
        "id": str(comment_id),
        "content": body,
        "created_at": timestamp(created_at),
        "created_by": rel.people.get(author_id),
        "is_internal": bool(is_internal),
        "attachments": [attachment(base, a) for a in rel.files.get(comment_id, [])],
    }


async def written_ticket(ticket_: Ticket, actor: Actor | None) -> dict[str, Any]:
    """A ticket as a write left it."""
    row = row_of(ticket_, TICKET_COLUMNS)
    return ticket(row, await reads.run(related([row], [])), actor)


async def written_comments(request: Request, items: list[Comment]) -> list[dict[str, Any]]:
    rows = [row_of(c, COMMENT_COLUMNS) for c in items]
    rel = await reads.run(related([], rows))
    base = files_base(request)
    return [comment(base, row, rel) for row in rows]


def user(found: User) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "name": found.name,
        "email": found.email,
        "role": found.role.value,
        "status": "active" if found.is_active else "inactive",
        "created_at": timestamp(found.created_at),
        "last_login_at": timestamp(found.last_login_at),
    }


def webhook(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    data = {
        "id": str(hook.id),
        "url": hook.url,
        "events": hook.events,
        "active": hook.active,
        "created_at": timestamp(hook.created_at),
    }
    if with_secret:
        data["secret"] = hook.secret
    return data


def delivery(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "event_id": str(row.event_id),
        "event": webhooks.DELIVERED_AS.get(row.event.kind, row.event.kind),
        "status": row.status,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "next_attempt_at": timestamp(row.next_attempt_at),
        "created_at": timestamp(row.created_at),
        "delivered_at": timestamp(row.delivered_at),
    }


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
