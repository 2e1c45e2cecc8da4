"""DRF's request parsing: JSON, urlencoded or multipart bodies, and field checks that collect
every problem in DRF's words (`errors[field] = [message]`) before `field_errors` answers them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from models import Status, Ticket
from resolvers import custom_fields, limits, queues, tickets
from resolvers.errors import Invalid, NotFound
from resolvers.files import NewFile
from resolvers.pagination import Window
from resolvers.permissions import Actor
from resolvers.validation import parse_id
from rest.helpdesk.errors import (
    api_name,
    drf_message,
    field_errors,
    invalid_fields,
    invalid_page,
)
from rest.kit import paging, params
from rest.kit.http import MalformedBody, new_file, read_json

PAGE_SIZE = 25  # the original's ConservativePagination
MAX_PAGE_SIZE = 1000  # the original has none
MAX_FORM_FILES = 10
MAX_TITLE = limits.DRF_TITLE
Errors = dict[str, list[str]]
CHECKED_ONLY = ("resolution", "on_hold", "merged_into_id")  # on create

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


@dataclass
class Body:
    data: dict[str, Any]
    files: dict[str, list[NewFile]]


async def body(request: Request) -> Body:
    """JSON, urlencoded or multipart, as DRF's parsers accept them."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if not await request.body():
            return Body({}, {})
        try:
            return Body(await read_json(request), {})
        except MalformedBody as exc:
            raise MalformedBody(json_error(await request.body()) or str(exc)) from None
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


def _strict_constant(name: str) -> None:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def json_error(raw: bytes) -> str | None:
    """DRF's JSONParser's words for a body it refuses (Python's json module's reason, the
    body read as UTF-8); None when it would parse it."""
    try:
        json.loads(raw.decode("utf-8"), parse_constant=_strict_constant)
    except ValueError as exc:  # (UnicodeDecodeError too)
        return f"JSON parse error - {exc}"
    return None


def path_id(request: Request) -> int:
    """DRF looks the id up as given: anything but an integer matches nothing."""
    raw = request.path_params["id"]
    found = parse_id(raw)
    if found is None:
        raise NotFound(raw)
    return found


def window(request: Request) -> tuple[int, Window]:
    """(page number, window) from `page` and `page_size`, as DRF's PageNumberPagination."""
    size = PAGE_SIZE
    raw_size = request.query_params.get("page_size", "")
    if parse_id(raw_size):
        size = min(int(raw_size), MAX_PAGE_SIZE)
    number = parse_id(request.query_params.get("page", "1"))
    if number is None:
        raise invalid_page()
    return number, paging.numbered(number, size)


def status_filter(raw: str) -> tuple[Status, ...]:
    """`?status=1,3`: unknown values ignored; Open also matches in-progress tickets."""
    wanted: list[Status] = []
    for part in raw.split(","):
        number = parse_id(part)
        if number in INT_STATUS:
            wanted.append(INT_STATUS[number])
            if number == 1:
                wanted.append(Status.IN_PROGRESS)
    return tuple(wanted)


def pk(errors: Errors, field: str, value: Any) -> int | None:
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


def missing(errors: Errors, field: str, value: Any) -> None:
    errors[field] = [f'Invalid pk "{value}" - object does not exist.']


def choice(errors: Errors, field: str, value: Any, choices: range) -> int | None:
    try:
        number = int(str(value)) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number not in choices:
        errors[field] = [f'"{value}" is not a valid choice.']
        return None
    return number


def boolean(errors: Errors, field: str, value: Any) -> bool | None:
    flag = custom_fields.as_boolean(value)
    if flag is None:
        errors[field] = ["Must be a valid boolean."]
    return flag


def date_time(errors: Errors, field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = params.utc_datetime(str(value))
    if parsed is None:
        errors[field] = [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]
    return parsed


def duration(errors: Errors, field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return params.duration(str(value), field)
    except Invalid as exc:
        errors[field] = [exc.message]
        return None


def text(errors: Errors, field: str, value: Any, *, required: bool, max_length: int) -> str | None:
    if value is None:
        if required:
            errors[field] = ["This field may not be null."]
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors[field] = ["Not a valid string."]
        return None
    found = str(value)
    if required and not found.strip():
        errors[field] = ["This field may not be blank."]
    elif len(found) > max_length:
        errors[field] = [f"Ensure this field has no more than {max_length} characters."]
    return found


def require(errors: Errors, data: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in data:
            errors[name] = ["This field is required."]


async def ticket_changes(
    request: Request, actor: Actor, data: dict, ticket: Ticket | None, *, partial: bool
) -> dict[str, Any]:
    """The request's ticket fields → domain changes; `field_errors` lists DRF's complaints."""
    errors: Errors = {}
    changes: dict[str, Any] = {}
    if not partial:
        require(errors, data, ("queue", "title"))
    if "title" in data:
        changes["title"] = text(errors, "title", data["title"], required=True, max_length=MAX_TITLE)
    if "description" in data:
        found = text(
            errors,
            "description",
            data["description"],
            required=False,
            max_length=limits.DESCRIPTION,
        )
        changes["description"] = found or ""
    if "queue" in data:
        queue_id = pk(errors, "queue", data["queue"])
        if data["queue"] in (None, ""):
            errors["queue"] = ["This field may not be null."]
        elif queue_id is not None:
            try:
                await queues.get_queue(actor, queue_id)
                changes["queue_id"] = queue_id
            except NotFound:
                missing(errors, "queue", queue_id)
    if "submitter_email" in data:
        changes["submitter_email"] = data["submitter_email"] or ""
    if "assigned_to" in data:
        changes["assigned_to_id"] = pk(errors, "assigned_to", data["assigned_to"])
    if "priority" in data:
        changes["priority"] = choice(errors, "priority", data["priority"], range(1, 6))
    if "due_date" in data:
        changes["due_date"] = date_time(errors, "due_date", data["due_date"])
    _state_changes(errors, changes, data, ticket)
    defs = custom_defs(request)
    try:
        values = custom_fields.clean(defs, data, partial=partial)
        if values:
            changes["custom_fields"] = {**(ticket.custom_fields if ticket else {}), **values}
    except Invalid as exc:
        errors.update(invalid_fields(exc))
    # the original's serializer checks these on create, then its TicketForm ignores them
    unused = {k: changes.pop(k) for k in CHECKED_ONLY if k in changes} if ticket is None else {}
    if errors or unused:  # with the domain's complaints about the other fields: all at once
        asked = {**changes, **unused} if errors else unused
        rest = {k: v for k, v in asked.items() if api_name(k) not in errors}
        for error in await tickets.field_errors(actor, ticket, rest, lenient=True):
            errors.setdefault(api_name(error.field), [drf_message(error)])
    if errors:
        raise field_errors(errors)
    if ticket is None and not changes.get("description", "").strip():
        # the original's serializer hands the description to its TicketForm as `body`
        raise field_errors({"body": ["This field is required."]})
    return changes


def _state_changes(
    errors: Errors, changes: dict[str, Any], data: dict, ticket: Ticket | None
) -> None:
    """resolution, on_hold, merged_to and status, checked on create too (a new ticket is
    open whatever valid status it is sent with)."""
    if "resolution" in data:
        changes["resolution"] = data["resolution"]
    if "on_hold" in data:
        changes["on_hold"] = boolean(errors, "on_hold", data["on_hold"])
    if "merged_to" in data:  # the domain checks that the ticket exists
        changes["merged_into_id"] = pk(errors, "merged_to", data["merged_to"])
    if "status" in data:
        wanted = choice(errors, "status", data["status"], range(1, 6))
        if ticket is not None and wanted is not None and wanted != STATUS_INT[ticket.status]:
            changes["status"] = INT_STATUS[wanted]


def custom_defs(request: Request) -> tuple[custom_fields.CustomField, ...]:
    return custom_fields.definitions(request.app.state.settings.helpdesk_custom_fields)
