"""GraphiQL's page, served with its pinned assets (schema/static/, licences beside them) under a
strict content security policy: no file from elsewhere, no inline script, so it works with no
internet. `GRAPHIQL_ENABLED=false` turns page and assets off. Docs: docs/graphql.md.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount

from pages.assets import VersionedAssets
from settings import Settings

ASSETS = Path(__file__).parent / "static"
PREFIX = "/graphql/assets"
STYLES = ["graphiql-3.8.3/graphiql.min.css", "ticketgate-graphiql.css"]
SCRIPTS = [
    "react-18.3.1/react.production.min.js",
    "react-dom-18.3.1/react-dom.production.min.js",
    "graphiql-3.8.3/graphiql.min.js",
    "graphql-ws-5.16.2/graphql-ws.min.js",
    "ticketgate-graphiql.js",
]
# Only this server's own files; fonts and icons inlined in GraphiQL's CSS are data: URLs. No
# script but ours; inline styles are allowed because GraphiQL's menus (Radix) inject <style>
# elements, without which choosing among several operations fails.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


def graphiql_page(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    links = "".join(
        f'<link rel="stylesheet" href="{escape(root + PREFIX)}/{name}">' for name in STYLES
    )
    scripts = "".join(f'<script src="{escape(root + PREFIX)}/{name}"></script>' for name in SCRIPTS)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>ticketgate · GraphiQL</title>"
        f'<link rel="icon" href="data:,">{links}</head>'
        f'<body data-endpoint="{escape(root)}/graphql"><div id="graphiql">Loading…</div>'
        f"{scripts}</body></html>"
    )
    return HTMLResponse(page, headers=PAGE_HEADERS)


def routes(settings: Settings) -> list[Mount]:
    """The assets' mount, when GraphiQL is on."""
    if not settings.graphiql_enabled:
        return []
    return [Mount(PREFIX, VersionedAssets(directory=ASSETS), name="graphiql-assets")]
