"""nephthys' errors: `{"error": "<message>"}`; every authentication failure is 401
"unauthorized"; parameter problems use the bot's own words (raised as `Refused`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.errors import DomainError, Unauthenticated
from rest.kit.http import JSONResponse
from rest.kit.mount import Errors, Refused
from rest.kit.operation import Operation
from rest.kit.status import status_for


def refuse(status: int, body: dict[str, str]) -> Refused:
    """An answer in nephthys' own words (the body is sent as is)."""
    return Refused(JSONResponse(body, status))


class NephthysErrors(Errors):
    not_allowed_message, no_route_message = "method_not_allowed", "not_found"

    def error(self, status: int, message: str) -> Response:
        return JSONResponse({"error": message}, status)

    def domain_error(self, request: Request, exc: DomainError, op: Operation) -> Response:
        if isinstance(exc, Unauthenticated):
            return self.error(401, "unauthorized")
        return self.error(status_for(exc), exc.message)


STYLE = NephthysErrors()
