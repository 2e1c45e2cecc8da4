"""The control panel's operations: one handler each, declared once in OPERATIONS (which the
mount serves and the OpenAPI document describes)."""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from models import Ticket
from resolvers import comments, feedback, files, queues, reads, tickets
from resolvers.errors import Invalid
from resolvers.pagination import Window
from resolvers.permissions import Actor
from rest.control_panel import parse, render
from rest.control_panel.parse import number
from rest.kit import openapi
from rest.kit.http import JSONResponse, file_response, new_file, row_of, storage
from rest.kit.operation import Operation
from rest.kit.schema import ref

MAX_COMMENTS = 1000  # the comments and topics lists are not paginated: their first 1000


async def _spend(request: Request, actor: Actor, operation: str) -> None:
    await feedback.spend(request.app.state.rate_limiter, actor, operation)


async def _one_ticket(actor: Actor, ticket: Ticket) -> JSONResponse:
    """A ticket as a write left it."""
    related = await reads.run(feedback.related([ticket.id]))
    return JSONResponse(render.ticket(actor, row_of(ticket, render.TICKET_COLUMNS), related))


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
        render.TICKET_COLUMNS,
        only_opened=data.get("only_opened", False),
        only_closed=data.get("only_closed", False),
        q=data.get("q"),
    )
    return JSONResponse(
        {
            "item_count": found.total,
            "items": [render.ticket(actor, row, related) for row in found.items],
            "items_per_page": size,
            "page": page,
            "page_count": math.ceil(found.total / size),
        }
    )


async def get_ticket(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    row, related = await feedback.read_ticket(actor, found, render.TICKET_COLUMNS)
    return JSONResponse(render.ticket(actor, row, related))


async def modify_ticket(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    return await _one_ticket(actor, await tickets.update_ticket(actor, found, **data))


async def close_ticket(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    return await _one_ticket(actor, await feedback.close_ticket(actor, found, **data))


async def reopen_ticket(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    await _spend(request, actor, "comment")
    ticket = await feedback.reopen_ticket(
        actor, found, body=data["body"], file_uuids=data.get("files", [])
    )
    return await _one_ticket(actor, ticket)


async def evaluate_ticket(request: Request, actor: Actor, data: dict) -> Response:
    ticket = await feedback.evaluate_ticket(actor, number(request, "number", "Ticket"), **data)
    return JSONResponse(
        render.vote(ticket.evaluation_score, ticket.evaluation_comment, ticket.evaluated_at)
    )


async def create_comment(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    await _spend(request, actor, "comment")
    comment = await comments.add_comment(
        actor, found, data["body"], file_uuids=data.get("files", [])
    )
    return JSONResponse((await render.comments(actor, [comment]))[0])


async def list_comments(request: Request, actor: Actor, data: dict) -> Response:
    found = number(request, "number", "Ticket")
    page = await feedback.read_comments(actor, found, Window(0, MAX_COMMENTS))
    return JSONResponse({"items": await render.comments(actor, page.items)})


async def get_comment(request: Request, actor: Actor, data: dict) -> Response:
    comment = await feedback.read_comment(actor, number(request, "id", "Comment"))
    return JSONResponse((await render.comments(actor, [comment]))[0])


async def vote_comment(request: Request, actor: Actor, data: dict) -> Response:
    comment = await feedback.vote_comment(actor, number(request, "id", "Comment"), **data)
    return JSONResponse(render.vote(comment.vote_score, comment.vote_comment, comment.voted_at))


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
    return JSONResponse(render.file(await files.upload(actor, storage(request), new)))


async def download_file(request: Request, actor: Actor, data: dict) -> Response:
    att, content = await files.read_upload(actor, storage(request), request.path_params["uuid"])
    return file_response(att, content)


def _op(method: str, path: str, handler, summary: str, tag: str, response: str, **more: Any):
    """An operation of this API: checked by its schemas, answering a component schema."""
    shape = {"format": "binary"} if response == "binary" else ref(response)
    return Operation(method, path, handler, summary, tag=tag, response=shape, checked=True, **more)


INFO = openapi.Info(
    title="Tickets API",
    version="1.1.0",
    description="Managing tickets, comments, and ticket topics in the Control panel",
    security_schemes={"XToken": {"type": "apiKey", "in": "header", "name": "X-Token"}},
    schemas=render.SCHEMAS,
    path_schemas=parse.PATH_SCHEMAS,
    errors={
        status: {
            "description": description,
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for status, description in {
            "400": "Invalid input (`field` names it)",
            "401": "Missing or wrong X-Token",
            "404": "Unknown ticket, comment, topic or file",
            "413": "Request body too large",
            "429": "Rate limited (see Retry-After)",
        }.items()
    },
)
BY_NUMBER = "/tickets/{number}"
OPERATIONS: list[Operation] = [
    _op("POST", "/tickets", create_ticket, "Create ticket", "Tickets", "Ticket",
        body=parse.CREATE_TICKET, renames=parse.CREATE_RENAMES),
    _op("GET", "/tickets", list_tickets, "Returns all tickets", "Tickets", "TicketList",
        query=parse.LIST_TICKETS),
    _op("GET", BY_NUMBER, get_ticket, "Find ticket by number", "Tickets", "Ticket"),
    _op("PATCH", BY_NUMBER, modify_ticket, "Modify ticket properties", "Tickets", "Ticket",
        body=parse.MODIFY_TICKET),
    _op("POST", f"{BY_NUMBER}/close", close_ticket, "Close ticket", "Tickets", "Ticket",
        body=parse.CLOSE_TICKET),
    _op("POST", f"{BY_NUMBER}/reopen", reopen_ticket, "Reopen ticket", "Tickets", "Ticket",
        body=parse.MESSAGE_WITH_FILES),
    _op("POST", f"{BY_NUMBER}/vote", evaluate_ticket, "Evaluating of ticket", "Tickets", "Vote",
        body=parse.EVALUATE_TICKET),
    _op("POST", f"{BY_NUMBER}/comments", create_comment, "Create comment to ticket", "Comments",
        "Comment", body=parse.MESSAGE_WITH_FILES),
    _op("GET", f"{BY_NUMBER}/comments", list_comments, "Returns ticket comments", "Comments",
        "CommentList"),
    _op("GET", "/comments/{id}", get_comment, "Find comment by ID", "Comments", "Comment"),
    _op("POST", "/comments/{id}/vote", vote_comment, "Evaluating of comment", "Comments", "Vote",
        body=parse.VOTE_COMMENT),
    _op("GET", "/topics", list_topics, "Returns all topics", "Topics", "TopicList"),
    _op("POST", "/files", upload_file, "Upload a file (answers its uuid)", "Files", "File",
        body=parse.UPLOAD, body_media=("multipart/form-data",)),
    _op("GET", "/files/{uuid}", download_file, "Download a file", "Files", "binary"),
]  # fmt: skip
openapi.add_document(
    OPERATIONS,
    INFO,
    "This document",
    tag="Meta",
    response=ref("OpenAPI"),
    checked=True,
    operation_id="openapi_document",
)
