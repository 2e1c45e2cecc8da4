"""Helpers every dialect shares: JSON in and out, the caller, ids, dates and query parameters,
uploads and downloads, OpenAPI pieces, guarding.

Dialects translate HTTP to domain calls and domain errors to their own error bodies; they
decide nothing. Each dialect module exposes `routes` and `error_response(status, message)`,
which `server.py` mounts behind `DialectGuard` (body limit, malformed body, unexpected errors).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import Attachment
from resolvers import auth
from resolvers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from resolvers.files import MAX_FILE_BYTES, NewFile, Storage
from resolvers.permissions import Actor

log = logging.getLogger("ticketgate.rest")

ErrorRenderer = Callable[[int, str], Response]
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # routes take all
_UNSAFE_IN_HEADER = re.compile(r'[^\x20-\x7e]|["\\]')

HTTP_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Conflict: 409,
    RateLimited: 429,
    Invalid: 400,
}


def status_for(exc: DomainError) -> int:
    for cls, status in HTTP_STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def row_of(instance: Any, names: Sequence[str]) -> tuple:
    """A model instance as a projection row of `names`: a write answers with what it wrote,
    rendered by the same code as the lean reads (whose converters take both forms)."""
    return tuple(getattr(instance, name) for name in names)


class MalformedBody(Exception):
    """The request body is not what the route expects (not JSON, not an object, …)."""


async def read_json(request: Request, *, want_object: bool = True) -> Any:
    body = await request.body()
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        raise MalformedBody("Request body is not valid JSON.") from None
    if want_object and not isinstance(data, dict):
        raise MalformedBody("Request body must be a JSON object.")
    return data


async def caller(request: Request) -> Actor | None:
    """The authenticated user (None when no credential was sent); cached on the request, a
    refusal too (so a wrong password is checked and counted once per request).
    Unauthenticated for a wrong credential, RateLimited for a throttled HTTP Basic password."""
    if "caller" not in request.scope:
        try:
            request.scope["caller"] = await auth.authenticate(
                request.headers, **_auth_context(request)
            )
        except (Unauthenticated, RateLimited) as exc:
            request.scope["caller"] = exc
    found = request.scope["caller"]
    if isinstance(found, DomainError):
        raise found
    return found


async def signed_in(request: Request) -> bool:
    """Whether the request's credential, if it sent one, is valid: `caller` without building
    the user (a 304 needs no more)."""
    try:
        await auth.identify(request.headers, **_auth_context(request))
    except DomainError:
        return False
    return True


def _auth_context(request: Request) -> dict:
    state = request.app.state
    return {
        "secret": state.settings.secret_key,
        "limiter": state.rate_limiter,
        "client": client_address(request),
    }


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def storage(request: Request) -> Storage:
    return request.app.state.storage


def int_param(value: str | None, field: str, *, default: int | None = None) -> int | None:
    """An integer query parameter, Invalid(field) when it is not one."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise Invalid(field, f"{field} must be an integer.") from None


def utc_datetime(text: str) -> datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime (naive means UTC); None when it is not
    one, or cannot be one in UTC (year 1 with a positive offset, year 9999 with a negative)."""
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


async def new_file(upload: UploadFile, default_name: str = "") -> NewFile:
    """A multipart file part, read up to one byte past the domain's limit (enough for
    `files.check_files` to refuse a larger one)."""
    return NewFile(
        upload.filename or default_name,
        upload.content_type or "application/octet-stream",
        await upload.read(MAX_FILE_BYTES + 1),
    )


def file_response(att: Attachment, data: bytes, *, ascii_name: bool = False) -> Response:
    """An attachment's bytes as a download: its stored type and its name as RFC 6266's UTF-8
    `filename*` (with a plain `filename=` for old clients when `ascii_name`)."""
    name = f"filename*=UTF-8''{quote(att.filename)}"
    if ascii_name:
        name = f'filename="{_UNSAFE_IN_HEADER.sub("_", att.filename)}"; {name}'
    headers = {"Content-Disposition": f"attachment; {name}", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=att.mime_type, headers=headers)


def schema_ref(name: str) -> dict[str, str]:
    """An OpenAPI reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def parameter(name: str, where: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI parameter object (`where`: "path" or "query"; path ones are required)."""
    required = {"required": True} if where == "path" else {}
    return {"name": name, "in": where, **required, "schema": schema}


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "")


class DialectGuard:
    """Per-mount guard: body size limit, malformed bodies and unexpected errors, in the
    dialect's own error format (never a traceback)."""

    def __init__(self, app: ASGIApp, render: ErrorRenderer, max_body_bytes: int) -> None:
        self.app, self.render, self.max_body_bytes = app, render, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self.render(413, "Request body too large.")(scope, receive, send)
            return
        started = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self.render(413, "Request body too large.")(scope, receive, send)
        except MalformedBody as exc:
            if not started:
                await self.render(400, str(exc))(scope, receive, send)
        except HTTPException as exc:  # the router's own 404 / 405, in the dialect's format
            if not started:
                response = self.render(exc.status_code, exc.detail)
                response.headers.update(exc.headers or {})
                await response(scope, receive, send)
        except Exception:
            rid = scope.get("state", {}).get("request_id", "")
            log.exception("unexpected error (request %s)", rid)
            if not started:
                message = f"Internal server error (request id {rid})."
                await self.render(500, message)(scope, receive, send)


class _TooLarge(Exception):
    pass


class IdConvertor(IntegerConvertor):
    """`{name:id}` in a route: a database id of at most 10 digits (longer ones do not match
    the route, so they fall through to the dialect's not-found answer instead of overflowing)."""

    regex = "[0-9]{1,10}"


register_url_convertor("id", IdConvertor())
