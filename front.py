"""`Front`: the one ASGI layer in front of every door. For each request it gives the request
id (`X-Request-ID`), times it for the metrics and the access log (`observe.middleware`), and
answers conditional GETs (`rest.conditional`): one layer, one pass over the request headers
and one wrapper of `send`, instead of three nested middlewares (a 304 is mostly this layer)."""

from __future__ import annotations

import itertools
import secrets
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observe.middleware import Observe
from rest.conditional import CACHE_CONTROL, Conditional, tagged

CLIENT_CLOSED_REQUEST = 499  # (nginx's status for the metrics and the access log)


class Front:
    """Request ids are 32 hex digits, a random prefix per process and a counter (unique
    without a system call); a client's sane `X-Request-ID` is echoed instead."""

    def __init__(self, app: ASGIApp, observe: Observe, conditional: Conditional) -> None:
        self.app, self.observe, self.conditional = app, observe, conditional
        self.prefix = secrets.token_hex(10)
        self.counter = itertools.count()

    def request_id(self, scope: Scope, headers: dict[bytes, bytes]) -> bytes:
        rid = headers.get(b"x-request-id", b"").decode("latin-1")
        if not (0 < len(rid) <= 64 and rid.isprintable()):
            rid = f"{self.prefix}{next(self.counter):012x}"
        scope.setdefault("state", {})["request_id"] = rid
        return rid.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                self.request_id(scope, dict(reversed(scope["headers"])))
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        statements = self.observe.start()
        headers = dict(reversed(scope["headers"]))  # the first of repeated headers, as Starlette
        rid = (b"x-request-id", self.request_id(scope, headers))
        status = 500
        try:
            tag, matched = await self.conditional.check(scope, headers)
            if matched:
                status = 304
                start = [(b"etag", matched), CACHE_CONTROL, rid]
                await send({"type": "http.response.start", "status": 304, "headers": start})
                await send({"type": "http.response.body", "body": b""})
                return

            async def send_marked(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    answer = message.get("headers", [])
                    if tag is not None and status == 200:
                        answer = tagged(answer, tag)
                    message["headers"] = [*answer, rid]
                await send(message)

            await self.app(scope, receive, send_marked)
        except ClientDisconnect:  # gone before its request was read: nothing to answer
            status = CLIENT_CLOSED_REQUEST
        finally:
            self.observe.record(scope, status, time.perf_counter() - started, statements)
