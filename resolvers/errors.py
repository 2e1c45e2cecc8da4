"""Domain errors. Every door maps these onto its own error format."""

from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


class Stale(Conflict):
    """The caller's copy is out of date (optimistic concurrency: GraphQL `expectedUpdatedAt`,
    REST `If-Match`): nothing was changed."""


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int, budget: object = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.budget = budget  # the ratelimit.Budget that ran out, for rate-limit headers


class Invalid(DomainError):
    """Bad input; `fields` lists every (field, message) pair found."""

    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.fields: list[tuple[str, str]] = [(field, message)]

    @classmethod
    def many(cls, problems: list[tuple[str, str]]) -> Invalid:
        error = cls(*problems[0])
        error.fields = list(problems)
        return error

    @property
    def field(self) -> str:
        return self.fields[0][0]
