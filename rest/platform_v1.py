"""Placeholder until this dialect lands: no routes yet."""

from starlette.responses import Response

from rest.common import JSONResponse

routes: list = []


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)
