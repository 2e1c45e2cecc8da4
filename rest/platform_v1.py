"""Platform API v1 (reference 002), mounted at /api/v1: JWT login, tickets, comments with
attachments, users, webhooks; `{"data": …}` bodies, a pagination block, one error shape and
rate limits with `X-RateLimit-*` headers on every response (rest/budget.py). See
docs/platform_v1.md for the choices made where the reference is silent.
"""

from __future__ import annotations

import base64
import binascii
import math
import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models import Comment, Ticket, User, Webhook, WebhookDelivery
from resolvers import auth, comments, files, projections, reads, tickets, users, webhooks
from resolvers.clock import timestamp
from resolvers.custom_fields import visible as visible_custom_fields
from resolvers.errors import (
    DomainError,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from resolvers.pagination import MAX_PAGE_SIZE, Page, Window
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.sql import json_value
from resolvers.validation import MAX_ID
from resolvers.webhooks import PERSON_COLUMNS, PLATFORM_STATUS, PRIORITY_NAMES, Person, user_ref
from rest.common import (
    HTTP_METHODS,
    JSONResponse,
    MalformedBody,
    caller,
    file_response,
    int_param,
    parameter,
    read_json,
    row_of,
    status_for,
    storage,
)

DEFAULT_PER_PAGE = 20
DETAIL_COMMENTS = 100  # comments embedded in GET /tickets/{id}; the rest via /comments
MIME_RE = re.compile(r"^[\w.+-]+/[\w.+-]+$")

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "rate_limit_exceeded",
    500: "internal_error",
}
# Domain field names that this API spells differently.
FIELD_NAMES = {
    "search": "q",
    "body": "content",
    "limit": "per_page",
    "offset": "page",
    "order_by": "sort",
}
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


# ---------------------------------------------------------------- errors


def error_response(
    status: int, message: str, details: list[dict[str, str]] | None = None
) -> Response:
    body = {"code": ERROR_CODES.get(status, "error"), "message": message, "details": details or []}
    return JSONResponse({"error": body}, status)


def _domain_error(exc: DomainError) -> Response:
    if isinstance(exc, Invalid):
        details = [{"field": FIELD_NAMES.get(f, f), "message": m} for f, m in exc.fields]
        return error_response(422, "The request data is invalid", details)
    return error_response(status_for(exc), exc.message)


# ---------------------------------------------------------------- parsing


def _choice(field: str, value: object, choices: tuple[str, ...] | dict) -> str:
    if value not in choices:
        label = field.replace("_", " ").capitalize()
        raise Invalid(field, f"{label} must be one of: {', '.join(choices)}")
    return value


def _priority(value: object) -> int:
    return PRIORITIES[_choice("priority", value, PRIORITIES)]


def _user_id(field: str, value: object) -> int | None:
    """A user id as this API writes it (a string; a number is accepted too), or null."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    raise Invalid(field, f"{field} must be a user id.")


def _path_id(request: Request) -> int:
    value = request.path_params["id"]
    if value > MAX_ID:
        raise NotFound("Resource not found.")
    return value


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Invalid.many([(name, f"Unknown field {name!r}.") for name in unknown])


def _files(request: Request, value: object) -> list[files.NewFile]:
    """Base64 `attachments`: [{filename, content, mime_type}]."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("attachments", "attachments must be a list.")
    limit = request.app.state.settings.max_upload_bytes
    found = []
    for i, item in enumerate(value):
        field = f"attachments[{i}]"
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
        if len(data) > limit:
            raise Invalid(f"{field}.content", f"Files may be at most {limit} bytes.")
        mime = item.get("mime_type") or mimetypes.guess_type(filename)[0]
        mime = mime or "application/octet-stream"
        if not isinstance(mime, str) or len(mime) > 127 or not MIME_RE.match(mime):
            raise Invalid(f"{field}.mime_type", "mime_type must be a media type like text/plain.")
        found.append(files.NewFile(filename.strip(), mime, data))
    return found


def _window(request: Request) -> Window:
    params = request.query_params
    page = int_param(params.get("page"), "page", default=1)
    per_page = int_param(params.get("per_page"), "per_page", default=DEFAULT_PER_PAGE)
    if page < 1:
        raise Invalid("page", "page must be at least 1.")
    if not 1 <= per_page <= MAX_PAGE_SIZE:
        raise Invalid("per_page", f"per_page must be between 1 and {MAX_PAGE_SIZE}.")
    if (page - 1) * per_page > MAX_ID:
        raise Invalid("page", "page is too large.")
    return Window((page - 1) * per_page, per_page)


# ---------------------------------------------------------------- rendering


def _page_url(request: Request, page: int) -> str:
    """This request's path and query with `page` replaced (other parameters kept)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return f"{request.url.path}?{urlencode([*items, ('page', page)])}"


def _list(request: Request, page: Page, data: list) -> Response:
    per_page = page.limit
    current = page.offset // per_page + 1
    last = max(1, math.ceil(page.total / per_page))
    pagination = {
        "total": page.total,
        "per_page": per_page,
        "current_page": current,
        "last_page": last,
        "next_page_url": _page_url(request, current + 1) if current < last else None,
        "prev_page_url": _page_url(request, min(current - 1, last)) if current > 1 else None,
    }
    return JSONResponse({"data": data, "pagination": pagination})


def _one(data: Any, status: int = 200) -> Response:
    return JSONResponse({"data": data}, status)


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


@dataclass
class Related:
    """What ticket and comment rows refer to, read in bulk."""

    people: dict[int, dict] = field(default_factory=dict)  # user id → rendered reference
    tags: dict[int, list[str]] = field(default_factory=dict)
    files: dict[int, list[Row]] = field(default_factory=dict)  # comment id → FILE_COLUMNS rows


def _people(user_ids: set[int | None]) -> Read[dict[int, dict]]:
    found = yield from projections.users_by_ids(user_ids - {None}, PERSON_COLUMNS)
    return {uid: user_ref(Person(uid, *row)) for uid, row in found.items()}


def _related(tickets_: list[Row], comments_: list[Row]) -> Read[Related]:
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


def _files_base(request: Request) -> str:
    return request.app.state.settings.public_base_url + request.scope.get("root_path", "")


def _attachment(base: str, row: Row) -> dict[str, Any]:
    """A file from its FILE_COLUMNS; `base` from `_files_base`."""
    att_id, filename, size, mime_type, created_at = row
    return {
        "id": str(att_id),
        "filename": filename,
        "size": size,
        "mime_type": mime_type,
        "url": f"{base}/attachments/{att_id}",
        "created_at": timestamp(created_at),
    }


def _ticket(row: Row, rel: Related, actor: Actor | None) -> dict[str, Any]:
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


def _comment(base: str, row: Row, rel: Related) -> dict[str, Any]:
    """A comment from its COMMENT_COLUMNS."""
    comment_id, body, created_at, author_id, is_internal = row
    return {
        "id": str(comment_id),
        "content": body,
        "created_at": timestamp(created_at),
        "created_by": rel.people.get(author_id),
        "is_internal": bool(is_internal),
        "attachments": [_attachment(base, a) for a in rel.files.get(comment_id, [])],
    }


async def _written_ticket(ticket: Ticket, actor: Actor | None) -> dict[str, Any]:
    """A ticket as a write left it."""
    row = row_of(ticket, TICKET_COLUMNS)
    return _ticket(row, await reads.run(_related([row], [])), actor)


async def _written_comments(request: Request, items: list[Comment]) -> list[dict[str, Any]]:
    rows = [row_of(c, COMMENT_COLUMNS) for c in items]
    rel = await reads.run(_related([], rows))
    base = _files_base(request)
    return [_comment(base, row, rel) for row in rows]


def _user(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "status": "active" if user.is_active else "inactive",
        "created_at": timestamp(user.created_at),
        "last_login_at": timestamp(user.last_login_at),
    }


def _webhook(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
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


def _delivery(row: WebhookDelivery) -> dict[str, Any]:
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


# ---------------------------------------------------------------- auth


async def login(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    email, password = body.get("email"), body.get("password")
    pairs = (("email", email), ("password", password))
    problems = [(field, f"{field} is required.") for field, value in pairs if not value]
    if problems:
        raise Invalid.many(problems)
    if not isinstance(email, str) or not isinstance(password, str):
        raise Invalid("email", "email and password must be strings.")
    settings = request.app.state.settings
    token, expires_at, user = await auth.login(
        email,
        password,
        settings.secret_key,
        settings.jwt_ttl_seconds,
        limiter=request.app.state.rate_limiter,
        client=request.client.host if request.client else "",
    )
    return JSONResponse(
        {
            "token": token,
            "expires_at": timestamp(expires_at),
            "user": {**user_ref(user), "role": user.role.value},
        }
    )


# ---------------------------------------------------------------- tickets


def _ticket_filter(request: Request) -> tickets.TicketFilter:
    params = request.query_params
    statuses: tuple = ()
    if params.get("status"):
        for value in params["status"].split(","):
            statuses += STATUS_FILTER[_choice("status", value.strip(), STATUSES)]
    priorities: tuple = ()
    if params.get("priority"):
        for value in params["priority"].split(","):
            _priority(value.strip())
            priorities += PRIORITY_FILTER[value.strip()]
    return tickets.TicketFilter(
        statuses=tuple(tickets.parse_status(s) for s in statuses),
        priorities=priorities,
        assigned_to_id=_user_id("assigned_to", params.get("assigned_to") or None),
        opened_by_id=_user_id("created_by", params.get("created_by") or None),
        search=params.get("q") or None,
    )


def _ticket_order(request: Request) -> tickets.TicketOrder:
    params = request.query_params
    field = _choice("sort", params.get("sort") or "created_at", SORTS)
    descending = _choice("order", params.get("order") or "desc", ("asc", "desc")) == "desc"
    if field == "priority":  # "priority desc" = most urgent first = smallest number first
        descending = not descending
    return tickets.TicketOrder(field, descending)


def _ticket_page(
    actor: Actor | None, filt: tickets.TicketFilter, order: tickets.TicketOrder, win: Window
) -> Read[tuple[Page[Row], Related]]:
    rows, total = yield from projections.ticket_page(actor, filt, order, win, TICKET_COLUMNS)
    return Page(rows, total, win.offset, win.limit), (yield from _related(rows, []))


async def list_tickets(request: Request, actor: Actor | None) -> Response:
    filt, order, win = _ticket_filter(request), _ticket_order(request), _window(request)
    page, rel = await reads.run(_ticket_page(actor, filt, order, win))
    return _list(request, page, [_ticket(row, rel, actor) for row in page.items])


TICKET_FIELDS = {"title", "description", "priority", "tags", "custom_fields", "assigned_to"}


def _ticket_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = {k: body[k] for k in ("title", "description", "tags", "custom_fields") if k in body}
    if "priority" in body:
        changes["priority"] = _priority(body["priority"])
    if "assigned_to" in body:
        changes["assigned_to_id"] = _user_id("assigned_to", body["assigned_to"])
    if "status" in body:
        changes["status"] = _choice("status", body["status"], STATUSES)
    return changes


async def create_ticket(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, TICKET_FIELDS | {"attachments"})
    changes = _ticket_changes(body)
    if changes.get("priority") == PRIORITIES["medium"]:
        del changes["priority"]  # the default: the documented example works for customers too
    new_files = _files(request, body.get("attachments"))
    ticket = await tickets.create_ticket(
        actor,
        title=changes.pop("title", ""),
        description=changes.pop("description", ""),
        files=new_files,
        storage=storage(request),
        **changes,
    )
    return await _ticket_detail(request, actor, ticket.id, status=201)


def _ticket_detail_read(
    actor: Actor | None, ticket_id: int
) -> Read[tuple[Row, list[Row], list[Row], Related] | None]:
    """The ticket, its first comments, its own files and what they refer to."""
    row = yield from projections.ticket_row(actor, ticket_id, TICKET_COLUMNS)
    if row is None:
        return None
    pages = yield from projections.comment_pages(
        actor, [ticket_id], Window(0, DETAIL_COMMENTS), COMMENT_COLUMNS, with_total=False
    )
    own = yield from projections.ticket_attachments([ticket_id], FILE_COLUMNS)
    found = pages[ticket_id][0]
    return row, found, own.get(ticket_id, []), (yield from _related([row], found))


async def _ticket_detail(
    request: Request, actor: Actor | None, ticket_id: int, status: int = 200
) -> Response:
    found = await reads.run(_ticket_detail_read(actor, ticket_id))
    if found is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    row, comment_rows, own, rel = found
    base = _files_base(request)
    data = _ticket(row, rel, actor)
    data["comments"] = [_comment(base, c, rel) for c in comment_rows]
    data["attachments"] = [_attachment(base, a) for a in own]
    return _one(data, status)


async def get_ticket(request: Request, actor: Actor | None) -> Response:
    return await _ticket_detail(request, actor, _path_id(request))


async def update_ticket(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, TICKET_FIELDS | {"status"})
    ticket = await tickets.update_ticket(actor, _path_id(request), **_ticket_changes(body))
    return _one(await _written_ticket(ticket, actor))


async def delete_ticket(request: Request, actor: Actor | None) -> Response:
    await tickets.delete_ticket(actor, _path_id(request))
    return Response(status_code=204)


# ---------------------------------------------------------------- comments and files


async def add_comment(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, {"content", "is_internal", "attachments"})
    is_internal = body.get("is_internal", False)
    if not isinstance(is_internal, bool):
        raise Invalid("is_internal", "is_internal must be true or false.")
    comment = await comments.add_comment(
        actor,
        _path_id(request),
        body.get("content"),
        is_internal=is_internal,
        files=_files(request, body.get("attachments")),
        storage=storage(request),
    )
    return _one((await _written_comments(request, [comment]))[0], 201)


async def list_comments(request: Request, actor: Actor | None) -> Response:
    page = await comments.list_comments(actor, _path_id(request), _window(request))
    return _list(request, page, await _written_comments(request, page.items))


async def download(request: Request, actor: Actor | None) -> Response:
    att, data = await files.read_attachment(actor, storage(request), _path_id(request))
    return file_response(att, data, ascii_name=True)


# ---------------------------------------------------------------- users


def _user_filter(request: Request) -> users.UserFilter:
    params = request.query_params
    role, status = params.get("role"), params.get("status")
    if role:
        _choice("role", role, ("admin", "agent", "customer"))
    if status:
        _choice("status", status, ("active", "inactive"))
    return users.UserFilter(
        role=role or None,
        is_active=status == "active" if status else None,
        search=params.get("q") or None,
    )


async def list_users(request: Request, actor: Actor | None) -> Response:
    page = await users.list_users(actor, _user_filter(request), _window(request))
    return _list(request, page, [_user(u) for u in page.items])


async def create_user(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, {"name", "email", "role", "password", "username"})
    if not body.get("email"):
        raise Invalid("email", "email is required.")
    user = await users.create_user(
        actor,
        username=body.get("username", body["email"]),
        email=body["email"],
        name=body.get("name", ""),
        role=body.get("role", "customer"),
        password=body.get("password"),
    )
    return _one(_user(user), 201)


async def get_user(request: Request, actor: Actor | None) -> Response:
    return _one(_user(await users.get_user(actor, _path_id(request))))


async def me(request: Request, actor: Actor | None) -> Response:
    return _one(_user(await users.get_user(actor, actor.id)))


# ---------------------------------------------------------------- webhooks


WEBHOOK_FIELDS = {"url", "events", "secret", "active"}


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhooks_allow_private


async def list_webhooks(request: Request, actor: Actor | None) -> Response:
    page = await webhooks.list_webhooks(actor, _window(request))
    return _list(request, page, [_webhook(h) for h in page.items])


async def create_webhook(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, WEBHOOK_FIELDS)
    hook = await webhooks.create_webhook(
        actor,
        url=body.get("url"),
        events=body.get("events"),
        secret=body.get("secret"),
        active=body.get("active", True),
        allow_private=_allow_private(request),
    )
    return _one(_webhook(hook, with_secret=True), 201)


async def get_webhook(request: Request, actor: Actor | None) -> Response:
    return _one(_webhook(await webhooks.get_webhook(actor, _path_id(request))))


async def update_webhook(request: Request, actor: Actor | None) -> Response:
    body = await read_json(request)
    _only(body, WEBHOOK_FIELDS)
    hook = await webhooks.update_webhook(
        actor, _path_id(request), allow_private=_allow_private(request), **body
    )
    return _one(_webhook(hook))


async def delete_webhook(request: Request, actor: Actor | None) -> Response:
    await webhooks.delete_webhook(actor, _path_id(request))
    return Response(status_code=204)


async def list_deliveries(request: Request, actor: Actor | None) -> Response:
    filt = webhooks.DeliveryFilter(status=request.query_params.get("status") or None)
    page = await webhooks.list_deliveries(actor, _path_id(request), filt, _window(request))
    return _list(request, page, [_delivery(d) for d in page.items])


# ---------------------------------------------------------------- plumbing

Handler = Callable[[Request, Actor | None], Awaitable[Response]]


@dataclass(frozen=True)
class Op:
    handler: Handler
    summary: str
    public: bool = False
    query: tuple[str, ...] = ()
    status: int = 200


def _endpoint(ops: dict[str, Op]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        retry_after: int | None = None
        op = ops.get(request.method)
        try:
            try:
                user, bad_credential = await caller(request), None
            except Unauthenticated as exc:
                user, bad_credential = None, exc
            if op is None:
                response = error_response(405, f"Method {request.method} not allowed.")
            elif op.public:  # (a stale Authorization header must not block logging in again)
                response = await op.handler(request, user)
            elif bad_credential is not None:
                raise bad_credential
            elif user is None:
                raise Unauthenticated("Authentication required.")
            else:
                response = await op.handler(request, user)
        except MalformedBody as exc:
            response = error_response(400, str(exc))
        except DomainError as exc:
            if isinstance(
                exc, RateLimited
            ):  # a throttled password (request budgets: rest/budget.py)
                retry_after = exc.retry_after
            response = _domain_error(exc)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    return endpoint


async def openapi(request: Request, actor: Actor | None) -> Response:
    return JSONResponse(openapi_document(request.scope.get("root_path", "")))


async def _not_found(request: Request, actor: Actor | None) -> Response:
    return error_response(404, "Resource not found.")


PAGING = ("page", "per_page")
API: list[tuple[str, dict[str, Op]]] = [
    ("/auth/login", {"POST": Op(login, "Exchange e-mail and password for a JWT", public=True)}),
    (
        "/tickets",
        {
            "GET": Op(
                list_tickets,
                "List tickets",
                query=(
                    "status",
                    "priority",
                    "assigned_to",
                    "created_by",
                    "q",
                    "sort",
                    "order",
                    *PAGING,
                ),
            ),
            "POST": Op(create_ticket, "Create a ticket", status=201),
        },
    ),
    (
        "/tickets/{id:id}",
        {
            "GET": Op(get_ticket, "Get a ticket with its comments and attachments"),
            "PATCH": Op(update_ticket, "Update a ticket"),
            "DELETE": Op(delete_ticket, "Delete a ticket", status=204),
        },
    ),
    (
        "/tickets/{id:id}/comments",
        {
            "GET": Op(list_comments, "List a ticket's comments", query=PAGING),
            "POST": Op(add_comment, "Add a comment", status=201),
        },
    ),
    ("/attachments/{id:id}", {"GET": Op(download, "Download an attachment's bytes")}),
    (
        "/users",
        {
            "GET": Op(list_users, "List users", query=("role", "status", "q", *PAGING)),
            "POST": Op(create_user, "Create a user (admin)", status=201),
        },
    ),
    ("/users/me", {"GET": Op(me, "The signed-in user")}),
    ("/users/{id:id}", {"GET": Op(get_user, "Get a user")}),
    (
        "/webhooks",
        {
            "GET": Op(list_webhooks, "List webhooks (admin)", query=PAGING),
            "POST": Op(create_webhook, "Create a webhook (admin)", status=201),
        },
    ),
    (
        "/webhooks/{id:id}",
        {
            "GET": Op(get_webhook, "Get a webhook (admin)"),
            "PATCH": Op(update_webhook, "Update a webhook (admin)"),
            "DELETE": Op(delete_webhook, "Delete a webhook (admin)", status=204),
        },
    ),
    (
        "/webhooks/{id:id}/deliveries",
        {"GET": Op(list_deliveries, "A webhook's deliveries (admin)", query=("status", *PAGING))},
    ),
    ("/openapi.json", {"GET": Op(openapi, "This OpenAPI document", public=True)}),
]


def openapi_document(prefix: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of every route above."""
    paths: dict[str, Any] = {}
    for path, ops in API:
        clean = path.replace(":id", "")
        operations = {}
        for method, op in ops.items():
            params = []
            if "{id}" in clean:
                params.append(parameter("id", "path", {"type": "string"}))
            params += [parameter(q, "query", {"type": "string"}) for q in op.query]
            responses: dict[str, Any] = {str(op.status): {"description": "Success"}}
            for code in (400, 401, 403, 404, 409, 422, 429):
                responses[str(code)] = {"$ref": "#/components/responses/Error"}
            operation: dict[str, Any] = {
                "operationId": method.lower() + re.sub(r"[^a-z]+", "_", clean),
                "summary": op.summary,
                "parameters": params,
                "responses": responses,
            }
            if op.public:
                operation["security"] = []
            if method in ("POST", "PATCH"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            operations[method.lower()] = operation
        paths[clean] = operations
    error = {
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
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ticketing Platform API", "version": "1.0.0"},
        "servers": [{"url": prefix or "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {"application/json": {"schema": error}},
                }
            },
        },
    }


routes = [Route(path, _endpoint(ops), methods=HTTP_METHODS) for path, ops in API] + [
    Route(
        "/{path:path}",
        _endpoint({m: Op(_not_found, "", public=True) for m in HTTP_METHODS}),
        methods=HTTP_METHODS,
    )
]
