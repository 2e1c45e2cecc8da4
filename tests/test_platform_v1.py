"""Platform API v1 (reference 002) over HTTP: every route, parameter, error code, pagination
block and rate-limit header, as its clients rely on them."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from models import User
from resolvers import auth, users
from resolvers.ratelimit import RateLimiter
from server import build_app
from tests.helpers import PASSWORD, basic, bearer, gql, make_user, token_for

API = "/api/v1"
PRIORITY_ERROR = {
    "field": "priority",
    "message": "Priority must be one of: low, medium, high, critical",
}


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


async def login(client, user) -> dict[str, str]:
    response = await client.post(
        f"{API}/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


async def new_ticket(client, headers, **fields) -> dict:
    body = {"title": "Cannot export reports", "description": "Export fails", **fields}
    response = await client.post(f"{API}/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def ref(user: User) -> dict[str, str]:
    return {"id": str(user.id), "name": user.name, "email": user.email}


# ---------------------------------------------------------------- auth


async def test_login_returns_jwt_expiry_and_user(client, agent):
    response = await client.post(
        f"{API}/auth/login", json={"email": "agent@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"] == {**ref(agent), "role": "agent"}
    assert body["expires_at"].endswith("Z")
    me = await client.get(f"{API}/users/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["data"]["id"] == str(agent.id)
    assert me.json()["data"]["last_login_at"] is not None


async def test_login_errors(client, agent):
    wrong = await client.post(
        f"{API}/auth/login", json={"email": agent.email, "password": "wrong-password"}
    )
    assert_error(wrong, 401, "unauthorized")
    missing = await client.post(f"{API}/auth/login", json={"email": agent.email})
    error = assert_error(missing, 422, "invalid_input")
    assert error["details"] == [{"field": "password", "message": "password is required."}]
    malformed = await client.post(
        f"{API}/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(malformed, 400, "bad_request")
    stale = await client.post(
        f"{API}/auth/login",
        json={"email": agent.email, "password": PASSWORD},
        headers=bearer("expired-or-garbage"),
    )
    assert stale.status_code == 200  # an old Authorization header does not block logging in


async def test_repeated_login_failures_are_refused_per_account_also_over_graphql(client, agent):
    for _ in range(int(auth.LOGIN_FAILURES_PER_ACCOUNT.split()[0])):
        response = await client.post(
            f"{API}/auth/login", json={"email": agent.email, "password": "wrong-password"}
        )
        assert response.status_code == 401
    refused = await client.post(
        f"{API}/auth/login", json={"email": agent.email, "password": PASSWORD}
    )
    assert_error(refused, 429, "rate_limit_exceeded")
    assert int(refused.headers["Retry-After"]) > 0
    body = await gql(
        client,
        "mutation($p: String!) { login(input: {email: $p, password: $p}) { token } }",
        p=agent.email,
    )
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_repeated_login_failures_are_refused_per_client_address(client, agent, monkeypatch):
    monkeypatch.setattr(auth, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")  # (50 is slow)
    for i in range(3):
        response = await client.post(
            f"{API}/auth/login", json={"email": f"nobody{i}@example.com", "password": "x"}
        )
        assert response.status_code == 401
    refused = await client.post(
        f"{API}/auth/login", json={"email": agent.email, "password": PASSWORD}
    )
    assert_error(refused, 429, "rate_limit_exceeded")


async def test_bearer_required_and_checked(client, customer, settings):
    assert_error(await client.get(f"{API}/tickets"), 401, "unauthorized")
    bad = await client.get(f"{API}/tickets", headers=bearer("not-a-jwt"))
    assert_error(bad, 401, "unauthorized")
    expired, _ = auth.issue_jwt(customer, settings.secret_key, -60)
    assert_error(await client.get(f"{API}/tickets", headers=bearer(expired)), 401, "unauthorized")
    api_token = await client.get(f"{API}/users/me", headers=bearer(await token_for(customer)))
    assert api_token.status_code == 200
    assert api_token.json()["data"]["email"] == customer.email


# ---------------------------------------------------------------- tickets


async def test_create_ticket_as_documented(client, customer):
    headers = await login(client, customer)
    content = b"line 1\nerror: export failed\n"
    data = await new_ticket(
        client,
        headers,
        priority="medium",
        tags=["reports", "export"],
        custom_fields={"browser": "Firefox 102.0", "os": "MacOS 13.4"},
        attachments=[
            {
                "filename": "error_log.txt",
                "content": base64.b64encode(content).decode(),
                "mime_type": "text/plain",
            }
        ],
    )
    assert data["id"].isdigit()
    assert data["status"] == "open"
    assert data["priority"] == "medium"
    assert data["created_by"] == ref(customer)
    assert data["assigned_to"] is None
    assert data["tags"] == ["reports", "export"]
    assert data["custom_fields"] == {"browser": "Firefox 102.0", "os": "MacOS 13.4"}
    assert data["created_at"] == data["updated_at"]
    assert data["comments"] == []
    [att] = data["attachments"]
    assert set(att) == {"id", "filename", "size", "mime_type", "url", "created_at"}
    assert (att["filename"], att["size"], att["mime_type"]) == (
        "error_log.txt",
        len(content),
        "text/plain",
    )
    path = urlsplit(att["url"]).path
    assert path == f"{API}/attachments/{att['id']}"
    download = await client.get(path, headers=headers)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].startswith("text/plain")
    assert_error(await client.get(path), 401, "unauthorized")


async def test_a_customer_opens_a_ticket_with_any_priority_but_cannot_change_it(client, customer):
    """Issue 17: the documented create example, sent by a customer, works with every priority
    (one domain rule: customers pick it when opening a ticket); changing it is for staff."""
    headers = await login(client, customer)
    for name in ("low", "medium", "high", "critical"):
        data = await new_ticket(client, headers, priority=name)
        assert data["priority"] == name
        fetched = await client.get(f"{API}/tickets/{data['id']}", headers=headers)
        assert fetched.json()["data"]["priority"] == name
    later = await client.patch(
        f"{API}/tickets/{data['id']}", json={"priority": "low"}, headers=headers
    )
    assert_error(later, 403, "forbidden")


async def test_attachment_download_is_authorized(client, customer, other_customer):
    data = await new_ticket(
        client,
        await login(client, customer),
        attachments=[{"filename": "a.png", "content": base64.b64encode(b"png").decode()}],
    )
    [att] = data["attachments"]
    assert att["mime_type"] == "image/png"  # guessed from the file name when not given
    other = await client.get(urlsplit(att["url"]).path, headers=await login(client, other_customer))
    assert_error(other, 404, "not_found")


async def test_download_header_is_safe_for_any_file_name(client, customer):
    headers = await login(client, customer)
    name = 'naïve "report"\r\nX-Evil: 1.txt'
    data = await new_ticket(
        client,
        headers,
        attachments=[{"filename": name, "content": base64.b64encode(b"x").decode()}],
    )
    [att] = data["attachments"]
    assert att["filename"] == name
    response = await client.get(urlsplit(att["url"]).path, headers=headers)
    assert response.status_code == 200
    assert "x-evil" not in response.headers
    assert response.headers["content-disposition"].startswith(
        "attachment; filename=\"na_ve _report___X-Evil: 1.txt\"; filename*=UTF-8''na%C3%AFve"
    )


async def test_create_ticket_validation(client, customer):
    headers = await login(client, customer)
    bad_priority = await client.post(
        f"{API}/tickets", json={"title": "x", "priority": "urgent"}, headers=headers
    )
    error = assert_error(bad_priority, 422, "invalid_input")
    assert error["message"] == "The request data is invalid"
    assert error["details"] == [PRIORITY_ERROR]
    no_title = await client.post(f"{API}/tickets", json={"description": "x"}, headers=headers)
    assert assert_error(no_title, 422, "invalid_input")["details"][0]["field"] == "title"
    bad_file = await client.post(
        f"{API}/tickets",
        json={"title": "x", "attachments": [{"filename": "a.txt", "content": "%%%"}]},
        headers=headers,
    )
    error = assert_error(bad_file, 422, "invalid_input")
    assert error["details"] == [
        {"field": "attachments[0].content", "message": "content must be valid base64."}
    ]
    unknown = await client.post(f"{API}/tickets", json={"title": "x", "colour": 1}, headers=headers)
    assert assert_error(unknown, 422, "invalid_input")["details"][0]["field"] == "colour"
    staff_only = await client.post(
        f"{API}/tickets", json={"title": "x", "assigned_to": str(customer.id)}, headers=headers
    )
    assert_error(staff_only, 403, "forbidden")
    not_object = await client.post(f"{API}/tickets", json=[1, 2], headers=headers)
    assert_error(not_object, 400, "bad_request")


async def test_list_tickets_filters_sort_and_customer_scope(
    client, agent, customer, other_customer
):
    staff = await login(client, agent)
    mine = await login(client, customer)
    first = await new_ticket(client, mine, title="Dashboard 404", description="broken page")
    second = await new_ticket(client, mine, title="Slow export", description="takes ages")
    theirs = await new_ticket(client, await login(client, other_customer), title="Other")
    await client.patch(
        f"{API}/tickets/{second['id']}",
        json={"status": "in_progress", "priority": "critical", "assigned_to": str(agent.id)},
        headers=staff,
    )

    async def ids(headers, **params) -> list[str]:
        response = await client.get(f"{API}/tickets", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["data"]]

    assert await ids(mine) == [second["id"], first["id"]]  # newest first by default
    assert theirs["id"] in await ids(staff)
    assert await ids(mine, status="open") == [first["id"]]
    assert await ids(mine, status="in_progress") == [second["id"]]
    assert await ids(mine, priority="critical") == [second["id"]]
    assert await ids(mine, priority="medium") == [first["id"]]
    assert await ids(staff, assigned_to=str(agent.id)) == [second["id"]]
    assert await ids(staff, created_by=str(other_customer.id)) == [theirs["id"]]
    assert await ids(mine, q="broken") == [first["id"]]
    assert await ids(mine, q="export") == [second["id"]]
    assert await ids(mine, sort="created_at", order="asc") == [first["id"], second["id"]]
    assert await ids(mine, sort="priority", order="desc") == [second["id"], first["id"]]
    assert await ids(mine, sort="priority", order="asc") == [first["id"], second["id"]]
    listed = await client.get(f"{API}/tickets", headers=mine)
    item = listed.json()["data"][0]
    assert item["assigned_to"] == ref(agent)
    assert (item["status"], item["priority"]) == ("in_progress", "critical")


async def test_list_tickets_parameter_errors(client, customer):
    headers = await login(client, customer)
    cases = {
        "status": ("bogus", "Status must be one of: open, in_progress, resolved, closed"),
        "priority": ("urgent", PRIORITY_ERROR["message"]),
        "sort": ("title", "Sort must be one of: created_at, updated_at, priority"),
        "order": ("up", "Order must be one of: asc, desc"),
        "per_page": ("101", "per_page must be between 1 and 100."),
        "page": ("0", "page must be at least 1."),
        "assigned_to": ("bob", "assigned_to must be a user id."),
    }
    for field, (value, message) in cases.items():
        response = await client.get(f"{API}/tickets", params={field: value}, headers=headers)
        error = assert_error(response, 422, "invalid_input")
        assert error["details"] == [{"field": field, "message": message}], field
    huge = await client.get(f"{API}/tickets", params={"page": 10**30}, headers=headers)
    assert assert_error(huge, 422, "invalid_input")["details"][0]["field"] == "page"
    huge_id = await client.get(f"{API}/tickets", params={"created_by": 10**30}, headers=headers)
    assert assert_error(huge_id, 422, "invalid_input")["details"][0]["field"] == "created_by"


async def test_pagination_block_keeps_other_parameters(client, agent):
    headers = await login(client, agent)
    for i in range(5):
        await new_ticket(client, headers, title=f"Ticket {i}", priority="low")
    response = await client.get(
        f"{API}/tickets", params={"priority": "low", "per_page": 2, "page": 2}, headers=headers
    )
    body = response.json()
    assert len(body["data"]) == 2
    assert body["pagination"] == {
        "total": 5,
        "per_page": 2,
        "current_page": 2,
        "last_page": 3,
        "next_page_url": f"{API}/tickets?priority=low&per_page=2&page=3",
        "prev_page_url": f"{API}/tickets?priority=low&per_page=2&page=1",
    }
    default = (await client.get(f"{API}/tickets", headers=headers)).json()["pagination"]
    assert default == {
        "total": 5,
        "per_page": 20,
        "current_page": 1,
        "last_page": 1,
        "next_page_url": None,
        "prev_page_url": None,
    }
    beyond = await client.get(f"{API}/tickets", params={"page": 9}, headers=headers)
    assert beyond.json()["data"] == []
    assert beyond.json()["pagination"]["prev_page_url"] == f"{API}/tickets?page=1"


async def test_ticket_list_statement_count_does_not_grow(client, agent, count_sql):
    headers = await login(client, agent)
    for i in range(6):
        await new_ticket(client, headers, title=f"T{i}", tags=["a", "b"])
    counts = []
    for per_page in (1, 6):
        with count_sql() as statements:
            response = await client.get(f"{API}/tickets?per_page={per_page}", headers=headers)
        assert len(response.json()["data"]) == per_page
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_get_ticket_with_comments_and_internal_ones_only_for_staff(
    client, agent, customer, other_customer
):
    mine = await login(client, customer)
    staff = await login(client, agent)
    ticket = await new_ticket(client, mine)
    url = f"{API}/tickets/{ticket['id']}"
    await client.post(f"{url}/comments", json={"content": "Still broken"}, headers=mine)
    await client.post(
        f"{url}/comments", json={"content": "Deployment issue", "is_internal": True}, headers=staff
    )
    as_staff = (await client.get(url, headers=staff)).json()["data"]
    assert [(c["content"], c["is_internal"]) for c in as_staff["comments"]] == [
        ("Still broken", False),
        ("Deployment issue", True),
    ]
    assert as_staff["comments"][1]["created_by"] == ref(agent)
    as_customer = (await client.get(url, headers=mine)).json()["data"]
    assert [c["content"] for c in as_customer["comments"]] == ["Still broken"]
    assert_error(
        await client.get(url, headers=await login(client, other_customer)), 404, "not_found"
    )
    assert_error(await client.get(f"{API}/tickets/999999", headers=staff), 404, "not_found")
    assert_error(await client.get(f"{API}/tickets/99999999999", headers=staff), 404, "not_found")
    assert_error(await client.get(f"{API}/tickets/abc", headers=staff), 404, "not_found")


async def test_update_ticket(client, agent, customer):
    staff = await login(client, agent)
    mine = await login(client, customer)
    ticket = await new_ticket(client, mine, tags=["dashboard"])
    url = f"{API}/tickets/{ticket['id']}"
    response = await client.patch(
        url,
        json={
            "status": "in_progress",
            "priority": "high",
            "assigned_to": str(agent.id),
            "title": "Cannot access customer dashboard",
            "tags": ["dashboard", "access"],
            "custom_fields": {"os": "Windows 11"},
        },
        headers=staff,
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["status"] == "in_progress"
    assert data["priority"] == "high"
    assert data["assigned_to"] == ref(agent)
    assert data["title"] == "Cannot access customer dashboard"
    assert data["tags"] == ["dashboard", "access"]
    assert data["custom_fields"] == {"os": "Windows 11"}
    assert data["updated_at"] >= data["created_at"]
    forbidden = await client.patch(url, json={"priority": "low"}, headers=mine)
    assert_error(forbidden, 403, "forbidden")
    invalid = await client.patch(url, json={"priority": "urgent"}, headers=staff)
    assert assert_error(invalid, 422, "invalid_input")["details"] == [PRIORITY_ERROR]
    bad_assignee = await client.patch(url, json={"assigned_to": str(customer.id)}, headers=staff)
    assert assert_error(bad_assignee, 422, "invalid_input")["details"][0]["field"] == "assigned_to"
    closed = await client.patch(url, json={"status": "closed"}, headers=staff)
    assert closed.json()["data"]["status"] == "closed"
    conflict = await client.patch(url, json={"status": "resolved"}, headers=staff)
    assert_error(conflict, 409, "conflict")
    reopened = await client.patch(url, json={"status": "open"}, headers=mine)
    assert reopened.json()["data"]["status"] == "open"


async def test_delete_ticket(client, agent, customer):
    ticket = await new_ticket(client, await login(client, customer))
    url = f"{API}/tickets/{ticket['id']}"
    assert_error(await client.delete(url, headers=await login(client, customer)), 403, "forbidden")
    staff = await login(client, agent)
    response = await client.delete(url, headers=staff)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await client.get(url, headers=staff), 404, "not_found")


# ---------------------------------------------------------------- comments


async def test_comments_with_attachments_and_pagination(client, agent, customer):
    mine = await login(client, customer)
    staff = await login(client, agent)
    ticket = await new_ticket(client, mine)
    url = f"{API}/tickets/{ticket['id']}/comments"
    logs = base64.b64encode(b"server logs").decode()
    response = await client.post(
        url,
        json={
            "content": "I've checked the server logs and found the issue.",
            "is_internal": True,
            "attachments": [
                {"filename": "server_logs.txt", "content": logs, "mime_type": "text/plain"}
            ],
        },
        headers=staff,
    )
    assert response.status_code == 201, response.text
    comment = response.json()["data"]
    assert set(comment) == {
        "id",
        "content",
        "created_at",
        "created_by",
        "is_internal",
        "attachments",
    }
    assert comment["is_internal"] is True
    assert comment["created_by"] == ref(agent)
    [att] = comment["attachments"]
    assert (att["filename"], att["size"]) == ("server_logs.txt", 11)
    hidden = await client.get(urlsplit(att["url"]).path, headers=mine)
    assert_error(hidden, 404, "not_found")
    for i in range(3):
        await client.post(url, json={"content": f"reply {i}"}, headers=mine)
    page = (await client.get(url, params={"per_page": 2}, headers=mine)).json()
    assert [c["content"] for c in page["data"]] == ["reply 0", "reply 1"]
    assert page["pagination"]["total"] == 3
    assert page["pagination"]["next_page_url"] == f"{url}?per_page=2&page=2"
    staff_page = (await client.get(url, headers=staff)).json()
    assert staff_page["pagination"]["total"] == 4
    internal = await client.post(url, json={"content": "psst", "is_internal": True}, headers=mine)
    assert_error(internal, 403, "forbidden")
    empty = await client.post(url, json={"content": ""}, headers=mine)
    error = assert_error(empty, 422, "invalid_input")
    assert error["details"] == [{"field": "content", "message": "body is required."}]
    missing = await client.get(f"{API}/tickets/424242/comments", headers=mine)
    assert_error(missing, 404, "not_found")


# ---------------------------------------------------------------- users


async def test_users_list_filters_and_detail(client, admin, agent, customer):
    await make_user("gone", "customer")
    await User.filter(username="gone").update(is_active=False)
    headers = await login(client, admin)

    async def emails(**params) -> list[str]:
        response = await client.get(f"{API}/users", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [u["email"] for u in response.json()["data"]]

    assert await emails(role="agent") == ["agent@example.com"]
    assert await emails(status="inactive") == ["gone@example.com"]
    assert "gone@example.com" not in await emails(status="active")
    assert await emails(q="custom") == ["customer@example.com"]
    listed = (await client.get(f"{API}/users", params={"per_page": 1}, headers=headers)).json()
    assert listed["pagination"]["total"] == 4
    assert set(listed["data"][0]) == {
        "id",
        "name",
        "email",
        "role",
        "status",
        "created_at",
        "last_login_at",
    }
    detail = (await client.get(f"{API}/users/{agent.id}", headers=headers)).json()["data"]
    assert detail == {
        **ref(agent),
        "role": "agent",
        "status": "active",
        "created_at": detail["created_at"],
        "last_login_at": None,
    }
    bad = await client.get(f"{API}/users", params={"role": "boss"}, headers=headers)
    assert assert_error(bad, 422, "invalid_input")["details"] == [
        {"field": "role", "message": "Role must be one of: admin, agent, customer"}
    ]
    as_customer = await login(client, customer)
    assert_error(await client.get(f"{API}/users/{agent.id}", headers=as_customer), 404, "not_found")
    own = (await client.get(f"{API}/users", headers=as_customer)).json()
    assert [u["id"] for u in own["data"]] == [str(customer.id)]


async def test_create_user_admin_only(client, admin, agent):
    body = {"name": "New Person", "email": "new@example.com", "role": "agent", "password": PASSWORD}
    refused = await client.post(f"{API}/users", json=body, headers=await login(client, agent))
    assert_error(refused, 403, "forbidden")
    headers = await login(client, admin)
    created = await client.post(f"{API}/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert (data["name"], data["email"], data["role"], data["status"]) == (
        "New Person",
        "new@example.com",
        "agent",
        "active",
    )
    assert "password" not in data
    again = await client.post(f"{API}/users", json=body, headers=headers)
    assert_error(again, 409, "conflict")
    weak = await client.post(
        f"{API}/users", json={**body, "email": "w@example.com", "password": "123"}, headers=headers
    )
    assert assert_error(weak, 422, "invalid_input")["details"][0]["field"] == "password"
    logged_in = await client.post(
        f"{API}/auth/login", json={"email": "new@example.com", "password": PASSWORD}
    )
    assert logged_in.status_code == 200


# ---------------------------------------------------------------- protocol


async def test_unknown_route_and_method(client, agent):
    headers = await login(client, agent)
    missing = await client.get(f"{API}/nothing-here", headers=headers)
    assert_error(missing, 404, "not_found")
    assert missing.headers["X-RateLimit-Limit"] == "100"
    assert_error(await client.put(f"{API}/tickets", headers=headers), 405, "method_not_allowed")
    for path in ("tickets", "users", "attachments", "webhooks"):
        huge = await client.get(f"{API}/{path}/{'9' * 5000}", headers=headers)
        assert_error(huge, 404, "not_found")


async def test_body_too_large_and_unexpected_errors_keep_the_format(
    client_with, agent, monkeypatch
):
    async with client_with(max_body_bytes=1000) as c:
        headers = bearer(await token_for(agent))
        big = await c.post(f"{API}/tickets", json={"title": "x" * 2000}, headers=headers)
        assert_error(big, 413, "payload_too_large")

        async def chunks():  # no Content-Length: refused while streaming
            for _ in range(3):
                yield b"x" * 600

        streamed = await c.post(f"{API}/tickets", content=chunks(), headers=headers)
        assert_error(streamed, 413, "payload_too_large")
        malformed = await c.post(f"{API}/tickets", content=b"{", headers=headers)
        assert_error(malformed, 400, "bad_request")
        # "Rate limit headers are included in all responses", the guard's answers too
        budgets = [int(r.headers["X-RateLimit-Remaining"]) for r in (big, streamed, malformed)]
        assert budgets == [99, 98, 97]

        async def boom(*args, **kwargs):
            raise RuntimeError("database on fire")

        monkeypatch.setattr(users, "get_user", boom)
        crashed = await c.get(f"{API}/users/me", headers=headers)
        error = assert_error(crashed, 500, "internal_error")
        assert "fire" not in error["message"]
        assert crashed.headers["X-RateLimit-Remaining"] == "96"


async def test_rate_limit_headers_and_429_in_memory(client, customer):
    headers = await login(client, customer)
    first = await client.get(f"{API}/users/me", headers=headers)
    assert first.headers["X-RateLimit-Limit"] == "100"
    remaining = int(first.headers["X-RateLimit-Remaining"])
    reset = int(first.headers["X-RateLimit-Reset"])
    assert remaining == 99
    for _ in range(remaining):
        last = await client.get(f"{API}/users/me", headers=headers)
        assert last.status_code == 200
    assert last.headers["X-RateLimit-Remaining"] == "0"
    refused = await client.get(f"{API}/users/me", headers=headers)
    assert_error(refused, 429, "rate_limit_exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) == reset
    assert int(refused.headers["Retry-After"]) >= 1
    # errors and anonymous requests carry the headers too (budget per client address)
    anonymous = await client.get(f"{API}/tickets")
    assert anonymous.status_code == 401
    assert anonymous.headers["X-RateLimit-Limit"] == "100"


async def test_each_api_key_has_its_own_budget_and_a_jwt_is_the_users_key(client, agent):
    """ "Rate limits are applied on a per-API key basis": each of a user's tokens counts
    alone; a JWT (and a password) spends the user's own key."""
    one, two = bearer(await token_for(agent)), bearer(await token_for(agent))
    jwt = await login(client, agent)

    async def remaining(headers) -> int:
        response = await client.get(f"{API}/users/me", headers=headers)
        assert response.status_code == 200, response.text
        return int(response.headers["X-RateLimit-Remaining"])

    assert [await remaining(one) for _ in range(3)] == [99, 98, 97]
    assert await remaining(two) == 99
    assert await remaining({"X-Token": one["Authorization"].split()[1]}) == 96  # same key
    assert await remaining(jwt) == 99
    assert await remaining(basic(agent.username)) == 98  # the user's key, too


async def test_premium_accounts_get_300(client):
    premium = await make_user("vip", "customer", is_premium=True)
    response = await client.get(f"{API}/users/me", headers=await login(client, premium))
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"] == "299"


async def test_rate_limit_on_redis_is_shared_by_processes(settings, redis_url, customer):
    prefix = f"tg-test-{uuid.uuid4().hex}"
    redis_settings = dataclasses.replace(settings, rate_limit_storage=redis_url)
    apps = [build_app(redis_settings, manage_db=False) for _ in range(2)]
    for app in apps:
        # a key prefix of its own, so concurrent test runs on the same Redis never clash
        app.state.rate_limiter = RateLimiter(redis_url, key_prefix=prefix)
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t") for a in apps
    ]
    try:
        headers = bearer(await token_for(customer))
        for i in range(100):
            response = await clients[i % 2].get(f"{API}/users/me", headers=headers)
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Remaining"] == str(99 - i)
        for c in clients:
            assert_error(
                await c.get(f"{API}/users/me", headers=headers), 429, "rate_limit_exceeded"
            )
    finally:
        for c in clients:
            await c.aclose()
        await apps[0].state.rate_limiter.reset()


async def test_openapi_lists_every_route(client, admin):
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    expected = {
        "/auth/login": {"post"},
        "/tickets": {"get", "post"},
        "/tickets/{id}": {"get", "patch", "delete"},
        "/tickets/{id}/comments": {"get", "post"},
        "/attachments/{id}": {"get"},
        "/users": {"get", "post"},
        "/users/me": {"get"},
        "/users/{id}": {"get"},
        "/webhooks": {"get", "post"},
        "/webhooks/{id}": {"get", "patch", "delete"},
        "/webhooks/{id}/deliveries": {"get"},
        "/openapi.json": {"get"},
    }
    assert {path: set(ops) for path, ops in document["paths"].items()} == expected
    # and the router agrees: documented methods are served, the others are 405
    headers = await login(client, admin)
    for path, methods in expected.items():
        for method in ("get", "post", "patch", "delete"):
            response = await client.request(
                method, API + path.replace("{id}", "1"), headers=headers, json={}
            )
            assert (response.status_code == 405) == (method not in methods), (path, method)
    list_params = {p["name"] for p in document["paths"]["/tickets"]["get"]["parameters"]}
    assert list_params == {
        "status",
        "priority",
        "assigned_to",
        "created_by",
        "q",
        "sort",
        "order",
        "page",
        "per_page",
    }


async def test_jwt_expiry_follows_settings(settings, agent):
    app = build_app(dataclasses.replace(settings, jwt_ttl_seconds=3600), manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        body = {"email": agent.email, "password": PASSWORD}
        expires_at = (await c.post(f"{API}/auth/login", json=body)).json()["expires_at"]
    lifetime = datetime.fromisoformat(expires_at) - datetime.now(UTC)
    assert timedelta(minutes=58) < lifetime <= timedelta(hours=1)


async def test_custom_fields_nested_too_deeply_are_invalid_input(client, agent):
    """Found by fuzzing: nesting past the JSON column's encoder limit was a 500."""
    headers = await login(client, agent)
    deep: list = []
    for _ in range(300):
        deep = [deep]
    detail = {
        "field": "custom_fields",
        "message": "custom_fields may nest at most 16 lists or objects deep.",
    }
    created = await client.post(
        f"{API}/tickets", json={"title": "x", "custom_fields": {"a": deep}}, headers=headers
    )
    assert assert_error(created, 422, "invalid_input")["details"] == [detail]
    ticket = await new_ticket(client, headers, custom_fields={"a": [[{"b": 1}]]})
    assert ticket["custom_fields"] == {"a": [[{"b": 1}]]}
    updated = await client.patch(
        f"{API}/tickets/{ticket['id']}", json={"custom_fields": {"a": deep}}, headers=headers
    )
    assert assert_error(updated, 422, "invalid_input")["details"] == [detail]


async def test_nul_characters_are_refused_not_500s(client, agent):
    """Found by fuzzing: a NUL in text was a 500 on PostgreSQL (it cannot store or compare one)."""
    refused = await client.post(
        f"{API}/auth/login", json={"email": "agent\x00", "password": "x\x00"}
    )
    assert_error(refused, 401, "unauthorized")
    headers = await login(client, agent)
    for body, field in (
        ({"title": "a\x00b"}, "title"),
        ({"title": "t", "tags": ["a\x00"]}, "tags"),
        ({"title": "t", "custom_fields": {"k": ["a\x00"]}}, "custom_fields"),
        ({"title": "t", "custom_fields": {"k\x00": 1}}, "custom_fields"),
    ):
        response = await client.post(f"{API}/tickets", json=body, headers=headers)
        details = assert_error(response, 422, "invalid_input")["details"]
        assert details == [{"field": field, "message": f"{field} must not contain NUL characters."}]
