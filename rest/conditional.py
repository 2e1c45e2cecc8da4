"""Conditional GETs for every door: an `ETag` on each 200 answer to a GET, and `304 Not
Modified` for an `If-None-Match` that still holds, without running the request.

The tag is a keyed hash of the store's data version (`resolvers.reads.data_version`, read
before the request runs, so a tag never vouches for data older than its body), the caller's
credential, the method-independent request (path, query string, whether `Accept` asks for
HTML: GraphiQL's page, else data) and, for answers
that depend on the clock (the nephthys stats), the current time bucket. A write committed
through any door or process changes the version, so the next request gets a full answer.

A conditional request is authenticated before it may be answered 304 (an expired or revoked
credential gets its door's own error instead); 304s do not spend rate-limit budgets. Docs:
docs/architecture.md ("Conditional requests").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers import reads
from web import signed_in

CODE_VERSION = b"3"  # bump when a door's rendering changes, so old tags stop matching
CACHE_CONTROL = (b"cache-control", b"private, no-cache")
UNTAGGED = {"/healthz", "/readyz"}  # about the process, not the data: never a 304


class ConditionalGet:
    def __init__(
        self, app: ASGIApp, secret: str, clock_bucket: Callable[[str], float | None]
    ) -> None:
        """`clock_bucket(path)`: seconds a clock-dependent answer stays the same (None when
        the answer depends on the data and the request only)."""
        self.app = app
        self.key = hashlib.sha256(b"etag:" + secret.encode()).digest()
        self.clock_bucket = clock_bucket

    def tag(self, version: str, scope: Scope, headers: Headers) -> bytes:
        parts = [
            CODE_VERSION,
            version.encode(),
            scope["path"].encode(),
            scope.get("query_string", b""),
            b"html" if "text/html" in headers.get("accept", "") else b"",  # GraphiQL or data
            headers.get("authorization", "").encode(),
            headers.get("x-token", "").encode(),
        ]
        bucket = self.clock_bucket(scope["path"])
        if bucket:
            parts.append(str(int(time.time() // bucket)).encode())
        digest = hashlib.blake2s(b"\0".join(parts), key=self.key, digest_size=16).hexdigest()
        return f'"{digest}"'.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"] in UNTAGGED
        ):
            await self.app(scope, receive, send)
            return
        version = await reads.data_version()
        if version is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        tag = self.tag(version, scope, headers)
        wanted = headers.get("if-none-match")
        if wanted and _matches(wanted, tag) and await signed_in(Request(scope)):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", tag), CACHE_CONTROL],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                names = {name.lower() for name, _ in message.get("headers", [])}
                if b"etag" not in names:
                    extra = [(b"etag", tag)]
                    if b"cache-control" not in names:
                        extra.append(CACHE_CONTROL)
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_tag)


def _matches(if_none_match: str, tag: bytes) -> bool:
    wanted = tag.decode()
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False
