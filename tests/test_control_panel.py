"""Control panel Tickets API v1.1.0 at /support: black-box over HTTP against the ASGI app."""

from __future__ import annotations

import re

import httpx
import pytest

from resolvers import comments, credentials, feedback, queues, tickets
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM
from rest import control_panel
from tests.helpers import gql, make_user, token_for

TICKET_KEYS = {
    "client_aliased_name",
    "client_emails",
    "closed_at",
    "created_at",
    "is_client_author",
    "is_client_read",
    "is_closed",
    "is_resolved",
    "number",
    "splitted_from_ticket_number",
    "status",
    "status_key",
    "summary",
    "type",
    "updated_at",
    "vote",
}
COMMENT_KEYS = {
    "files",
    "body",
    "id",
    "is_client_author",
    "is_client_read",
    "sent_at",
    "splitted_at",
    "splitted_to_ticket_number",
    "vote",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _all() -> Window:
    return Window(0, 100)


def xt(token: str) -> dict[str, str]:
    return {"X-Token": token}


def error(status_code: int, field: str | None = None) -> dict:
    """The expected error body, minus the message (checked separately where it matters)."""
    return {"code": control_panel.CODES[status_code], "field": field}


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert {k: body["error"][k] for k in ("code", "field")} == error(status, field)
    assert body["error"]["message"]


@pytest.fixture
async def cust(customer) -> str:
    return await token_for(customer)


@pytest.fixture
async def other(other_customer) -> str:
    return await token_for(other_customer)


@pytest.fixture
async def staff(agent) -> str:
    return await token_for(agent)


async def opened(customer, summary: str = "Printer on fire", body: str = "It smokes.") -> int:
    """A ticket set up through the domain (the HTTP door allows only 2 new tickets a minute)."""
    return (await feedback.open_ticket(customer, summary=summary, body=body)).id


async def upload(client, token: str, name: str = "a.txt", data: bytes = b"hello") -> dict:
    response = await client.post(
        "/support/files", files={"file": (name, data, "text/plain")}, headers=xt(token)
    )
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- credentials and errors


async def test_missing_or_wrong_token_is_401(client, customer):
    assert_error(await client.get("/support/tickets"), 401)
    assert_error(await client.get("/support/tickets", headers=xt("tg_nope_nope")), 401)
    assert_error(await client.post("/support/tickets/1/close", headers=xt("garbage")), 401)


async def test_unknown_route_method_and_malformed_body_use_the_error_shape(client, cust):
    assert_error(await client.get("/support/nothing/here", headers=xt(cust)), 404)
    response = await client.delete("/support/tickets", headers=xt(cust))
    assert_error(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"
    response = await client.post(
        "/support/tickets", content=b"{not json", headers=xt(cust) | {"content-type": "x"}
    )
    assert_error(response, 400)
    assert_error(await client.post("/support/tickets", json=[1], headers=xt(cust)), 400)


async def test_unexpected_errors_are_500_in_the_same_shape(client, cust, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(feedback, "list_tickets", broken)
    response = await client.get("/support/tickets", headers=xt(cust))
    assert_error(response, 500)
    assert "boom" not in response.text


async def test_body_over_the_server_limit_is_413(client_with, database, cust):
    async with client_with(max_body_bytes=1000) as c:
        body = {"summary": "big", "comment_body": "x" * 2000}
        assert_error(await c.post("/support/tickets", json=body, headers=xt(cust)), 413)


# ---------------------------------------------------------------- create ticket


async def test_create_ticket_answers_the_ticket_and_its_first_comment(client, cust, customer):
    response = await client.post(
        "/support/tickets",
        json={"comment_body": "my first comment", "summary": "new test ticket"},
        headers=xt(cust),
    )
    assert response.status_code == 200
    ticket = response.json()
    assert set(ticket) == TICKET_KEYS
    assert ticket["summary"] == "new test ticket"
    assert ticket["status"] == {"en": "Open", "ru": "Открыт"}
    assert ticket["status_key"] == "open"
    assert (ticket["is_client_author"], ticket["is_closed"], ticket["is_resolved"]) == (
        True,
        False,
        False,
    )
    assert ticket["is_client_read"] is True
    assert ticket["vote"] is None and ticket["type"] is None and ticket["closed_at"] is None
    assert ticket["client_emails"] == [] and ticket["client_aliased_name"] is None
    assert ticket["splitted_from_ticket_number"] is None
    assert TIMESTAMP.match(ticket["created_at"]) and TIMESTAMP.match(ticket["updated_at"])
    listed = await client.get(f"/support/tickets/{ticket['number']}/comments", headers=xt(cust))
    assert [c["body"] for c in listed.json()["items"]] == ["my first comment"]


async def test_create_ticket_with_every_field(client, cust, admin):
    billing = await queues.create_queue(admin, title="Billing", slug="billing")
    uploaded = await upload(client, cust)
    response = await client.post(
        "/support/tickets",
        json={
            "summary": "Invoice",
            "comment_body": "Wrong total",
            "topic_key": "billing",
            "client_emails": ["boss@example.com"],
            "client_aliased_name": "Accounting",
            "files": [uploaded["uuid"]],
        },
        headers=xt(cust),
    )
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert ticket["client_emails"] == ["boss@example.com"]
    assert ticket["client_aliased_name"] == "Accounting"
    assert (await tickets.get_ticket(SYSTEM, ticket["number"])).queue_id == billing.id
    listed = await client.get(f"/support/tickets/{ticket['number']}/comments", headers=xt(cust))
    assert listed.json()["items"][0]["files"] == [uploaded]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": "x" * 256}, "summary"),
        ({"summary": ""}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"summary": None}, "summary"),
        ({"comment_body": "x" * 50001}, "comment_body"),
        ({"comment_body": ""}, "comment_body"),
        ({"client_emails": []}, "client_emails"),
        ({"client_emails": ["not-an-address"]}, "client_emails"),
        ({"client_aliased_name": ""}, "client_aliased_name"),
        ({"topic_key": ""}, "topic_key"),
        ({"files": []}, "files"),
        ({"files": ["not-a-uuid"]}, "files"),
        ({"priority": 1}, "priority"),
    ],
)
async def test_create_ticket_rejects_bad_input_naming_the_field(client, cust, change, field):
    body = {"summary": "ok", "comment_body": "ok"} | change
    assert_error(await client.post("/support/tickets", json=body, headers=xt(cust)), 400, field)


async def test_create_ticket_requires_summary_and_comment_body(client, cust):
    response = await client.post("/support/tickets", json={"summary": "x"}, headers=xt(cust))
    assert_error(response, 400, "comment_body")
    assert_error(await client.post("/support/tickets", headers=xt(cust)), 400, "comment_body")
    response = await client.post("/support/tickets", json={"comment_body": "x"}, headers=xt(cust))
    assert_error(response, 400, "summary")


async def test_summary_of_255_and_body_of_50000_characters_are_accepted(client, cust):
    body = {"summary": "s" * 255, "comment_body": "b" * 50000}
    response = await client.post("/support/tickets", json=body, headers=xt(cust))
    assert response.status_code == 200
    assert response.json()["summary"] == "s" * 255


async def test_unknown_topic_is_404(client, cust):
    body = {"summary": "x", "comment_body": "y", "topic_key": "nope"}
    assert_error(await client.post("/support/tickets", json=body, headers=xt(cust)), 404)


# ---------------------------------------------------------------- files


async def test_upload_and_download_a_file(client, cust, other):
    uploaded = await upload(client, cust, "report.txt", b"numbers")
    assert set(uploaded) == {"uuid", "name", "size", "mime_type"}
    assert (uploaded["name"], uploaded["size"], uploaded["mime_type"]) == (
        "report.txt",
        7,
        "text/plain",
    )
    response = await client.get(f"/support/files/{uploaded['uuid']}", headers=xt(cust))
    assert response.status_code == 200
    assert response.content == b"numbers"
    assert "report.txt" in response.headers["content-disposition"]
    assert_error(await client.get(f"/support/files/{uploaded['uuid']}", headers=xt(other)), 404)
    assert_error(await client.get("/support/files/not-a-uuid", headers=xt(cust)), 404)


async def test_upload_needs_a_file_and_at_most_20_mb(client, cust):
    assert_error(await client.post("/support/files", headers=xt(cust)), 400, "file")
    big = b"x" * (20 * 1024 * 1024 + 1)
    response = await client.post(
        "/support/files", files={"file": ("big.bin", big)}, headers=xt(cust)
    )
    assert_error(response, 400, "file")
    two = [("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))]
    assert_error(await client.post("/support/files", files=two, headers=xt(cust)), 400, "file")
    exact = await upload(client, cust, "max.bin", b"x" * (20 * 1024 * 1024))
    assert exact["size"] == 20 * 1024 * 1024


async def test_ticket_files_one_and_ten_are_accepted(client, cust):
    for count in (1, 10):
        uuids = [(await upload(client, cust, f"f{i}.txt"))["uuid"] for i in range(count)]
        body = {"summary": "files", "comment_body": "see files", "files": uuids}
        response = await client.post("/support/tickets", json=body, headers=xt(cust))
        assert response.status_code == 200, response.text
        number = response.json()["number"]
        listed = await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))
        assert sorted(f["uuid"] for f in listed.json()["items"][0]["files"]) == sorted(uuids)


async def test_comment_files_zero_and_eleven_are_rejected(client, cust, customer):
    number = await opened(customer)
    uuids = [(await upload(client, cust, f"f{i}.txt"))["uuid"] for i in range(11)]
    url = f"/support/tickets/{number}/comments"
    for files in ([], uuids):
        response = await client.post(url, json={"body": "x", "files": files}, headers=xt(cust))
        assert_error(response, 400, "files")
    response = await client.post(url, json={"body": "x", "files": uuids[:10]}, headers=xt(cust))
    assert response.status_code == 200
    assert len(response.json()["files"]) == 10


async def test_unknown_foreign_or_used_file_uuids_are_400(client, cust, other, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}/comments"
    unknown = "00000000-0000-4000-8000-000000000000"
    response = await client.post(url, json={"body": "x", "files": [unknown]}, headers=xt(cust))
    assert_error(response, 400, "files")
    foreign = (await upload(client, other))["uuid"]
    response = await client.post(url, json={"body": "x", "files": [foreign]}, headers=xt(cust))
    assert_error(response, 400, "files")
    mine = (await upload(client, cust))["uuid"]
    response = await client.post(url, json={"body": "x", "files": [mine]}, headers=xt(cust))
    assert response.status_code == 200
    response = await client.post(url, json={"body": "y", "files": [mine]}, headers=xt(cust))
    assert_error(response, 400, "files")
    bodies = [c.body for c in (await comments.list_comments(SYSTEM, number, _all())).items]
    assert bodies == ["It smokes.", "x"]  # the rejected comments left nothing behind


# ---------------------------------------------------------------- list


async def test_list_shape_defaults_and_pages(client, cust, customer):
    numbers = [await opened(customer, f"ticket {i}") for i in range(3)]
    response = await client.get("/support/tickets", headers=xt(cust))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"item_count", "items", "items_per_page", "page", "page_count"}
    assert (body["item_count"], body["items_per_page"], body["page"], body["page_count"]) == (
        3,
        10,
        1,
        1,
    )
    assert [t["number"] for t in body["items"]] == numbers[::-1]  # newest first
    assert all(set(t) == TICKET_KEYS for t in body["items"])
    page2 = (await client.get("/support/tickets?items_per_page=2&page=2", headers=xt(cust))).json()
    assert (page2["page"], page2["page_count"], page2["item_count"]) == (2, 2, 3)
    assert [t["number"] for t in page2["items"]] == [numbers[0]]
    beyond = (await client.get("/support/tickets?page=9", headers=xt(cust))).json()
    assert beyond["items"] == [] and beyond["item_count"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("items_per_page=0", "items_per_page"),
        ("items_per_page=1001", "items_per_page"),
        ("items_per_page=ten", "items_per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999", "page"),
        ("only_opened=maybe", "only_opened"),
        ("only_opened=true&only_closed=true", "only_closed"),
    ],
)
async def test_list_rejects_bad_parameters(client, cust, query, field):
    assert_error(await client.get(f"/support/tickets?{query}", headers=xt(cust)), 400, field)


async def test_items_per_page_one_and_thousand_are_accepted(client, cust, customer):
    await opened(customer, "a")
    await opened(customer, "b")
    for size, shown in ((1, 1), (1000, 2)):
        body = (
            await client.get(f"/support/tickets?items_per_page={size}", headers=xt(cust))
        ).json()
        assert (body["items_per_page"], len(body["items"])) == (size, shown)
        assert body["page_count"] == (2 if size == 1 else 1)


async def test_list_filters_opened_closed_and_search(client, cust, customer, agent):
    open_one = await opened(customer, "Disk is full", "please help")
    closed_one = await opened(customer, "Network down", "cable cut")
    await tickets.set_status(customer, closed_one, "closed")
    await comments.add_comment(agent, open_one, "secret staff note", is_internal=True)
    await comments.add_comment(agent, closed_one, "we replaced the router")

    async def numbers(query: str) -> list[int]:
        response = await client.get(f"/support/tickets?{query}", headers=xt(cust))
        assert response.status_code == 200, response.text
        return [t["number"] for t in response.json()["items"]]

    assert await numbers("only_opened=true") == [open_one]
    assert await numbers("only_closed=1") == [closed_one]
    assert await numbers("only_opened=false") == [closed_one, open_one]
    assert await numbers("q=disk") == [open_one]  # summary
    assert await numbers("q=ROUTER") == [closed_one]  # a comment
    assert await numbers("q=secret") == []  # internal comments are never searched here


async def test_list_uses_a_constant_number_of_queries(client, cust, customer, count_sql):
    async def statements() -> int:
        with count_sql() as stmts:
            response = await client.get("/support/tickets?items_per_page=50", headers=xt(cust))
        assert response.status_code == 200
        return len(stmts)

    await opened(customer)
    await statements()  # the first use of a token also records when it was last used ...
    await credentials.drain()  # ... in the background: done before counting
    one = await statements()
    for i in range(5):
        await opened(customer, f"more {i}")
    assert await statements() == one


# ---------------------------------------------------------------- find, modify, isolation


async def test_find_ticket_by_number(client, cust, customer):
    number = await opened(customer)
    response = await client.get(f"/support/tickets/{number}", headers=xt(cust))
    assert response.status_code == 200
    assert response.json()["number"] == number
    assert set(response.json()) == TICKET_KEYS
    for missing in ("999", "0", "abc", "99999999999", "²", "1" * 5000):
        assert_error(await client.get(f"/support/tickets/{missing}", headers=xt(cust)), 404)


async def test_customers_are_isolated_from_each_others_tickets(client, cust, other, customer):
    number = await opened(customer)
    comment_id = (await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))).json()[
        "items"
    ][0]["id"]
    assert (await client.get("/support/tickets", headers=xt(other))).json()["item_count"] == 0
    for method, url, body in [
        ("GET", f"/support/tickets/{number}", None),
        ("PATCH", f"/support/tickets/{number}", {"client_aliased_name": "x"}),
        ("POST", f"/support/tickets/{number}/close", {}),
        ("POST", f"/support/tickets/{number}/reopen", {"body": "x"}),
        ("POST", f"/support/tickets/{number}/vote", {"score": 1}),
        ("GET", f"/support/tickets/{number}/comments", None),
        ("POST", f"/support/tickets/{number}/comments", {"body": "x"}),
        ("GET", f"/support/comments/{comment_id}", None),
        ("POST", f"/support/comments/{comment_id}/vote", {"score": 1}),
    ]:
        response = await client.request(method, url, json=body, headers=xt(other))
        assert_error(response, 404)
    assert (await tickets.get_ticket(SYSTEM, number)).status == "open"


async def test_a_customer_named_in_client_emails_sees_the_ticket(client, cust, other, customer):
    number = await opened(customer)
    response = await client.patch(
        f"/support/tickets/{number}",
        json={"client_emails": ["other@example.com"]},
        headers=xt(cust),
    )
    assert response.json()["client_emails"] == ["other@example.com"]
    seen = await client.get(f"/support/tickets/{number}", headers=xt(other))
    assert seen.status_code == 200
    assert seen.json()["is_client_author"] is False


async def test_modify_ticket_properties_and_clear_them_with_null(client, cust, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}"
    body = {"client_aliased_name": "Ops team", "client_emails": ["a@example.com", "b@example.com"]}
    response = await client.patch(url, json=body, headers=xt(cust))
    assert response.status_code == 200
    assert response.json()["client_aliased_name"] == "Ops team"
    assert response.json()["client_emails"] == ["a@example.com", "b@example.com"]
    cleared = await client.patch(
        url, json={"client_aliased_name": None, "client_emails": None}, headers=xt(cust)
    )
    assert (cleared.json()["client_aliased_name"], cleared.json()["client_emails"]) == (None, [])
    for bad, field in [
        ({"client_aliased_name": ""}, "client_aliased_name"),
        ({"client_emails": ["nope"]}, "client_emails"),
        ({"summary": "renamed"}, "summary"),
    ]:
        assert_error(await client.patch(url, json=bad, headers=xt(cust)), 400, field)


# ---------------------------------------------------------------- status, close, reopen


@pytest.mark.parametrize(
    ("status", "key", "en", "ru", "is_closed", "is_resolved"),
    [
        ("open", "open", "Open", "Открыт", False, False),
        ("in_progress", "in_progress", "In progress", "В работе", False, False),  # noqa: RUF001
        ("reopened", "open", "Open", "Открыт", False, False),
        ("resolved", "resolved", "Resolved", "Решён", True, True),
        ("closed", "closed", "Closed", "Закрыт", True, False),
        ("duplicate", "closed", "Closed", "Закрыт", True, False),
    ],
)
async def test_localized_status_for_every_canonical_status(
    client, cust, customer, agent, status, key, en, ru, is_closed, is_resolved
):
    number = await opened(customer)
    if status == "reopened":
        await tickets.set_status(agent, number, "closed")
    if status != "open":
        await tickets.set_status(agent, number, status)
    assert (await tickets.get_ticket(SYSTEM, number)).status == status
    ticket = (await client.get(f"/support/tickets/{number}", headers=xt(cust))).json()
    assert ticket["status"] == {"en": en, "ru": ru}
    assert ticket["status_key"] == key
    assert (ticket["is_closed"], ticket["is_resolved"]) == (is_closed, is_resolved)
    assert (ticket["closed_at"] is not None) == is_closed


async def test_close_is_seen_closed_through_graphql_and_nephthys(client, cust):
    body = {"summary": "Cross-door", "comment_body": "first words"}
    number = (await client.post("/support/tickets", json=body, headers=xt(cust))).json()["number"]
    response = await client.post(f"/support/tickets/{number}/close", headers=xt(cust))
    assert response.status_code == 200
    assert response.json()["is_closed"] is True
    assert TIMESTAMP.match(response.json()["closed_at"])
    assert response.json()["vote"] is None
    query = (
        '{ ticket(id: "%d") { status comments(first: 20) { edges { node { body isInternal } } } } }'
    )
    body = await gql(client, query % number, cust)
    assert body["data"]["ticket"]["status"] == "CLOSED"
    edges = body["data"]["ticket"]["comments"]["edges"]
    assert [e["node"] for e in edges] == [{"body": "first words", "isInternal": False}]
    nephthys = await client.get(f"/api/ticket?id={number}", headers=xt(cust))
    assert nephthys.status_code == 200
    assert nephthys.json()["status"] == "closed"


@pytest.mark.parametrize(("score", "ok"), [(0, False), (1, True), (10, True), (11, False)])
async def test_close_with_score_and_comment(client, cust, customer, score, ok):
    number = await opened(customer)
    url = f"/support/tickets/{number}/close"
    response = await client.post(url, json={"score": score, "comment": "thanks"}, headers=xt(cust))
    if not ok:
        assert_error(response, 400, "score")
        assert (await tickets.get_ticket(SYSTEM, number)).status == "open"
        return
    assert response.status_code == 200
    vote = response.json()["vote"]
    assert (vote["score"], vote["comment"]) == (score, "thanks")
    assert TIMESTAMP.match(vote["created_at"])


async def test_staff_may_close_but_not_evaluate(client, staff, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}/close"
    assert_error(await client.post(url, json={"score": 5}, headers=xt(staff)), 403)
    response = await client.post(url, headers=xt(staff))
    assert response.json()["status_key"] == "closed"


async def test_reopen_needs_a_body_and_a_closed_ticket(client, cust, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}/reopen"
    assert_error(await client.post(url, json={"body": "again"}, headers=xt(cust)), 409)
    await client.post(f"/support/tickets/{number}/close", headers=xt(cust))
    assert_error(await client.post(url, json={}, headers=xt(cust)), 400, "body")
    assert_error(await client.post(url, json={"body": ""}, headers=xt(cust)), 400, "body")
    uploaded = await upload(client, cust)
    body = {"body": "still broken", "files": [uploaded["uuid"]]}
    response = await client.post(url, json=body, headers=xt(cust))
    assert response.status_code == 200
    ticket = response.json()
    assert (ticket["status_key"], ticket["is_closed"], ticket["closed_at"]) == ("open", False, None)
    assert (await tickets.get_ticket(SYSTEM, number)).status == "reopened"
    listed = (await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))).json()
    assert listed["items"][-1]["body"] == "still broken"
    assert listed["items"][-1]["files"] == [uploaded]


# ---------------------------------------------------------------- evaluation


@pytest.mark.parametrize(("score", "ok"), [(0, False), (1, True), (10, True), (11, False)])
async def test_evaluate_ticket_score_bounds(client, cust, customer, score, ok):
    number = await opened(customer)
    url = f"/support/tickets/{number}/vote"
    response = await client.post(url, json={"score": score, "comment": "ok"}, headers=xt(cust))
    if not ok:
        assert_error(response, 400, "score")
        return
    assert response.status_code == 200
    vote = response.json()
    assert set(vote) == {"comment", "created_at", "score"}
    assert (vote["score"], vote["comment"]) == (score, "ok")
    ticket = (await client.get(f"/support/tickets/{number}", headers=xt(cust))).json()
    assert ticket["vote"] == vote


async def test_evaluate_ticket_requires_an_integer_score(client, cust, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}/vote"
    for body in ({}, {"score": "5"}, {"score": 5.5}, {"score": True}):
        assert_error(await client.post(url, json=body, headers=xt(cust)), 400, "score")
    response = await client.post(url, json={"score": 7}, headers=xt(cust))
    assert response.json()["comment"] is None


# ---------------------------------------------------------------- comments


async def test_create_find_and_list_comments(client, cust, customer):
    number = await opened(customer)
    response = await client.post(
        f"/support/tickets/{number}/comments", json={"body": "my second comment"}, headers=xt(cust)
    )
    assert response.status_code == 200
    comment = response.json()
    assert set(comment) == COMMENT_KEYS
    assert (comment["body"], comment["is_client_author"], comment["vote"]) == (
        "my second comment",
        True,
        None,
    )
    assert comment["files"] == [] and comment["splitted_at"] is None
    assert comment["splitted_to_ticket_number"] is None
    assert TIMESTAMP.match(comment["sent_at"])
    found = await client.get(f"/support/comments/{comment['id']}", headers=xt(cust))
    assert found.json() == comment
    listed = await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))
    assert set(listed.json()) == {"items"}
    assert [c["body"] for c in listed.json()["items"]] == ["It smokes.", "my second comment"]
    assert_error(await client.get("/support/comments/999", headers=xt(cust)), 404)
    url = f"/support/tickets/{number}/comments"
    assert_error(await client.post(url, json={"body": ""}, headers=xt(cust)), 400, "body")
    body = {"body": "x" * 50001}
    assert_error(await client.post(url, json=body, headers=xt(cust)), 400, "body")
    assert_error(
        await client.post("/support/tickets/999/comments", json={"body": "x"}, headers=xt(cust)),
        404,
    )


async def test_internal_comments_never_appear_even_for_staff(client, cust, staff, customer, agent):
    number = await opened(customer)
    note = await comments.add_comment(agent, number, "internal note", is_internal=True)
    for token in (cust, staff):
        listed = await client.get(f"/support/tickets/{number}/comments", headers=xt(token))
        assert [c["body"] for c in listed.json()["items"]] == ["It smokes."]
        assert_error(await client.get(f"/support/comments/{note.id}", headers=xt(token)), 404)


async def test_reading_as_the_customer_marks_staff_replies_read(
    client, cust, staff, customer, agent
):
    number = await opened(customer)
    reply = await comments.add_comment(agent, number, "Have you tried turning it off?")

    async def ticket_read(token: str) -> bool:
        listed = (await client.get("/support/tickets", headers=xt(token))).json()
        return listed["items"][0]["is_client_read"]

    assert await ticket_read(cust) is False
    staff_view = await client.get(f"/support/tickets/{number}/comments", headers=xt(staff))
    assert staff_view.json()["items"][1]["is_client_read"] is False
    assert await ticket_read(cust) is False  # staff reading changes nothing
    first = await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))
    assert [c["is_client_read"] for c in first.json()["items"]] == [True, False]
    again = await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))
    assert [c["is_client_read"] for c in again.json()["items"]] == [True, True]
    assert await ticket_read(cust) is True
    await comments.add_comment(agent, number, "Any news?")
    ticket = await client.get(f"/support/tickets/{number}", headers=xt(cust))
    assert ticket.json()["is_client_read"] is False  # as it was before this read
    assert await ticket_read(cust) is True
    found = await client.get(f"/support/comments/{reply.id}", headers=xt(cust))
    assert found.json()["is_client_author"] is False


@pytest.mark.parametrize(("score", "ok"), [(-1, True), (1, True), (0, False), (2, False)])
async def test_vote_on_a_support_reply(client, cust, customer, agent, score, ok):
    number = await opened(customer)
    reply = await comments.add_comment(agent, number, "Fixed.")
    url = f"/support/comments/{reply.id}/vote"
    response = await client.post(url, json={"score": score, "comment": "nice"}, headers=xt(cust))
    if not ok:
        assert_error(response, 400, "score")
        return
    assert response.status_code == 200
    vote = response.json()
    assert (vote["score"], vote["comment"]) == (score, "nice")
    assert TIMESTAMP.match(vote["created_at"])
    found = await client.get(f"/support/comments/{reply.id}", headers=xt(cust))
    assert found.json()["vote"] == vote


async def test_only_customers_vote_and_only_on_support_replies(
    client, cust, staff, customer, agent
):
    number = await opened(customer)
    own = (await client.get(f"/support/tickets/{number}/comments", headers=xt(cust))).json()
    own_id = own["items"][0]["id"]
    response = await client.post(
        f"/support/comments/{own_id}/vote", json={"score": 1}, headers=xt(cust)
    )
    assert_error(response, 409)
    reply = await comments.add_comment(agent, number, "Fixed.")
    response = await client.post(
        f"/support/comments/{reply.id}/vote", json={"score": 1}, headers=xt(staff)
    )
    assert_error(response, 403)
    response = await client.post(
        f"/support/comments/{reply.id}/vote", json={"comment": "x"}, headers=xt(cust)
    )
    assert_error(response, 400, "score")


# ---------------------------------------------------------------- topics


async def test_topics_list_the_queues(client, cust, admin):
    assert (await client.get("/support/topics", headers=xt(cust))).json() == {"items": []}
    await queues.create_queue(admin, title="Billing", slug="billing")
    await queues.create_queue(admin, title="Servers", slug="servers")
    response = await client.get("/support/topics", headers=xt(cust))
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"key": "billing", "name": "Billing"}, {"key": "servers", "name": "Servers"}]
    }


# ---------------------------------------------------------------- rate limits


async def test_third_new_ticket_in_a_minute_is_429(client, cust, other):
    body = {"summary": "spam", "comment_body": "spam"}
    for _ in range(2):
        assert (
            await client.post("/support/tickets", json=body, headers=xt(cust))
        ).status_code == 200
    response = await client.post("/support/tickets", json=body, headers=xt(cust))
    assert_error(response, 429)
    assert int(response.headers["retry-after"]) >= 1
    assert (await tickets.list_tickets(SYSTEM, tickets.TicketFilter(), _all())).total == 2
    # another account has its own budget
    assert (await client.post("/support/tickets", json=body, headers=xt(other))).status_code == 200


async def test_sixty_first_comment_in_a_minute_is_429(client, cust, customer):
    number = await opened(customer)
    url = f"/support/tickets/{number}/comments"
    for i in range(60):
        response = await client.post(url, json={"body": f"c{i}"}, headers=xt(cust))
        assert response.status_code == 200
    assert_error(await client.post(url, json={"body": "one too many"}, headers=xt(cust)), 429)
    await client.post(f"/support/tickets/{number}/close", headers=xt(cust))
    reopen = await client.post(
        f"/support/tickets/{number}/reopen", json={"body": "again"}, headers=xt(cust)
    )
    assert_error(reopen, 429)  # a reopening message spends the same budget


# ---------------------------------------------------------------- OpenAPI


async def test_openapi_document_lists_every_route(client):
    response = await client.get("/support/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["version"] == "1.1.0"
    expected = {
        "/tickets": {"get", "post"},
        "/tickets/{number}": {"get", "patch"},
        "/tickets/{number}/close": {"post"},
        "/tickets/{number}/reopen": {"post"},
        "/tickets/{number}/vote": {"post"},
        "/tickets/{number}/comments": {"get", "post"},
        "/comments/{id}": {"get"},
        "/comments/{id}/vote": {"post"},
        "/topics": {"get"},
        "/files": {"post"},
        "/files/{uuid}": {"get"},
        "/openapi.json": {"get"},
    }
    assert spec["servers"] == [{"url": "/support"}]  # paths are relative to the mount
    assert {p: set(ops) for p, ops in spec["paths"].items()} == expected
    served = {r.path for r in control_panel.routes} - {"/{rest:path}"}
    assert served == set(expected)
    list_params = {p["name"] for p in spec["paths"]["/tickets"]["get"]["parameters"]}
    assert list_params == {"only_opened", "only_closed", "q", "page", "items_per_page"}


async def test_every_documented_operation_is_served(client):
    spec = (await client.get("/support/openapi.json")).json()
    for path, operations in spec["paths"].items():
        url = spec["servers"][0]["url"] + path.format(
            number=1, id=1, uuid="00000000-0000-4000-8000-000000000000"
        )
        for method, operation in operations.items():
            response = await client.request(method.upper(), url)
            expected = 401 if operation.get("security") else 200
            assert response.status_code == expected, (method, path)


async def test_staff_and_new_accounts_use_the_same_door(client, staff, customer):
    number = await opened(customer)
    seen = await client.get(f"/support/tickets/{number}", headers=xt(staff))
    assert seen.status_code == 200 and seen.json()["is_client_author"] is False
    newcomer = await make_user("newcomer", "customer")
    listed = await client.get("/support/tickets", headers=xt(await token_for(newcomer)))
    assert listed.json()["item_count"] == 0


async def test_search_with_a_nul_is_a_clean_error(client, customer):
    """Found by fuzzing: a NUL in ?q= was a 500 on PostgreSQL."""
    response = await client.get("/support/tickets?q=a%00b", headers=xt(await token_for(customer)))
    assert_error(response, 400, "q")


async def test_a_ticket_opened_elsewhere_starts_with_its_description(client, agent, customer):
    """GraphQL and platform v1 keep the opening text as the description only: here it is the
    first message (id 0, by the opener, at the opening), shown once and never twice."""
    token = await token_for(customer)
    elsewhere = await tickets.create_ticket(customer, title="VPN", description="It is down.")
    await comments.add_comment(agent, elsewhere.id, "Looking.")
    here = await client.post(
        "/support/tickets", json={"summary": "Mail", "comment_body": "Bounces."}, headers=xt(token)
    )
    silent = await tickets.create_ticket(customer, title="No text")
    url = "/support/tickets/{}/comments"
    listed = (await client.get(url.format(elsewhere.id), headers=xt(token))).json()["items"]
    assert [c["body"] for c in listed] == ["It is down.", "Looking."]
    first = listed[0]
    assert set(first) == COMMENT_KEYS
    assert (first["id"], first["is_client_author"], first["files"]) == (0, True, [])
    assert first["sent_at"] == elsewhere.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = (await client.get(url.format(here.json()["number"]), headers=xt(token))).json()
    assert [c["body"] for c in listed["items"]] == ["Bounces."]
    assert (await client.get(url.format(silent.id), headers=xt(token))).json()["items"] == []
