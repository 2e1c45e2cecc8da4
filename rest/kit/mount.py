"""`mount(operations, style)`: the Starlette routes of one dialect.

Per path: dispatch on the method (HEAD answered as GET; any other unknown method 405 with
`Allow`), the operation's auth level, the checked query or body, then the handler; domain
errors, refusals and malformed bodies answered by the dialect's `ErrorStyle`; unknown paths by
its `no_route`. Everything is worked out when mounting, nothing per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from resolvers.errors import DomainError, RateLimited, Unauthenticated
from resolvers.permissions import Actor, require_staff, require_user
from rest.kit import schema
from rest.kit.http import MalformedBody, read_json
from rest.kit.operation import Gate, Operation
from web import caller

# Routes take every method, so that a dialect answers the others in its own words.
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class BadCredential(Unauthenticated):
    """A credential was sent and is wrong (not: none was sent)."""


class Refused(Exception):
    """An answer a dialect words itself (its exact body), raised from a handler or parser."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class ErrorStyle(Protocol):
    """How one dialect words errors (`Errors` below words the usual parts). A `RateLimited`
    answer gets its `Retry-After` from the mount."""

    method_first: bool  # 405 before authentication (False: after it, as DRF checks)

    def error(self, status: int, message: str) -> Response:
        """Any error by status and message (guard, router, malformed body)."""

    def domain_error(self, request: Request, exc: DomainError, op: Operation) -> Response:
        """A domain error raised while serving `op`."""

    def not_allowed(self, request: Request, allow: str) -> Response:
        """405 for a method the path does not serve (`allow`: the Allow header's value)."""

    def no_route(self, request: Request) -> Response:
        """404 for a path the dialect does not have."""


class Errors:
    """An `ErrorStyle`'s usual parts, worded through the dialect's `error(status, message)`:
    405 with `Allow`, 404 for an unknown path."""

    method_first = True
    not_allowed_message = "Method {method} not allowed."
    no_route_message = "No route {path}."

    def error(self, status: int, message: str) -> Response:
        raise NotImplementedError

    def not_allowed(self, request: Request, allow: str) -> Response:
        response = self.error(405, self.not_allowed_message.format(method=request.method))
        response.headers["Allow"] = allow
        return response

    def no_route(self, request: Request) -> Response:
        return self.error(404, self.no_route_message.format(path=request.url.path))


Endpoint = Callable[[Request], Awaitable[Response]]


def mount(
    operations: Sequence[Operation],
    style: ErrorStyle,
    *,
    names: dict[str, str] | None = None,
    both_slashes: bool = False,
    before_catch_all: Sequence[BaseRoute] = (),
) -> list[BaseRoute]:
    """The routes of `operations`, then `before_catch_all` (routes a dialect serves its own
    way), then a catch-all answering `style.no_route`. `names`: route names by path (for
    `url_for`); `both_slashes`: "/x/" also answers as "/x" (DRF)."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = op
    routes: list[BaseRoute] = []
    for path, ops in by_path.items():
        endpoint = _endpoint(ops, style)
        forms = [path, path.rstrip("/")] if both_slashes and path != "/" else [path]
        for form in forms:
            name = (names or {}).get(path) if form == path else None
            routes.append(Route(form, endpoint, methods=HTTP_METHODS, name=name))

    async def no_route(request: Request) -> Response:
        return style.no_route(request)

    routes += [*before_catch_all, Route("/{rest:path}", no_route, methods=HTTP_METHODS)]
    return routes


def allow_header(methods: Sequence[str]) -> str:
    """The Allow value for a path serving `methods` (HEAD wherever GET is)."""
    served = set(methods) | ({"HEAD"} if "GET" in methods else set())
    return ", ".join(sorted(served))


def _endpoint(ops: dict[str, Operation], style: ErrorStyle) -> Endpoint:
    by_method = dict(ops)
    if "GET" in by_method and "HEAD" not in by_method:
        by_method["HEAD"] = by_method["GET"]
    allow = allow_header(list(ops))
    first = next(iter(ops.values()))
    gates = {method: _gate(op) for method, op in by_method.items()}

    async def endpoint(request: Request) -> Response:
        op = by_method.get(request.method)
        try:
            if op is None:
                if not style.method_first:
                    await gates[first.method](request)  # permission first, as DRF
                return style.not_allowed(request, allow)
            actor = await gates[request.method](request)
            data = await _data(request, op) if op.checked else {}
            return await op.handler(request, actor, data)
        except Refused as refused:
            return refused.response
        except DomainError as exc:
            response = style.domain_error(request, exc, op or first)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except MalformedBody as exc:
            return style.error(400, str(exc))

    return endpoint


LEVELS: dict[str, Gate] = {
    "optional": lambda request, actor: actor,
    "user": lambda request, actor: require_user(actor),
    "staff": lambda request, actor: require_staff(actor),
}


def _gate(op: Operation) -> Callable[[Request], Awaitable[Actor | None]]:
    """The operation's auth level as one function of the request."""
    if op.auth == "public":

        async def nobody(request: Request) -> None:
            return None

        return nobody
    check = LEVELS.get(op.auth, op.auth)

    async def gate(request: Request) -> Actor | None:
        try:
            actor = await caller(request)
        except Unauthenticated as exc:
            raise BadCredential(exc.message) from None
        return check(request, actor)

    return gate


async def _data(request: Request, op: Operation) -> dict:
    """The checked query parameters, or the checked JSON body (an empty body is {})."""
    if op.query is not None:
        return schema.query(request, op.query)
    if op.body is not None and "application/json" in op.body_media:
        data = await read_json(request) if await request.body() else {}
        return schema.check(op.body, data, "body")
    return {}
