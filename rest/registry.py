"""The dialects `server.py` mounts: prefix, routes, the error renderer of its guard, and any
middleware of its own. Longer prefixes first: the first match wins. `WEBHOOK_PAYLOADS`: the
words webhook bodies speak (platform v1's, whose reference documents them), which `server.py`
hands to the webhook worker, as the domain never imports a door."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from rest import control_panel, helpdesk, nephthys, platform_v1
from rest.kit.guard import ErrorRenderer
from rest.platform_v1.render import WEBHOOK_PAYLOADS

__all__ = ["DIALECTS", "WEBHOOK_PAYLOADS", "Dialect"]


@dataclass(frozen=True)
class Dialect:
    name: str
    prefix: str
    routes: Sequence[BaseRoute]
    error: ErrorRenderer  # the guard's answers (413, 500, the router's own) in its format
    middleware: Sequence[Middleware] = ()


DIALECTS: list[Dialect] = [
    Dialect(
        "platform_v1",
        "/api/v1",
        platform_v1.routes,
        platform_v1.error_response,
        platform_v1.MIDDLEWARE,
    ),
    Dialect("nephthys", "/api", nephthys.routes, nephthys.error_response),
    Dialect("control_panel", "/support", control_panel.routes, control_panel.error_response),
    # its routes include the legacy POST API's
    Dialect(
        "helpdesk",
        "/helpdesk/api",
        helpdesk.routes,
        helpdesk.error_response,
        helpdesk.MIDDLEWARE,
    ),
]
