"""`GET /metrics`: the Prometheus exposition, behind METRICS_TOKEN."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from observe.metrics import WEBHOOK_PENDING, exposition
from resolvers import webhooks


async def endpoint(request: Request) -> Response:
    """`GET /metrics` with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise)."""
    expected = f"Bearer {request.app.state.settings.metrics_token}".encode()
    given = request.headers.get("authorization", "").encode("latin-1", "replace")
    if not hmac.compare_digest(given, expected):
        return PlainTextResponse(
            "Metrics need the METRICS_TOKEN as a bearer token.\n",
            401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    WEBHOOK_PENDING.set(await webhooks.pending_deliveries())
    body, content_type = exposition()
    return Response(body, media_type=content_type)
