"""The control panel's JSON: tickets, comments, votes and files, and their schemas."""

from __future__ import annotations

from datetime import datetime

from models import CLOSED_STATUSES
from resolvers import files
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.views import Related
from rest.control_panel.parse import EMAILS
from rest.kit.schema import ref
from rest.kit.times import timestamp

# canonical status → (status_key, en, ru)
STATUSES = {
    "open": ("open", "Open", "Открыт"),
    "in_progress": ("in_progress", "In progress", "В работе"),  # noqa: RUF001
    "reopened": ("open", "Open", "Открыт"),
    "resolved": ("resolved", "Resolved", "Решён"),
    "closed": ("closed", "Closed", "Закрыт"),
    "duplicate": ("closed", "Closed", "Закрыт"),
}
TICKET_COLUMNS = (
    "id",
    "client_aliased_name",
    "closed_at",
    "created_at",
    "opened_by_id",
    "status",
    "split_from_id",
    "title",
    "updated_at",
    "evaluation_score",
    "evaluation_comment",
    "evaluated_at",
)


def vote(score: int | None, comment: str | None, created_at: datetime | str | None) -> dict | None:
    if created_at is None:
        return None
    return {"comment": comment, "created_at": timestamp(created_at), "score": score}


def ticket(actor: Actor, row: Row, related: Related) -> dict:
    """A ticket from its TICKET_COLUMNS."""
    (number, alias, closed_at, created_at, opened_by_id, status, split_from_id, title) = row[:8]
    updated_at, score, comment, evaluated_at = row[8:]
    key, en, ru = STATUSES[status]
    return {
        "client_aliased_name": alias,
        "client_emails": related.contacts.get(number, []),
        "closed_at": timestamp(closed_at),
        "created_at": timestamp(created_at),
        "is_client_author": opened_by_id == actor.id,
        "is_client_read": number not in related.unread,
        "is_closed": status in CLOSED_STATUSES,
        "is_resolved": status == "resolved",
        "number": number,
        "splitted_from_ticket_number": split_from_id,
        "status": {"en": en, "ru": ru},
        "status_key": key,
        "summary": title,
        "type": None,
        "updated_at": timestamp(updated_at),
        "vote": vote(score, comment, evaluated_at),
    }


def file(att) -> dict:
    return {
        "uuid": str(att.uuid),
        "name": att.filename,
        "size": att.size,
        "mime_type": att.mime_type,
    }


async def comments(actor: Actor, found: list) -> list[dict]:
    attached = await files.attachments_for([c.id for c in found])
    return [
        {
            "files": [file(a) for a in attached.get(c.id, [])],
            "body": c.body,
            "id": c.id,
            "is_client_author": c.author_id == actor.id,
            "is_client_read": c.is_client_read,
            "sent_at": timestamp(c.created_at),
            "splitted_at": timestamp(c.split_at),
            "splitted_to_ticket_number": c.split_to_id,
            "vote": vote(c.vote_score, c.vote_comment, c.voted_at),
        }
        for c in found
    ]


# ---------------------------------------------------------------- schemas of the above

TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
NUMBER_OR_NULL = {"type": ["integer", "null"]}


def _closed(**properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": sorted(properties)}


SCHEMAS = {
    "Vote": _closed(
        comment={"type": ["string", "null"]},
        created_at=TIMESTAMP,
        score={"type": ["integer", "null"]},
    ),
    "File": _closed(
        uuid={"type": "string", "format": "uuid"},
        name={"type": "string"},
        size={"type": "integer"},
        mime_type={"type": "string"},
    ),
    "Status": _closed(en={"type": "string"}, ru={"type": "string"}),
    "Ticket": _closed(
        client_aliased_name={"type": ["string", "null"]},
        client_emails=EMAILS,
        closed_at=TIMESTAMP,
        created_at=TIMESTAMP,
        is_client_author={"type": "boolean"},
        is_client_read={"type": "boolean"},
        is_closed={"type": "boolean"},
        is_resolved={"type": "boolean"},
        number={"type": "integer"},
        splitted_from_ticket_number=NUMBER_OR_NULL,
        status=ref("Status"),
        status_key={"type": "string", "enum": sorted({k for k, _, _ in STATUSES.values()})},
        summary={"type": "string"},
        type={"type": "null"},
        updated_at=TIMESTAMP,
        vote={"oneOf": [ref("Vote"), {"type": "null"}]},
    ),
    "TicketList": _closed(
        item_count={"type": "integer"},
        items={"type": "array", "items": ref("Ticket")},
        items_per_page={"type": "integer"},
        page={"type": "integer"},
        page_count={"type": "integer"},
    ),
    "Comment": _closed(
        files={"type": "array", "items": ref("File")},
        body={"type": "string"},
        id={"type": "integer"},
        is_client_author={"type": "boolean"},
        is_client_read={"type": "boolean"},
        sent_at=TIMESTAMP,
        splitted_at=TIMESTAMP,
        splitted_to_ticket_number=NUMBER_OR_NULL,
        vote={"oneOf": [ref("Vote"), {"type": "null"}]},
    ),
    "CommentList": _closed(items={"type": "array", "items": ref("Comment")}),
    "Topic": _closed(key={"type": "string"}, name={"type": "string"}),
    "TopicList": _closed(items={"type": "array", "items": ref("Topic")}),
    "Error": _closed(
        error=_closed(
            code={"type": "string"},
            message={"type": "string"},
            field={"type": ["string", "null"]},
        )
    ),
    "OpenAPI": {"type": "object"},
}
