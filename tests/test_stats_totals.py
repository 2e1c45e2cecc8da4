"""The running totals the triggers keep (migration 0003) always equal a full recount."""

from datetime import timedelta

from models import Ticket
from resolvers import comments, seed, sql, tickets

RECOUNT = (
    "SELECT status, COUNT(*) AS tickets, COUNT(first_response_at) AS answered,"
    " COUNT(closed_at) AS closed FROM tickets GROUP BY status"
)


async def totals() -> dict:
    rows = await sql.fetch(
        "SELECT status, tickets, answered, closed FROM ticket_totals WHERE tickets <> 0", []
    )
    return {r["status"]: (int(r["tickets"]), int(r["answered"]), int(r["closed"])) for r in rows}


async def recount() -> dict:
    rows = await sql.fetch(RECOUNT, [])
    return {r["status"]: (int(r["tickets"]), int(r["answered"]), int(r["closed"])) for r in rows}


async def closers() -> dict:
    rows = await sql.fetch("SELECT user_id, tickets FROM closer_totals WHERE tickets <> 0", [])
    return {r["user_id"]: int(r["tickets"]) for r in rows}


async def test_totals_follow_every_kind_of_change(agent, customer, admin):
    a = await tickets.create_ticket(customer, title="a")
    b = await tickets.create_ticket(customer, title="b")
    c = await tickets.create_ticket(customer, title="c")
    await comments.add_comment(agent, a.id, "first response")
    await tickets.set_status(agent, a.id, "closed")
    await tickets.set_status(admin, b.id, "resolved")
    await tickets.set_status(customer, b.id, "open")  # reopened: no longer closed
    await tickets.set_status(agent, c.id, "duplicate")
    await tickets.delete_ticket(agent, c.id)
    assert (
        await totals()
        == await recount()
        == {
            "closed": (1, 1, 1),
            "reopened": (1, 0, 0),
        }
    )
    assert await closers() == {agent.id: 1}


async def test_totals_match_after_bulk_insert_and_direct_updates(agent):
    await seed.bulk_tickets(300)
    first = await Ticket.all().order_by("id").first()
    await Ticket.filter(id=first.id).update(
        first_response_at=first.created_at + timedelta(minutes=3)
    )
    assert await totals() == await recount()
    hang = await sql.fetch("SELECT SUM(hang_ms) AS ms FROM ticket_totals", [])
    rows = await Ticket.exclude(first_response_at=None).values("created_at", "first_response_at")
    expected = sum(
        round((r["first_response_at"] - r["created_at"]).total_seconds() * 1000) for r in rows
    )
    assert abs(int(hang[0]["ms"]) - expected) <= len(rows)  # per-row rounding to the millisecond
