"""The platform's errors: `{"error": {"code", "message", "details"}}`; invalid input is 422
with one detail per field (in this API's field names)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.errors import DomainError, Invalid
from rest.kit.http import JSONResponse
from rest.kit.mount import Errors
from rest.kit.operation import Operation
from rest.kit.status import status_for

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "rate_limit_exceeded",
    500: "internal_error",
}
# Domain field names that this API spells differently.
FIELD_NAMES = {
    "search": "q",
    "body": "content",
    "limit": "per_page",
    "offset": "page",
    "order_by": "sort",
}
NOT_FOUND = "Resource not found."


def error_response(
    status: int, message: str, details: list[dict[str, str]] | None = None
) -> Response:
    body = {"code": ERROR_CODES.get(status, "error"), "message": message, "details": details or []}
    return JSONResponse({"error": body}, status)


class PlatformErrors(Errors):
    no_route_message = NOT_FOUND

    def error(self, status: int, message: str) -> Response:
        return error_response(status, message)

    def domain_error(self, request: Request, exc: DomainError, op: Operation) -> Response:
        if isinstance(exc, Invalid):
            details = [
                {"field": FIELD_NAMES.get(e.field, e.field), "message": e.message}
                for e in exc.fields
            ]
            return error_response(422, "The request data is invalid", details)
        return error_response(status_for(exc), exc.message)


STYLE = PlatformErrors()
