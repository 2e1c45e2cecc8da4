"""The platform's operations: auth, tickets, comments and files (users and webhooks in
admin.py), and the declarations of them all."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from resolvers import auth, comments, files, projections, reads, tickets
from resolvers.errors import Invalid, NotFound
from resolvers.pagination import MAX_PAGE_SIZE, Page, Window
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from rest.kit import openapi
from rest.kit.http import JSONResponse, file_response, read_json, storage
from rest.kit.operation import Operation
from rest.kit.times import timestamp
from rest.platform_v1 import admin, parse, render
from rest.platform_v1.parse import path_id
from rest.platform_v1.render import Related, user_ref
from web import client_address

DETAIL_COMMENTS = 100  # comments embedded in GET /tickets/{id}; the rest via /comments


async def login(request: Request, actor: Actor | None, data: dict) -> Response:
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
        client=client_address(request),
    )
    return JSONResponse(
        {
            "token": token,
            "expires_at": timestamp(expires_at),
            "user": {**user_ref(user), "role": user.role.value},
        }
    )


# ---------------------------------------------------------------- tickets


def _ticket_page(
    actor: Actor | None, filt: tickets.TicketFilter, order: tickets.TicketOrder, win: Window
) -> Read[tuple[Page[Row], Related]]:
    rows, total = yield from projections.ticket_page(actor, filt, order, win, render.TICKET_COLUMNS)
    return Page(rows, total, win.offset, win.limit), (yield from render.related(rows, []))


async def list_tickets(request: Request, actor: Actor, data: dict) -> Response:
    filt = parse.ticket_filter(request)
    order, win = parse.ticket_order(request), parse.window(request)
    page, rel = await reads.run(_ticket_page(actor, filt, order, win))
    return render.listing(request, page, [render.ticket(row, rel, actor) for row in page.items])


async def create_ticket(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, parse.TICKET_FIELDS | {"attachments"})
    changes = parse.ticket_changes(body)
    new_files = parse.attachments(request, body.get("attachments"))
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
    row = yield from projections.ticket_row(actor, ticket_id, render.TICKET_COLUMNS)
    if row is None:
        return None
    pages = yield from projections.first_comments(
        actor, [ticket_id], DETAIL_COMMENTS, render.COMMENT_COLUMNS
    )
    own = yield from projections.ticket_attachments([ticket_id], render.FILE_COLUMNS)
    found = pages[ticket_id]
    return row, found, own.get(ticket_id, []), (yield from render.related([row], found))


async def _ticket_detail(
    request: Request, actor: Actor | None, ticket_id: int, status: int = 200
) -> Response:
    found = await reads.run(_ticket_detail_read(actor, ticket_id))
    if found is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    row, comment_rows, own, rel = found
    base = render.files_base(request)
    data = render.ticket(row, rel, actor)
    data["comments"] = [render.comment(base, c, rel) for c in comment_rows]
    data["attachments"] = [render.attachment(base, a) for a in own]
    return render.one(data, status)


async def get_ticket(request: Request, actor: Actor, data: dict) -> Response:
    return await _ticket_detail(request, actor, path_id(request))


async def update_ticket(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, parse.TICKET_FIELDS | {"status"})
    ticket = await tickets.update_ticket(actor, path_id(request), **parse.ticket_changes(body))
    return render.one(await render.written_ticket(ticket, actor))


async def delete_ticket(request: Request, actor: Actor, data: dict) -> Response:
    await tickets.delete_ticket(actor, path_id(request))
    return Response(status_code=204)


# ---------------------------------------------------------------- comments and files


async def add_comment(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, {"content", "is_internal", "attachments"})
    is_internal = body.get("is_internal", False)
    if not isinstance(is_internal, bool):
        raise Invalid("is_internal", "is_internal must be true or false.")
    comment = await comments.add_comment(
        actor,
        path_id(request),
        body.get("content"),
        is_internal=is_internal,
        files=parse.attachments(request, body.get("attachments")),
        storage=storage(request),
    )
    return render.one((await render.written_comments(request, [comment]))[0], 201)


async def list_comments(request: Request, actor: Actor, data: dict) -> Response:
    page = await comments.list_comments(actor, path_id(request), parse.window(request))
    return render.listing(request, page, await render.written_comments(request, page.items))


async def download(request: Request, actor: Actor, data: dict) -> Response:
    att, content = await files.read_attachment(actor, storage(request), path_id(request))
    return file_response(att, content, ascii_name=True)


# ---------------------------------------------------------------- declarations

TEXT = {"type": "string"}
PAGING = {
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
        "default": parse.DEFAULT_PER_PAGE,
    },
}
LIST_TICKETS = {
    "status": TEXT | {"description": "comma-separated: " + ", ".join(parse.STATUSES)},
    "priority": TEXT | {"description": "comma-separated: " + ", ".join(parse.PRIORITIES)},
    "assigned_to": TEXT,
    "created_by": TEXT,
    "q": TEXT,
    "sort": {"type": "string", "enum": list(parse.SORTS), "default": "created_at"},
    "order": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
    **PAGING,
}
LIST_USERS = {
    "role": {"type": "string", "enum": ["admin", "agent", "customer"]},
    "status": {"type": "string", "enum": ["active", "inactive"]},
    "q": TEXT,
    **PAGING,
}
OBJECT = {"type": "object"}


def _op(method: str, path: str, handler, summary: str, **more: Any) -> Operation:
    """An operation with this API's stable operationId (method and path)."""
    clean = path.replace(":id", "")
    if method in ("POST", "PATCH") and "body" not in more:
        more["body"] = OBJECT
    return Operation(
        method,
        path,
        handler,
        summary,
        operation_id=method.lower() + re.sub(r"[^a-z]+", "_", clean),
        **more,
    )


INFO = openapi.Info(
    title="Ticketing Platform API",
    version="1.0.0",
    security_schemes={"bearerAuth": {"type": "http", "scheme": "bearer"}},
    errors={
        str(code): {"$ref": "#/components/responses/Error"}
        for code in (400, 401, 403, 404, 409, 422, 429)
    },
    errors_when_public=True,
    path_schemas={"id": {"type": "string", "pattern": "^[0-9]{1,10}$"}},
    responses={
        "Error": {
            "description": "Error",
            "content": {"application/json": {"schema": render.ERROR_SCHEMA}},
        }
    },
)
TICKET, WEBHOOK = "/tickets/{id:id}", "/webhooks/{id:id}"
OPERATIONS: list[Operation] = [
    _op("POST", "/auth/login", login, "Exchange e-mail and password for a JWT", auth="public"),
    _op("GET", "/tickets", list_tickets, "List tickets", query=LIST_TICKETS),
    _op("POST", "/tickets", create_ticket, "Create a ticket", status=201),
    _op("GET", TICKET, get_ticket, "Get a ticket with its comments and attachments"),
    _op("PATCH", TICKET, update_ticket, "Update a ticket"),
    _op("DELETE", TICKET, delete_ticket, "Delete a ticket", status=204),
    _op("GET", f"{TICKET}/comments", list_comments, "List a ticket's comments", query=PAGING),
    _op("POST", f"{TICKET}/comments", add_comment, "Add a comment", status=201),
    _op("GET", "/attachments/{id:id}", download, "Download an attachment's bytes",
        response={"format": "binary"}),
    _op("GET", "/users", admin.list_users, "List users", query=LIST_USERS),
    _op("POST", "/users", admin.create_user, "Create a user (admin)", status=201),
    _op("GET", "/users/me", admin.me, "The signed-in user"),
    _op("GET", "/users/{id:id}", admin.get_user, "Get a user"),
    _op("GET", "/webhooks", admin.list_webhooks, "List webhooks (admin)", query=PAGING),
    _op("POST", "/webhooks", admin.create_webhook, "Create a webhook (admin)", status=201),
    _op("GET", WEBHOOK, admin.get_webhook, "Get a webhook (admin)"),
    _op("PATCH", WEBHOOK, admin.update_webhook, "Update a webhook (admin)"),
    _op("DELETE", WEBHOOK, admin.delete_webhook, "Delete a webhook (admin)", status=204),
    _op("GET", f"{WEBHOOK}/deliveries", admin.list_deliveries, "A webhook's deliveries (admin)",
        query={"status": TEXT, **PAGING}),
]  # fmt: skip
openapi.add_document(OPERATIONS, INFO, "This OpenAPI document", operation_id="get_openapi_json")
