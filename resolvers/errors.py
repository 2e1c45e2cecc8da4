"""Domain errors. Every door maps these onto its own error format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple


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


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int, budget: object = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.budget = budget  # the ratelimit.Budget that ran out, for rate-limit headers


class FieldError(NamedTuple):
    """One invalid field: its domain name, a message for people and a code for programs (a
    door words the error in its own vocabulary from the code and `params`).

    Codes: `blank` (text required), `too_long` (params `max`), `invalid` (wrong type or
    form), `invalid_choice` (`value`), `invalid_email`, `out_of_range` (`low`, `high`),
    `does_not_exist` (`value`: the id), `unknown_field`, `not_allowed` (a valid value this
    change may not take)."""

    field: str
    message: str
    code: str = "invalid"
    params: Mapping[str, Any] = {}


class Invalid(DomainError):
    """Bad input; `fields` lists every invalid field found (FieldError), in input order."""

    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str, code: str = "invalid", **params: Any) -> None:
        super().__init__(message)
        self.fields: list[FieldError] = [FieldError(field, message, code, params)]

    @classmethod
    def many(cls, problems: Iterable[FieldError | tuple]) -> Invalid:
        """One error for several fields ((field, message[, code]) tuples or FieldErrors)."""
        found = [FieldError(*p) for p in problems]
        first = found[0]
        error = cls(first.field, first.message, first.code, **first.params)
        error.fields = found
        return error

    @property
    def field(self) -> str:
        return self.fields[0].field


class Collector:
    """Gathers the Invalid errors of several checks, so a command reports every invalid field
    at once: `with found.check(): …` per field, then `found.raise_any()`."""

    def __init__(self) -> None:
        self.fields: list[FieldError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except Invalid as exc:
            self.fields += exc.fields

    def raise_any(self) -> None:
        if self.fields:
            raise Invalid.many(self.fields)
