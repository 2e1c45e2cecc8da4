"""The ticket view loader: what tickets refer to beside their own columns (tags, contacts,
people, queues, unread replies), read in bulk for a page of tickets — one statement per part
asked for, whatever the page size (pinned in tests/query_counts.json and
tests/test_rest_lean.py). The doors' ticket renderers and the webhook payload get their
`Related` from here; the tickets' own columns come from `projections.ticket_page` /
`ticket_row` (or `rest.kit.http.row_of` after a write). The caller has checked that the tickets
are visible."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from resolvers import projections
from resolvers.projections import Row
from resolvers.reads import Read, marks

PERSON_COLUMNS = ("name", "email")


class Person(NamedTuple):
    """A user's `PERSON_COLUMNS`, with their id."""

    id: int
    name: str
    email: str


@dataclass
class Related:
    """What a page of tickets refers to; the parts not asked for stay empty."""

    tags: dict[int, list[str]] = field(default_factory=dict)  # ticket id → names
    contacts: dict[int, list[str]] = field(default_factory=dict)  # ticket id → client_emails
    unread: set[int] = field(default_factory=set)  # tickets with a public reply not read yet
    people: dict[int, Person] = field(default_factory=dict)  # user id → Person
    queues: dict[int, Row] = field(default_factory=dict)  # queue id → the asked columns


def related(
    ticket_ids: Sequence[int],
    *,
    tags: bool = False,
    contacts: bool = False,
    unread: bool = False,
    people: Iterable[int | None] = (),
    queues: Iterable[int | None] = (),
    queue_columns: Sequence[str] = (),
) -> Read[Related]:
    """`Related` of these tickets: the parts asked for, and the users (`people`) and queues
    (`queues`, their `queue_columns`) the rows name."""
    found = Related()
    if tags:
        found.tags = yield from projections.tags_for(ticket_ids)
    if contacts:
        found.contacts = yield from projections.contacts_for(ticket_ids)
    if unread and ticket_ids:
        rows = yield (
            "SELECT DISTINCT ticket_id FROM comments"
            f" WHERE ticket_id IN ({marks(len(ticket_ids))})"
            " AND is_internal = FALSE AND is_client_read = FALSE",
            list(ticket_ids),
        )
        found.unread = {row[0] for row in rows}
    users = yield from projections.users_by_ids(set(people) - {None}, PERSON_COLUMNS)
    found.people = {uid: Person(uid, *row) for uid, row in users.items()}
    if queue_columns:
        found.queues = yield from projections.queues_by_ids(set(queues) - {None}, queue_columns)
    return found
