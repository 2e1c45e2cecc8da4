"""The DRF routes as DefaultRouter lays them out (each also without its trailing slash): one
operation per view method, with the view's permission as its auth level and its model's name
as its tag (DRF's "No <model> matches the given query.")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from resolvers.permissions import Actor
from rest.helpdesk import followups, tickets
from rest.helpdesk.parse import MAX_PAGE_SIZE
from rest.kit import openapi
from rest.kit.http import JSONResponse
from rest.kit.operation import Operation
from rest.kit.schema import ref

ROUTER = ("tickets", "user_tickets", "followups", "followups-attachments", "users")


async def api_root(request: Request, actor: Actor | None, data: dict) -> Response:
    base = str(request.url_for("helpdesk_root")).rstrip("/")
    return JSONResponse({name: f"{base}/{name}/" for name in ROUTER})


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
PAGED = ("Ticket", "UserTicket", "FollowUp", "FollowUpAttachment")


def _type(kind: str) -> dict[str, Any]:
    if kind.startswith("$"):
        return ref(kind[1:])
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


def _schemas() -> dict[str, dict]:
    found = {name: _object(spec) for name, spec in SCHEMAS.items()}
    for name in PAGED:
        found[f"{name}Page"] = _object(
            f"count next previous results | count:integer next:string? previous:string?"
            f" results:[${name}]"
        )
    return found


PAGING = {
    "page": {"type": "integer", "minimum": 1},
    "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
}
FORMS = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
INFO = openapi.Info(
    title="ticketgate: django-helpdesk REST API",
    version="2.6.1",
    description="The legacy POST API (/<method>/) is described in docs/helpdesk.md.",
    security_schemes={
        "basic": {"type": "http", "scheme": "basic"},
        "token": {"type": "apiKey", "in": "header", "name": "Authorization"},
    },
    schemas=_schemas(),
    path_schemas={"id": {"type": "integer"}},
    errors={
        "400": {"description": 'invalid: {"field": ["message"]}'},
        "403": {"description": 'not authenticated or not permitted: {"detail": "…"}'},
        "404": {"description": '{"detail": "No … matches the given query."}'},
    },
)


def _crud(
    path: str, model: str, verbs: str, handlers: Any, *, auth: str = "staff", tag: str = ""
) -> list:
    """DRF's ModelViewSet methods on `path` ("/x/" lists and creates, "/x/{id}/" the rest),
    answering `model`'s schema; `tag`: the model named in not-found errors, when another."""
    found = []
    for verb in verbs.split():
        method, status = {
            "list": ("GET", 200),
            "create": ("POST", 201),
            "get": ("GET", 200),
            "put": ("PUT", 200),
            "patch": ("PATCH", 200),
            "delete": ("DELETE", 204),
        }[verb]
        body = ref(model) if verb in ("create", "put", "patch") else None
        response = ref(f"{model}Page") if verb == "list" else ref(model)
        found.append(
            Operation(
                method,
                path,
                handlers[verb],
                f"{verb} {path}",
                auth=auth,
                query=PAGING if verb == "list" else None,
                body=body,
                body_media=FORMS,
                status=status,
                response=None if verb == "delete" else response,
                tag=tag or model,
            )
        )
    return found


T, F = tickets, followups
OPERATIONS: list[Operation] = [
    Operation("GET", "/", api_root, "The API root", auth="optional", tag="API root"),
    *_crud("/tickets/", "Ticket", "list create",
           {"list": T.list_tickets, "create": T.create_ticket}),
    *_crud("/tickets/{id}/", "Ticket", "get put patch delete",
           {"get": T.get_ticket, "put": T.put_ticket, "patch": T.patch_ticket,
            "delete": T.delete_ticket}),
    *_crud("/user_tickets/", "UserTicket", "list", {"list": T.list_user_tickets}, auth="user",
           tag="Ticket"),
    *_crud("/user_tickets/{id}/", "UserTicket", "get", {"get": T.get_user_ticket}, auth="user",
           tag="Ticket"),
    *_crud("/followups/", "FollowUp", "list create",
           {"list": F.list_followups, "create": F.create_followup}),
    *_crud("/followups/{id}/", "FollowUp", "get put patch delete",
           {"get": F.get_followup, "put": F.put_followup, "patch": F.patch_followup,
            "delete": F.delete_followup}),
    *_crud("/followups-attachments/", "FollowUpAttachment", "list create",
           {"list": F.list_attachments, "create": F.create_attachment}),
    *_crud("/followups-attachments/{id}/", "FollowUpAttachment", "get delete",
           {"get": F.get_attachment, "delete": F.delete_attachment}),
    Operation("GET", "/followups-attachments/{id}/file/", F.attachment_file,
              "An attachment's bytes", auth="staff", response={"format": "binary"},
              tag="FollowUpAttachment"),
    *_crud("/users/", "User", "create", {"create": F.create_user}),
]  # fmt: skip
OPERATIONS.append(
    Operation(
        "GET",
        "/openapi.json",
        openapi.served(lambda: openapi.document(OPERATIONS, INFO)),
        "This document",
        auth="optional",
        tag="schema",
        operation_id="openapi",
    )
)
NAMES = {"/": "helpdesk_root", "/followups-attachments/{id}/file/": "helpdesk_attachment_file"}
