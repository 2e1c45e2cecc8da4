"""Pinned static assets served by ticketgate itself (GraphiQL's and Swagger UI's)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class VersionedAssets(StaticFiles):
    """Pinned static assets: versioned directories never change (cached for a year); the
    project's own files at the top level revalidate."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            versioned = "/" in path.strip("/")
            response.headers["cache-control"] = (
                "public, max-age=31536000, immutable" if versioned else "no-cache"
            )
        response.headers["x-content-type-options"] = "nosniff"
        return response
