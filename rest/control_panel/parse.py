"""The control panel's request schemas (they check requests through the mount and document
them in OpenAPI) and its path numbers."""

from __future__ import annotations

from starlette.requests import Request

from resolvers import limits
from resolvers.errors import NotFound
from resolvers.validation import MAX_ID, parse_id
from rest.kit.schema import closed_object, string

MAX_PAGE_SIZE = 1000

FILES = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
    "minItems": 1,
    "maxItems": limits.FILES_PER_ITEM,
}
EMAILS = {"type": "array", "items": {"type": "string", "format": "email"}}
MESSAGE = string(1, limits.MESSAGE)
TICKET_SCORE = {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10}

CREATE_TICKET = closed_object(
    ["comment_body", "summary"],
    files=FILES,
    client_aliased_name=string(),
    client_emails=EMAILS | {"minItems": 1},
    comment_body=MESSAGE,
    summary=string(1, limits.TITLE),
    topic_key=string(),
)
LIST_TICKETS = {
    "only_opened": {"type": "boolean"},
    "page": {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID, "default": 1},
    "only_closed": {"type": "boolean"},
    "q": string(description="search query"),
    "items_per_page": {
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
        "default": 10,
    },
}
MODIFY_TICKET = closed_object(
    [],
    client_aliased_name=string() | {"type": ["string", "null"]},
    client_emails=EMAILS | {"type": ["array", "null"]},
)
CLOSE_TICKET = closed_object([], comment=MESSAGE, score=TICKET_SCORE)
MESSAGE_WITH_FILES = closed_object(["body"], files=FILES, body=MESSAGE)
EVALUATE_TICKET = closed_object(["score"], comment=MESSAGE, score=TICKET_SCORE)
VOTE_COMMENT = closed_object(["score"], comment=MESSAGE, score={"type": "integer", "enum": [1, -1]})
UPLOAD = closed_object(
    ["file"], file={"type": "string", "contentMediaType": "application/octet-stream"}
)
# Domain field names this API spells differently, in a new ticket's errors.
CREATE_RENAMES = {"title": "summary", "description": "comment_body", "body": "comment_body"}
# Path parameters, as documented.
PATH_SCHEMAS = {
    "number": {"type": "integer", "format": "int32"},
    "id": {"type": "integer", "format": "int32"},
    "uuid": {"type": "string", "format": "uuid"},
}


def number(request: Request, name: str, what: str) -> int:
    """A ticket or comment number from the path: int32 as in the reference, no spaces;
    anything else is not found."""
    raw = request.path_params[name]
    found = parse_id(raw) if raw.isdigit() else None
    if found is None:
        raise NotFound(f"{what} {raw} not found.")
    return found
