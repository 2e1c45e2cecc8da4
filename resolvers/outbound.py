"""The HTTP client webhook deliveries use: it connects only to addresses it has just checked.

Each new connection resolves the host (`webhooks.resolve`), refuses it unless every address is
public (`webhooks.forbidden_address`: loopback, private, link-local, multicast, reserved, and
the IPv6 forms embedding such an IPv4 address) and connects to one of those very addresses, so
DNS cannot answer one address to the check and another to the connection (rebinding). The URL
keeps its host name: `Host`, TLS SNI and certificate checks use it. No proxy from the
environment, no redirects.
"""

from __future__ import annotations

import typing

import httpcore
import httpx

from resolvers import webhooks
from resolvers.errors import Invalid

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to checked addresses only."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await webhooks.public_addresses(host, port)
        except Invalid as exc:
            raise httpcore.ConnectError(exc.message) from None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ASYNC109
        raise httpcore.ConnectError("Webhook targets are network addresses.")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def client(
    *, allow_private: bool, backend: httpcore.AsyncNetworkBackend | None = None
) -> httpx.AsyncClient:
    """A client for deliveries; with `allow_private` (tests, trusted networks) an ordinary one."""
    options = {"timeout": TIMEOUT, "follow_redirects": False, "trust_env": False}
    if allow_private:
        return httpx.AsyncClient(**options)
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend of its own: give its transport a pool with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=PinnedBackend(backend),
    )
    return httpx.AsyncClient(transport=transport, **options)
