"""The platform's JSON: tickets, comments, files, users, webhooks and deliveries, `{"data":
…}` bodies and the pagination block. Tickets and comments render from projection rows read in
bulk (`related`); writes answer through the same renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models import Comment, Ticket, User, Webhook, WebhookDelivery
from resolvers import projections, reads, views, webhooks
from resolvers.custom_fields import visible as visible_custom_fields
from resolvers.pagination import Page
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.sql import json_value
from resolvers.views import Person
from resolvers.webhook_worker import EventView, Payloads
from rest.kit.http import JSONResponse, row_of
from rest.kit.paging import pagination_block
from rest.kit.times import timestamp

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
COMMENT_COLUMNS = ("id", "body", "created_at", "author_id", "is_internal")
FILE_COLUMNS = ("id", "filename", "size", "mime_type", "created_at")


def listing(request: Request, page: Page, data: list) -> Response:
    return JSONResponse({"data": data, "pagination": pagination_block(request, page)})


def one(data: Any, status: int = 200) -> Response:
    return JSONResponse({"data": data}, status)


# The platform's words for the canonical statuses and priorities.
PLATFORM_STATUS = {
    "open": "open",
    "in_progress": "in_progress",
    "reopened": "open",
    "resolved": "resolved",
    "closed": "closed",
    "duplicate": "closed",
}
PRIORITY_NAMES = {1: "critical", 2: "high", 3: "medium", 4: "low", 5: "low"}


def user_ref(user: User | Person | None) -> dict[str, Any] | None:
    """A user as the reference embeds one: from a model, or a `Person` of `views.related`."""
    return None if user is None else {"id": str(user.id), "name": user.name, "email": user.email}


@dataclass
class Related:
    """What ticket and comment rows refer to, read in bulk: the tickets' `views.Related` (tags
    and everyone named) and the comments' files (comment id → FILE_COLUMNS rows)."""

    view: views.Related
    files: dict[int, list[Row]] = field(default_factory=dict)

    def person(self, user_id: int | None) -> dict[str, Any] | None:
        return user_ref(self.view.people.get(user_id))


def related(tickets_: list[Row], comments_: list[Row]) -> Read[Related]:
    """Tags of the tickets, files of the comments, and everyone they name."""
    people = {p for t in tickets_ for p in (t[7], t[8])} | {c[3] for c in comments_}
    ids = [t[0] for t in tickets_]
    rel = Related((yield from views.related(ids, tags=bool(ids), people=people)))
    if comments_:
        rel.files = yield from projections.comment_attachments(
            [c[0] for c in comments_], FILE_COLUMNS
        )
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
        "created_by": rel.person(opened_by_id),
        "assigned_to": rel.person(assigned_to_id),
        "tags": rel.view.tags.get(ticket_id, []),
        "custom_fields": visible_custom_fields(actor, json_value(custom_fields)),
    }


def comment(base: str, row: Row, rel: Related) -> dict[str, Any]:
    """A comment from its COMMENT_COLUMNS."""
    comment_id, body, created_at, author_id, is_internal = row
    return {
        "id": str(comment_id),
        "content": body,
        "created_at": timestamp(created_at),
        "created_by": rel.person(author_id),
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


# ---------------------------------------------------------------- webhook bodies


def _changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Changed fields in platform terms: priority names, `<name>_id` as `<name>` string ids."""
    out: dict[str, Any] = {}
    for name, change in changes.items():
        if name == "priority":
            change = {k: PRIORITY_NAMES.get(v) for k, v in change.items()}
        elif name.endswith("_id"):
            name = name.removesuffix("_id")
            change = {k: None if v is None else str(v) for k, v in change.items()}
        out[name] = change
    return out


def _event_ticket(view: EventView, updated_by: dict | None) -> dict[str, Any]:
    event, row, people = view.event, view.ticket, view.related.people
    data: dict[str, Any] = {
        "id": str(event.ticket_id),
        "title": row[1] if row else event.payload.get("title"),
    }
    if event.kind == "ticket.status_changed":  # exactly the reference's example
        data["status"] = {k: PLATFORM_STATUS[v] for k, v in event.payload.items()}
        data["updated_by"] = updated_by
        return data
    if row is not None:
        ticket_id, _, description, status, priority, created_at, _, opened_by_id = row[:8]
        assigned_to_id, custom_fields = row[8:]
        data.update(
            status=PLATFORM_STATUS[status],
            priority=PRIORITY_NAMES.get(priority, "low"),
            assigned_to=user_ref(people.get(assigned_to_id)),
        )
    if event.kind == "ticket.created" and row is not None:
        data.update(
            description=description,
            created_at=timestamp(created_at),
            created_by=user_ref(people.get(opened_by_id)),
            tags=view.related.tags.get(ticket_id, []),
            custom_fields=json_value(custom_fields),
        )
    elif event.kind == "ticket.updated":
        data["changes"] = _changes(event.payload.get("changes", {}))
    elif event.kind == "ticket.assigned":
        data["changes"] = _changes({"assigned_to_id": event.payload})
    data["updated_by"] = updated_by
    return data


def webhook_body(view: EventView) -> dict[str, Any]:
    """A delivery's body, shaped like the reference's example (`event`, `timestamp`, `data`):
    event-specific parts (status previous/current, changes) from the event, the rest of the
    ticket as it is when sent."""
    event, people = view.event, view.related.people
    actor = user_ref(people.get(event.actor_id))
    data: dict[str, Any] = {}
    if view.kind == "user.created":
        user = people.get(event.payload.get("user_id"))
        data["user"] = {
            "id": str(event.payload.get("user_id")),
            "name": user.name if user else None,
            "email": user.email if user else None,
            "role": event.payload.get("role"),
            "created_at": timestamp(event.created_at),
            "created_by": actor,
        }
    else:
        data["ticket"] = _event_ticket(view, actor)
    if view.kind == "comment.created":
        body, created_at = view.comment or (None, event.created_at)
        data["comment"] = {
            "id": str(event.payload.get("comment_id")),
            "content": body,
            "is_internal": event.internal,
            "created_at": timestamp(created_at),
            "created_by": actor,
        }
    return {"event": view.kind, "timestamp": timestamp(event.created_at), "data": data}


WEBHOOK_PAYLOADS = Payloads(TICKET_COLUMNS, webhook_body)

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
