"""The control panel's errors: `{"error": {"code", "message", "field"}}` everywhere."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.errors import DomainError, Invalid
from rest.kit.http import JSONResponse
from rest.kit.mount import Errors
from rest.kit.operation import Operation
from rest.kit.status import status_for

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
}


def error(status: int, message: str, field: str | None = None) -> Response:
    code = CODES.get(status, "error")
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status)


class ControlPanelErrors(Errors):
    def error(self, status: int, message: str) -> Response:
        return error(status, message)

    def domain_error(self, request: Request, exc: DomainError, op: Operation) -> Response:
        if isinstance(exc, Invalid):
            name = exc.field.split(".")[0]
            shown = op.renames.get(name, name)
            message = exc.message.replace(name, shown, 1) if shown != name else exc.message
            return error(400, message, shown)
        return error(status_for(exc), exc.message)


STYLE = ControlPanelErrors()
