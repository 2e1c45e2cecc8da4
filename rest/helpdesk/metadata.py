"""DRF's answers to OPTIONS (SimpleMetadata) and its `Allow` header on every answer of a view.

The views' names, descriptions and serializer field descriptions are django-helpdesk 2.6.1's
(metadata.json, captured from the live original); the ticket's custom fields are described
from HELPDESK_CUSTOM_FIELDS as DRF describes the serializer fields the original builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers import comments, tickets
from resolvers.errors import Forbidden, NotFound
from resolvers.permissions import Actor, require_admin
from rest.helpdesk import parse
from rest.kit.http import JSONResponse
from rest.kit.operation import Operation

DATA = json.loads((Path(__file__).parent / "metadata.json").read_text())
RENDERS = ["application/json"]  # the original adds its browsable API's text/html
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
DRF_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Which serializer each view's write action describes (POST on lists, PUT on items).
WRITES = {
    "/tickets/": "Ticket",
    "/tickets/{id}/": "Ticket",
    "/followups/": "FollowUp",
    "/followups/{id}/": "FollowUp",
    "/followups-attachments/": "FollowUpAttachment",
    "/users/": "User",
}
# DRF's type names of the serializer fields the original builds for each custom field type.
CUSTOM_TYPES = {
    "varchar": "string",
    "text": "string",
    "ipaddress": "string",
    "integer": "integer",
    "decimal": "decimal",
    "list": "choice",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "email": "email",
    "url": "url",
    "slug": "slug",
}


def allow(methods: list[str]) -> str:
    """DRF's Allow: the view's methods in Django's order, HEAD with GET, always OPTIONS."""
    served = {*methods, "OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
    return ", ".join(m for m in DRF_ORDER if m in served)


def _serializer(name: str) -> dict[str, Any]:
    """A serializer's field descriptions, nested serializers filled in."""
    fields = json.loads(json.dumps(DATA["serializers"][name]))
    for info in fields.values():
        child = info.get("child", {})
        if isinstance(child.get("children"), str):
            child["children"] = _serializer(child["children"])
    return fields


def _custom_fields(request: Request) -> dict[str, Any]:
    found = {}
    for field in parse.custom_defs(request):
        info: dict[str, Any] = {
            "type": CUSTOM_TYPES.get(field.data_type, "field"),
            "required": field.required,
            "read_only": False,
            "label": field.label,
        }
        if field.max_length and field.data_type == "varchar":
            info["max_length"] = field.max_length
        if field.choices:
            info["choices"] = [{"value": c, "display_name": c} for c in field.choices]
        found[field.key] = info
    return found


async def _may_write(request: Request, actor: Actor, path: str) -> bool:
    """Whether DRF would describe the write action: the caller passes the write's permission
    and, on an item, the object exists for them."""
    try:
        if path == "/users/":
            require_admin(actor)
        elif path == "/tickets/{id}/":
            await tickets.get_ticket(actor, parse.path_id(request))
        elif path == "/followups/{id}/":
            await comments.get_comment(actor, parse.path_id(request))
    except (Forbidden, NotFound):
        return False
    return True


def options(path: str, auth: str) -> Operation:
    """OPTIONS on `path`: the view's name and description, what it renders and parses, and
    for a caller who may write, the write's fields (`actions`)."""
    view = DATA["views"][path]

    async def handler(request: Request, actor: Actor | None, data: dict) -> Response:
        body: dict[str, Any] = {**view, "renders": RENDERS, "parses": PARSES}
        serializer = WRITES.get(path)
        if serializer and actor is not None and await _may_write(request, actor, path):
            fields = _serializer(serializer)
            if serializer == "Ticket":
                fields.update(_custom_fields(request))
            body["actions"] = {"PUT" if "{id}" in path else "POST": fields}
        return JSONResponse(body)

    return Operation("OPTIONS", path, handler, f"options {path}", auth=auth, tag=view["name"])


class AllowHeader:
    """Every answer of a view carries its `Allow` header, as DRF's views send it (405s and
    errors included; not the router's 404 for unknown paths)."""

    def __init__(self, app: ASGIApp, routes: list, operations: list[Operation]) -> None:
        self.app = app
        found = {path: allow([op.method for op in ops]) for path, ops in _views(operations).items()}
        self.allow = {
            r.endpoint: value
            for r in routes
            if isinstance(r, Route) and (value := found.get(r.path.rstrip("/") + "/"))
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = self.allow.get(scope.get("endpoint"))
                if value:
                    headers = [(k, v) for k, v in message["headers"] if k != b"allow"]
                    message["headers"] = [*headers, (b"allow", value.encode())]
            await send(message)

        await self.app(scope, receive, send_with_allow)


def _views(operations: list[Operation]) -> dict[str, list[Operation]]:
    """The operations of each DRF view (a path of metadata.json)."""
    found: dict[str, list[Operation]] = {}
    for op in operations:
        if op.path in DATA["views"]:
            found.setdefault(op.path, []).append(op)
    return found


def options_operations(operations: list[Operation]) -> list[Operation]:
    """OPTIONS for each view of `operations`, behind the view's permission."""
    return [options(path, ops[0].auth) for path, ops in _views(operations).items()]
