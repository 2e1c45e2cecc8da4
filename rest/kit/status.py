"""Domain errors → HTTP status codes (where a dialect's API does not say otherwise)."""

from __future__ import annotations

from resolvers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Stale,
    Unauthenticated,
)

HTTP_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Stale: 412,  # (before Conflict, its base)
    Conflict: 409,
    RateLimited: 429,
    Invalid: 400,
}


def status_for(exc: DomainError) -> int:
    for cls, status in HTTP_STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500
