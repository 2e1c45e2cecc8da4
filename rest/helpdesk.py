"""django-helpdesk 2.x REST API (Django REST Framework) under /helpdesk/api/.

Routes as DRF's DefaultRouter lays them out (each also without its trailing slash): tickets,
user_tickets, followups, followups-attachments, users, the API root and /openapi.json; then the
legacy POST API's `/<method>/` routes (rest/helpdesk_legacy.py). Bodies, pagination and
errors are DRF's. Mapping and deviations: docs/helpdesk.md.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models import Comment, Status, Ticket, User
from resolvers import comments, custom_fields, files, projections, queues, reads, tickets, users
from resolvers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from resolvers.files import NewFile
from resolvers.pagination import Page, Window
from resolvers.permissions import Actor, require_staff, require_user
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.sql import is_utc_text, json_value, to_datetime
from resolvers.validation import parse_id
from rest import helpdesk_legacy
from rest.common import (
    HTTP_METHODS,
    JSONResponse,
    MalformedBody,
    caller,
    file_response,
    new_file,
    parameter,
    read_json,
    row_of,
    schema_ref,
    storage,
    utc_datetime,
)
from rest.helpdesk_legacy import open_ticket

PAGE_SIZE = 25  # the original's ConservativePagination
MAX_PAGE_SIZE = 1000  # the original has none
MAX_FOLLOWUPS = 1000  # followup_set per ticket (the original lists them all)
MAX_FORM_FILES = 10

STATUS_INT = {
    Status.OPEN: 1,
    Status.IN_PROGRESS: 1,
    Status.REOPENED: 2,
    Status.RESOLVED: 3,
    Status.CLOSED: 4,
    Status.DUPLICATE: 5,
}
INT_STATUS = {
    1: Status.OPEN,
    2: Status.REOPENED,
    3: Status.RESOLVED,
    4: Status.CLOSED,
    5: Status.DUPLICATE,
}
STATUS_NAMES = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}
# Domain field names → this API's names, for error bodies.
FIELD_NAMES = {
    "queue_id": "queue",
    "merged_into_id": "merged_to",
    "merged_into": "merged_to",
    "assigned_to_id": "assigned_to",
    "body": "comment",
    "files": "attachments",
    "name": "first_name",
}
PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_AUTHENTICATED = "Authentication credentials were not provided."
DURATION_RE = re.compile(
    r"^(?:(?P<days>-?\d+) (?:days?, )?)?(?:(?P<hours>\d+):(?=\d+:\d+))?"
    r"(?:(?P<minutes>\d+):)?(?P<seconds>\d+)(?:[.,](?P<micro>\d{1,6})\d{0,6})?$"
)


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"detail": message}, status)


class InvalidPage(Exception):
    """DRF's 404 {"detail": "Invalid page."}."""


class FieldErrors(Exception):
    """DRF's 400 body: {"field": ["message", …]}."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# ---------------------------------------------------------------- plumbing

Guard = Callable[[Actor | None], Actor | None]
Handler = Callable[..., Awaitable[Response]]


def _anyone(actor: Actor | None) -> Actor | None:
    return actor


@dataclass(frozen=True)
class Endpoint:
    """One DRF view: authenticate, check the view's permission, then dispatch on the method
    (so an unmapped method answers 405 only to a caller who passed the permission check)."""

    model: str
    guard: Guard
    handlers: dict[str, Handler]

    async def handle(self, request: Request) -> Response:
        try:
            try:
                actor = await caller(request)
            except Unauthenticated:
                scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
                bad = "Invalid username/password." if scheme == "basic" else "Invalid token."
                return error_response(403, bad)
            actor = self.guard(actor)
            handler = self.handlers.get("GET" if request.method == "HEAD" else request.method)
            if handler is None:
                return error_response(405, f'Method "{request.method}" not allowed.')
            return await handler(request, actor, **request.path_params)
        except FieldErrors as exc:
            return JSONResponse(exc.errors, 400)
        except InvalidPage:
            return error_response(404, "Invalid page.")
        except DomainError as exc:
            return _domain_error(exc, self.model)


def _domain_error(exc: DomainError, model: str) -> Response:
    if isinstance(exc, Unauthenticated):
        return error_response(403, NOT_AUTHENTICATED)
    if isinstance(exc, Forbidden):
        return error_response(403, PERMISSION_DENIED)
    if isinstance(exc, NotFound):
        return error_response(404, f"No {model} matches the given query.")
    if isinstance(exc, Invalid):
        return JSONResponse(_field_errors(exc), 400)
    if isinstance(exc, Conflict):
        return JSONResponse({"non_field_errors": [exc.message]}, 400)
    if isinstance(exc, RateLimited):
        message = f"Request was throttled. Expected available in {exc.retry_after} seconds."
        response = error_response(429, message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return error_response(500, exc.message)


def _field_errors(exc: Invalid) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, message in exc.fields:
        name = field.split(".")[0]
        errors.setdefault(FIELD_NAMES.get(name, name), []).append(message)
    return errors


def _routes(path: str, endpoint: Endpoint, name: str | None = None) -> list[Route]:
    """The slash form and the bare form, answered alike."""
    forms = [path, path.rstrip("/")] if path != "/" else [path]
    return [
        Route(form, endpoint.handle, methods=HTTP_METHODS, name=name if form == path else None)
        for form in forms
    ]


# ---------------------------------------------------------------- request bodies


@dataclass
class Body:
    data: dict[str, Any]
    files: dict[str, list[NewFile]]


async def _body(request: Request) -> Body:
    """JSON, urlencoded or multipart, as DRF's parsers accept them."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if not await request.body():
            return Body({}, {})
        return Body(await read_json(request), {})
    try:
        form = await request.form(max_files=MAX_FORM_FILES, max_fields=200)
    except HTTPException as exc:
        raise MalformedBody(f"Multipart form parse error - {exc.detail}") from None
    data: dict[str, Any] = {}
    found: dict[str, list[NewFile]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            found.setdefault(key, []).append(await new_file(value, default_name=key))
        else:
            data[key] = value
    return Body(data, found)


def _pk(errors: dict, field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[field] = [f"Incorrect type. Expected pk value, received {type(value).__name__}."]
        return None
    try:
        int(value)
    except ValueError:
        errors[field] = ["Incorrect type. Expected pk value, received str."]
        return None
    found = parse_id(value)
    if found is None:
        errors[field] = [f'Invalid pk "{value}" - object does not exist.']
    return found


def _choice(errors: dict, field: str, value: Any, choices: range) -> int | None:
    try:
        number = int(str(value)) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number not in choices:
        errors[field] = [f'"{value}" is not a valid choice.']
        return None
    return number


def _boolean(errors: dict, field: str, value: Any) -> bool | None:
    flag = custom_fields.as_boolean(value)
    if flag is None:
        errors[field] = ["Must be a valid boolean."]
    return flag


def _datetime(errors: dict, field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = utc_datetime(str(value))
    if parsed is None:
        errors[field] = [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]
    return parsed


def _duration(errors: dict, field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    match = DURATION_RE.match(str(value).strip())
    if not match:
        errors[field] = [
            "Duration has wrong format. Use one of these formats instead: "
            "[DD] [HH:[MM:]]ss[.uuuuuu]."
        ]
        return None
    try:  # (int() refuses over 4300 digits; timedelta over 999999999 days)
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        delta = timedelta(
            days=parts["days"],
            hours=parts["hours"],
            minutes=parts["minutes"],
            seconds=parts["seconds"],
        )
    except (ValueError, OverflowError):  # DRF's DurationField "overflow" message
        low, high = timedelta.min.days, timedelta.max.days
        errors[field] = [f"The number of days must be between {low} and {high}."]
        return None
    return int(delta.total_seconds())


def _text(errors: dict, field: str, value: Any, *, required: bool, max_length: int) -> str | None:
    if value is None:
        if required:
            errors[field] = ["This field may not be null."]
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors[field] = ["Not a valid string."]
        return None
    text = str(value)
    if required and not text.strip():
        errors[field] = ["This field may not be blank."]
    elif len(text) > max_length:
        errors[field] = [f"Ensure this field has no more than {max_length} characters."]
    return text


def _require(errors: dict, data: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in data:
            errors[name] = ["This field is required."]


# ---------------------------------------------------------------- rendering


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


def _when(value: datetime | str | None) -> str | None:
    """DRF's datetime: ISO 8601 in UTC with `Z`, microseconds when there are any. `value` is a
    datetime or SQLite's text for one (`is_utc_text`, cut without parsing)."""
    if value is None:
        return None
    if is_utc_text(value):
        return f"{value[:10]}T{value[11:-6]}Z"
    return to_datetime(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _duration_text(seconds: int | None) -> str | None:
    """Django's duration_string: "[D ]HH:MM:SS"."""
    if seconds is None:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} {text}" if days else text


def _custom_defs(request: Request) -> tuple[custom_fields.CustomField, ...]:
    return custom_fields.definitions(request.app.state.settings.helpdesk_custom_fields)


@dataclass(frozen=True)
class Followups:
    """Followup rows (FOLLOWUP_COLUMNS) per ticket and attachment rows per followup."""

    by_ticket: dict[int, list[Row]]
    files: dict[int, list[Row]]


def _followups(actor: Actor, ticket_ids: list[int]) -> Read[Followups]:
    """The tickets' followups (internal ones for staff) and their files: two statements."""
    pages = yield from projections.comment_pages(
        actor, ticket_ids, Window(0, MAX_FOLLOWUPS), FOLLOWUP_COLUMNS, with_total=False
    )
    by_ticket = {tid: rows for tid, (rows, _) in pages.items()}
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


def _rendering(request: Request, found: Followups | None = None) -> Rendering:
    head, tail = _file_url_parts(request)

    def file_url(att_id: int) -> str:
        return f"{head}/{att_id}/{tail}"

    return Rendering(file_url, _custom_defs(request), found or Followups({}, {}))


def _attachment_json(r: Rendering, row: Row) -> dict[str, Any]:
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


def _followup_json(r: Rendering, ticket_id: int, row: Row) -> dict:
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
        "time_spent": _duration_text(time_spent),
        "followupattachment_set": [_attachment_json(r, a) for a in files]
        if (files := r.found.files.get(comment_id))
        else [],
        "date": _when(created_at),
        "message_id": row[8],
        "email_recipients": [],
    }


async def _followups_json(request: Request, items: list[Comment]) -> list[dict[str, Any]]:
    """Followups as a write or a followup route has them."""
    files = await reads.run(
        projections.comment_attachments([c.id for c in items], ATTACHMENT_COLUMNS)
    )
    r = _rendering(request, Followups({}, files))
    return [_followup_json(r, c.ticket_id, row_of(c, FOLLOWUP_COLUMNS)) for c in items]


def _ticket_json(r: Rendering, row: Row) -> dict[str, Any]:
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
        "due_date": _when(due_date),
        "merged_to": merged_into_id,
        "followup_set": [_followup_json(r, ticket_id, c) for c in r.found.by_ticket[ticket_id]],
        **(custom_fields.render(r.custom, json_value(custom) or {}) if r.custom else {}),
    }


async def _written_ticket(request: Request, actor: Actor, ticket: Ticket) -> dict[str, Any]:
    """A ticket as a write left it."""
    found = await reads.run(_followups(actor, [ticket.id]))
    return _ticket_json(_rendering(request, found), row_of(ticket, TICKET_COLUMNS))


def _window(request: Request) -> tuple[int, Window]:
    """(page number, window) from `page` and `page_size`, as DRF's PageNumberPagination."""
    size = PAGE_SIZE
    raw_size = request.query_params.get("page_size", "")
    if parse_id(raw_size):
        size = min(int(raw_size), MAX_PAGE_SIZE)
    number = parse_id(request.query_params.get("page", "1"))
    if number is None:
        raise InvalidPage
    return number, Window((number - 1) * size, size)


def _paginated(request: Request, number: int, page: Page, results: list) -> Response:
    if number > 1 and page.offset >= page.total:
        return error_response(404, "Invalid page.")
    url = request.url
    more = page.offset + page.limit < page.total
    previous = None
    if number > 1:
        previous = str(
            url.remove_query_params("page")
            if number == 2
            else url.include_query_params(page=number - 1)
        )
    return JSONResponse(
        {
            "count": page.total,
            "next": str(url.include_query_params(page=number + 1)) if more else None,
            "previous": previous,
            "results": results,
        }
    )


# ---------------------------------------------------------------- tickets


def _status_filter(raw: str) -> tuple[Status, ...]:
    """`?status=1,3`: unknown values ignored; Open also matches in-progress tickets."""
    wanted: list[Status] = []
    for part in raw.split(","):
        number = parse_id(part)
        if number in INT_STATUS:
            wanted.append(INT_STATUS[number])
            if number == 1:
                wanted.append(Status.IN_PROGRESS)
    return tuple(wanted)


def _ticket_page(actor: Actor, filt: tickets.TicketFilter, win: Window) -> Read:
    order = tickets.TicketOrder("id", descending=False)
    rows, total = yield from projections.ticket_page(actor, filt, order, win, TICKET_COLUMNS)
    found = yield from _followups(actor, [row[0] for row in rows])
    return Page(rows, total, win.offset, win.limit), found


async def list_tickets(request: Request, actor: Actor) -> Response:
    number, win = _window(request)
    filt = tickets.TicketFilter(statuses=_status_filter(request.query_params.get("status", "")))
    page, found = await reads.run(_ticket_page(actor, filt, win))
    r = _rendering(request, found)
    results = [_ticket_json(r, row) for row in page.items]
    return _paginated(request, number, page, results)


async def _ticket_changes(
    request: Request, actor: Actor, data: dict, ticket: Ticket | None, *, partial: bool
) -> dict[str, Any]:
    """The request's ticket fields → domain changes; FieldErrors lists DRF's complaints."""
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if not partial:
        _require(errors, data, ("queue", "title"))
    if "title" in data:
        changes["title"] = _text(errors, "title", data["title"], required=True, max_length=200)
    if "description" in data:
        changes["description"] = (
            _text(errors, "description", data["description"], required=False, max_length=100_000)
            or ""
        )
    if "queue" in data:
        queue_id = _pk(errors, "queue", data["queue"])
        if data["queue"] in (None, ""):
            errors["queue"] = ["This field may not be null."]
        elif queue_id is not None:
            try:
                await queues.get_queue(actor, queue_id)
                changes["queue_id"] = queue_id
            except NotFound:
                errors["queue"] = [f'Invalid pk "{queue_id}" - object does not exist.']
    if "submitter_email" in data:
        changes["submitter_email"] = data["submitter_email"] or ""
    if "assigned_to" in data:
        changes["assigned_to_id"] = _pk(errors, "assigned_to", data["assigned_to"])
    if "priority" in data:
        changes["priority"] = _choice(errors, "priority", data["priority"], range(1, 6))
    if "due_date" in data:
        changes["due_date"] = _datetime(errors, "due_date", data["due_date"])
    if ticket is not None:  # resolution, on_hold, merged_to and status are ignored on create
        if "resolution" in data:
            changes["resolution"] = data["resolution"]
        if "on_hold" in data:
            changes["on_hold"] = _boolean(errors, "on_hold", data["on_hold"])
        if "merged_to" in data:
            changes["merged_into_id"] = await _merge_target(errors, actor, data["merged_to"])
        if "status" in data:
            wanted = _choice(errors, "status", data["status"], range(1, 6))
            if wanted is not None and wanted != STATUS_INT[ticket.status]:
                changes["status"] = INT_STATUS[wanted]
    try:
        values = custom_fields.clean(_custom_defs(request), data, partial=partial)
        if values:
            changes["custom_fields"] = {**(ticket.custom_fields if ticket else {}), **values}
    except Invalid as exc:
        errors.update(_field_errors(exc))
    if errors:
        raise FieldErrors(errors)
    if ticket is None and not changes.get("description", "").strip():  # the form's `body`
        raise FieldErrors({"description": ["This field is required."]})
    return changes


async def _merge_target(errors: dict, actor: Actor, value: Any) -> int | None:
    target = _pk(errors, "merged_to", value)
    if target is None:
        return None
    try:
        await tickets.get_ticket(actor, target)
    except NotFound:
        errors["merged_to"] = [f'Invalid pk "{target}" - object does not exist.']
    return target


async def create_ticket(request: Request, actor: Actor) -> Response:
    """Open a ticket (with its "Ticket Opened" followup carrying the `attachment`)."""
    body = await _body(request)
    changes = await _ticket_changes(request, actor, body.data, None, partial=False)
    attachment = body.files.get("attachment", [])[:1]
    files.check_files(attachment, field="attachment")  # before anything is written
    changes.setdefault("submitter_email", "")
    if changes["submitter_email"]:  # the submitter follows the ticket, as in the original
        changes["client_emails"] = [changes["submitter_email"]]
    defaults = custom_fields.blanks(_custom_defs(request))
    changes["custom_fields"] = {**defaults, **changes.get("custom_fields", {})}
    ticket = await open_ticket(actor, files=attachment, storage=storage(request), **changes)
    return JSONResponse(await _written_ticket(request, actor, ticket), 201)


def _ticket_read(actor: Actor, ticket_id: int) -> Read[tuple[Row, Followups] | None]:
    row = yield from projections.ticket_row(actor, ticket_id, TICKET_COLUMNS)
    if row is None:
        return None
    return row, (yield from _followups(actor, [ticket_id]))


async def get_ticket(request: Request, actor: Actor, id: str) -> Response:
    found = await reads.run(_ticket_read(actor, _path_id(id)))
    if found is None:
        raise NotFound(id)
    row, followups = found
    return JSONResponse(_ticket_json(_rendering(request, followups), row))


async def _update_ticket(request: Request, actor: Actor, id: str, *, partial: bool) -> Response:
    ticket = await tickets.get_ticket(actor, _path_id(id))
    body = await _body(request)
    changes = await _ticket_changes(request, actor, body.data, ticket, partial=partial)
    try:
        ticket = await tickets.update_ticket(actor, ticket.id, **changes)
    except Conflict as exc:
        raise FieldErrors({"status": [exc.message]}) from None
    return JSONResponse(await _written_ticket(request, actor, ticket))


async def put_ticket(request: Request, actor: Actor, id: str) -> Response:
    return await _update_ticket(request, actor, id, partial=False)


async def patch_ticket(request: Request, actor: Actor, id: str) -> Response:
    return await _update_ticket(request, actor, id, partial=True)


async def delete_ticket(request: Request, actor: Actor, id: str) -> Response:
    await tickets.delete_ticket(actor, _path_id(id))
    return Response(status_code=204)


def _path_id(raw: str) -> int:
    """DRF looks the id up as given: anything but an integer matches nothing."""
    found = parse_id(raw)
    if found is None:
        raise NotFound(raw)
    return found


def _queues(rows: list[Row]) -> Read[dict[int, Row]]:
    """The queues (QUEUE_COLUMNS) of ticket rows in LISTING_COLUMNS."""
    return (yield from projections.queues_by_ids({r[2] for r in rows} - {None}, QUEUE_COLUMNS))


def _user_ticket_page(actor: Actor, filt: tickets.TicketFilter, win: Window) -> Read:
    order = tickets.TicketOrder("created_at")
    rows, total = yield from projections.ticket_page(actor, filt, order, win, LISTING_COLUMNS)
    return Page(rows, total, win.offset, win.limit), (yield from _queues(rows))


def _user_ticket(actor: Actor, ticket_id: int, filt: tickets.TicketFilter) -> Read:
    row = yield from projections.ticket_row(actor, ticket_id, LISTING_COLUMNS, filt)
    return row, ((yield from _queues([row])) if row is not None else {})


async def list_user_tickets(request: Request, actor: Actor) -> Response:
    """The caller's own tickets (submitter_email = their e-mail), newest first."""
    number, win = _window(request)
    if not actor.email:
        return _paginated(request, number, Page([], 0, win.offset, win.limit), [])
    filt = tickets.TicketFilter(submitter_email=actor.email)
    page, queue_rows = await reads.run(_user_ticket_page(actor, filt, win))
    defs = _public_custom_defs(request)
    return _paginated(
        request, number, page, [_listing_json(row, queue_rows, defs) for row in page.items]
    )


async def get_user_ticket(request: Request, actor: Actor, id: str) -> Response:
    ticket_id = _path_id(id)
    if not actor.email:
        raise NotFound(id)
    filt = tickets.TicketFilter(submitter_email=actor.email)
    row, queue_rows = await reads.run(_user_ticket(actor, ticket_id, filt))
    if row is None:
        raise NotFound(id)
    return JSONResponse(_listing_json(row, queue_rows, _public_custom_defs(request)))


def _public_custom_defs(request: Request) -> tuple[custom_fields.CustomField, ...]:
    """PublicTicketListingSerializer leaves staff-only custom fields out."""
    return tuple(f for f in _custom_defs(request) if not f.staff_only)


def _listing_json(row: Row, queues_: dict[int, Row], defs: tuple) -> dict[str, Any]:
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
        "created": _when(created_at),
        "due_date": _when(due_date),
        "submitter": submitter,
        "kbitem": "",
        "secret_key": "",
        **custom_fields.render(defs, json_value(custom) or {}),
    }


# ---------------------------------------------------------------- followups


async def list_followups(request: Request, actor: Actor) -> Response:
    number, win = _window(request)
    page = await comments.list_all_comments(actor, win)
    return _paginated(request, number, page, await _followups_json(request, page.items))


async def create_followup(request: Request, actor: Actor) -> Response:
    body = await _body(request)
    data, errors = body.data, {}
    _require(errors, data, ("ticket",))
    ticket_id = _pk(errors, "ticket", data.get("ticket"))
    ticket = None
    if ticket_id is not None:
        try:
            ticket = await tickets.get_ticket(actor, ticket_id)
        except NotFound:
            errors["ticket"] = [f'Invalid pk "{ticket_id}" - object does not exist.']
    elif "ticket" in data and "ticket" not in errors:
        errors["ticket"] = ["This field may not be null."]
    title = _text(errors, "title", data.get("title", ""), required=False, max_length=200)
    text = _text(errors, "comment", data.get("comment", ""), required=False, max_length=100_000)
    public = _boolean(errors, "public", data.get("public", False))
    new_status = None
    if data.get("new_status") not in (None, ""):
        new_status = _choice(errors, "new_status", data["new_status"], range(1, 6))
    time_spent = _duration(errors, "time_spent", data.get("time_spent"))
    if not errors and not (text or "").strip():  # checked last: the original allows it
        errors["comment"] = ["This field may not be blank."]
    if errors:
        raise FieldErrors(errors)
    status = None
    if new_status is not None and new_status != STATUS_INT[ticket.status]:
        status = INT_STATUS[new_status].value
    try:
        comment = await comments.add_comment(
            actor,
            ticket.id,
            text,
            is_internal=not public,
            title=title or "",
            new_status=status,
            time_spent_seconds=time_spent,
            files=body.files.get("attachments", []),
            storage=storage(request),
        )
    except Conflict as exc:
        raise FieldErrors({"new_status": [exc.message]}) from None
    return JSONResponse((await _followups_json(request, [comment]))[0], 201)


async def get_followup(request: Request, actor: Actor, id: str) -> Response:
    comment = await comments.get_comment(actor, _path_id(id))
    return JSONResponse((await _followups_json(request, [comment]))[0])


async def _update_followup(request: Request, actor: Actor, id: str, *, partial: bool) -> Response:
    comment = await comments.get_comment(actor, _path_id(id))
    data, errors = (await _body(request)).data, {}
    if not partial:
        _require(errors, data, ("ticket",))
    if "ticket" in data:
        target = _pk(errors, "ticket", data["ticket"])
        if target is not None and target != comment.ticket_id:
            errors["ticket"] = ["Moving a followup to another ticket is not supported."]
    title = text = public = time_spent = None
    if "title" in data:
        title = _text(errors, "title", data["title"], required=False, max_length=200) or ""
    if "comment" in data:
        text = _text(errors, "comment", data["comment"], required=True, max_length=100_000)
    if "public" in data:
        public = _boolean(errors, "public", data["public"])
    if "time_spent" in data:
        time_spent = _duration(errors, "time_spent", data["time_spent"])
    if errors:
        raise FieldErrors(errors)
    comment = await comments.update_comment(
        actor,
        comment.id,
        title=title,
        body=text,
        is_internal=None if public is None else not public,
        time_spent_seconds=time_spent,
    )
    return JSONResponse((await _followups_json(request, [comment]))[0])


async def put_followup(request: Request, actor: Actor, id: str) -> Response:
    return await _update_followup(request, actor, id, partial=False)


async def patch_followup(request: Request, actor: Actor, id: str) -> Response:
    return await _update_followup(request, actor, id, partial=True)


async def delete_followup(request: Request, actor: Actor, id: str) -> Response:
    await comments.delete_comment(actor, _path_id(id))
    return Response(status_code=204)


# ---------------------------------------------------------------- followup attachments


async def list_attachments(request: Request, actor: Actor) -> Response:
    number, win = _window(request)
    page = await files.list_comment_attachments(actor, win)
    r = _rendering(request)
    results = [_attachment_json(r, row_of(a, ATTACHMENT_COLUMNS)) for a in page.items]
    return _paginated(request, number, page, results)


async def create_attachment(request: Request, actor: Actor) -> Response:
    body = await _body(request)
    errors: dict[str, list[str]] = {}
    _require(errors, body.data, ("followup",))
    uploads = body.files.get("file", [])
    if not uploads:
        errors["file"] = ["No file was submitted."]
    followup_id = _pk(errors, "followup", body.data.get("followup"))
    if followup_id is not None:
        try:
            await comments.get_comment(actor, followup_id)
        except NotFound:
            errors["followup"] = [f'Invalid pk "{followup_id}" - object does not exist.']
    if errors:
        raise FieldErrors(errors)
    att = (await comments.attach_to_comment(actor, storage(request), followup_id, uploads[:1]))[0]
    return JSONResponse(_attachment_json(_rendering(request), row_of(att, ATTACHMENT_COLUMNS)), 201)


async def get_attachment(request: Request, actor: Actor, id: str) -> Response:
    att = await files.get_attachment(actor, _path_id(id))
    if att.comment_id is None:
        raise NotFound(id)
    return JSONResponse(_attachment_json(_rendering(request), row_of(att, ATTACHMENT_COLUMNS)))


async def delete_attachment(request: Request, actor: Actor, id: str) -> Response:
    await files.delete_attachment(actor, _path_id(id))
    return Response(status_code=204)


async def attachment_file(request: Request, actor: Actor, id: str) -> Response:
    """The bytes behind an attachment's `file` URL (the original serves MEDIA_URL)."""
    att, data = await files.read_attachment(actor, storage(request), _path_id(id))
    return file_response(att, data)


# ---------------------------------------------------------------- users


async def create_user(request: Request, actor: Actor) -> Response:
    """Admins create (customer) accounts; answers the fields without the password."""
    body = await _body(request)
    data, errors = body.data, {}
    _require(errors, data, ("username", "password"))
    names = {}
    for field in ("first_name", "last_name", "username", "email", "password"):
        if field in data:
            names[field] = _text(
                errors,
                field,
                data[field],
                required=field in ("username", "password"),
                max_length=1024 if field == "password" else 150,
            )
    if errors:
        raise FieldErrors(errors)
    name = f"{names.get('first_name') or ''} {names.get('last_name') or ''}".strip()
    try:
        user = await users.create_user(
            actor,
            username=names["username"],
            email=names.get("email") or "",
            name=name,
            password=names["password"],
        )
    except Conflict as exc:
        field = "email" if "e-mail" in exc.message else "username"
        message = f"A user with that {'email' if field == 'email' else 'username'} already exists."
        raise FieldErrors({field: [message]}) from None
    return JSONResponse(_user_json(user, names), 201)


def _user_json(user: User, given: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_name": given.get("first_name") or "",
        "last_name": given.get("last_name") or "",
        "username": user.username,
        "email": user.email,
    }


# ---------------------------------------------------------------- root and OpenAPI

ROUTER = ("tickets", "user_tickets", "followups", "followups-attachments", "users")


async def api_root(request: Request, actor: Actor | None) -> Response:
    base = str(request.url_for("helpdesk_root")).rstrip("/")
    return JSONResponse({name: f"{base}/{name}/" for name in ROUTER})


async def openapi(request: Request, actor: Actor | None) -> Response:
    return JSONResponse(_openapi_document(str(request.url_for("helpdesk_root"))))


# Each schema: "name:type" words; "?" nullable, "[T]" a list of T, "$T" another schema;
# the names before "|" are required on write.
SCHEMAS = {
    "Ticket": "queue title | id:integer queue:integer? title:string description:string?"
    " resolution:string? submitter_email:string? assigned_to:integer? status:integer"
    " on_hold:boolean priority:integer due_date:string? merged_to:integer? attachment:string"
    " followup_set:[$FollowUp]",
    "FollowUp": "ticket comment | id:integer ticket:integer user:integer? title:string?"
    " comment:string public:boolean new_status:integer? time_spent:string? attachments:[string]"
    " followupattachment_set:[$FollowUpAttachment] date:string message_id:string?"
    " email_recipients:[string]",
    "FollowUpAttachment": "followup file | id:integer followup:integer file:string"
    " filename:string mime_type:string size:integer",
    "UserTicket": "| ticket:string id:integer title:string queue:object? status:string"
    " created:string due_date:string? submitter:string? kbitem:string secret_key:string",
    "User": "username password | first_name:string last_name:string username:string"
    " email:string password:string",
}
# path → (schema, operations): list, create, get, put, patch, delete.
OPERATIONS = {
    "/tickets/": ("Ticket", "list create"),
    "/tickets/{id}/": ("Ticket", "get put patch delete"),
    "/user_tickets/": ("UserTicket", "list"),
    "/user_tickets/{id}/": ("UserTicket", "get"),
    "/followups/": ("FollowUp", "list create"),
    "/followups/{id}/": ("FollowUp", "get put patch delete"),
    "/followups-attachments/": ("FollowUpAttachment", "list create"),
    "/followups-attachments/{id}/": ("FollowUpAttachment", "get delete"),
    "/users/": ("User", "create"),
}


def _type(kind: str) -> dict[str, Any]:
    if kind.startswith("$"):
        return schema_ref(kind[1:])
    if kind.startswith("["):
        return {"type": "array", "items": _type(kind[1:-1])}
    base = kind.rstrip("?")
    return {"type": [base, "null"] if kind.endswith("?") else base}


def _object(spec: str) -> dict[str, Any]:
    required, _, fields = spec.partition("|")
    props = dict(word.split(":") for word in fields.split())
    return {
        "type": "object",
        "required": required.split(),
        "properties": {name: _type(kind) for name, kind in props.items()},
    }


def _operation(verb: str, schema: str, path: str) -> tuple[str, dict[str, Any]]:
    ref = schema_ref(schema)
    ok = {"list": "200", "create": "201", "delete": "204"}.get(verb, "200")
    body_schema = schema_ref(f"{schema}Page") if verb == "list" else ref
    operation: dict[str, Any] = {
        "summary": f"{verb} {path}",
        "responses": {
            ok: {"description": "success"}
            if verb == "delete"
            else {
                "description": "success",
                "content": {"application/json": {"schema": body_schema}},
            },
            "400": {"description": 'invalid: {"field": ["message"]}'},
            "403": {"description": 'not authenticated or not permitted: {"detail": "…"}'},
            "404": {"description": '{"detail": "No … matches the given query."}'},
        },
    }
    if verb == "list":
        operation["parameters"] = [
            parameter("page", "query", {"type": "integer", "minimum": 1}),
            parameter(
                "page_size", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
            ),
        ]
    if verb in ("create", "put", "patch"):
        media = {"schema": ref}
        operation["requestBody"] = {
            "content": {"application/json": media, "multipart/form-data": media}
        }
    method = {"list": "get", "create": "post"}.get(verb, verb)
    return method, operation


def _openapi_document(server: str) -> dict[str, Any]:
    """OpenAPI 3.1 for the REST routes (the legacy POST API is described in docs/helpdesk.md)."""
    paths: dict[str, Any] = {}
    for path, (schema, verbs) in OPERATIONS.items():
        paths[path] = dict(_operation(verb, schema, path) for verb in verbs.split())
        if "{id}" in path:
            paths[path]["parameters"] = [parameter("id", "path", {"type": "integer"})]
    paths["/openapi.json"] = {"get": {"responses": {"200": {"description": "this document"}}}}
    schemas = {name: _object(spec) for name, spec in SCHEMAS.items()}
    for name in ("Ticket", "UserTicket", "FollowUp", "FollowUpAttachment"):
        schemas[f"{name}Page"] = _object(
            f"count next previous results | count:integer next:string? previous:string?"
            f" results:[${name}]"
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "ticketgate: django-helpdesk REST API", "version": "2.6.1"},
        "servers": [{"url": server.rstrip("/")}],
        "security": [{"basic": []}, {"token": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"},
            },
        },
    }


staff = require_staff
authenticated = require_user

routes = [
    *_routes("/", Endpoint("API root", _anyone, {"GET": api_root}), "helpdesk_root"),
    *_routes("/openapi.json", Endpoint("schema", _anyone, {"GET": openapi})),
    *_routes("/tickets/", Endpoint("Ticket", staff, {"GET": list_tickets, "POST": create_ticket})),
    *_routes(
        "/tickets/{id}/",
        Endpoint(
            "Ticket",
            staff,
            {"GET": get_ticket, "PUT": put_ticket, "PATCH": patch_ticket, "DELETE": delete_ticket},
        ),
    ),
    *_routes("/user_tickets/", Endpoint("Ticket", authenticated, {"GET": list_user_tickets})),
    *_routes("/user_tickets/{id}/", Endpoint("Ticket", authenticated, {"GET": get_user_ticket})),
    *_routes(
        "/followups/",
        Endpoint("FollowUp", staff, {"GET": list_followups, "POST": create_followup}),
    ),
    *_routes(
        "/followups/{id}/",
        Endpoint(
            "FollowUp",
            staff,
            {
                "GET": get_followup,
                "PUT": put_followup,
                "PATCH": patch_followup,
                "DELETE": delete_followup,
            },
        ),
    ),
    *_routes(
        "/followups-attachments/",
        Endpoint("FollowUpAttachment", staff, {"GET": list_attachments, "POST": create_attachment}),
    ),
    *_routes(
        "/followups-attachments/{id}/",
        Endpoint("FollowUpAttachment", staff, {"GET": get_attachment, "DELETE": delete_attachment}),
    ),
    *_routes(
        "/followups-attachments/{id}/file/",
        Endpoint("FollowUpAttachment", staff, {"GET": attachment_file}),
        "helpdesk_attachment_file",
    ),
    *_routes("/users/", Endpoint("User", staff, {"POST": create_user})),
    *helpdesk_legacy.routes,
]
