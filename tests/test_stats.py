"""The stats engine through its doors: /api/stats_v2, /api/stats, /api/stats/range, /api/user
and GraphQL `stats`, against a fixture whose every number is worked out by hand below."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from resolvers import clock, comments, tickets
from resolvers.permissions import SYSTEM
from server import build_app
from tests.helpers import bearer, gql, make_user, token_for

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)


@pytest.fixture
def settings(settings):
    """Stats are read anonymously here: the door is public (NEPHTHYS_PUBLIC=true)."""
    return dataclasses.replace(settings, nephthys_public=True)


@pytest.fixture
def at(monkeypatch):
    """Freeze the domain clock; `at(t)` moves it."""
    current = [NOW]
    monkeypatch.setattr(clock, "now", lambda: current[0])

    def move(when: datetime) -> None:
        current[0] = when

    return move


@pytest.fixture
async def people(admin, agent, customer):
    helper2 = await make_user("helper2", "agent", slack_id="UHELP2")
    return {"admin": admin, "agent": agent, "helper2": helper2, "customer": customer}


async def _ticket(at, who, created: datetime, title: str) -> int:
    at(created)
    return (await tickets.create_ticket(who, title=title, description=f"{title} text")).id


async def _reply(at, who, ticket_id: int, when: datetime, internal: bool = False) -> None:
    at(when)
    await comments.add_comment(who, ticket_id, "reply", is_internal=internal)


async def _status(at, who, ticket_id: int, status: str, when: datetime) -> None:
    at(when)
    await tickets.set_status(who, ticket_id, status)


@pytest.fixture
async def scene(at, people):
    """Ten tickets (N = NOW):

    | #  | created  | now         | first reply | closed (by)       | other                     |
    | 1  | N-10d    | closed      | +30m        | N-10d+2h (agent)  |                           |
    | 2  | N-3d     | closed      | +60m        | N-2h (helper2)    |                           |
    | 3  | N-30h    | in_progress | +90m        |                   | assigned N-5h (agent)     |
    | 4  | N-5h     | open        | internal    |                   | unanswered                |
    | 5  | N-2h     | open        | +20m        |                   | customer wrote at N-1h    |
    | 6  | N-20d    | closed      |             | N-30m (admin)     |                           |
    | 7  | N-1h     | closed      |             | N-30m (customer)  | not staff: no leaderboard |
    | 8  | N-6d     | reopened    |             | N-5d, reopened    | oldest unanswered         |
    | 9  | N-8d     | in_progress |             |                   | last message customer's   |
    | 10 | N-12h    | closed      |             | N-11h (helper2)   |                           |
    """
    p, N = people, NOW
    cust, agent, helper2, admin = p["customer"], p["agent"], p["helper2"], p["admin"]
    t1 = await _ticket(at, cust, N - 10 * D, "one")
    await _reply(at, agent, t1, N - 10 * D + 30 * M)
    await _status(at, agent, t1, "closed", N - 10 * D + 2 * H)
    t2 = await _ticket(at, cust, N - 3 * D, "two")
    await _reply(at, helper2, t2, N - 3 * D + 60 * M)
    await _status(at, helper2, t2, "closed", N - 2 * H)
    t3 = await _ticket(at, cust, N - 30 * H, "three")
    await _reply(at, agent, t3, N - 30 * H + 90 * M)
    at(N - 5 * H)
    await tickets.update_ticket(agent, t3, assigned_to_id=agent.id, status="in_progress")
    t4 = await _ticket(at, cust, N - 5 * H, "four")
    await _reply(at, agent, t4, N - 4 * H, internal=True)
    t5 = await _ticket(at, cust, N - 2 * H, "five")
    await _reply(at, agent, t5, N - 2 * H + 20 * M)
    await _reply(at, cust, t5, N - 1 * H)
    t6 = await _ticket(at, cust, N - 20 * D, "six")
    await _status(at, admin, t6, "closed", N - 30 * M)
    t7 = await _ticket(at, cust, N - 1 * H, "seven")
    await _status(at, cust, t7, "closed", N - 30 * M)
    t8 = await _ticket(at, cust, N - 6 * D, "eight")
    await _status(at, agent, t8, "closed", N - 5 * D)
    await _status(at, cust, t8, "open", N - 4 * D)
    t9 = await _ticket(at, cust, N - 8 * D, "nine")
    await _status(at, agent, t9, "in_progress", N - 8 * D + 1 * H)
    t10 = await _ticket(at, cust, N - 12 * H, "ten")
    await _status(at, helper2, t10, "closed", N - 11 * H)
    at(NOW)
    assert [t1, t2, t3, t4, t5, t6, t7, t8, t9, t10] == list(range(1, 11))
    return p


def _board(*entries) -> list[dict]:
    return [{"id": user.id, "slack_id": user.slack_id or "", "count": n} for user, n in entries]


async def test_stats_v2_all_time(client, scene):
    response = await client.get("/api/stats_v2")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"all_time", "past_24h", "past_24h_previous", "past_7d", "past_7d_previous"}
    p = scene
    assert body["all_time"] == {
        "tickets_total": 10,
        "tickets_open": 3,  # 4, 5 and the reopened 8
        "tickets_closed": 5,
        "tickets_in_progress": 2,
        # helper2 closed 2 and 10; agent's close of 8 was undone by the reopen; customers never
        "helpers_leaderboard": _board(
            (p["helper2"], 2), *sorted([(p["admin"], 1), (p["agent"], 1)], key=lambda e: e[0].id)
        ),
        "mean_hang_time_minutes_unresolved": 55.0,  # 3: 90, 5: 20
        "mean_hang_time_minutes_all": 50.0,  # 1: 30, 2: 60, 3: 90, 5: 20
        # 1: 120, 2: 3d-2h = 4200, 6: 20d-30m = 28770, 7: 30, 10: 60 → 33180 / 5
        "mean_resolution_time_minutes": 6636.0,
        "oldest_unanswered_ticket": {
            "id": 8,
            "created_at": "2026-03-04T12:00:00+00:00",
            "age_minutes": 8640.0,
            "link": "http://testserver/api/ticket?id=8",
        },
    }


async def test_stats_v2_windows(client, scene):
    body = (await client.get("/api/stats_v2")).json()
    p = scene
    assert body["past_24h"] == {
        "new_tickets_total": 4,  # 4, 5, 7, 10
        "new_tickets_now_closed": 2,  # 7, 10
        "new_tickets_still_open": 2,  # 4, 5
        "new_tickets_in_progress": 0,
        "closed_today": 4,  # 2, 6, 7, 10
        "closed_today_from_today": 2,  # 7, 10
        "assigned_today_in_progress": 1,  # 3
        "helpers_leaderboard": _board((p["helper2"], 2), (p["admin"], 1)),
        "mean_hang_time_minutes_unresolved": 20.0,
        "mean_hang_time_minutes_all": 20.0,
        "mean_resolution_time_minutes": 45.0,  # 7: 30, 10: 60
    }
    assert body["past_24h_previous"] == {
        "new_tickets_total": 1,  # 3
        "new_tickets_now_closed": 0,
        "new_tickets_still_open": 0,
        "new_tickets_in_progress": 1,
        "closed_today": 0,
        "closed_today_from_today": 0,
        "assigned_today_in_progress": 0,
        "helpers_leaderboard": [],
        "mean_hang_time_minutes_unresolved": 90.0,
        "mean_hang_time_minutes_all": 90.0,
        "mean_resolution_time_minutes": None,
    }
    assert body["past_7d"] == {
        "new_tickets_total": 7,  # 2, 3, 4, 5, 7, 8, 10
        "new_tickets_now_closed": 3,  # 2, 7, 10
        "new_tickets_still_open": 3,  # 4, 5, 8
        "new_tickets_in_progress": 1,  # 3
        "closed_today": 4,  # 2, 6, 7, 10 (8 was reopened)
        "closed_today_from_today": 3,  # 2, 7, 10
        "assigned_today_in_progress": 1,
        "helpers_leaderboard": _board((p["helper2"], 2), (p["admin"], 1)),
        "mean_hang_time_minutes_unresolved": 55.0,  # 3: 90, 5: 20
        "mean_hang_time_minutes_all": 56.67,  # 2: 60, 3: 90, 5: 20
        "mean_resolution_time_minutes": 1430.0,  # 2: 4200, 7: 30, 10: 60
    }
    assert body["past_7d_previous"] == {
        "new_tickets_total": 2,  # 1, 9
        "new_tickets_now_closed": 1,
        "new_tickets_still_open": 0,
        "new_tickets_in_progress": 1,
        "closed_today": 1,
        "closed_today_from_today": 1,
        "assigned_today_in_progress": 0,
        "helpers_leaderboard": _board((p["agent"], 1)),
        "mean_hang_time_minutes_unresolved": None,
        "mean_hang_time_minutes_all": 30.0,
        "mean_resolution_time_minutes": 120.0,
    }


async def test_empty_database_gives_zeros_and_nulls(client):
    body = (await client.get("/api/stats_v2")).json()
    assert body["all_time"] == {
        "tickets_total": 0,
        "tickets_open": 0,
        "tickets_closed": 0,
        "tickets_in_progress": 0,
        "helpers_leaderboard": [],
        "mean_hang_time_minutes_unresolved": None,
        "mean_hang_time_minutes_all": None,
        "mean_resolution_time_minutes": None,
        "oldest_unanswered_ticket": None,
    }
    assert body["past_7d"]["new_tickets_total"] == 0
    assert body["past_7d"]["mean_resolution_time_minutes"] is None


async def test_windows_are_half_open(client, at, customer):
    """A ticket created exactly 24 hours ago is in past_24h, not in the day before it."""
    await _ticket(at, customer, NOW - D, "boundary day")
    await _ticket(at, customer, NOW - 7 * D, "boundary week")
    at(NOW)
    body = (await client.get("/api/stats_v2")).json()
    assert body["past_24h"]["new_tickets_total"] == 1
    assert body["past_24h_previous"]["new_tickets_total"] == 0
    assert body["past_7d"]["new_tickets_total"] == 2
    assert body["past_7d_previous"]["new_tickets_total"] == 0
    ranged = await client.get(
        "/api/stats/range",
        params={"since": "2026-03-03T12:00:00Z", "until": "2026-03-09T12:00:00Z"},
    )
    assert ranged.json()["stats"]["new_tickets_total"] == 1  # `until` itself is left out


async def test_oldest_unanswered_follows_the_last_message(client, at, agent, customer):
    first = await _ticket(at, customer, NOW - 3 * H, "first")
    second = await _ticket(at, customer, NOW - 2 * H, "second")
    at(NOW)

    async def oldest():
        at(NOW)
        return (await client.get("/api/stats_v2")).json()["all_time"]["oldest_unanswered_ticket"]

    assert (await oldest())["id"] == first
    await _reply(at, agent, first, NOW - 90 * M)  # a helper answered: not unanswered any more
    assert (await oldest())["id"] == second
    await _reply(at, customer, first, NOW - 10 * M)  # the customer wrote again, after second's
    assert (await oldest())["id"] == second
    await _reply(at, agent, second, NOW - 5 * M, internal=True)  # internal notes do not answer
    found = await oldest()
    assert found == {
        "id": second,
        "created_at": "2026-03-10T10:00:00+00:00",
        "age_minutes": 120.0,  # from created_at, not from the last message
        "link": f"http://testserver/api/ticket?id={second}",
    }
    await _status(at, agent, second, "in_progress", NOW)  # in progress is not open
    assert (await oldest())["id"] == first
    await _status(at, agent, first, "closed", NOW)
    assert await oldest() is None


async def test_link_template_is_configurable(settings, at, customer):
    settings = dataclasses.replace(
        settings,
        nephthys_link_template="https://slack.example/archives/C1/p{message_ts}?t={id}",
    )
    await _ticket(at, customer, NOW - H, "slack")
    await tickets.update_ticket(SYSTEM, 1, message_ts="1775942657.605349")
    transport = httpx.ASGITransport(app=build_app(settings, manage_db=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        body = (await c.get("/api/stats_v2")).json()
    link = body["all_time"]["oldest_unanswered_ticket"]["link"]
    assert link == "https://slack.example/archives/C1/p1775942657.605349?t=1"


async def test_stats_v2_statement_count_is_constant(client, scene, at, count_sql):
    """Five statements; four when every window ends on a slot boundary (no edges to read)."""

    async def statements_at(when: datetime) -> int:
        at(when)
        with count_sql() as statements:
            assert (await client.get("/api/stats_v2")).status_code == 200
        return len(statements)

    assert (await statements_at(NOW), await statements_at(NOW + 90 * M)) == (4, 5)
    for n in range(15):
        await _ticket(at, scene["customer"], NOW - n * H, f"more {n}")
        await _status(at, scene["helper2"], n + 11, "closed", NOW - n * H + M)
    assert (await statements_at(NOW), await statements_at(NOW + 90 * M)) == (4, 5)


async def test_stats_v1_shape(client, scene):
    body = (await client.get("/api/stats")).json()
    p = scene
    top = [{"user_id": p["helper2"].id, "slack_id": "UHELP2", "closed_ticket_count": 2}]
    assert body["total_tickets"] == 10
    assert body["total_open"] == 3
    assert body["total_in_progress"] == 2
    assert body["total_closed"] == 5
    assert body["total_top_3_users_with_closed_tickets"][:1] == top
    assert len(body["total_top_3_users_with_closed_tickets"]) == 3
    assert body["average_hang_time_minutes"] == 55.0
    assert body["prev_day_total"] == 4
    assert body["prev_day_open"] == 2
    assert body["prev_day_in_progress"] == 0
    assert body["prev_day_closed"] == 2
    assert body["prev_day_top_3_users_with_closed_tickets"] == [
        *top,
        {"user_id": p["admin"].id, "slack_id": "", "closed_ticket_count": 1},
    ]
    assert body["prev_day_average_hang_time_minutes"] == 20.0


async def test_stats_range(client, scene):
    response = await client.get(
        "/api/stats/range", params={"since": "2026-03-03T12:00:00+00:00", "after": "ignored"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-03-03T12:00:00+00:00"
    assert body["until"] == "2026-03-10T12:00:00+00:00"  # defaults to now
    past_7d = (await client.get("/api/stats_v2")).json()["past_7d"]
    assert body["stats"] == past_7d
    everything = (await client.get("/api/stats/range")).json()
    assert everything["since"] == "1970-01-01T00:00:00+00:00"
    assert everything["stats"]["new_tickets_total"] == 10
    assert everything["stats"]["closed_today"] == 5


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        (
            {"since": "yesterday"},
            400,
            "created_after parameter is not a valid ISO datetime: yesterday",
        ),
        (
            {"after": "2026-13-01"},
            400,
            "created_after parameter is not a valid ISO datetime: 2026-13-01",
        ),
        ({"until": "soon"}, 400, "created_before parameter is not a valid ISO datetime: soon"),
        ({"before": "x"}, 400, "created_before parameter is not a valid ISO datetime: x"),
        (
            {"since": "2026-03-02", "until": "2026-03-01"},
            400,
            "since must not be later than until.",
        ),
    ],
)
async def test_stats_range_errors(client, query, status, error):
    response = await client.get("/api/stats/range", params=query)
    assert response.status_code == status
    assert response.json() == {"error": error}


async def test_user_stats(client, scene):
    p = scene
    body = (await client.get("/api/user", params={"id": "UHELP2"})).json()
    assert body == {
        "id": p["helper2"].id,
        "slack_id": "UHELP2",
        "helper": True,
        "tickets_opened": 0,
        "tickets_closed": 2,
        "tickets_assigned": 0,
        "tickets_assigned_in_progress": 0,
        "mean_resolution_time_minutes": 2130.0,  # 2: 4200, 10: 60
    }
    agent = (await client.get("/api/user", params={"id": "UAGENT1"})).json()
    assert agent["tickets_closed"] == 1  # ticket 1; 8 was reopened
    assert agent["tickets_assigned"] == 1
    assert agent["tickets_assigned_in_progress"] == 1
    assert agent["mean_resolution_time_minutes"] == 120.0


async def test_user_stats_errors(client):
    missing = await client.get("/api/user")
    assert (missing.status_code, missing.json()) == (400, {"error": "missing_user_id"})
    unknown = await client.get("/api/user", params={"id": "UNOBODY"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "user_not_found"})


STATS_QUERY = """
query ($since: DateTime!, $until: DateTime) {
  stats {
    allTime {
      ticketsTotal ticketsOpen ticketsClosed ticketsInProgress
      helpersLeaderboard { userId slackId count }
      meanHangTimeMinutesUnresolved meanHangTimeMinutesAll meanResolutionTimeMinutes
      oldestUnansweredTicket { ticketId createdAt ageMinutes }
    }
    window(since: $since, until: $until) {
      since until newTicketsTotal newTicketsNowClosed newTicketsStillOpen newTicketsInProgress
      closedToday closedTodayFromToday assignedTodayInProgress
      helpersLeaderboard { userId slackId count }
      meanHangTimeMinutesUnresolved meanHangTimeMinutesAll meanResolutionTimeMinutes
    }
  }
}
"""


async def test_graphql_stats_match_the_rest_numbers(client, scene):
    token = await token_for(scene["agent"])
    result = await gql(client, STATS_QUERY, token, since="2026-03-03T12:00:00+00:00")
    assert "errors" not in result, result
    rest = (await client.get("/api/stats_v2")).json()
    all_time, window = result["data"]["stats"]["allTime"], result["data"]["stats"]["window"]
    assert all_time["ticketsTotal"] == rest["all_time"]["tickets_total"] == 10
    assert all_time["meanResolutionTimeMinutes"] == 6636.0
    assert all_time["oldestUnansweredTicket"] == {
        "ticketId": 8,
        "createdAt": "2026-03-04T12:00:00+00:00",
        "ageMinutes": 8640.0,
    }
    assert [e["userId"] for e in all_time["helpersLeaderboard"]] == [
        e["id"] for e in rest["all_time"]["helpers_leaderboard"]
    ]
    past_7d = rest["past_7d"]
    assert window["newTicketsTotal"] == past_7d["new_tickets_total"] == 7
    assert window["closedTodayFromToday"] == past_7d["closed_today_from_today"]
    assert window["meanHangTimeMinutesAll"] == past_7d["mean_hang_time_minutes_all"] == 56.67
    assert window["helpersLeaderboard"] == [
        {"userId": e["id"], "slackId": e["slack_id"] or None, "count": e["count"]}
        for e in past_7d["helpers_leaderboard"]
    ]
    assert window["until"] == "2026-03-10T12:00:00+00:00"


async def test_graphql_stats_need_a_signed_in_user(client, scene):
    result = await gql(client, STATS_QUERY, since="2026-03-03T12:00:00Z")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bulk_seed_data_exercises_every_metric(client, agent):
    """`ticketgate seed --tickets` (raw INSERTs) stores what the ORM would: every number is set."""
    from resolvers import seed

    assert await seed.bulk_tickets(400) == 400
    body = (await client.get("/api/stats_v2")).json()
    all_time, week = body["all_time"], body["past_7d"]
    assert all_time["tickets_total"] == 400
    assert min(all_time[k] for k in ("tickets_open", "tickets_closed", "tickets_in_progress")) > 0
    assert all_time["helpers_leaderboard"] and all_time["helpers_leaderboard"][0]["slack_id"]
    assert all_time["oldest_unanswered_ticket"] is not None
    for key in ("unresolved", "all"):
        assert all_time[f"mean_hang_time_minutes_{key}"] > 0
    assert all_time["mean_resolution_time_minutes"] > 0
    assert week["new_tickets_total"] > 0
    staff = bearer(await token_for(agent))  # seeded queues are not public
    listed = (await client.get("/api/tickets?status=closed&since=2000-01-01", headers=staff)).json()
    assert len(listed) == all_time["tickets_closed"]
    assert all(t["closed_by"]["slack_id"] and t["message_ts"] for t in listed)


async def test_bulk_seed_comments_belong_to_their_ticket_people():
    """Every bulk ticket gets 1 to 4 comments, written by its opener or its helper, after it was
    opened, and readable through the ORM like comments made through the domain."""
    from models import Comment, Ticket
    from resolvers import seed

    await seed.bulk_tickets(200)
    tickets_by_id = {t.id: t for t in await Ticket.all()}
    made = await Comment.all()
    per_ticket = {}
    for comment in made:
        ticket = tickets_by_id[comment.ticket_id]
        assert comment.author_id in (ticket.opened_by_id, ticket.assigned_to_id)
        assert comment.created_at >= ticket.created_at and comment.body
        per_ticket[ticket.id] = per_ticket.get(ticket.id, 0) + 1
    assert set(per_ticket) == set(tickets_by_id)
    assert set(per_ticket.values()) == {1, 2, 3, 4}
    assert any(c.is_internal for c in made)


async def test_stats_v2_cache_reuses_an_answer_when_configured(client, settings, at, customer):
    from resolvers import stats

    cached = dataclasses.replace(settings, stats_cache_seconds=60.0)
    transport = httpx.ASGITransport(app=build_app(cached, manage_db=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.get("/api/stats_v2")).json()["all_time"]["tickets_total"] == 0
            await _ticket(at, customer, NOW, "after the first answer")
            assert (await c.get("/api/stats_v2")).json()["all_time"]["tickets_total"] == 0
        uncached = (await client.get("/api/stats_v2")).json()  # the default: no cache
        assert uncached["all_time"]["tickets_total"] == 1
    finally:
        stats._cache.clear()
