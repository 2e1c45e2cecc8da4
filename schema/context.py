"""Per-request GraphQL context: the caller, the settings and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from strawberry.types import Info

from resolvers.errors import RateLimited, Unauthenticated
from resolvers.files import Storage
from resolvers.permissions import Actor
from schema.loaders import Loaders
from settings import Settings


@dataclass
class Context:
    request: Request | None
    settings: Settings
    storage: Storage
    user: Actor | None = None
    auth_error: Unauthenticated | RateLimited | None = None
    cost: dict | None = None  # extensions.cost of the answer (schema/http.py)
    # a WebSocket's: connection_init's payload, and the credential headers taken from it
    connection_params: dict | None = None
    credentials: dict[str, str] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        """Made on first use (compiled queries never need them)."""
        if self._loaders is None:
            self._loaders = Loaders()
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget what the loaders fetched (a subscription's context lives long)."""
        self._loaders = None

    @property
    def actor(self) -> Actor | None:
        """The caller; a credential that was present but wrong fails here, not earlier."""
        if self.auth_error is not None:
            raise self.auth_error
        return self.user


def actor(info: Info) -> Actor | None:
    return info.context.actor


def loaders(info: Info) -> Loaders:
    return info.context.loaders
