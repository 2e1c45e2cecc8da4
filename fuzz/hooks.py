"""The check `make fuzz` applies to every answer: no 5xx, no internal error hidden in a 200
(GraphQL masks unexpected errors as INTERNAL_SERVER_ERROR) and no traceback. (Schemathesis's
own GraphQL check counts every domain error, NOT_FOUND included, as a server error.)"""

from __future__ import annotations

import schemathesis


@schemathesis.check
def no_internal_error(ctx, response, case) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    text = response.text
    if "INTERNAL_SERVER_ERROR" in text or "Internal server error" in text:
        raise AssertionError(f"an internal error was answered: {text[:300]}")
    if "Traceback (most recent call last)" in text:
        raise AssertionError("a traceback was answered")
