"""Domain rules for tickets: validation, transitions, timestamps, events, permissions per role."""

import importlib
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from tortoise import connections

from models import Event, Queue, Status, Ticket, TicketContact
from resolvers import clock, comments, files, permissions, queues, tickets
from resolvers.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from resolvers.files import LocalStorage, NewFile
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM
from resolvers.tickets import TicketFilter, TicketOrder

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """A controllable clock: `frozen.now` is what clock.now() returns."""

    class Frozen:
        now = T0

        def advance(self, **delta):
            self.now += timedelta(**delta)

    f = Frozen()
    monkeypatch.setattr(clock, "now", lambda: f.now)
    return f


async def kinds(ticket_id):
    return [e.kind for e in await Event.filter(ticket_id=ticket_id).order_by("id")]


async def test_create_records_opener_defaults_and_event(customer):
    ticket = await tickets.create_ticket(
        customer, title="  Printer on fire ", description="help", tags=["hw", "hw", "urgent"]
    )
    assert ticket.title == "Printer on fire"
    assert ticket.status == Status.OPEN and ticket.priority == 3
    assert ticket.opened_by_id == customer.id
    assert ticket.submitter_email == "customer@example.com"
    assert (await tickets.tags_for([ticket.id]))[ticket.id] == ["hw", "urgent"]
    assert await kinds(ticket.id) == ["ticket.created"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "ok", "priority": 0}, "priority"),
        ({"title": "ok", "priority": 6}, "priority"),
        ({"title": "ok", "tags": "not-a-list"}, "tags"),
        ({"title": "ok", "client_emails": ["not-an-email"]}, "client_emails"),
        ({"title": "ok", "queue_id": 999}, "queue"),
        ({"title": "ok", "assigned_to_id": 999}, "assigned_to"),
    ],
)
async def test_create_rejects_bad_input_naming_the_field(admin, fields, field):
    with pytest.raises(Invalid) as err:
        await tickets.create_ticket(admin, **fields)
    assert err.value.field == field


async def test_anonymous_cannot_create():
    with pytest.raises(Unauthenticated):
        await tickets.create_ticket(None, title="x")


async def test_customer_cannot_set_staff_fields(customer, agent):
    with pytest.raises(Forbidden):
        await tickets.create_ticket(customer, title="x", assigned_to_id=agent.id)
    ticket = await tickets.create_ticket(customer, title="x")
    with pytest.raises(Forbidden):
        await tickets.update_ticket(customer, ticket.id, priority=1)
    with pytest.raises(Forbidden):
        await tickets.assign(customer, ticket.id, agent.id)
    with pytest.raises(Forbidden):
        await tickets.delete_ticket(customer, ticket.id)


async def test_customer_sees_own_and_named_tickets_only(customer, other_customer, agent):
    own = await tickets.create_ticket(customer, title="mine")
    named = await tickets.create_ticket(
        agent, title="about you", client_emails=["customer@example.com"]
    )
    foreign = await tickets.create_ticket(other_customer, title="not yours")
    page = await tickets.list_tickets(customer, TicketFilter(), Window(0, 20))
    assert {t.id for t in page.items} == {own.id, named.id}
    assert page.total == 2
    with pytest.raises(NotFound):
        await tickets.get_ticket(customer, foreign.id)
    staff_page = await tickets.list_tickets(agent, TicketFilter(), Window(0, 20))
    assert staff_page.total == 3


async def test_status_lifecycle_timestamps_and_events(frozen, customer, agent):
    ticket = await tickets.create_ticket(customer, title="x")
    frozen.advance(minutes=5)
    await tickets.assign(agent, ticket.id, agent.id)
    frozen.advance(minutes=5)
    await tickets.set_status(agent, ticket.id, Status.RESOLVED)
    ticket = await tickets.get_ticket(agent, ticket.id)
    assert ticket.assigned_at == T0 + timedelta(minutes=5)
    assert ticket.resolved_at == ticket.closed_at == T0 + timedelta(minutes=10)
    assert ticket.closed_by_id == agent.id
    frozen.advance(minutes=5)
    # asking for "open" on a closed ticket reopens it
    await tickets.set_status(customer, ticket.id, "open")
    ticket = await tickets.get_ticket(agent, ticket.id)
    assert ticket.status == Status.REOPENED
    assert ticket.reopened_at == T0 + timedelta(minutes=15)
    assert ticket.reopened_by_id == customer.id
    assert ticket.closed_at is None and ticket.resolved_at is None
    assert await kinds(ticket.id) == [
        "ticket.created",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.status_changed",
    ]
    change = await Event.filter(ticket_id=ticket.id, kind="ticket.status_changed").first()
    assert change.payload == {"previous": "open", "current": "resolved"}


async def test_disallowed_transition_is_a_conflict(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    await tickets.set_status(agent, ticket.id, Status.CLOSED)
    with pytest.raises(Conflict):
        await tickets.set_status(agent, ticket.id, Status.RESOLVED)


async def test_customer_cannot_mark_duplicate_or_in_progress(customer):
    ticket = await tickets.create_ticket(customer, title="x")
    for status in (Status.DUPLICATE, Status.IN_PROGRESS):
        with pytest.raises(Forbidden):
            await tickets.set_status(customer, ticket.id, status)


async def test_unknown_status_is_invalid(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    with pytest.raises(Invalid) as err:
        await tickets.set_status(agent, ticket.id, "frozen")
    assert err.value.field == "status"


async def test_update_writes_one_event_with_the_diff(agent):
    ticket = await tickets.create_ticket(agent, title="old", tags=["a"])
    await tickets.update_ticket(agent, ticket.id, title="new", tags=["a", "b"], priority=3)
    event = await Event.filter(ticket_id=ticket.id, kind="ticket.updated").get()
    assert event.payload == {
        "changes": {
            "tags": {"previous": ["a"], "current": ["a", "b"]},
            "title": {"previous": "old", "current": "new"},
        }
    }
    # an update that changes nothing records nothing
    await tickets.update_ticket(agent, ticket.id, title="new")
    assert await Event.filter(ticket_id=ticket.id, kind="ticket.updated").count() == 1


async def test_client_emails_replace_and_clear(agent):
    ticket = await tickets.create_ticket(agent, title="x", client_emails=["A@Example.com"])
    assert await TicketContact.filter(ticket_id=ticket.id).values_list("email", flat=True) == [
        "a@example.com"
    ]
    await tickets.update_ticket(agent, ticket.id, client_emails=None)
    assert not await TicketContact.filter(ticket_id=ticket.id).exists()


async def test_hold_and_unhold(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    assert (await tickets.set_hold(agent, ticket.id, True)).on_hold is True
    assert (await tickets.set_hold(agent, ticket.id, False)).on_hold is False


async def test_delete_keeps_the_event_log(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    await comments.add_comment(agent, ticket.id, "hello")
    await tickets.delete_ticket(agent, ticket.id)
    with pytest.raises(NotFound):
        await tickets.get_ticket(agent, ticket.id)
    assert (await kinds(ticket.id))[-1] == "ticket.deleted"


async def test_merge_into_another_ticket(agent):
    a = await tickets.create_ticket(agent, title="a")
    b = await tickets.create_ticket(agent, title="b")
    assert (await tickets.update_ticket(agent, a.id, merged_into_id=b.id)).merged_into_id == b.id
    with pytest.raises(Invalid):
        await tickets.update_ticket(agent, a.id, merged_into_id=a.id)


async def test_filters_and_ordering(frozen, agent, customer):
    first = await tickets.create_ticket(agent, title="Alpha printer", priority=1, tags=["hw"])
    frozen.advance(hours=1)
    second = await tickets.create_ticket(customer, title="Beta", description="printer jam")
    frozen.advance(hours=1)
    third = await tickets.create_ticket(agent, title="Gamma", priority=5)
    await tickets.set_status(agent, third.id, Status.CLOSED)

    async def ids(filt=TicketFilter(), order=TicketOrder()):
        return [t.id for t in (await tickets.list_tickets(agent, filt, Window(0, 20), order)).items]

    assert await ids() == [third.id, second.id, first.id]
    assert await ids(order=TicketOrder("priority", False)) == [first.id, second.id, third.id]
    assert await ids(TicketFilter(search="printer")) == [second.id, first.id]
    assert await ids(TicketFilter(tag="hw")) == [first.id]
    assert await ids(TicketFilter(statuses=(Status.CLOSED,))) == [third.id]
    assert await ids(TicketFilter(opened_by_id=customer.id)) == [second.id]
    assert await ids(TicketFilter(created_after=T0 + timedelta(minutes=30))) == [
        third.id,
        second.id,
    ]
    with pytest.raises(Invalid):
        await ids(order=TicketOrder("title"))


async def test_system_actor_acts_as_admin():
    ticket = await tickets.create_ticket(SYSTEM, title="from cron")
    assert ticket.opened_by_id is None


# ---------------------------------------------------------------- queues, owners (issue 17)


async def test_every_ticket_has_a_queue(customer, agent):
    first = await tickets.create_ticket(customer, title="no queue, no queues")
    default = await queues.queue_by_slug(SYSTEM, "default")
    assert first.queue_id == default.id
    await queues.update_queue(SYSTEM, default.id, archived=True)
    with pytest.raises(Invalid) as refused:
        await tickets.create_ticket(customer, title="every queue archived")
    assert refused.value.fields[0][0] == "queue"
    sales = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    await queues.create_queue(SYSTEM, title="Later", slug="later")
    assert (await tickets.create_ticket(customer, title="oldest open")).queue_id == sales.id
    with pytest.raises(Invalid):
        await tickets.update_ticket(agent, first.id, queue_id=None)


async def test_a_ticket_opened_for_a_customer_is_theirs(agent, customer, other_customer):
    ticket = await tickets.create_ticket(
        agent, title="for them", client_emails=[customer.email, other_customer.email]
    )
    assert ticket.submitter_email == customer.email
    mine = await tickets.list_tickets(customer, TicketFilter(), Window(0, 10))
    assert [t.id for t in mine.items] == [ticket.id]
    await tickets.update_ticket(customer, ticket.id, title="renamed by its customer")
    with pytest.raises(Forbidden):  # only named on it
        await tickets.update_ticket(other_customer, ticket.id, title="renamed by another")
    submitted = await tickets.create_ticket(
        agent, title="submitted", submitter_email=other_customer.email
    )
    assert (await tickets.get_ticket(other_customer, submitted.id)).id == submitted.id
    with pytest.raises(NotFound):
        await tickets.get_ticket(customer, submitted.id)


async def test_an_agent_with_per_queue_permission_files_tickets_only_in_its_queues(agent, customer):
    mine = await queues.create_queue(SYSTEM, title="Mine", slug="mine")
    other = await queues.create_queue(SYSTEM, title="Other", slug="other")
    await queues.add_member(SYSTEM, mine.id, agent.id)
    ticket = await tickets.create_ticket(customer, title="in mine", queue_id=mine.id)
    permissions.configure(per_queue=True)
    with pytest.raises(Invalid) as refused:
        await tickets.create_ticket(agent, title="planted", queue_id=other.id)
    assert refused.value.fields[0][0] == "queue"
    with pytest.raises(Invalid):
        await tickets.update_ticket(agent, ticket.id, queue_id=other.id)
    await tickets.update_ticket(SYSTEM, ticket.id, queue_id=other.id)
    with pytest.raises(NotFound):  # out of its queues, not assigned to it
        await tickets.get_ticket(agent, ticket.id)
    permissions.configure(per_queue=False)
    assert (await tickets.get_ticket(agent, ticket.id)).queue_id == other.id


async def test_per_queue_permission_lists_only_the_files_of_an_agents_queues(
    settings, agent, customer
):
    mine = await queues.create_queue(SYSTEM, title="Mine", slug="mine")
    other = await queues.create_queue(SYSTEM, title="Other", slug="other")
    await queues.add_member(SYSTEM, mine.id, agent.id)
    storage = LocalStorage(settings.data_dir / "files")
    for queue in (mine, other):
        ticket = await tickets.create_ticket(customer, title=queue.slug, queue_id=queue.id)
        new = NewFile(f"{queue.slug}.txt", "text/plain", b"x")
        await comments.add_comment(customer, ticket.id, "file", files=[new], storage=storage)
    permissions.configure(per_queue=True)
    listed = await files.list_comment_attachments(agent, Window(0, 10))
    assert [a.filename for a in listed.items] == ["mine.txt"]
    everything = await files.list_comment_attachments(SYSTEM, Window(0, 10))
    assert [a.filename for a in everything.items] == ["mine.txt", "other.txt"]


async def test_migration_0010_moves_queueless_tickets_to_the_default_queue(customer):
    """Tickets stored without a queue (before 0010) go to the oldest open queue, or to a new
    `default` queue when there is none."""
    step = importlib.import_module("migrations.0010_h_queues_queue_members").queue_the_queueless
    editor = SimpleNamespace(client=connections.get("default"))
    ticket = await tickets.create_ticket(customer, title="old")
    await Ticket.filter(id=ticket.id).update(queue_id=None)
    await Queue.all().delete()
    await step(None, editor)
    default = await Queue.get(slug="default")
    assert (await Ticket.get(id=ticket.id)).queue_id == default.id
    sales = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    await queues.update_queue(SYSTEM, default.id, archived=True)
    await Ticket.filter(id=ticket.id).update(queue_id=None)
    await step(None, editor)
    assert (await Ticket.get(id=ticket.id)).queue_id == sales.id
    assert await Queue.all().count() == 2


async def test_files_are_hashed_and_written_off_the_event_loop(customer, settings):
    """Storing a 20 MiB upload (sha256, write, fsync) would otherwise stall every request."""
    stored_on = []

    class Recording(LocalStorage):
        def put(self, data: bytes) -> str:
            stored_on.append(threading.current_thread())
            return super().put(data)

    storage = Recording(settings.data_dir / "files")
    attachment = await files.upload(customer, storage, NewFile("a.txt", "text/plain", b"hello"))
    assert storage.get(attachment.sha256) == b"hello"
    assert stored_on and stored_on[0] is not threading.current_thread()
