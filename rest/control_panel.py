"""The control panel's Tickets API v1.1.0, mounted at /support (see docs/control_panel.md).

Tickets by number, their public comments, evaluations and votes, topics (queues) and files
uploaded before use. Every operation is declared once in OPERATIONS: its request schema both
checks the request and documents it in the OpenAPI 3.1 answer at /support/openapi.json.
Errors answer `{"error": {"code", "message", "field"}}` everywhere in this dialect.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models import CLOSED_STATUSES, Ticket
from resolvers import comments, feedback, files, queues, reads, tickets
from resolvers.clock import timestamp
from resolvers.errors import DomainError, Invalid, NotFound, RateLimited
from resolvers.files import MAX_FILES_PER_ITEM
from resolvers.pagination import Window
from resolvers.permissions import Actor, require_user
from resolvers.projections import Row
from resolvers.validation import MAX_ID, parse_id
from rest.common import (
    HTTP_METHODS,
    JSONResponse,
    caller,
    file_response,
    new_file,
    parameter,
    read_json,
    row_of,
    schema_ref,
    status_for,
    storage,
)

MAX_SUMMARY = 255
MAX_PAGE_SIZE = 1000
MAX_COMMENTS = 1000  # the comments and topics lists are not paginated: their first 1000

# canonical status → (status_key, en, ru)
STATUSES = {
    "open": ("open", "Open", "Открыт"),
    "in_progress": ("in_progress", "In progress", "В работе"),  # noqa: RUF001
    "reopened": ("open", "Open", "Открыт"),
    "resolved": ("resolved", "Resolved", "Решён"),
    "closed": ("closed", "Closed", "Закрыт"),
    "duplicate": ("closed", "Closed", "Закрыт"),
}

# ---------------------------------------------------------------- errors

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
}


def _error(
    status: int, message: str, field: str | None = None, headers: dict | None = None
) -> Response:
    code = CODES.get(status, "error")
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status, headers=headers)


def error_response(status: int, message: str) -> Response:
    return _error(status, message)


def _domain_error(exc: DomainError, renames: dict[str, str]) -> Response:
    status = status_for(exc)
    if isinstance(exc, Invalid):
        name = exc.field.split(".")[0]
        shown = renames.get(name, name)
        message = exc.message.replace(name, shown, 1) if shown != name else exc.message
        return _error(400, message, shown)
    if isinstance(exc, RateLimited):
        return _error(429, exc.message, headers={"Retry-After": str(exc.retry_after)})
    return _error(status, exc.message)


# ---------------------------------------------------------------- request schemas


def _string(min_length: int = 1, max_length: int | None = None, **extra: Any) -> dict:
    schema = {"type": "string", "minLength": min_length, **extra}
    return schema | ({"maxLength": max_length} if max_length else {})


def _object(required: list[str], **properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


FILES = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
    "minItems": 1,
    "maxItems": MAX_FILES_PER_ITEM,
}
EMAILS = {"type": "array", "items": {"type": "string", "format": "email"}}
MESSAGE = _string(1, feedback.MAX_MESSAGE)
TICKET_SCORE = {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10}

CREATE_TICKET = _object(
    ["comment_body", "summary"],
    files=FILES,
    client_aliased_name=_string(),
    client_emails=EMAILS | {"minItems": 1},
    comment_body=MESSAGE,
    summary=_string(1, MAX_SUMMARY),
    topic_key=_string(),
)
LIST_TICKETS = _object(
    [],
    only_opened={"type": "boolean"},
    page={"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID, "default": 1},
    only_closed={"type": "boolean"},
    q=_string(description="search query"),
    items_per_page={
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
        "default": 10,
    },
)
MODIFY_TICKET = _object(
    [],
    client_aliased_name=_string() | {"type": ["string", "null"]},
    client_emails=EMAILS | {"type": ["array", "null"]},
)
CLOSE_TICKET = _object([], comment=MESSAGE, score=TICKET_SCORE)
MESSAGE_WITH_FILES = _object(["body"], files=FILES, body=MESSAGE)
EVALUATE_TICKET = _object(["score"], comment=MESSAGE, score=TICKET_SCORE)
VOTE_COMMENT = _object(["score"], comment=MESSAGE, score={"type": "integer", "enum": [1, -1]})
UPLOAD = _object(["file"], file={"type": "string", "contentMediaType": "application/octet-stream"})

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    python = {"string": str, "boolean": bool, "array": list, "object": dict, "null": type(None)}
    return isinstance(value, python[kind])


def _check(schema: dict, value: Any, name: str) -> Any:
    """`value` checked against `schema` (the subset of JSON Schema used here); Invalid(name)."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    kind = next((k for k in kinds if _is(k, value)), None)
    if kind is None:
        raise Invalid(name, f"{name} must be {TYPE_NAMES[kinds[0]]}.")
    if kind == "object":
        return _check_object(schema, value, name)
    if kind == "string":
        if len(value) < schema.get("minLength", 0):
            raise Invalid(name, f"{name} must not be empty.")
        if len(value) > schema.get("maxLength", math.inf):
            raise Invalid(name, f"{name} must be at most {schema['maxLength']} characters.")
        if schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                raise Invalid(name, f"{name}: {value!r} is not a uuid.") from None
    if kind == "integer":
        if "enum" in schema and value not in schema["enum"]:
            raise Invalid(name, f"{name} must be one of {schema['enum']}.")
        low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
        if not low <= value <= high:
            raise Invalid(name, f"{name} must be between {low} and {high}.")
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            raise Invalid(name, f"{name} must have at least {schema['minItems']} item(s).")
        if len(value) > schema.get("maxItems", math.inf):
            raise Invalid(name, f"{name} must have at most {schema['maxItems']} items.")
        return [_check(schema["items"], item, name) for item in value]
    return value


def _check_object(schema: dict, value: dict, name: str) -> dict:
    properties = schema["properties"]
    for key in value:
        if key not in properties:
            raise Invalid(key, f"Unknown field {key!r}.")
    for key in schema["required"]:
        if key not in value:
            raise Invalid(key, f"{key} is required.")
    return {key: _check(properties[key], item, key) for key, item in value.items()}


def _query(request: Request, schema: dict) -> dict:
    """Query parameters converted to the schema's types and checked; defaults filled in."""
    found: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        raw = request.query_params.get(name)
        if raw is None or (raw == "" and spec["type"] != "string"):
            if "default" in spec:
                found[name] = spec["default"]
            continue
        found[name] = _check(spec, _convert(spec["type"], raw, name), name)
    return found


def _convert(kind: str, raw: str, name: str) -> Any:
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise Invalid(name, f"{name} must be an integer.") from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise Invalid(name, f"{name} must be true or false.")
        return raw.lower() in ("true", "1")
    return raw


async def _body(request: Request, schema: dict) -> dict:
    """The JSON body checked against `schema`; an empty body is an empty object."""
    data = await read_json(request) if await request.body() else {}
    return _check(schema, data, "body")


def _number(request: Request, name: str, what: str) -> int:
    raw = request.path_params[name]
    number = parse_id(raw) if raw.isdigit() else None  # int32, as in the reference; no spaces
    if number is None:
        raise NotFound(f"{what} {raw} not found.")
    return number


# ---------------------------------------------------------------- rendering


TICKET_COLUMNS = (
    "id",
    "client_aliased_name",
    "closed_at",
    "created_at",
    "opened_by_id",
    "status",
    "split_from_id",
    "title",
    "updated_at",
    "evaluation_score",
    "evaluation_comment",
    "evaluated_at",
)


def _vote(score: int | None, comment: str | None, created_at: datetime | str | None) -> dict | None:
    if created_at is None:
        return None
    return {"comment": comment, "created_at": timestamp(created_at), "score": score}


def _ticket(actor: Actor, row: Row, related: feedback.Related) -> dict:
    """A ticket from its TICKET_COLUMNS."""
    (number, alias, closed_at, created_at, opened_by_id, status, split_from_id, title) = row[:8]
    updated_at, score, comment, evaluated_at = row[8:]
    key, en, ru = STATUSES[status]
    return {
        "client_aliased_name": alias,
        "client_emails": related.contacts.get(number, []),
        "closed_at": timestamp(closed_at),
        "created_at": timestamp(created_at),
        "is_client_author": opened_by_id == actor.id,
        "is_client_read": number not in related.unread,
        "is_closed": status in CLOSED_STATUSES,
        "is_resolved": status == "resolved",
        "number": number,
        "splitted_from_ticket_number": split_from_id,
        "status": {"en": en, "ru": ru},
        "status_key": key,
        "summary": title,
        "type": None,
        "updated_at": timestamp(updated_at),
        "vote": _vote(score, comment, evaluated_at),
    }


async def _one_ticket(actor: Actor, ticket: Ticket) -> JSONResponse:
    """A ticket as a write left it."""
    related = await reads.run(feedback.related([ticket.id]))
    return JSONResponse(_ticket(actor, row_of(ticket, TICKET_COLUMNS), related))


def _file(att) -> dict:
    return {
        "uuid": str(att.uuid),
        "name": att.filename,
        "size": att.size,
        "mime_type": att.mime_type,
    }


async def _comments(actor: Actor, found: list) -> list[dict]:
    attached = await files.attachments_for([c.id for c in found])
    return [
        {
            "files": [_file(a) for a in attached.get(c.id, [])],
            "body": c.body,
            "id": c.id,
            "is_client_author": c.author_id == actor.id,
            "is_client_read": c.is_client_read,
            "sent_at": timestamp(c.created_at),
            "splitted_at": timestamp(c.split_at),
            "splitted_to_ticket_number": c.split_to_id,
            "vote": _vote(c.vote_score, c.vote_comment, c.voted_at),
        }
        for c in found
    ]


# ---------------------------------------------------------------- handlers


async def _spend(request: Request, actor: Actor, operation: str) -> None:
    await feedback.spend(request.app.state.rate_limiter, actor, operation)


async def create_ticket(request: Request, actor: Actor, data: dict) -> Response:
    await _spend(request, actor, "ticket")
    extra = {k: data[k] for k in ("client_aliased_name", "client_emails") if k in data}
    ticket = await feedback.open_ticket(
        actor,
        summary=data["summary"],
        body=data["comment_body"],
        topic_key=data.get("topic_key"),
        file_uuids=data.get("files", []),
        **extra,
    )
    return await _one_ticket(actor, ticket)


async def list_tickets(request: Request, actor: Actor, data: dict) -> Response:
    page, size = data["page"], data["items_per_page"]
    found, related = await feedback.list_tickets(
        actor,
        Window((page - 1) * size, size),
        TICKET_COLUMNS,
        only_opened=data.get("only_opened", False),
        only_closed=data.get("only_closed", False),
        q=data.get("q"),
    )
    return JSONResponse(
        {
            "item_count": found.total,
            "items": [_ticket(actor, row, related) for row in found.items],
            "items_per_page": size,
            "page": page,
            "page_count": math.ceil(found.total / size),
        }
    )


async def get_ticket(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    row, related = await feedback.read_ticket(actor, number, TICKET_COLUMNS)
    return JSONResponse(_ticket(actor, row, related))


async def modify_ticket(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    return await _one_ticket(actor, await tickets.update_ticket(actor, number, **data))


async def close_ticket(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    return await _one_ticket(actor, await feedback.close_ticket(actor, number, **data))


async def reopen_ticket(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    await _spend(request, actor, "comment")
    ticket = await feedback.reopen_ticket(
        actor, number, body=data["body"], file_uuids=data.get("files", [])
    )
    return await _one_ticket(actor, ticket)


async def evaluate_ticket(request: Request, actor: Actor, data: dict) -> Response:
    ticket = await feedback.evaluate_ticket(actor, _number(request, "number", "Ticket"), **data)
    return JSONResponse(
        _vote(ticket.evaluation_score, ticket.evaluation_comment, ticket.evaluated_at)
    )


async def create_comment(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    await _spend(request, actor, "comment")
    comment = await comments.add_comment(
        actor, number, data["body"], file_uuids=data.get("files", [])
    )
    return JSONResponse((await _comments(actor, [comment]))[0])


async def list_comments(request: Request, actor: Actor, data: dict) -> Response:
    number = _number(request, "number", "Ticket")
    page = await feedback.read_comments(actor, number, Window(0, MAX_COMMENTS))
    return JSONResponse({"items": await _comments(actor, page.items)})


async def get_comment(request: Request, actor: Actor, data: dict) -> Response:
    comment = await feedback.read_comment(actor, _number(request, "id", "Comment"))
    return JSONResponse((await _comments(actor, [comment]))[0])


async def vote_comment(request: Request, actor: Actor, data: dict) -> Response:
    comment = await feedback.vote_comment(actor, _number(request, "id", "Comment"), **data)
    return JSONResponse(_vote(comment.vote_score, comment.vote_comment, comment.voted_at))


async def list_topics(request: Request, actor: Actor, data: dict) -> Response:
    found = await queues.list_queues(actor, Window(0, MAX_COMMENTS))
    return JSONResponse({"items": [{"key": q.slug, "name": q.title} for q in found.items]})


async def upload_file(request: Request, actor: Actor, data: dict) -> Response:
    await _spend(request, actor, "upload")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:  # malformed multipart, or more than one file
        raise Invalid("file", exc.detail) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("file", "file is required (multipart/form-data).")
        new = await new_file(upload)
    finally:
        await form.close()
    return JSONResponse(_file(await files.upload(actor, storage(request), new)))


async def download_file(request: Request, actor: Actor, data: dict) -> Response:
    file_uuid = request.path_params["uuid"]
    att, content = await files.read_upload(actor, storage(request), file_uuid)
    return file_response(att, content)


async def openapi_document(request: Request, actor: Actor | None, data: dict) -> Response:
    return JSONResponse(OPENAPI)


# ---------------------------------------------------------------- operations and routes

Handler = Callable[[Request, Any, dict], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: str  # a component schema name; "binary" for file bytes
    body: dict | None = None
    query: dict | None = None
    multipart: bool = False
    renames: dict[str, str] = field(default_factory=dict)  # domain field → this API's name
    public: bool = False

    async def __call__(self, request: Request) -> Response:
        try:
            actor = None if self.public else require_user(await caller(request))
            data: dict = {}
            if self.query is not None:
                data = _query(request, self.query)
            elif self.body is not None and not self.multipart:
                data = await _body(request, self.body)
            return await self.handler(request, actor, data)
        except DomainError as exc:
            return _domain_error(exc, self.renames)


CREATE_RENAMES = {"title": "summary", "description": "comment_body", "body": "comment_body"}

OPERATIONS = [
    Operation(
        "POST",
        "/tickets",
        create_ticket,
        "Create ticket",
        "Tickets",
        "Ticket",
        body=CREATE_TICKET,
        renames=CREATE_RENAMES,
    ),
    Operation(
        "GET",
        "/tickets",
        list_tickets,
        "Returns all tickets",
        "Tickets",
        "TicketList",
        query=LIST_TICKETS,
    ),
    Operation("GET", "/tickets/{number}", get_ticket, "Find ticket by number", "Tickets", "Ticket"),
    Operation(
        "PATCH",
        "/tickets/{number}",
        modify_ticket,
        "Modify ticket properties",
        "Tickets",
        "Ticket",
        body=MODIFY_TICKET,
    ),
    Operation(
        "POST",
        "/tickets/{number}/close",
        close_ticket,
        "Close ticket",
        "Tickets",
        "Ticket",
        body=CLOSE_TICKET,
    ),
    Operation(
        "POST",
        "/tickets/{number}/reopen",
        reopen_ticket,
        "Reopen ticket",
        "Tickets",
        "Ticket",
        body=MESSAGE_WITH_FILES,
    ),
    Operation(
        "POST",
        "/tickets/{number}/vote",
        evaluate_ticket,
        "Evaluating of ticket",
        "Tickets",
        "Vote",
        body=EVALUATE_TICKET,
    ),
    Operation(
        "POST",
        "/tickets/{number}/comments",
        create_comment,
        "Create comment to ticket",
        "Comments",
        "Comment",
        body=MESSAGE_WITH_FILES,
    ),
    Operation(
        "GET",
        "/tickets/{number}/comments",
        list_comments,
        "Returns ticket comments",
        "Comments",
        "CommentList",
    ),
    Operation("GET", "/comments/{id}", get_comment, "Find comment by ID", "Comments", "Comment"),
    Operation(
        "POST",
        "/comments/{id}/vote",
        vote_comment,
        "Evaluating of comment",
        "Comments",
        "Vote",
        body=VOTE_COMMENT,
    ),
    Operation("GET", "/topics", list_topics, "Returns all topics", "Topics", "TopicList"),
    Operation(
        "POST",
        "/files",
        upload_file,
        "Upload a file (answers its uuid)",
        "Files",
        "File",
        body=UPLOAD,
        multipart=True,
    ),
    Operation("GET", "/files/{uuid}", download_file, "Download a file", "Files", "binary"),
    Operation(
        "GET",
        "/openapi.json",
        openapi_document,
        "This document",
        "Meta",
        "OpenAPI",
        public=True,
    ),
]


def _dispatch(by_method: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    allowed = ", ".join(sorted(by_method))

    async def endpoint(request: Request) -> Response:
        operation = by_method.get(request.method)
        if operation is None:
            message = f"Method {request.method} not allowed."
            return _error(405, message, headers={"Allow": allowed})
        return await operation(request)

    return endpoint


async def _not_found(request: Request) -> Response:
    return _error(404, f"No route {request.url.path}.")


def _routes() -> list[Route]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, {})[op.method] = op
    found = [Route(path, _dispatch(ops), methods=HTTP_METHODS) for path, ops in by_path.items()]
    return [*found, Route("/{rest:path}", _not_found, methods=HTTP_METHODS)]


# ---------------------------------------------------------------- OpenAPI 3.1

TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
NUMBER_OR_NULL = {"type": ["integer", "null"]}


def _closed(**properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": sorted(properties)}


VOTE = _closed(
    comment={"type": ["string", "null"]},
    created_at=TIMESTAMP,
    score={"type": ["integer", "null"]},
)
FILE = _closed(
    uuid={"type": "string", "format": "uuid"},
    name={"type": "string"},
    size={"type": "integer"},
    mime_type={"type": "string"},
)
COMPONENTS = {
    "Vote": VOTE,
    "File": FILE,
    "Status": _closed(en={"type": "string"}, ru={"type": "string"}),
    "Ticket": _closed(
        client_aliased_name={"type": ["string", "null"]},
        client_emails=EMAILS,
        closed_at=TIMESTAMP,
        created_at=TIMESTAMP,
        is_client_author={"type": "boolean"},
        is_client_read={"type": "boolean"},
        is_closed={"type": "boolean"},
        is_resolved={"type": "boolean"},
        number={"type": "integer"},
        splitted_from_ticket_number=NUMBER_OR_NULL,
        status=schema_ref("Status"),
        status_key={"type": "string", "enum": sorted({k for k, _, _ in STATUSES.values()})},
        summary={"type": "string"},
        type={"type": "null"},
        updated_at=TIMESTAMP,
        vote={"oneOf": [schema_ref("Vote"), {"type": "null"}]},
    ),
    "TicketList": _closed(
        item_count={"type": "integer"},
        items={"type": "array", "items": schema_ref("Ticket")},
        items_per_page={"type": "integer"},
        page={"type": "integer"},
        page_count={"type": "integer"},
    ),
    "Comment": _closed(
        files={"type": "array", "items": schema_ref("File")},
        body={"type": "string"},
        id={"type": "integer"},
        is_client_author={"type": "boolean"},
        is_client_read={"type": "boolean"},
        sent_at=TIMESTAMP,
        splitted_at=TIMESTAMP,
        splitted_to_ticket_number=NUMBER_OR_NULL,
        vote={"oneOf": [schema_ref("Vote"), {"type": "null"}]},
    ),
    "CommentList": _closed(items={"type": "array", "items": schema_ref("Comment")}),
    "Topic": _closed(key={"type": "string"}, name={"type": "string"}),
    "TopicList": _closed(items={"type": "array", "items": schema_ref("Topic")}),
    "Error": _closed(
        error=_closed(
            code={"type": "string"},
            message={"type": "string"},
            field={"type": ["string", "null"]},
        )
    ),
    "OpenAPI": {"type": "object"},
}
ERRORS = {
    "400": "Invalid input (`field` names it)",
    "401": "Missing or wrong X-Token",
    "404": "Unknown ticket, comment, topic or file",
    "413": "Request body too large",
    "429": "Rate limited (see Retry-After)",
}


def _operation_spec(op: Operation) -> dict:
    spec: dict[str, Any] = {
        "operationId": op.handler.__name__,
        "summary": op.summary,
        "tags": [op.tag],
    }
    parameters = [
        parameter(
            name,
            "path",
            {"type": "string", "format": "uuid"}
            if name == "uuid"
            else {"type": "integer", "format": "int32"},
        )
        for name in (part[1:-1] for part in op.path.split("/") if part.startswith("{"))
    ]
    if op.query is not None:
        parameters += [
            parameter(name, "query", schema) for name, schema in op.query["properties"].items()
        ]
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        media = "multipart/form-data" if op.multipart else "application/json"
        spec["requestBody"] = {
            "required": bool(op.body["required"]),
            "content": {media: {"schema": op.body}},
        }
    if op.response == "binary":
        content = {"application/octet-stream": {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": schema_ref(op.response)}}
    spec["responses"] = {"200": {"description": "OK", "content": content}}
    if not op.public:
        spec["security"] = [{"XToken": []}]
        error = {"application/json": {"schema": schema_ref("Error")}}
        for status, description in ERRORS.items():
            spec["responses"][status] = {"description": description, "content": error}
    return spec


def _openapi() -> dict:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(f"/support{op.path}", {})[op.method.lower()] = _operation_spec(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tickets API",
            "version": "1.1.0",
            "description": "Managing tickets, comments, and ticket topics in the Control panel",
        },
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"XToken": {"type": "apiKey", "in": "header", "name": "X-Token"}},
        },
    }


OPENAPI = _openapi()
routes = _routes()
