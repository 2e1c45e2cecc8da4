"""REST ticket pages on the lean read path (resolvers/projections.py): each door's list and item
answer exactly what its model-based renderer answered (kept here, written from the domain
objects, as the reference), and their SQL statements are pinned, the same for 1 and 100 tickets.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from models import (
    CLOSED_STATUSES,
    Attachment,
    Comment,
    Status,
    Ticket,
    TicketContact,
    TicketTag,
    User,
)
from resolvers import comments, credentials, feedback, projections, queues, reads, tickets
from resolvers.files import LocalStorage, NewFile
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM, sees_internal
from resolvers.tickets import TicketFilter, TicketOrder, filter_tickets
from tests.helpers import make_user, token_for

CUSTOM = (
    '[{"name": "order_no", "label": "Order", "data_type": "varchar"},'
    ' {"name": "seats", "label": "Seats", "data_type": "integer"},'
    ' {"name": "plan", "label": "Plan", "data_type": "list", "choices": ["free", "pro"],'
    ' "staff_only": true}]'
)
WHOLE_SECOND = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
YEAR_999 = datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)  # strftime writes "999", isoformat "0999"


@pytest.fixture
async def client(client_with):
    """The app with helpdesk custom fields defined."""
    async with client_with(helpdesk_custom_fields=CUSTOM) as c:
        yield c


@pytest.fixture
async def world(tmp_path, agent, customer):
    """Tickets in every status with every field and relation set or empty, comments public and
    internal with files, votes, evaluations, odd datetimes. Returns the ids."""
    storage = LocalStorage(tmp_path)
    desk = await queues.create_queue(SYSTEM, title="Desk", slug="desk")
    bare = await tickets.create_ticket(customer, title="Bare")
    full = await tickets.create_ticket(
        customer,
        title="Full",
        description="Everything set",
        queue_id=desk.id,
        tags=["vip", "hardware"],
        custom_fields={"order_no": "A-1", "seats": 3, "deep": {"x": [1, 2.5]}},
        client_emails=["friend@example.com", "boss@example.com"],
        client_aliased_name="Friend",
        files=[NewFile("spec.pdf", "application/pdf", b"%PDF-1")],
        storage=storage,
    )
    await tickets.update_ticket(
        agent,
        full.id,
        priority=1,
        due_date=datetime(2031, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        resolution="Replaced the fan",
        on_hold=True,
        merged_into_id=bare.id,
        assigned_to_id=agent.id,
        submitter_email="customer@example.com",
        custom_fields={"order_no": "A-1", "seats": 3, "plan": "pro", "deep": {"x": [1, 2.5]}},
    )  # ("plan" is staff-only: the agent sets it)
    reply = await comments.add_comment(
        agent,
        full.id,
        "We are on it",
        files=[NewFile("a.log", "text/plain", b"log"), NewFile("b.png", "image/png", b"png")],
        storage=storage,
    )
    await comments.add_comment(
        agent, full.id, "Customer is on the old plan", is_internal=True, title="Note",
        time_spent_seconds=90061,
    )  # fmt: skip
    await comments.add_comment(customer, full.id, "Thanks!", new_status="resolved")
    await Comment.filter(id=reply.id).update(message_id="<m1@example.com>")
    await feedback.vote_comment(customer, reply.id, score=1, comment="Quick")
    await feedback.close_ticket(customer, full.id, score=9, comment="Great")
    statuses = {}
    for status in ("in_progress", "closed", "duplicate", "reopened"):
        made = await tickets.create_ticket(customer, title=f"In {status}", tags=[status])
        if status == "reopened":
            await tickets.set_status(agent, made.id, "closed")
            status = "open"
        await tickets.set_status(agent, made.id, status)
        statuses[status] = made.id
    await comments.add_comment(agent, statuses["closed"], "Unread reply")
    await Ticket.filter(id=statuses["duplicate"]).update(
        split_from_id=full.id, created_at=WHOLE_SECOND, due_date=YEAR_999, updated_at=YEAR_999
    )
    return [bare.id, full.id, *statuses.values()]


# ---------------------------------------------------------------- helpdesk


def _helpdesk_when(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _helpdesk_duration(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days} {text}" if days else text


HELPDESK_STATUS = {
    "open": 1,
    "in_progress": 1,
    "reopened": 2,
    "resolved": 3,
    "closed": 4,
    "duplicate": 5,
}


async def _helpdesk_ticket(ticket_id: int) -> dict:
    t = await Ticket.get(id=ticket_id)
    followups = []
    for c in await Comment.filter(ticket_id=t.id).order_by("created_at", "id"):
        files = await Attachment.filter(comment_id=c.id).order_by("id")
        followups.append(
            {
                "id": c.id,
                "ticket": t.id,
                "user": c.author_id,
                "title": c.title,
                "comment": c.body,
                "public": not c.is_internal,
                "new_status": HELPDESK_STATUS[c.new_status] if c.new_status else None,
                "time_spent": _helpdesk_duration(c.time_spent_seconds),
                "followupattachment_set": [
                    {
                        "id": a.id,
                        "followup": c.id,
                        "file": f"http://testserver/helpdesk/api/followups-attachments/{a.id}/file/",
                        "filename": a.filename,
                        "mime_type": a.mime_type,
                        "size": a.size,
                    }
                    for a in files
                ],
                "date": _helpdesk_when(c.created_at),
                "message_id": c.message_id,
                "email_recipients": [],
            }
        )
    return {
        "id": t.id,
        "queue": t.queue_id,
        "title": t.title,
        "description": t.description,
        "resolution": t.resolution,
        "submitter_email": t.submitter_email,
        "assigned_to": t.assigned_to_id,
        "status": HELPDESK_STATUS[t.status],
        "on_hold": t.on_hold,
        "priority": t.priority,
        "due_date": _helpdesk_when(t.due_date),
        "merged_to": t.merged_into_id,
        "followup_set": followups,
        **{f"custom_{n}": t.custom_fields.get(n) for n in ("order_no", "seats", "plan")},
    }


async def _helpdesk_listing(ticket_id: int) -> dict:
    t = await Ticket.get(id=ticket_id).select_related("queue")
    names = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}
    queue = t.queue
    return {
        "ticket": f"{t.id} [{queue.slug}-{t.id}]" if queue else f"{t.id} [{t.id}]",
        "id": t.id,
        "title": t.title,
        "queue": {"title": queue.title, "id": queue.id} if queue else None,
        "status": names[HELPDESK_STATUS[t.status]] + (" - On Hold" if t.on_hold else ""),
        "created": _helpdesk_when(t.created_at),
        "due_date": _helpdesk_when(t.due_date),
        "submitter": t.submitter_email,
        "kbitem": "",
        "secret_key": "",
        **{f"custom_{n}": t.custom_fields.get(n) for n in ("order_no", "seats")},
    }


async def test_helpdesk_renders_every_field_as_the_model_renderer(client, world, agent, customer):
    staff = {"Authorization": f"Token {await token_for(agent)}"}
    page = await client.get("/helpdesk/api/tickets/?page_size=100", headers=staff)
    expected = [await _helpdesk_ticket(i) for i in sorted(world)]
    body = {"count": len(world), "next": None, "previous": None, "results": expected}
    assert page.content == orjson.dumps(body)
    for ticket_id in world:
        item = await client.get(f"/helpdesk/api/tickets/{ticket_id}/", headers=staff)
        assert item.content == orjson.dumps(await _helpdesk_ticket(ticket_id))
    mine = {"Authorization": f"Token {await token_for(customer)}"}
    await Ticket.filter(id__in=world).update(submitter_email=customer.email)
    listed = await client.get("/helpdesk/api/user_tickets/", headers=mine)
    newest_first = await Ticket.filter(id__in=world).order_by("-created_at", "-id")
    expected = [await _helpdesk_listing(t.id) for t in newest_first]
    body = {"count": len(world), "next": None, "previous": None, "results": expected}
    assert listed.content == orjson.dumps(body)
    for ticket_id in world:
        item = await client.get(f"/helpdesk/api/user_tickets/{ticket_id}/", headers=mine)
        assert item.content == orjson.dumps(await _helpdesk_listing(ticket_id))


# ---------------------------------------------------------------- control panel

CONTROL_PANEL_STATUS = {
    "open": ("open", "Open", "Открыт"),
    "in_progress": ("in_progress", "In progress", "В работе"),  # noqa: RUF001
    "reopened": ("open", "Open", "Открыт"),
    "resolved": ("resolved", "Resolved", "Решён"),
    "closed": ("closed", "Closed", "Закрыт"),
    "duplicate": ("closed", "Closed", "Закрыт"),
}


def _zulu(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _control_panel_ticket(ticket_id: int, actor: User) -> dict:
    t = await Ticket.get(id=ticket_id)
    emails = (
        await TicketContact.filter(ticket_id=t.id).order_by("id").values_list("email", flat=True)
    )
    unread = await Comment.filter(ticket_id=t.id, is_internal=False, is_client_read=False).exists()
    key, en, ru = CONTROL_PANEL_STATUS[t.status]
    vote = None
    if t.evaluated_at is not None:
        vote = {
            "comment": t.evaluation_comment,
            "created_at": _zulu(t.evaluated_at),
            "score": t.evaluation_score,
        }
    return {
        "client_aliased_name": t.client_aliased_name,
        "client_emails": list(emails),
        "closed_at": _zulu(t.closed_at),
        "created_at": _zulu(t.created_at),
        "is_client_author": t.opened_by_id == actor.id,
        "is_client_read": not unread,
        "is_closed": t.status in CLOSED_STATUSES,
        "is_resolved": t.status == "resolved",
        "number": t.id,
        "splitted_from_ticket_number": t.split_from_id,
        "status": {"en": en, "ru": ru},
        "status_key": key,
        "summary": t.title,
        "type": None,
        "updated_at": _zulu(t.updated_at),
        "vote": vote,
    }


async def test_control_panel_renders_every_field_as_the_model_renderer(
    client, world, agent, customer
):
    unread = await _control_panel_ticket(world[3], customer)
    assert unread["is_client_read"] is False and unread["vote"] is None  # both kinds covered
    for actor in (customer, agent):
        headers = {"X-Token": await token_for(actor)}
        page = await client.get("/support/tickets?items_per_page=100", headers=headers)
        newest_first = await Ticket.filter(id__in=world).order_by("-created_at", "-id")
        body = {
            "item_count": len(world),
            "items": [await _control_panel_ticket(t.id, actor) for t in newest_first],
            "items_per_page": 100,
            "page": 1,
            "page_count": 1,
        }
        assert page.content == orjson.dumps(body)
        for ticket_id in world:
            expected = await _control_panel_ticket(ticket_id, actor)  # before it marks read
            item = await client.get(f"/support/tickets/{ticket_id}", headers=headers)
            assert item.content == orjson.dumps(expected)
    assert (await _control_panel_ticket(world[3], customer))["is_client_read"] is True


# ---------------------------------------------------------------- platform v1

PLATFORM_STATUS = {
    "open": "open",
    "in_progress": "in_progress",
    "reopened": "open",
    "resolved": "resolved",
    "closed": "closed",
    "duplicate": "closed",
}
PLATFORM_PRIORITY = {1: "critical", 2: "high", 3: "medium", 4: "low", 5: "low"}


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": str(user.id), "name": user.name, "email": user.email}


def _platform_file(a: Attachment) -> dict:
    return {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "mime_type": a.mime_type,
        "url": f"http://testserver/api/v1/attachments/{a.id}",  # the request's origin
        "created_at": _zulu(a.created_at),
    }


async def _platform_ticket(ticket_id: int, actor: User, *, detail: bool) -> dict:
    t = await Ticket.get(id=ticket_id).select_related("opened_by", "assigned_to")
    tags = await TicketTag.filter(ticket_id=t.id).order_by("id").values_list("name", flat=True)
    data = {
        "id": str(t.id),
        "title": t.title,
        "description": t.description,
        "status": PLATFORM_STATUS[t.status],
        "priority": PLATFORM_PRIORITY[t.priority],
        "created_at": _zulu(t.created_at),
        "updated_at": _zulu(t.updated_at),
        "created_by": _person(t.opened_by),
        "assigned_to": _person(t.assigned_to),
        "tags": list(tags),
        "custom_fields": t.custom_fields
        if actor.is_staff
        else {k: v for k, v in t.custom_fields.items() if k != "plan"},  # staff-only
    }
    if detail:
        found = Comment.filter(ticket_id=t.id).order_by("created_at", "id")
        if not sees_internal(actor):
            found = found.filter(is_internal=False)
        data["comments"] = [
            {
                "id": str(c.id),
                "content": c.body,
                "created_at": _zulu(c.created_at),
                "created_by": _person(c.author),
                "is_internal": c.is_internal,
                "attachments": [
                    _platform_file(a)
                    for a in await Attachment.filter(comment_id=c.id).order_by("id")
                ],
            }
            for c in await found.select_related("author")
        ]
        own = Attachment.filter(ticket_id=t.id, comment_id__isnull=True).order_by("id")
        data["attachments"] = [_platform_file(a) for a in await own]
    return data


async def test_platform_renders_every_field_as_the_model_renderer(client, world, agent, customer):
    for actor in (agent, customer):
        headers = {"Authorization": f"Bearer {await token_for(actor)}"}
        page = await client.get("/api/v1/tickets?per_page=100", headers=headers)
        newest_first = await Ticket.filter(id__in=world).order_by("-created_at", "-id")
        data = [await _platform_ticket(t.id, actor, detail=False) for t in newest_first]
        pagination = {
            "total": len(world),
            "per_page": 100,
            "current_page": 1,
            "last_page": 1,
            "next_page_url": None,
            "prev_page_url": None,
        }
        assert page.content == orjson.dumps({"data": data, "pagination": pagination})
        for ticket_id in world:
            item = await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
            expected = await _platform_ticket(ticket_id, actor, detail=True)
            assert item.content == orjson.dumps({"data": expected})


# ---------------------------------------------------------------- statements


async def _bulk(customer, agent, count: int) -> None:
    desk = await queues.create_queue(SYSTEM, title="Bulk", slug="bulk")
    for n in range(count):
        made = await tickets.create_ticket(
            customer, title=f"bulk {n}", queue_id=desk.id, tags=["a", "b"]
        )
        if n % 10 == 0:
            await tickets.assign(agent, made.id, agent.id)
            await comments.add_comment(agent, made.id, "reply")


def _outside_authentication(statements: list[str]) -> list[str]:
    """The statements a request made besides looking up its credential (cached elsewhere)."""
    return [s.split()[0] for s in statements if "api_tokens" not in s]


@pytest.mark.parametrize(
    ("auth", "page", "item", "per_page", "per_item", "from_totals"),
    [
        # helpdesk: count, tickets, followups probe, followups, their files |
        # ticket, followups probe, followups, their files
        (
            "Token",
            "/helpdesk/api/tickets/?page_size={n}",
            "/helpdesk/api/tickets/{id}/",
            5,
            4,
            True,
        ),
        # helpdesk user_tickets: count, tickets, queues | ticket, queue
        (
            "Token",
            "/helpdesk/api/user_tickets/?page_size={n}",
            "/helpdesk/api/user_tickets/{id}/",
            3,
            2,
            False,
        ),
        # control panel: count, tickets, contacts, unread | ticket, contacts, unread
        ("X-Token", "/support/tickets?items_per_page={n}", "/support/tickets/{id}", 4, 3, True),
        # platform v1: count, tickets, tags, people |
        # ticket, comments probe, comments, own files, tags, comment files, people
        ("Bearer", "/api/v1/tickets?per_page={n}", "/api/v1/tickets/{id}", 4, 7, True),
    ],
)
async def test_statements_per_page_and_item_are_pinned(
    client, agent, customer, count_sql, auth, page, item, per_page, per_item, from_totals
):
    await _bulk(customer, agent, 100)
    await Ticket.all().update(submitter_email=agent.email)
    token = await token_for(agent)
    headers = {"X-Token": token} if auth == "X-Token" else {"Authorization": f"{auth} {token}"}
    ticket_id = (await Comment.first()).ticket_id  # one with a comment, a queue and tags
    await client.get(page.format(n=1), headers=headers)  # (the token's first use writes)
    await credentials.drain()  # ... in the background: let it finish before counting
    counts = []
    for n in (1, 100):
        with count_sql() as statements:
            response = await client.get(page.format(n=n), headers=headers)
        assert response.status_code == 200, response.text
        assert response.text.count('"title"') + response.text.count('"summary"') >= n
        counts.append(statements[:])
    assert [s.split()[0] for s in counts[0]] == [s.split()[0] for s in counts[1]]
    assert _outside_authentication(counts[1]) == ["SELECT"] * per_page
    # staff lists filtered by status at most count from the running totals, not the rows
    assert any("FROM ticket_totals" in s for s in counts[1]) is from_totals
    with count_sql() as statements:
        response = await client.get(item.format(id=ticket_id), headers=headers)
    assert response.status_code == 200, response.text
    assert _outside_authentication(statements) == ["SELECT"] * per_item


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
async def test_first_comments_of_each_ticket_with_and_without_a_crowded_one(agent, customer, limit):
    """`first_comments` answers the same first comments whether a ticket has more than the
    limit (a LIMIT per ticket) or none has (one plain read), internal ones for staff only."""
    crowded = await tickets.create_ticket(customer, title="crowded")
    quiet = await tickets.create_ticket(customer, title="quiet")
    for n in range(3):
        await comments.add_comment(customer, crowded.id, f"crowded {n}")
    await comments.add_comment(agent, crowded.id, "internal", is_internal=True)
    await comments.add_comment(agent, quiet.id, "quiet reply")
    every = {
        t.id: await Comment.filter(ticket_id=t.id).order_by("created_at", "id")
        for t in (crowded, quiet)
    }
    for actor in (agent, customer):
        found = await reads.run(
            projections.first_comments(actor, [crowded.id, quiet.id], limit, ("id", "body"))
        )
        expected = {
            tid: [(c.id, c.body) for c in rows if sees_internal(actor) or not c.is_internal][:limit]
            for tid, rows in every.items()
        }
        assert found == expected


# ---------------------------------------------------------------- one rule, two languages


async def test_search_in_public_comments_sql_matches_the_orm_rule(agent, customer):
    """`TicketFilter.search_comments` selects the same tickets through projections (SQL) and
    `filter_tickets` (ORM), for staff and customers."""
    other = await make_user("someone", "customer")
    found_in = {}
    for who, title, text, internal in (
        (customer, "Disk full", "it is 100% full", False),
        (customer, "Network", "cable_cut", False),
        (other, "Printer", "toner", False),
    ):
        made = await tickets.create_ticket(who, title=title)
        await comments.add_comment(agent, made.id, text, is_internal=internal)
        found_in[title] = made.id
    await comments.add_comment(agent, found_in["Printer"], "secret DISK", is_internal=True)
    for actor in (agent, customer, other):
        for term in ("disk", "100%", "cable_", "TONER", "secret", "nothing"):
            filt = TicketFilter(search=term, search_comments=True)
            rows, total = await reads.run(
                projections.ticket_page(actor, filt, TicketOrder(), Window(0, 100), ["id"])
            )
            orm = await filter_tickets(actor, filt).order_by("-created_at", "-id")
            assert [r[0] for r in rows] == [t.id for t in orm], (actor.username, term)
            assert total == len(orm)


async def test_staff_counts_from_the_running_totals_equal_counting_rows(world, agent):
    """`projections.ticket_count` answers staff from `ticket_totals`: the same numbers as
    counting the rows, after creates, status changes and deletes."""
    await tickets.delete_ticket(agent, world[0])
    await tickets.set_status(agent, world[2], "resolved")
    choices = [(), ("open",), ("closed", "duplicate"), ("open", "in_progress", "reopened")]
    for statuses in [*choices, tuple(Status)]:
        filt = TicketFilter(statuses=tuple(Status(s) for s in statuses))
        counted = await reads.run(projections.ticket_count(agent, filt))
        assert counted == await filter_tickets(agent, filt).count(), statuses
