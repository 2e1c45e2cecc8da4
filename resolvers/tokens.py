"""API tokens: `tg_<key_id>_<secret>`, shown once; only sha256(secret) is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from models import ApiToken, User
from resolvers import clock, validation
from resolvers.errors import Forbidden, NotFound
from resolvers.permissions import Actor, require_user

PREFIX = "tg_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(actor: Actor | None, user_id: int, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user_id` (yourself, or anyone for an admin). Returns (row, raw token)."""
    actor = require_user(actor)
    if actor.id != user_id and actor.role != "admin":
        raise Forbidden("Only administrators may create tokens for other users.")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    name = validation.text("name", name, max_length=100, required=False)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    token = await ApiToken.create(
        user=user, name=name, key_id=key_id, digest=_digest(secret), created_at=clock.now()
    )
    return token, f"{PREFIX}{key_id}_{secret}"


def looks_like_token(raw: str) -> bool:
    return raw.startswith(PREFIX) and raw.count("_") >= 2


async def user_for_token(raw: str) -> User | None:
    """The active owner of a valid token, else None (digests compared in constant time)."""
    if not looks_like_token(raw):
        return None
    key_id, _, secret = raw[len(PREFIX) :].partition("_")
    token = await ApiToken.get_or_none(key_id=key_id).select_related("user")
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    if not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        await token.save(update_fields=["last_used_at"])
    return token.user
