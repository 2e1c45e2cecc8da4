"""The guard in front of every dialect's mount: body size limit and unexpected errors, in the
dialect's own error format (never a traceback)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rest.kit.http import MalformedBody

log = logging.getLogger("ticketgate.rest")

ErrorRenderer = Callable[[int, str], Response]
TOO_LARGE = "Request body too large."


class DialectGuard:
    """Per-mount guard: a body over `max_body_bytes` answers 413 (declared or streamed),
    malformed bodies 400, the router's own errors and unexpected exceptions 500, each rendered
    by `render(status, message)` and logged with the request id."""

    def __init__(self, app: ASGIApp, render: ErrorRenderer, max_body_bytes: int) -> None:
        self.app, self.render, self.max_body_bytes = app, render, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self.render(413, TOO_LARGE)(scope, receive, send)
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
                await self.render(413, TOO_LARGE)(scope, receive, send)
        except MalformedBody as exc:
            if not started:
                await self.render(400, str(exc))(scope, receive, send)
        except ClientDisconnect:
            raise  # (no one to answer: front.Front notes it)
        except HTTPException as exc:  # the router's own 404 / 405, in the dialect's format
            if not started:
                response = self.render(exc.status_code, exc.detail)
                response.headers.update(exc.headers or {})
                await response(scope, receive, send)
        except Exception:
            if not started:
                await unexpected(scope, self.render)(scope, receive, send)


def unexpected(scope: Scope, render: ErrorRenderer) -> Response:
    """Log the exception being handled with the request id; the 500 answer naming it."""
    rid = scope.get("state", {}).get("request_id", "")
    log.exception("unexpected error (request %s)", rid)
    return render(500, f"Internal server error (request id {rid}).")


class _TooLarge(Exception):
    pass
