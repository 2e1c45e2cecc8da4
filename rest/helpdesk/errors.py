"""DRF's errors: `{"detail": "…"}`, field errors `{"field": ["message", …]}`, 403 for every
authentication failure (with DRF's words), and 405 only after the view's permission check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from rest.kit.http import JSONResponse
from rest.kit.mount import BadCredential, Refused
from rest.kit.operation import Operation

PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_AUTHENTICATED = "Authentication credentials were not provided."
# Domain field names → this API's names, for error bodies.
FIELD_NAMES = {
    "queue_id": "queue",
    "merged_into_id": "merged_to",
    "merged_into": "merged_to",
    "assigned_to_id": "assigned_to",
    "body": "comment",
    "files": "attachments",
    "name": "first_name",
    "client_emails": "submitter_email",  # the door's contacts are its submitter
}


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"detail": message}, status)


def field_errors(errors: dict[str, list[str]]) -> Refused:
    """DRF's 400 body: {"field": ["message", …]}."""
    return Refused(JSONResponse(errors, 400))


def invalid_page() -> Refused:
    return Refused(error_response(404, "Invalid page."))


# The domain's error codes (resolvers.errors.FieldError) in DRF's and Django's words.
DRF_WORDS = {
    "blank": "This field may not be blank.",
    "too_long": "Ensure this field has no more than {max} characters.",
    "invalid_choice": '"{value}" is not a valid choice.',
    "invalid_email": "Enter a valid email address.",
    "does_not_exist": 'Invalid pk "{value}" - object does not exist.',
}


def api_name(field: str) -> str:
    """A domain field's name in this API."""
    name = field.split(".")[0]
    return FIELD_NAMES.get(name, name)


def drf_message(error: FieldError) -> str:
    words = DRF_WORDS.get(error.code)
    return words.format(**error.params) if words else error.message


def invalid_fields(exc: Invalid) -> dict[str, list[str]]:
    """Every field of the domain's error, each under its name here, in DRF's words."""
    errors: dict[str, list[str]] = {}
    for error in exc.fields:
        messages = errors.setdefault(api_name(error.field), [])
        if (message := drf_message(error)) not in messages:
            messages.append(message)
    return errors


class DRFErrors:
    method_first = False

    def error(self, status: int, message: str) -> Response:
        return error_response(status, message)

    def domain_error(self, request: Request, exc: DomainError, op: Operation) -> Response:
        if isinstance(exc, BadCredential):
            scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
            bad = "Invalid username/password." if scheme == "basic" else "Invalid token."
            return error_response(403, bad)
        if isinstance(exc, Unauthenticated):
            return error_response(403, NOT_AUTHENTICATED)
        if isinstance(exc, Forbidden):
            return error_response(403, PERMISSION_DENIED)
        if isinstance(exc, NotFound):
            return error_response(404, f"No {op.tag} matches the given query.")
        if isinstance(exc, Invalid):
            return JSONResponse(invalid_fields(exc), 400)
        if isinstance(exc, Conflict):
            return JSONResponse({"non_field_errors": [exc.message]}, 400)
        if isinstance(exc, RateLimited):
            message = f"Request was throttled. Expected available in {exc.retry_after} seconds."
            return JSONResponse({"detail": message}, 429, {"Retry-After": str(exc.retry_after)})
        return error_response(500, exc.message)

    def not_allowed(self, request: Request, allow: str) -> Response:
        message = f'Method "{request.method}" not allowed.'
        return JSONResponse({"detail": message}, 405, {"Allow": allow})

    def no_route(self, request: Request) -> Response:
        return error_response(404, "Not Found")


STYLE = DRFErrors()
