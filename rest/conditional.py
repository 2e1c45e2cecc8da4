"""Conditional GETs for every door: an `ETag` on each 200 answer to a GET, and `304 Not
Modified` for an `If-None-Match` that still holds, without running the request.

The tag is a keyed hash of the store's data version (`resolvers.reads.data_version`, read
before the request runs, so a tag never vouches for data older than its body), the caller's
credential, the method-independent request (path, query string, whether `Accept` asks for
HTML: GraphiQL's page, else data) and, for answers
that depend on the clock (the nephthys stats), the current time bucket. A write committed
through any door or process changes the version, so the next request gets a full answer.

A ticket's own GET (platform v1, helpdesk, control panel) tags it `"<that tag>.<the ticket's
version>"` (`ticket_etag`; `resolvers.tickets.version`): `If-None-Match` compares the first part,
so it answers 304 exactly as before, and `If-Match` on the ticket's update compares the version
(`if_match`, checked by the domain under the ticket's row lock), so a tag stays good for writing
while other tickets change.

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

from resolvers import reads, tickets
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

    async def check(
        self, scope: Scope, headers: dict[bytes, bytes]
    ) -> tuple[bytes | None, bytes | None]:
        """The request's tag (None: untagged; also kept in `scope["etag"]` for `ticket_etag`)
        and the tag to answer 304 with (None: answer in full)."""
        if scope["method"] not in TAGGED_METHODS or scope["path"] in UNTAGGED:
            return None, None
        version = await reads.data_version()
        if version is None:
            return None, None
        tag = scope["etag"] = self.tag(version, scope, headers)
        wanted = headers.get(b"if-none-match")
        matched = _matched(wanted.decode("latin-1"), tag) if wanted else None
        if matched and not await signed_in(Request(scope)):
            matched = None
        return tag, matched


def tagged(headers: list[tuple[bytes, bytes]], tag: bytes) -> list[tuple[bytes, bytes]]:
    """A 200 answer's headers with the ETag (unless it has its own: a ticket's) and the cache
    policy (unless it has its own)."""
    names = {name.lower() for name, _ in headers}
    extra = [] if b"etag" in names else [(b"etag", tag)]
    if b"cache-control" not in names:
        extra.append(CACHE_CONTROL)
    return [*headers, *extra] if extra else headers


def _matched(if_none_match: str, tag: bytes) -> bytes | None:
    """The tag a 304 answers with: `tag`, or the ticket's tag that extends it (unchanged
    with the store); None when no candidate matches."""
    wanted = tag.decode()
    for candidate in if_none_match.split(","):
        candidate = candidate.strip().removeprefix("W/")
        if candidate in ("*", wanted):
            return tag
        if candidate.startswith(wanted[:-1] + "."):
            return candidate.encode()
    return None


def ticket_etag(request: Request, ticket_id: int, updated_at: object) -> str:
    """The ETag of a ticket's own representation (the module docstring). A write's answer
    (no tag of a GET in `scope`) carries the version alone: good for If-Match, never a 304."""
    version = tickets.version(ticket_id, updated_at)
    store = request.scope.get("etag")
    return f'"{store.decode()[1:-1]}.{version}"' if store else f'"{version}"'


def if_match(request: Request) -> list[str] | None:
    """The ticket versions `If-Match` names, for `tickets.update_ticket(expected=…)`; None
    without the header or with `*` (any current ticket matches). Weak tags (`W/"…"`) never
    match, as If-Match compares strongly, and neither does a tag of another ticket."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    tags = (t.strip() for t in header.split(","))
    return [".".join(t[1:-1].split(".")[-2:]) for t in tags if len(t) > 2 and t[0] == t[-1] == '"']
