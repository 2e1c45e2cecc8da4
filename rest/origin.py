"""Absolute URLs: PUBLIC_BASE_URL when set, else each request's own scheme and host.

`PublicOrigin` rewrites a request's scheme and Host to those of PUBLIC_BASE_URL, so every URL
built from the request (`request.base_url`, `url_for`, pagination links, attachment URLs) is
public, in every door alike. Unset, URLs follow the request (like Django's
`build_absolute_uri`): its Host header, and its scheme, which uvicorn takes from
`X-Forwarded-Proto` (and the client address from `X-Forwarded-For`) only when the connection
comes from a proxy listed in FORWARDED_ALLOW_IPS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


def parse_base_url(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of `scheme://host[:port]`; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"PUBLIC_BASE_URL must be http(s)://host[:port], not {url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"PUBLIC_BASE_URL must be http(s)://host[:port], not {url!r}")
    return parts.scheme, parts.netloc


class PublicOrigin:
    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        scheme, host = parse_base_url(base_url)
        self.scheme, self.host = scheme, host.encode("latin-1")
        self.ws_scheme = "wss" if scheme == "https" else "ws"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = {
                **scope,
                "scheme": self.scheme if scope["type"] == "http" else self.ws_scheme,
                "headers": [(b"host", self.host), *headers],
            }
        await self.app(scope, receive, send)
