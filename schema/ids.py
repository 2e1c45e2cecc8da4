"""Ids in arguments: a Relay global id of the expected type, or the plain integer."""

from __future__ import annotations

from strawberry import relay

from resolvers.errors import Invalid


def parse_id(value: str | int, type_name: str, argument: str) -> int:
    raw = str(value).strip()
    if raw.isdigit():
        return int(raw)
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:  # any undecodable id is the caller's mistake
        raise Invalid(argument, f"{raw!r} is not a valid {type_name} id.") from None
    if gid.type_name != type_name or not gid.node_id.isdigit():
        raise Invalid(argument, f"{raw!r} is not a valid {type_name} id.")
    return int(gid.node_id)
