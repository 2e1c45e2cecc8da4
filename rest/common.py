"""Helpers every dialect shares: JSON in and out, the caller, query parameters, guarding.

Dialects translate HTTP to domain calls and domain errors to their own error bodies; they
decide nothing. Each dialect module exposes `routes` and `error_response(status, message)`,
which `server.py` mounts behind `DialectGuard` (body limit, malformed body, unexpected errors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from resolvers.files import Storage
from resolvers.permissions import Actor

log = logging.getLogger("ticketgate.rest")

ErrorRenderer = Callable[[int, str], Response]

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
    """The authenticated user (None when no credential was sent); cached on the request."""
    if "caller" not in request.scope:
        request.scope["caller"] = await auth.authenticate(
            request.headers, request.app.state.settings.secret_key
        )
    return request.scope["caller"]


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
