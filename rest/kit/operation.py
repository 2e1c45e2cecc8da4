"""One operation of a dialect, declared once: the mount serves it and the OpenAPI builder
documents it from the same declaration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from resolvers.permissions import Actor

# handler(request, actor, data): `data` is the checked query or JSON body when the operation
# declares `checked=True`, else {} (the handler parses its own input).
Handler = Callable[[Request, Any, dict], Awaitable[Response]]
# A custom auth level: (request, actor or None) → the actor the handler gets, or a domain error.
Gate = Callable[[Request, Actor | None], Actor | None]
# public: no credential is looked at; optional: one sent must be valid; user: one is needed;
# staff: an agent's or admin's.
Auth = Literal["public", "optional", "user", "staff"] | Gate


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # Starlette's syntax: "/tickets/{id:id}"
    handler: Handler
    summary: str
    auth: Auth = "user"
    query: Mapping[str, dict] | None = None  # parameter name → JSON Schema
    body: dict | None = None  # JSON Schema of the request body
    body_media: tuple[str, ...] = ("application/json",)
    checked: bool = False  # the mount checks query/body against the schemas (kit.schema)
    status: int = 200  # success status
    response: dict | None = None  # JSON Schema of the success body ("binary": file bytes)
    tag: str | None = None
    renames: Mapping[str, str] = field(default_factory=dict)  # domain field → this API's name
    operation_id: str = ""  # default: the handler's name

    @property
    def id(self) -> str:
        return self.operation_id or self.handler.__name__

    @property
    def is_public(self) -> bool:
        return self.auth == "public"
