"""Tickets: create, read, list, change (fields, status, assignment, hold), delete."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from tortoise.expressions import Q, Subquery

from models import CLOSED_STATUSES, Comment, Queue, Status, Ticket, TicketContact, TicketTag, User
from resolvers import clock, custom_fields, events, limits, queues, validation, writes
from resolvers.errors import Collector, Conflict, FieldError, Forbidden, Invalid, NotFound, Stale
from resolvers.files import NewFile, Storage, attach, check_files
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import (
    Actor,
    require_opener,
    require_queue,
    require_staff,
    require_user,
    visible_ticket,
    visible_tickets,
)
from resolvers.sql import to_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Where each status may go. Asking for `open` on a closed ticket means reopening it.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.OPEN: {
        Status.OPEN,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
        Status.DUPLICATE,
    },
    Status.IN_PROGRESS: {
        Status.IN_PROGRESS,
        Status.OPEN,
        Status.RESOLVED,
        Status.CLOSED,
        Status.DUPLICATE,
    },
    Status.REOPENED: {
        Status.REOPENED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
        Status.DUPLICATE,
    },
    Status.RESOLVED: {Status.REOPENED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.CLOSED: {Status.REOPENED, Status.IN_PROGRESS, Status.CLOSED},
    Status.DUPLICATE: {Status.REOPENED, Status.IN_PROGRESS, Status.DUPLICATE},
}
CUSTOMER_STATUSES = {Status.OPEN, Status.REOPENED, Status.RESOLVED, Status.CLOSED}

ORDER_FIELDS = {"created_at", "updated_at", "priority", "id"}


# Columns a `Compare` may bound, and whether their values are datetimes.
COMPARABLE = {
    "priority": False,
    "created_at": True,
    "updated_at": True,
    "closed_at": True,
    "due_date": True,
}


@dataclass(frozen=True)
class Compare:
    """Bounds on one column (None: no bound); a row whose column is NULL never matches."""

    column: str
    gt: Any = None
    gte: Any = None
    lt: Any = None
    lte: Any = None


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets: every condition given must hold. The REST doors use the flat fields;
    the rest (lists of ids and tags, comparisons, full text and the combinators, as GraphQL
    gives them) exist only as SQL (`resolvers.projections.ticket_where`): `filter_tickets`
    refuses them."""

    statuses: tuple[Status, ...] = ()
    priorities: tuple[int, ...] = ()
    queue_id: int | None = None
    assigned_to_id: int | None = None
    opened_by_id: int | None = None
    tag: str | None = None
    search: str | None = None  # a substring of the title or description (a scan)
    search_comments: bool = False  # `search` also matches the text of public comments
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    submitter_email: str | None = None
    queue_ids: tuple[int, ...] = ()  # in any of these queues
    assignee_ids: tuple[int, ...] = ()  # assigned to any of these users ...
    unassigned: bool = False  # ... or (alone: only) to nobody
    tags: tuple[str, ...] = ()  # tagged with any of these
    compare: tuple[Compare, ...] = ()
    text: str | None = None  # full-text words (resolvers/search.py, the database's index)
    all_of: tuple[TicketFilter, ...] = ()
    any_of: tuple[TicketFilter, ...] = ()
    none_of: TicketFilter | None = None  # NOT: the tickets this one does not match

    def is_flat(self) -> bool:
        """Whether only the fields the ORM form (`filter_tickets`) covers are used."""
        return self == replace(
            self,
            queue_ids=(),
            assignee_ids=(),
            unassigned=False,
            tags=(),
            compare=(),
            text=None,
            all_of=(),
            any_of=(),
            none_of=None,
        )

    def __post_init__(self) -> None:
        """Refuse text no stored value can match (NUL, over-long) before it reaches SQL."""
        for name, label, longest in (
            ("tag", "tag", validation.max_length(TicketTag, "name")),
            ("search", "search", validation.MAX_SEARCH),
            ("text", "search", validation.MAX_SEARCH),  # (GraphQL's `search`)
            (
                "submitter_email",
                "submitter_email",
                validation.max_length(Ticket, "submitter_email"),
            ),
        ):
            if getattr(self, name) is not None:
                validation.text(label, getattr(self, name), max_length=longest, required=False)
        for tag in self.tags:
            validation.text(
                "tags", tag, max_length=validation.max_length(TicketTag, "name"), required=False
            )


@dataclass(frozen=True)
class TicketOrder:
    """Order by `field`, then by each of `then` (field, descending) for ties, then by id (in
    the direction of the last field). The REST doors order by one field."""

    field: str = "created_at"
    descending: bool = True
    then: tuple[tuple[str, bool], ...] = ()

    def clauses(self) -> tuple[str, str]:
        if self.field not in ORDER_FIELDS:
            raise Invalid("order_by", f"Cannot order by {self.field!r}.")
        sign = "-" if self.descending else ""
        return f"{sign}{self.field}", f"{sign}id"

    def sorts(self) -> tuple[tuple[str, bool], ...]:
        """Every (field, descending) in order, checked (id, when named, ends the list)."""
        found = ((self.field, self.descending), *self.then)
        names = [name for name, _ in found]
        if any(name not in ORDER_FIELDS for name in names) or len(set(names)) < len(names):
            raise Invalid("order_by", "Order by known fields, each at most once.")
        if "id" in names[:-1]:
            raise Invalid("order_by", "id is unique: nothing can break its ties.")
        return found


def parse_status(value: object, field: str = "status") -> Status:
    try:
        return Status(str(value).lower())
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise Invalid(
            field, f"Status must be one of: {choices}.", "invalid_choice", value=value
        ) from None


def utc(value: datetime, field: str) -> datetime:
    """The instant in UTC (naive means UTC); Invalid when it has none (year 1 at +14:00, …)."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise Invalid(field, f"{field} is out of range in UTC.") from None


def version(ticket_id: int, updated_at: datetime | str) -> str:
    """The ticket's version, `<id>.<updated_at in µs since 1970>`: every change of the ticket
    (its fields, status, assignee, a comment, an evaluation) moves `updated_at`. REST doors
    tag a ticket with it (`ETag`) and compare it with `If-Match` (`update_ticket(expected=…)`).
    `updated_at` is a datetime, or the column's text as raw SQL reads it on SQLite."""
    since = to_datetime(updated_at) - EPOCH
    return f"{ticket_id}.{since // timedelta(microseconds=1)}"


def submitted_by(actor: Actor) -> TicketFilter | None:
    """The tickets `actor` submitted (their e-mail is the submitter's, exactly, case included:
    django-helpdesk's user_tickets); None when they have no e-mail, so none."""
    return TicketFilter(submitter_email=actor.email) if actor.email else None


def filter_tickets(actor: Actor | None, filt: TicketFilter):
    """The visible tickets matching `filt` (a queryset; nothing is read yet)."""
    if not filt.is_flat():
        raise ValueError("Composite ticket filters exist only as SQL (projections).")
    tickets = visible_tickets(actor)
    if filt.statuses:
        tickets = tickets.filter(status__in=list(filt.statuses))
    if filt.priorities:
        tickets = tickets.filter(priority__in=list(filt.priorities))
    if filt.queue_id is not None:
        tickets = tickets.filter(queue_id=filt.queue_id)
    if filt.assigned_to_id is not None:
        tickets = tickets.filter(assigned_to_id=filt.assigned_to_id)
    if filt.opened_by_id is not None:
        tickets = tickets.filter(opened_by_id=filt.opened_by_id)
    if filt.tag:
        tagged = TicketTag.filter(name=filt.tag).values("ticket_id")
        tickets = tickets.filter(id__in=Subquery(tagged))
    if filt.search:
        term = filt.search.strip()
        matches = Q(title__icontains=term) | Q(description__icontains=term)
        if filt.search_comments:
            public = Comment.filter(is_internal=False, body__icontains=term).values("ticket_id")
            matches |= Q(id__in=Subquery(public))
        tickets = tickets.filter(matches)
    # Times compare in UTC: SQLite stores them as text, so an offset would compare wrongly.
    if filt.created_after is not None:
        tickets = tickets.filter(created_at__gte=utc(filt.created_after, "created_after"))
    if filt.created_before is not None:
        tickets = tickets.filter(created_at__lte=utc(filt.created_before, "created_before"))
    if filt.updated_after is not None:
        tickets = tickets.filter(updated_at__gte=utc(filt.updated_after, "updated_after"))
    if filt.submitter_email:
        tickets = tickets.filter(submitter_email=filt.submitter_email)
    return tickets


async def list_tickets(
    actor: Actor | None, filt: TicketFilter, win: Window, order: TicketOrder = TicketOrder()
) -> Page[Ticket]:
    return await paginate(filter_tickets(actor, filt).order_by(*order.clauses()), win)


async def get_ticket(actor: Actor | None, ticket_id: int) -> Ticket:
    return await visible_ticket(actor, ticket_id)


async def tags_for(ticket_ids: list[int]) -> dict[int, list[str]]:
    """Tag names per ticket, in one query."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        await TicketTag.filter(ticket_id__in=ticket_ids)
        .order_by("id")
        .values_list("ticket_id", "name")
    )
    for ticket_id, name in rows:
        found[ticket_id].append(name)
    return found


async def contacts_for(ticket_ids: list[int]) -> dict[int, list[str]]:
    """client_emails per ticket, in one query."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        await TicketContact.filter(ticket_id__in=ticket_ids)
        .order_by("id")
        .values_list("ticket_id", "email")
    )
    for ticket_id, email in rows:
        found[ticket_id].append(email)
    return found


def _tags(value: object) -> list[str]:
    if not isinstance(value, list | tuple):
        raise Invalid("tags", "tags must be a list of strings.")
    if len(value) > limits.TAGS:
        raise Invalid("tags", f"At most {limits.TAGS} tags.")
    names = [validation.text("tags", v, max_length=64) for v in value]
    return list(dict.fromkeys(names))


def _contacts(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Invalid("client_emails", "client_emails must be a list of e-mail addresses.")
    if len(value) > limits.CONTACTS:
        raise Invalid("client_emails", f"At most {limits.CONTACTS} addresses.")
    return list(dict.fromkeys(validation.email("client_emails", v) for v in value))


def _custom_fields(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("custom_fields", "custom_fields must be an object.")
    if len(value) > limits.CUSTOM_FIELDS:
        raise Invalid("custom_fields", f"At most {limits.CUSTOM_FIELDS} custom fields.")
    for key in value:
        validation.text("custom_fields", key, max_length=100)
    _check_json(value)
    return dict(value)


def _check_json(value: object) -> None:
    """Every string in a custom value NUL-free, lists and objects nested at most
    limits.CUSTOM_FIELD_DEPTH deep (walked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limits.CUSTOM_FIELD_DEPTH:
            raise Invalid(
                "custom_fields",
                f"custom_fields may nest at most {limits.CUSTOM_FIELD_DEPTH} lists or objects"
                " deep.",
            )
        if isinstance(item, str):
            validation.no_nul("custom_fields", item)
        elif isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _datetime_or_none(field: str, value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value, field)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=clock.now().tzinfo)
    raise Invalid(field, f"{field} must be a date-time.")


async def _active_user(field: str, user_id: object, *, staff: bool) -> User | None:
    if user_id is None:
        return None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise Invalid(field, f"{field} must be a user id.")
    user = await User.get_or_none(id=user_id)
    if user is None or not user.is_active:
        raise Invalid(
            field,
            f"User {user_id} does not exist or is not active.",
            "does_not_exist",
            value=user_id,
        )
    if staff and not user.is_staff:
        raise Invalid(
            field, f"User {user_id} is not an active staff member.", "does_not_exist", value=user_id
        )
    return user


async def _queue(queue_id: object, current: int | None) -> int | None:
    """A queue id a ticket may be put in: any but an archived one (unless it is there)."""
    if queue_id is None:
        return None
    if isinstance(queue_id, bool) or not isinstance(queue_id, int):
        raise Invalid("queue", "queue must be a queue id.")
    if queue_id == current:
        return queue_id
    queue = await Queue.get_or_none(id=queue_id).only("id", "archived_at")
    if queue is None:
        raise Invalid(
            "queue", f"Queue {queue_id} does not exist.", "does_not_exist", value=queue_id
        )
    if queue.archived_at is not None:
        raise Invalid(
            "queue", f"Queue {queue_id} is archived: it takes no new tickets.", "not_allowed"
        )
    return queue_id


# ---------------------------------------------------------------- the ticket's fields

Check = Callable[[Actor, Ticket | None, Any], Awaitable[Any]]
Writer = Literal["customer", "customer_on_create", "staff"]


@dataclass(frozen=True)
class FieldSpec:
    """One writable ticket field: its check (the normalised value, or Invalid) and who may
    write it (`customer_on_create`: customers when opening a ticket, then staff only: the
    queue and the priority, as every door's documented create examples send them);
    `lenient`, when set, replaces the check under django-helpdesk's rules (`update_ticket`).
    Every field lands in `ticket.updated`'s `changes` diff, except status and assignee, which
    have their own events."""

    check: Check
    writer: Writer = "staff"
    lenient: Check | None = None


def _sync(check: Callable[[Any], Any]) -> Check:
    async def run(actor: Actor, ticket: Ticket | None, value: Any) -> Any:
        return check(value)

    return run


def _optional_text(field: str, max_length: int) -> Check:
    return _sync(lambda v: None if v is None else validation.text(field, v, max_length=max_length))


def _boolean(field: str) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(field, f"{field} must be true or false.")
        return value

    return _sync(check)


async def _custom_values(actor: Actor, ticket: Ticket | None, value: Any) -> dict:
    stored = ticket.custom_fields if ticket is not None else {}
    return custom_fields.written_by(actor, stored, _custom_fields(value))


async def _merge_target(actor: Actor, ticket: Ticket | None, value: Any) -> int | None:
    """A visible ticket's id, other than the ticket's own (None: not merged)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("merged_into_id", "merged_into must be a ticket id.")
    try:
        await visible_ticket(actor, value)
    except NotFound:
        raise Invalid(
            "merged_into_id", f"Ticket {value} does not exist.", "does_not_exist", value=value
        ) from None
    if ticket is not None and value == ticket.id:
        raise Invalid("merged_into", "A ticket cannot be merged into itself.", "not_allowed")
    return value


async def _assignee(actor: Actor, ticket: Ticket | None, value: Any) -> int | None:
    user = await _active_user("assigned_to", value, staff=True)
    return user.id if user else None


async def _any_assignee(actor: Actor, ticket: Ticket | None, value: Any) -> int | None:
    user = await _active_user("assigned_to", value, staff=False)
    return user.id if user else None


async def _queue_of(actor: Actor, ticket: Ticket | None, value: Any) -> int | None:
    """A new ticket without one goes to the default queue (`create_ticket`); a ticket
    never leaves its queue for none."""
    if value is None and ticket is not None:
        raise Invalid("queue", "Every ticket has a queue.")
    queue_id = await _queue(value, ticket.queue_id if ticket is not None else None)
    if ticket is None or queue_id != ticket.queue_id:
        await require_queue(actor, queue_id)
    return queue_id


FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec(
        _sync(lambda v: validation.text("title", v, max_length=limits.TITLE)), "customer"
    ),
    "description": FieldSpec(
        _sync(
            lambda v: validation.text(
                "description", v or "", max_length=limits.DESCRIPTION, required=False
            )
        ),
        "customer",
    ),
    "tags": FieldSpec(_sync(lambda v: _tags(v)), "customer"),
    "custom_fields": FieldSpec(_custom_values, "customer"),
    "client_emails": FieldSpec(_sync(lambda v: _contacts(v)), "customer"),
    "client_aliased_name": FieldSpec(
        _optional_text("client_aliased_name", limits.TITLE), "customer"
    ),
    "status": FieldSpec(_sync(lambda v: parse_status(v)), "customer"),
    "queue_id": FieldSpec(_queue_of, "customer_on_create"),
    "priority": FieldSpec(
        _sync(lambda v: validation.integer("priority", v, low=1, high=5)), "customer_on_create"
    ),
    "submitter_email": FieldSpec(
        _sync(lambda v: validation.address("submitter_email", v, required=False))
    ),
    "due_date": FieldSpec(_sync(lambda v: _datetime_or_none("due_date", v))),
    "resolution": FieldSpec(_optional_text("resolution", limits.DESCRIPTION)),
    "message_ts": FieldSpec(_optional_text("message_ts", 32)),
    "on_hold": FieldSpec(_boolean("on_hold")),
    "merged_into_id": FieldSpec(_merge_target),
    "assigned_to_id": FieldSpec(_assignee, lenient=_any_assignee),
}


async def _validated_fields(
    actor: Actor,
    ticket: Ticket | None,
    changes: dict[str, Any],
    lenient: bool = False,
    found: Collector | None = None,
) -> dict:
    """Each requested change checked by its field's spec (its lenient check when `lenient`);
    returns the normalised values, or raises one Invalid listing every invalid field (with
    those already in `found`)."""
    found = found or Collector()
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        with found.check():
            spec = FIELDS.get(name)
            if spec is None:
                raise Invalid(name, f"Unknown field {name!r}.", "unknown_field")
            check = spec.lenient if lenient and spec.lenient else spec.check
            clean[name] = await check(actor, ticket, value)
    found.raise_any()
    return clean


async def field_errors(
    actor: Actor | None, ticket: Ticket | None, changes: dict[str, Any], lenient: bool = False
) -> list[FieldError]:
    """What creating (`ticket` None) or changing `ticket` with `changes` would find invalid,
    without writing: for a door that found problems of its own to report them all at once."""
    try:
        await _validated_fields(require_user(actor), ticket, changes, lenient)
    except Invalid as exc:
        return exc.fields
    return []


def _check_allowed(actor: Actor, changes: dict[str, Any], *, creating: bool = False) -> None:
    """Staff write every field; customers those their specs allow (and the queue when they
    open a ticket)."""
    if actor.is_staff:
        return
    customer = ("customer", "customer_on_create") if creating else ("customer",)
    for name in changes:
        spec = FIELDS.get(name)
        if spec is not None and spec.writer not in customer:
            raise Forbidden(f"Only staff may change {name.removesuffix('_id')}.")


def _resolve_status(ticket: Ticket, wanted: Status, actor: Actor, lenient: bool = False) -> Status:
    if not actor.is_staff and wanted not in CUSTOMER_STATUSES:
        raise Forbidden(f"Customers cannot set status {wanted.value}.")
    if lenient and actor.is_staff:
        return wanted
    if ticket.is_closed and wanted == Status.OPEN:
        wanted = Status.REOPENED
    if wanted not in TRANSITIONS[ticket.status]:
        raise Conflict(f"Cannot change status from {ticket.status.value} to {wanted.value}.")
    return wanted


def _apply_status(ticket: Ticket, new: Status, actor: Actor) -> None:
    """Move the lifecycle timestamps along with the status."""
    now, was_closed = clock.now(), ticket.is_closed
    ticket.status = new
    if new in CLOSED_STATUSES and not was_closed:
        ticket.closed_at, ticket.closed_by_id = now, actor.id
    if new == Status.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = now
    if was_closed and new not in CLOSED_STATUSES:
        ticket.reopened_at, ticket.reopened_by_id = now, actor.id
        ticket.closed_at = ticket.closed_by_id = ticket.resolved_at = None


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def _write_changes(ticket: Ticket, actor: Actor, clean: dict[str, Any]) -> dict:
    """Apply validated changes and record their events (inside a transaction)."""
    before = writes.columns(ticket)
    diff: dict[str, dict[str, Any]] = {}
    tags = clean.pop("tags", None)
    contacts = clean.pop("client_emails", None)
    if tags is not None:
        old = (await tags_for([ticket.id])).get(ticket.id, [])
        if old != tags:
            await TicketTag.filter(ticket_id=ticket.id).delete()
            await TicketTag.bulk_create([TicketTag(ticket_id=ticket.id, name=t) for t in tags])
            diff["tags"] = {"previous": old, "current": tags}
    if contacts is not None:
        old = (await contacts_for([ticket.id])).get(ticket.id, [])
        if old != contacts:
            await TicketContact.filter(ticket_id=ticket.id).delete()
            await TicketContact.bulk_create(
                [TicketContact(ticket_id=ticket.id, email=e) for e in contacts]
            )
            diff["client_emails"] = {"previous": old, "current": contacts}
    status = clean.pop("status", None)
    assignee = clean.pop("assigned_to_id", ticket.assigned_to_id)
    for name, value in clean.items():
        if getattr(ticket, name) != value:
            diff[name] = {"previous": _jsonable(getattr(ticket, name)), "current": _jsonable(value)}
            setattr(ticket, name, value)
    previous_status = ticket.status
    if status is not None and status != ticket.status:
        _apply_status(ticket, status, actor)
    previous_assignee = ticket.assigned_to_id
    if assignee != previous_assignee:
        ticket.assigned_to_id = assignee
        ticket.assigned_at = clock.now() if assignee else None
    if not diff and ticket.status == previous_status and assignee == previous_assignee:
        return {}
    ticket.updated_at = clock.now()
    await writes.save_changed(ticket, before)
    if diff:
        await events.record(
            events.TICKET_UPDATED, actor, ticket_id=ticket.id, payload={"changes": diff}
        )
    if ticket.status != previous_status:
        payload = {"previous": previous_status.value, "current": ticket.status.value}
        await events.record(
            events.TICKET_STATUS_CHANGED, actor, ticket_id=ticket.id, payload=payload
        )
        diff["status"] = payload
    if assignee != previous_assignee:
        payload = {"previous": previous_assignee, "current": assignee}
        await events.record(events.TICKET_ASSIGNED, actor, ticket_id=ticket.id, payload=payload)
        diff["assigned_to"] = payload
    return diff


async def create_ticket(
    actor: Actor | None,
    *,
    title: str,
    description: str = "",
    files: list[NewFile] = (),
    storage: Storage | None = None,
    lenient: bool = False,
    **fields: Any,
) -> Ticket:
    """Open a ticket. `fields` are any of the writable fields (see FIELDS); `lenient` as in
    `update_ticket`."""
    actor = require_user(actor)
    _check_allowed(actor, fields, creating=True)
    found = Collector()
    if "status" in fields:
        found.fields.append(FieldError("status", "A new ticket is always open.", "not_allowed"))
        fields = {k: v for k, v in fields.items() if k != "status"}
    with found.check():
        check_files(list(files))
    clean = await _validated_fields(
        actor, None, {"title": title, "description": description, **fields}, lenient, found
    )
    tags, contacts = clean.pop("tags", []), clean.pop("client_emails", [])
    now = clock.now()
    # Staff opening a ticket for the people it names open it on behalf of the first of them.
    clean.setdefault("submitter_email", contacts[0] if actor.is_staff and contacts else actor.email)
    async with writes.transaction():
        if clean.get("queue_id") is None:
            clean["queue_id"] = await queues.default_queue_id()
            await require_queue(actor, clean["queue_id"])
        ticket = await Ticket.create(
            **clean,
            opened_by_id=actor.id,
            created_at=now,
            updated_at=now,
            assigned_at=now if clean.get("assigned_to_id") else None,
            last_message_at=now,
            last_message_by_staff=actor.is_staff,
        )
        if tags:
            await TicketTag.bulk_create([TicketTag(ticket_id=ticket.id, name=t) for t in tags])
        if contacts:
            await TicketContact.bulk_create(
                [TicketContact(ticket_id=ticket.id, email=e) for e in contacts]
            )
        if files:
            await attach(actor, storage, list(files), ticket_id=ticket.id)
        await events.record(
            events.TICKET_CREATED,
            actor,
            ticket_id=ticket.id,
            payload={"title": ticket.title, "status": ticket.status.value},
        )
        if ticket.assigned_to_id:
            payload = {"previous": None, "current": ticket.assigned_to_id}
            await events.record(events.TICKET_ASSIGNED, actor, ticket_id=ticket.id, payload=payload)
    return ticket


async def update_ticket(
    actor: Actor | None,
    ticket_id: int,
    *,
    expected: Collection[datetime | str] | None = None,
    lenient: bool = False,
    **changes: Any,
) -> Ticket:
    """Change any of a ticket's fields, its status or its assignee, as one transaction.

    `expected` (optimistic concurrency: GraphQL `expectedUpdatedAt`, REST `If-Match`): the
    `updated_at` instants or `version`s the caller read; Stale, and nothing changed, unless the
    ticket (read under its row lock) is still at one of them. `lenient`: django-helpdesk's
    rules, which its API door asks for: staff set exactly the status they send (no TRANSITIONS,
    no reopening for `open`) and may assign any active user, not only staff."""
    actor = require_user(actor)
    _check_allowed(actor, changes)
    wanted = None
    if expected is not None:
        wanted = {e if isinstance(e, str) else utc(e, "updated_at") for e in expected}
    async with writes.transaction():
        ticket = await visible_ticket(actor, ticket_id, for_update=True)
        require_opener(actor, ticket)
        if wanted is not None and not (
            ticket.updated_at in wanted or version(ticket.id, ticket.updated_at) in wanted
        ):
            raise Stale(f"Ticket {ticket.id} has changed since it was read; read it again.")
        clean = await _validated_fields(actor, ticket, changes, lenient)
        if "status" in clean:
            clean["status"] = _resolve_status(ticket, clean["status"], actor, lenient)
        await _write_changes(ticket, actor, clean)
    return ticket


async def set_status(
    actor: Actor | None, ticket_id: int, status: Status | str, resolution: str | None = None
) -> Ticket:
    changes: dict[str, Any] = {"status": status}
    if resolution is not None:
        changes["resolution"] = resolution
    return await update_ticket(actor, ticket_id, **changes)


async def assign(actor: Actor | None, ticket_id: int, user_id: int | None) -> Ticket:
    require_staff(actor)
    return await update_ticket(actor, ticket_id, assigned_to_id=user_id)


async def set_hold(actor: Actor | None, ticket_id: int, on_hold: bool) -> Ticket:
    require_staff(actor)
    return await update_ticket(actor, ticket_id, on_hold=on_hold)


async def delete_ticket(actor: Actor | None, ticket_id: int) -> None:
    """Staff delete tickets (with their comments and attachments); the event log keeps a record."""
    async with writes.transaction():
        ticket = await visible_ticket(actor, ticket_id, for_update=True)
        require_staff(actor)
        await events.record(
            events.TICKET_DELETED, actor, ticket_id=ticket.id, payload={"title": ticket.title}
        )
        await ticket.delete()
