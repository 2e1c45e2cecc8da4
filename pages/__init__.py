"""The landing page (`/`) and the API docs pages (`/docs/<door>`: Swagger UI over the door's
own OpenAPI document), with Swagger UI's pinned assets served from here (pages/static/,
licences beside them) under a strict content security policy: nothing from elsewhere, no
inline script, so the pages work with no internet."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from pages.assets import VersionedAssets

ASSETS = Path(__file__).parent / "static"
PREFIX = "/docs/assets"
SWAGGER = "swagger-ui-5.35.0"
# door → (title, its OpenAPI document): the REST dialects that publish one
DOORS = {
    "platform_v1": ("Ticketing Platform API v1", "/api/v1/openapi.json"),
    "control_panel": ("Control panel Tickets API", "/support/openapi.json"),
    "helpdesk": ("django-helpdesk REST API", "/helpdesk/api/openapi.json"),
    "nephthys": ("nephthys stats & tickets", "/api/openapi.json"),
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


def _page(title: str, body: str, head: str = "", attributes: str = "") -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><link rel="icon" href="data:,">{head}</head>'
        f"<body{attributes}>{body}</body></html>",
        headers=PAGE_HEADERS,
    )


async def landing(request: Request) -> Response:
    """What this server offers, with links: GraphiQL, each door's docs, the health routes."""
    root = escape(request.scope.get("root_path", ""))
    doors = "".join(
        f'<li><a href="{root}/docs/{name}">{escape(title)}</a>'
        f' (<a href="{root}{escape(spec)}">OpenAPI</a>)</li>'
        for name, (title, spec) in DOORS.items()
    )
    body = (
        "<h1>ticketgate</h1><ul>"
        f'<li><a href="{root}/graphql">GraphQL (GraphiQL)</a></li>{doors}</ul>'
        f'<p>Health: <a href="{root}/healthz">/healthz</a> (alive),'
        f' <a href="{root}/readyz">/readyz</a> (ready for traffic).</p>'
    )
    return _page("ticketgate", body)


async def door_docs(request: Request) -> Response:
    door = request.path_params["door"]
    if door not in DOORS:
        return PlainTextResponse(f"No API docs for {door[:64]!r}.", 404)
    title, spec = DOORS[door]
    root = escape(request.scope.get("root_path", ""))
    assets = f"{root}{PREFIX}"
    head = f'<link rel="stylesheet" href="{assets}/{SWAGGER}/swagger-ui.css">'
    body = (
        '<div id="swagger-ui">Loading…</div>'
        f'<script src="{assets}/{SWAGGER}/swagger-ui-bundle.js"></script>'
        f'<script src="{assets}/ticketgate-docs.js"></script>'
    )
    return _page(f"ticketgate · {title}", body, head, f' data-spec="{root}{escape(spec)}"')


routes = [
    Route("/", landing, methods=["GET", "HEAD"]),
    Route("/docs/{door}", door_docs, methods=["GET", "HEAD"]),
    Mount(PREFIX, VersionedAssets(directory=ASSETS), name="docs-assets"),
]
