"""The platform's request vocabulary: priorities, statuses, sorts, ids, paging, bodies and
base64 attachments. Problems raise Invalid(field) (422 with details)."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from typing import Any

from starlette.requests import Request

from resolvers import files, limits, tickets, users
from resolvers.errors import Invalid, NotFound
from resolvers.pagination import MAX_PAGE_SIZE, Window
from resolvers.validation import MAX_ID
from rest.kit import paging
from rest.kit.params import choice, optional_integer
from rest.platform_v1.errors import NOT_FOUND

DEFAULT_PER_PAGE = 20
MIME_RE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
PRIORITIES = {"low": 4, "medium": 3, "high": 2, "critical": 1}  # in the documented order
PRIORITY_FILTER = {"critical": (1,), "high": (2,), "medium": (3,), "low": (4, 5)}
STATUSES = ("open", "in_progress", "resolved", "closed")
STATUS_FILTER = {
    "open": ("open", "reopened"),
    "in_progress": ("in_progress",),
    "resolved": ("resolved",),
    "closed": ("closed", "duplicate"),
}
SORTS = ("created_at", "updated_at", "priority")
TICKET_FIELDS = {"title", "description", "priority", "tags", "custom_fields", "assigned_to"}
WEBHOOK_FIELDS = {"url", "events", "secret", "active"}


def priority(value: object) -> int:
    return PRIORITIES[choice(value, "priority", PRIORITIES)]


def user_id(field: str, value: object) -> int | None:
    """A user id as this API writes it (a string; a number is accepted too), or null."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    raise Invalid(field, f"{field} must be a user id.")


def path_id(request: Request) -> int:
    value = request.path_params["id"]
    if value > MAX_ID:
        raise NotFound(NOT_FOUND)
    return value


def only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Invalid.many([(name, f"Unknown field {name!r}.") for name in unknown])


def attachments(request: Request, value: object) -> list[files.NewFile]:
    """Base64 `attachments`: [{filename, content, mime_type}]."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("attachments", "attachments must be a list.")
    return [_attachment(f"attachments[{i}]", item) for i, item in enumerate(value)]


def _attachment(field: str, item: object) -> files.NewFile:
    if not isinstance(item, dict):
        raise Invalid(field, "Each attachment must be an object.")
    filename, content = item.get("filename"), item.get("content")
    if not isinstance(filename, str) or not filename.strip():
        raise Invalid(f"{field}.filename", "filename is required.")
    if not isinstance(content, str):
        raise Invalid(f"{field}.content", "content must be a base64 string.")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{field}.content", "content must be valid base64.") from None
    if len(data) > limits.FILE_BYTES:
        raise Invalid(f"{field}.content", f"Files may be at most {limits.FILE_BYTES} bytes.")
    mime = item.get("mime_type") or mimetypes.guess_type(filename)[0]
    mime = mime or "application/octet-stream"
    if not isinstance(mime, str) or len(mime) > 127 or not MIME_RE.match(mime):
        raise Invalid(f"{field}.mime_type", "mime_type must be a media type like text/plain.")
    return files.NewFile(filename.strip(), mime, data)


def window(request: Request) -> Window:
    params = request.query_params
    page = optional_integer(params.get("page"), "page", default=1)
    size = optional_integer(params.get("per_page"), "per_page", default=DEFAULT_PER_PAGE)
    return paging.per_page(page, size, max_size=MAX_PAGE_SIZE)


def ticket_filter(request: Request) -> tickets.TicketFilter:
    params = request.query_params
    statuses: tuple = ()
    if params.get("status"):
        for value in params["status"].split(","):
            statuses += STATUS_FILTER[choice(value.strip(), "status", STATUSES)]
    priorities: tuple = ()
    if params.get("priority"):
        for value in params["priority"].split(","):
            priority(value.strip())
            priorities += PRIORITY_FILTER[value.strip()]
    return tickets.TicketFilter(
        statuses=tuple(tickets.parse_status(s) for s in statuses),
        priorities=priorities,
        assigned_to_id=user_id("assigned_to", params.get("assigned_to") or None),
        opened_by_id=user_id("created_by", params.get("created_by") or None),
        search=params.get("q") or None,
    )


def ticket_order(request: Request) -> tickets.TicketOrder:
    params = request.query_params
    field = choice(params.get("sort") or "created_at", "sort", SORTS)
    descending = choice(params.get("order") or "desc", "order", ("asc", "desc")) == "desc"
    if field == "priority":  # "priority desc" = most urgent first = smallest number first
        descending = not descending
    return tickets.TicketOrder(field, descending)


def ticket_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = {k: body[k] for k in ("title", "description", "tags", "custom_fields") if k in body}
    if "priority" in body:
        changes["priority"] = priority(body["priority"])
    if "assigned_to" in body:
        changes["assigned_to_id"] = user_id("assigned_to", body["assigned_to"])
    if "status" in body:
        changes["status"] = choice(body["status"], "status", STATUSES)
    return changes


def user_filter(request: Request) -> users.UserFilter:
    params = request.query_params
    role, status = params.get("role"), params.get("status")
    if role:
        choice(role, "role", ("admin", "agent", "customer"))
    if status:
        choice(status, "status", ("active", "inactive"))
    return users.UserFilter(
        role=role or None,
        is_active=status == "active" if status else None,
        search=params.get("q") or None,
    )
