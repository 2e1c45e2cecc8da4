"""API tokens: `tg_<key_id>_<secret>`, shown once; only sha256(secret) is stored."""

from __future__ import annotations

import hashlib
import re
import secrets

from models import ApiToken, Role, User
from resolvers import clock, credentials, events, validation, writes
from resolvers.errors import Forbidden, NotFound
from resolvers.pagination import Keyset, Page, Slice, Window, paginate, paginate_by_id
from resolvers.permissions import Actor, require_user

PREFIX = "tg_"
# tg_<16 hex key id>_<token_urlsafe(32)>; anything else is refused before any lookup
TOKEN_RE = re.compile(r"tg_([0-9a-f]{16})_([A-Za-z0-9_-]{1,128})")


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


def _visible_tokens(actor: Actor | None, user_id: int | None):
    """Your own tokens; an admin's: everyone's, or one user's (`user_id`)."""
    actor = require_user(actor)
    if actor.role != Role.ADMIN:
        if user_id not in (None, actor.id):
            raise Forbidden("Only administrators may list other users' tokens.")
        user_id = actor.id
    return ApiToken.all() if user_id is None else ApiToken.filter(user_id=user_id)


async def list_tokens(actor: Actor | None, user_id: int | None, win: Window) -> Page[ApiToken]:
    """API tokens (never their secrets), oldest first, one offset page (the command line)."""
    return await paginate(_visible_tokens(actor, user_id).order_by("id"), win)


async def tokens_page(actor: Actor | None, user_id: int | None, keys: Keyset) -> Slice[ApiToken]:
    """A keyset page of API tokens by id (GraphQL)."""
    return await paginate_by_id(_visible_tokens(actor, user_id), keys)


async def revoke_token(actor: Actor | None, token_id: int) -> None:
    """Delete a token (your own, or anyone's as an admin); refused from the next request on
    (in other server processes within the credential cache's lifetime)."""
    actor = require_user(actor)
    token = await ApiToken.get_or_none(id=token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(f"Token {token_id} not found.")
    async with writes.transaction():
        await token.delete()
        payload = {"token_id": token.id, "user_id": token.user_id, "name": token.name}
        await events.record(events.TOKEN_REVOKED, actor, payload=payload)
    credentials.forget_token(token.key_id)


def looks_like_token(raw: str) -> bool:
    return raw.startswith(PREFIX) and raw.count("_") >= 2


async def token_user_id(raw: str) -> int | None:
    """The id of the active owner of a valid token, else None (digests compared in constant
    time). Cached (`resolvers/credentials.py`); `last_used_at` is kept to the minute in the
    background."""
    match = TOKEN_RE.fullmatch(raw)
    if match is None:
        return None
    key_id, secret = match.groups()
    return await credentials.token_owner_id(key_id, _digest(secret))
