"""`TicketFilterInput`: GraphQL's ticket filter, translated into the domain's `TicketFilter`
(resolvers/tickets.py), the model the REST doors' filters use too."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.errors import Invalid
from resolvers.tickets import Compare, TicketFilter
from schema.ids import parse_id
from schema.types import TicketStatus

MAX_VALUES = 50  # ids, tags, statuses or priorities in one list
MAX_BRANCHES = 10  # filters in one `and` / `or`
MAX_NESTING = 4  # `and` / `or` / `not` within each other


@strawberry.input(description="Bounds on a number; every bound given must hold.")
class IntComparison:
    gt: int | None = strawberry.field(default=None, description="Greater than.")
    gte: int | None = strawberry.field(default=None, description="Greater than or equal to.")
    lt: int | None = strawberry.field(default=None, description="Less than.")
    lte: int | None = strawberry.field(default=None, description="Less than or equal to.")


@strawberry.input(
    description="Bounds on a date-time; every bound given must hold, and a ticket with no"
    " such date never matches."
)
class DateTimeComparison:
    gt: datetime | None = strawberry.field(default=None, description="After.")
    gte: datetime | None = strawberry.field(default=None, description="At or after.")
    lt: datetime | None = strawberry.field(default=None, description="Before.")
    lte: datetime | None = strawberry.field(default=None, description="At or before.")


@strawberry.input(
    description="Which tickets: every condition given must hold (lists match any of their"
    " values). Combine filters with `and`, `or` and `not`."
)
class TicketFilterInput:
    status: list[TicketStatus] | None = strawberry.field(
        default=None, description="In any of these statuses."
    )
    priority: list[int] | None = strawberry.field(
        default=None, description="With any of these priorities (1 highest to 5)."
    )
    priority_range: IntComparison | None = strawberry.field(
        default=None, description="With a priority within these bounds."
    )
    queue: strawberry.ID | None = strawberry.field(default=None, description="In this queue.")
    queues: list[strawberry.ID] | None = strawberry.field(
        default=None, description="In any of these queues."
    )
    assigned_to: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Assigned to this user; `null`: assigned to nobody.",
    )
    assignees: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Assigned to any of these users."
    )
    opened_by: strawberry.ID | None = strawberry.field(
        default=None, description="Opened by this user."
    )
    tag: str | None = strawberry.field(default=None, description="Tagged with this tag.")
    tags: list[str] | None = strawberry.field(
        default=None, description="Tagged with any of these (every one: `and` several filters)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Words in the title or description, each as a word or the start of one,"
        " ignoring case (the database's full-text index).",
    )
    created_at: DateTimeComparison | None = strawberry.field(
        default=None, description="Created within these bounds."
    )
    updated_at: DateTimeComparison | None = strawberry.field(
        default=None, description="Last changed within these bounds."
    )
    closed_at: DateTimeComparison | None = strawberry.field(
        default=None, description="Closed within these bounds."
    )
    due_date: DateTimeComparison | None = strawberry.field(
        default=None, description="Due within these bounds."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Created at or after this time (as `createdAt: {gte}`)."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Created at or before this time (as `createdAt: {lte}`)."
    )
    updated_after: datetime | None = strawberry.field(
        default=None, description="Changed at or after this time (as `updatedAt: {gte}`)."
    )
    and_: list[TicketFilterInput] | None = strawberry.field(
        name="and", default=None, description="Tickets matching every one of these filters."
    )
    or_: list[TicketFilterInput] | None = strawberry.field(
        name="or", default=None, description="Tickets matching at least one of these filters."
    )
    not_: TicketFilterInput | None = strawberry.field(
        name="not", default=None, description="Tickets this filter does not match."
    )


def ticket_filter(given: TicketFilterInput | None, path: str = "filter") -> TicketFilter:
    """The domain's filter for a `TicketFilterInput` (Invalid names the offending field)."""
    if given is None:
        return TicketFilter()
    if path.count(".") > MAX_NESTING:
        raise Invalid(path, f"Filters may nest at most {MAX_NESTING} deep.")

    def values(name: str, items: list | None, limit: int = MAX_VALUES) -> list:
        if items is not None and len(items) > limit:
            raise Invalid(f"{path}.{name}", f"{name} takes at most {limit} values.")
        return list(items or ())

    def one_id(value, type_name: str, name: str) -> int | None:
        return None if value is None else parse_id(value, type_name, f"{path}.{name}")

    def ids(name: str, items, type_name: str) -> tuple[int, ...]:
        return tuple(parse_id(v, type_name, f"{path}.{name}") for v in values(name, items))

    assigned = given.assigned_to
    compare = [
        Compare(column, c.gt, c.gte, c.lt, c.lte)
        for column, c in (
            ("priority", given.priority_range),
            ("created_at", given.created_at),
            ("updated_at", given.updated_at),
            ("closed_at", given.closed_at),
            ("due_date", given.due_date),
        )
        if c is not None
    ]
    return TicketFilter(
        statuses=tuple(values("status", given.status)),
        priorities=tuple(values("priority", given.priority)),
        queue_id=one_id(given.queue, "Queue", "queue"),
        queue_ids=ids("queues", given.queues, "Queue"),
        assigned_to_id=None
        if assigned is strawberry.UNSET
        else one_id(assigned, "User", "assignedTo"),
        unassigned=assigned is None,
        assignee_ids=ids("assignees", given.assignees, "User"),
        opened_by_id=one_id(given.opened_by, "User", "openedBy"),
        tag=given.tag,
        tags=tuple(values("tags", given.tags)),
        text=given.search,
        compare=tuple(compare),
        created_after=given.created_after,
        created_before=given.created_before,
        updated_after=given.updated_after,
        all_of=tuple(
            ticket_filter(f, f"{path}.and") for f in values("and", given.and_, MAX_BRANCHES)
        ),
        any_of=tuple(ticket_filter(f, f"{path}.or") for f in values("or", given.or_, MAX_BRANCHES)),
        none_of=None if given.not_ is None else ticket_filter(given.not_, f"{path}.not"),
    )
