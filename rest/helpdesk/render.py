"""DRF's JSON: tickets with their followups, followups, attachments, the public listing, and
the page envelope. Rows come from projections read in bulk; writes answer through the same
renderers (`row_of`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models import Comment, Ticket
from resolvers import custom_fields, projections, reads
from resolvers.pagination import Page
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.sql import is_utc_text, json_value, to_datetime
from rest.helpdesk.errors import error_response
from rest.helpdesk.parse import STATUS_INT, custom_defs
from rest.kit.http import JSONResponse, row_of
from rest.kit.paging import drf_envelope

MAX_FOLLOWUPS = 1000  # followup_set per ticket (the original lists them all)
STATUS_NAMES = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}
TICKET_COLUMNS = (
    "id",
    "queue_id",
    "title",
    "description",
    "resolution",
    "submitter_email",
    "assigned_to_id",
    "status",
    "on_hold",
    "priority",
    "due_date",
    "merged_into_id",
    "custom_fields",
)
FOLLOWUP_COLUMNS = (
    "id",
    "author_id",
    "title",
    "body",
    "is_internal",
    "new_status",
    "time_spent_seconds",
    "created_at",
    "message_id",
)
ATTACHMENT_COLUMNS = ("id", "comment_id", "filename", "mime_type", "size")
LISTING_COLUMNS = (
    "id",
    "title",
    "queue_id",
    "status",
    "on_hold",
    "created_at",
    "due_date",
    "submitter_email",
    "custom_fields",
)
QUEUE_COLUMNS = ("slug", "title")


def when(value: datetime | str | None) -> str | None:
    """DRF's datetime: ISO 8601 in UTC with `Z`, microseconds when there are any. `value` is a
    datetime or SQLite's text for one (`is_utc_text`, cut without parsing)."""
    if value is None:
        return None
    if is_utc_text(value):
        return f"{value[:10]}T{value[11:-6]}Z"
    return to_datetime(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def duration_text(seconds: int | None) -> str | None:
    """Django's duration_string: "[D ]HH:MM:SS"."""
    if seconds is None:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} {text}" if days else text


def public_custom_defs(request: Request) -> tuple[custom_fields.CustomField, ...]:
    """PublicTicketListingSerializer leaves staff-only custom fields out."""
    return tuple(f for f in custom_defs(request) if not f.staff_only)


def paginated(request: Request, number: int, page: Page, results: list) -> Response:
    if number > 1 and page.offset >= page.total:
        return error_response(404, "Invalid page.")
    return JSONResponse(drf_envelope(request, number, page, results))


@dataclass(frozen=True)
class Followups:
    """Followup rows (FOLLOWUP_COLUMNS) per ticket and attachment rows per followup."""

    by_ticket: dict[int, list[Row]]
    files: dict[int, list[Row]]


def followups(actor: Actor, ticket_ids: list[int]) -> Read[Followups]:
    """The tickets' followups (internal ones for staff) and their files: two statements."""
    by_ticket = yield from projections.first_comments(
        actor, ticket_ids, MAX_FOLLOWUPS, FOLLOWUP_COLUMNS
    )
    ids = [row[0] for rows in by_ticket.values() for row in rows]
    files = yield from projections.comment_attachments(ids, ATTACHMENT_COLUMNS)
    return Followups(by_ticket, files)


@dataclass(frozen=True)
class Rendering:
    """What one response's rows render with, worked out once per response."""

    file_url: Callable[[int], str]  # attachment id → its `file` URL
    custom: tuple[custom_fields.CustomField, ...]
    found: Followups


def _file_url_parts(request: Request) -> tuple[str, str]:
    """The attachment file URL before and after its id (one path segment): one reverse lookup
    per app and base URL, kept on the app (Starlette's `url_for` walks every route)."""
    cache = getattr(request.app.state, "helpdesk_file_urls", None)
    if cache is None or len(cache) > 64:  # (one per Host header seen; bounded)
        cache = request.app.state.helpdesk_file_urls = {}
    key = str(request.base_url)
    if key not in cache:
        url = str(request.url_for("helpdesk_attachment_file", id=0))
        head, _, tail = url.rpartition("/0/")
        cache[key] = head, tail
    return cache[key]


def rendering(request: Request, found: Followups | None = None) -> Rendering:
    head, tail = _file_url_parts(request)

    def file_url(att_id: int) -> str:
        return f"{head}/{att_id}/{tail}"

    return Rendering(file_url, custom_defs(request), found or Followups({}, {}))


def attachment(r: Rendering, row: Row) -> dict[str, Any]:
    """A followup attachment from its ATTACHMENT_COLUMNS."""
    att_id, comment_id, filename, mime_type, size = row
    return {
        "id": att_id,
        "followup": comment_id,
        "file": r.file_url(att_id),
        "filename": filename,
        "mime_type": mime_type,
        "size": size,
    }


def by_name(rows: list[Row]) -> list[Row]:
    """ATTACHMENT_COLUMNS rows by file name, as the original's FollowUpAttachment orders them."""
    return sorted(rows, key=lambda row: (row[2], row[0]))


def followup(r: Rendering, ticket_id: int, row: Row) -> dict:
    """A followup from its FOLLOWUP_COLUMNS."""
    comment_id, author_id, title, body, is_internal, new_status, time_spent, created_at = row[:8]
    return {
        "id": comment_id,
        "ticket": ticket_id,
        "user": author_id,
        "title": title,
        "comment": body,
        "public": not is_internal,
        "new_status": STATUS_INT[new_status] if new_status else None,
        "time_spent": duration_text(time_spent),
        "followupattachment_set": [attachment(r, a) for a in by_name(files)]
        if (files := r.found.files.get(comment_id))
        else [],
        "date": when(created_at),
        "message_id": row[8],
        "email_recipients": [],
    }


async def written_followups(request: Request, items: list[Comment]) -> list[dict[str, Any]]:
    """Followups as a write or a followup route has them."""
    files = await reads.run(
        projections.comment_attachments([c.id for c in items], ATTACHMENT_COLUMNS)
    )
    r = rendering(request, Followups({}, files))
    return [followup(r, c.ticket_id, row_of(c, FOLLOWUP_COLUMNS)) for c in items]


def ticket(r: Rendering, row: Row) -> dict[str, Any]:
    """A ticket from its TICKET_COLUMNS, with its followups."""
    ticket_id, queue_id, title, description, resolution, submitter, assigned_to_id = row[:7]
    status, on_hold, priority, due_date, merged_into_id, custom = row[7:]
    return {
        "id": ticket_id,
        "queue": queue_id,
        "title": title,
        "description": description,
        "resolution": resolution,
        "submitter_email": submitter,
        "assigned_to": assigned_to_id,
        "status": STATUS_INT[status],
        "on_hold": bool(on_hold),
        "priority": priority,
        "due_date": when(due_date),
        "merged_to": merged_into_id,
        "followup_set": [followup(r, ticket_id, c) for c in r.found.by_ticket[ticket_id]],
        **(custom_fields.render(r.custom, json_value(custom) or {}) if r.custom else {}),
    }


async def written_ticket(request: Request, actor: Actor, found: Ticket) -> dict[str, Any]:
    """A ticket as a write left it."""
    rows = await reads.run(followups(actor, [found.id]))
    return ticket(rendering(request, rows), row_of(found, TICKET_COLUMNS))


def listing(row: Row, queues_: dict[int, Row], defs: tuple) -> dict[str, Any]:
    """A ticket from its LISTING_COLUMNS, as PublicTicketListingSerializer shows it."""
    ticket_id, title, queue_id, status, on_hold, created_at, due_date, submitter, custom = row
    queue = queues_.get(queue_id)
    text = STATUS_NAMES[STATUS_INT[status]] + (" - On Hold" if on_hold else "")
    return {
        "ticket": f"{ticket_id} [{queue[0]}-{ticket_id}]"
        if queue
        else f"{ticket_id} [{ticket_id}]",
        "id": ticket_id,
        "title": title,
        "queue": {"title": queue[1], "id": queue_id} if queue else None,
        "status": text,
        "created": when(created_at),
        "due_date": when(due_date),
        "submitter": submitter,
        "kbitem": "",
        "secret_key": "",
        **custom_fields.render(defs, json_value(custom) or {}),
    }


def user(found: Any, given: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_name": given.get("first_name") or "",
        "last_name": given.get("last_name") or "",
        "username": found.username,
        "email": found.email,
    }
