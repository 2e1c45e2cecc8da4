"""The check `make fuzz` applies to every answer: no 5xx, no internal error hidden in a 200
(GraphQL masks unexpected errors as INTERNAL_SERVER_ERROR) and no traceback. (Schemathesis's
own GraphQL check counts every domain error, NOT_FOUND included, as a server error.) Used by
`fuzz/run.py` and by the short in-process run of `make test` (tests/security/test_fuzz.py)."""

from __future__ import annotations

import schemathesis

# Settings that move the budgets out of the fuzzer's way (it tests answers, not limits) and keep
# webhooks from being sent; each one's environment variable is its name in capitals.
RELAXED = {
    "rate_limit_standard": "100000000/minute",
    "rate_limit_premium": "100000000/minute",
    "graphql_cost_per_minute": 0,
    "webhooks_enabled": False,
}
# What the server logs, with the traceback, for an error it did not expect (rest/kit/guard.py,
# schema/errors.py): none may appear while fuzzing.
UNEXPECTED = "unexpected error"


@schemathesis.check
def no_internal_error(ctx, response, case) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    text = response.text
    if "INTERNAL_SERVER_ERROR" in text or "Internal server error" in text:
        raise AssertionError(f"an internal error was answered: {text[:300]}")
    if "Traceback (most recent call last)" in text:
        raise AssertionError("a traceback was answered")
