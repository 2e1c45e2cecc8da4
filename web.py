"""Who is calling: the request's authenticated user, shared by every door (REST dialects,
GraphQL, conditional GETs) so a request is authenticated once."""

from __future__ import annotations

from starlette.requests import Request

from resolvers import auth
from resolvers.errors import DomainError
from resolvers.permissions import Actor


async def caller(request: Request) -> Actor | None:
    """The authenticated user (None when no credential was sent); cached on the request, a
    refusal too (so a wrong password is checked, and counted by the throttle, once).
    Unauthenticated for a wrong credential, RateLimited for a throttled HTTP Basic password."""
    scope = request.scope
    if "caller" not in scope:
        if "caller_error" in scope:
            raise scope["caller_error"]
        try:
            scope["caller"] = await auth.authenticate(request.headers, **_auth_context(request))
        except DomainError as exc:
            scope["caller_error"] = exc
            raise
    return scope["caller"]


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
    client = request.scope.get("client")  # (Starlette's `request.client` builds a tuple)
    return client[0] if client else ""
