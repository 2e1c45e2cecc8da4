"""Conditional GETs for every door: an `ETag` on each 200 answer to a GET, and `304 Not
Modified` for an `If-None-Match` that still holds, without running the request.

The tag is a keyed hash of the store's data version (`resolvers.reads.data_version`, read
before the request runs, so a tag never vouches for data older than its body), the caller's
credential, the method-independent request (path, query string, whether `Accept` asks for
HTML: GraphiQL's page, else data) and, for answers
that depend on the clock (the nephthys stats), the current time bucket. A write committed
through any door or process changes the version, so the next request gets a full answer.

A conditional request is authenticated before it may be answered 304 (an expired or revoked
credential gets its door's own error instead); 304s do not spend rate-limit budgets. The
layer in front of every door (`front.Front`) asks `Conditional.check` before running a GET.
Docs: docs/architecture.md ("Conditional requests").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import Scope

from resolvers import reads
from web import signed_in

CODE_VERSION = b"3"  # bump when a door's rendering changes, so old tags stop matching
CACHE_CONTROL = (b"cache-control", b"private, no-cache")
UNTAGGED = {"/healthz", "/readyz"}  # about the process, not the data: never a 304
TAGGED_METHODS = {"GET", "HEAD"}


class Conditional:
    def __init__(self, secret: str, clock_bucket: Callable[[str], float | None]) -> None:
        """`clock_bucket(path)`: seconds a clock-dependent answer stays the same (None when
        the answer depends on the data and the request only)."""
        self.key = hashlib.sha256(b"etag:" + secret.encode()).digest()
        self.clock_bucket = clock_bucket

    def tag(self, version: str, scope: Scope, headers: dict[bytes, bytes]) -> bytes:
        """`headers`: the request's, by lowercase name (the first of repeated ones)."""
        parts = [
            CODE_VERSION,
            version.encode(),
            scope["path"].encode(),
            scope.get("query_string", b""),
            b"html" if b"text/html" in headers.get(b"accept", b"") else b"",  # GraphiQL or data
            headers.get(b"authorization", b""),
            headers.get(b"x-token", b""),
        ]
        bucket = self.clock_bucket(scope["path"])
        if bucket:
            parts.append(str(int(time.time() // bucket)).encode())
        digest = hashlib.blake2s(b"\0".join(parts), key=self.key, digest_size=16).hexdigest()
        return f'"{digest}"'.encode()

    async def check(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[bytes | None, bool]:
        """The request's tag (None: untagged) and whether it may be answered 304."""
        if scope["method"] not in TAGGED_METHODS or scope["path"] in UNTAGGED:
            return None, False
        version = await reads.data_version()
        if version is None:
            return None, False
        tag = self.tag(version, scope, headers)
        wanted = headers.get(b"if-none-match")
        fresh = bool(wanted) and _matches(wanted, tag) and await signed_in(Request(scope))
        return tag, fresh


def tagged(headers: list[tuple[bytes, bytes]], tag: bytes) -> list[tuple[bytes, bytes]]:
    """A 200 answer's headers with the ETag (and the cache policy, unless it has its own)."""
    names = {name.lower() for name, _ in headers}
    if b"etag" in names:
        return headers
    return (
        [*headers, (b"etag", tag)]
        if b"cache-control" in names
        else [
            *headers,
            (b"etag", tag),
            CACHE_CONTROL,
        ]
    )


def _matches(if_none_match: bytes, tag: bytes) -> bool:
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == tag:
            return True
    return False
