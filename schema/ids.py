"""Ids in arguments: a Relay global id of the expected type, or the plain integer."""

from __future__ import annotations

from strawberry import relay

from resolvers.errors import Invalid
from resolvers.validation import parse_id as database_id
from resolvers.validation import shown

ID_ARGUMENT = "A global id, or the integer id the REST doors use."


def parse_id(value: str | int, type_name: str, argument: str) -> int:
    """The database id in a plain integer or a Relay global id of `type_name`; Invalid for
    anything else, including numbers no 32-bit id column can hold."""
    raw = str(value).strip()
    node_id = raw
    if not raw.isdigit():
        try:
            gid = relay.GlobalID.from_id(raw)
        except Exception:  # any undecodable id is the caller's mistake
            gid = None
        node_id = gid.node_id if gid is not None and gid.type_name == type_name else ""
    number = database_id(node_id)
    if number is None:
        raise Invalid(argument, f"{shown(raw)} is not a valid {type_name} id.")
    return number
