"""Mutation payloads in the userErrors style.

Every mutation returns a nullable payload holding its object(s) (null on failure) and
`userErrors`: the expected failures (bad input, not found, forbidden, conflict) are data, so
one failing mutation never blanks the result of another in the same document. Request-wide
failures (a missing or wrong credential, a spent rate limit) and unexpected faults stay
top-level errors (schema/errors.py).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from resolvers.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


@strawberry.enum(description="Why a mutation did not do what was asked.")
class UserErrorCode(Enum):
    BAD_USER_INPUT = strawberry.enum_value(
        "BAD_USER_INPUT", description="A value of the input is not acceptable."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The object does not exist or is not visible to the caller."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="The caller may see the object but not make this change."
    )
    CONFLICT = strawberry.enum_value(
        "CONFLICT", description="The change does not fit the object's current state."
    )


@strawberry.type(description="An expected failure of a mutation, reported as data.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (`title`, `clientEmails`, …); null when the"
        " error is not about one field."
    )
    message: str = strawberry.field(description="What went wrong, for people.")
    code: UserErrorCode = strawberry.field(description="What went wrong, for programs.")


EXPECTED = (Invalid, NotFound, Forbidden, Conflict)
# Domain field names → the inputs' names where they differ (others are camel-cased).
INPUT_NAMES = {
    "queue_id": "queue",
    "assigned_to_id": "assignedTo",
    "merged_into_id": "into",
    "merged_into": "into",
}


def user_errors(exc: DomainError) -> list[UserError]:
    """The userErrors reporting an expected domain error (every field of an Invalid)."""
    code = UserErrorCode(exc.code)
    if isinstance(exc, Invalid):
        return [
            UserError(
                field=INPUT_NAMES.get(e.field) or to_camel_case(e.field),
                message=e.message,
                code=code,
            )
            for e in exc.fields
        ]
    return [UserError(field=None, message=exc.message, code=code)]


class UserErrors(FieldExtension):
    """Turn the expected domain errors of a mutation into its payload's `userErrors`."""

    def apply(self, field) -> None:
        self.field = field

    async def resolve_async(self, next_, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except EXPECTED as exc:
            payload = self.field.type
            payload = getattr(payload, "of_type", payload)  # the payload is nullable
            return payload(user_errors=user_errors(exc))


def mutation(description: str):
    """A mutation field whose expected failures become `userErrors`."""
    return strawberry.mutation(description=description, extensions=[UserErrors()])


INPUT = "What to do."
USER_ERRORS_DESCRIPTION = "Expected failures; empty when the mutation succeeded."


def user_errors_field() -> list[UserError]:
    return strawberry.field(default_factory=list, description=USER_ERRORS_DESCRIPTION)
