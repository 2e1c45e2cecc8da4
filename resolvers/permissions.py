"""Who may see and do what: the one place these rules live.

admin: everything. agent: every ticket and internal comment, or with per-queue staff
permission on (`configure`) only the tickets of its queues and those assigned to it. customer:
only tickets they opened, submitted (`submitter_email`) or are named on (`client_emails`), never
internal comments; cannot assign or delete.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import QueueMember, Role, Ticket, TicketContact, User
from resolvers.errors import Forbidden, Invalid, NotFound, Unauthenticated


@dataclass(frozen=True)
class SystemActor:
    """The command line and background jobs: acts as an admin, recorded as no user."""

    id: None = None
    role: Role = Role.ADMIN
    email: str = ""
    username: str = "system"
    is_staff: bool = True


SYSTEM = SystemActor()
Actor = User | SystemActor

# HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION (`configure`, from the settings; off by default,
# as in django-helpdesk): agents reach only their queues' tickets and those assigned to them.
_per_queue = False


def configure(*, per_queue: bool) -> None:
    global _per_queue
    _per_queue = per_queue


def sees_every_ticket(actor: Actor | None) -> bool:
    """Admins, and agents unless per-queue staff permission is on."""
    return actor is not None and (
        actor.role == Role.ADMIN or (actor.role == Role.AGENT and not _per_queue)
    )


def require_user(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("Authentication required.")
    return actor


def require_staff(actor: Actor | None) -> Actor:
    actor = require_user(actor)
    if not actor.is_staff:
        raise Forbidden("Only staff may do this.")
    return actor


def require_admin(actor: Actor | None) -> Actor:
    actor = require_user(actor)
    if actor.role != Role.ADMIN:
        raise Forbidden("Only administrators may do this.")
    return actor


def is_staff(actor: Actor | None) -> bool:
    return actor is not None and actor.is_staff


def visible_tickets(actor: Actor | None) -> QuerySet[Ticket]:
    """The tickets this actor may read."""
    actor = require_user(actor)
    if sees_every_ticket(actor):
        return Ticket.all()
    if actor.is_staff:
        queues = Subquery(QueueMember.filter(user_id=actor.id).values("queue_id"))
        return Ticket.filter(Q(queue_id__in=queues) | Q(assigned_to_id=actor.id))
    if not actor.email:
        return Ticket.filter(opened_by_id=actor.id)
    named_on = Q(id__in=Subquery(TicketContact.filter(email=actor.email).values("ticket_id")))
    return Ticket.filter(Q(opened_by_id=actor.id) | Q(submitter_email=actor.email) | named_on)


async def visible_ticket(
    actor: Actor | None, ticket_id: int, *, for_update: bool = False
) -> Ticket:
    """The ticket, or NotFound when it does not exist *or* the actor may not see it.

    `for_update` (inside a transaction, before changing the ticket): lock its row until the
    transaction ends, so that concurrent changes through any door wait for each other instead
    of one silently overwriting the other (PostgreSQL; SQLite runs one writer at a time)."""
    found = visible_tickets(actor)
    ticket = await (found.select_for_update() if for_update else found).get_or_none(id=ticket_id)
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    return ticket


def require_opener(actor: Actor, ticket: Ticket) -> None:
    """Changing a ticket (fields, status, contacts, evaluation) is for staff and the customer
    who opened it or for whom it was opened (`submitter_email`). People named on it
    (`client_emails`) read it and write public comments, nothing more: they cannot add others,
    rename, close, reopen or rate it."""
    if actor.is_staff or ticket.opened_by_id == actor.id:
        return
    if not actor.email or ticket.submitter_email != actor.email:
        raise Forbidden("Only the customer who opened this ticket, or staff, may change it.")


def sees_internal(actor: Actor | None) -> bool:
    return is_staff(actor)


def visible_tickets_sql(actor: Actor | None, alias: str = "t") -> tuple[str, list]:
    """`visible_tickets` as a SQL condition on `tickets AS alias` and its parameters
    (for the lean read path, resolvers/projections.py; a test holds the two equal)."""
    actor = require_user(actor)
    if sees_every_ticket(actor):
        return "1 = 1", []
    if actor.is_staff:
        queues = "SELECT queue_id FROM queue_members WHERE user_id = ?"
        clause = f"({alias}.queue_id IN ({queues}) OR {alias}.assigned_to_id = ?)"
        return clause, [actor.id, actor.id]
    if not actor.email:
        return f"{alias}.opened_by_id = ?", [actor.id]
    named_on = "SELECT ticket_id FROM ticket_contacts WHERE email = ?"
    clause = (
        f"({alias}.opened_by_id = ? OR {alias}.submitter_email = ? OR {alias}.id IN ({named_on}))"
    )
    return clause, [actor.id, actor.email, actor.email]


async def require_queue(actor: Actor, queue_id: int | None) -> None:
    """Staff who do not see every ticket put tickets only in their own queues."""
    if queue_id is None or sees_every_ticket(actor) or not actor.is_staff:
        return
    if not await QueueMember.exists(user_id=actor.id, queue_id=queue_id):
        raise Invalid("queue", f"You have no access to queue {queue_id}.")
