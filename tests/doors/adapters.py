"""One adapter per door, so one test can state a rule once and check it at every door: act
as a user, create, get, list, comment, change status, and read an error answer as a *kind*
("not_found", "invalid", "conflict", "too_large", …) after checking it has that door's own
shape. A door that cannot do something (nephthys writes nothing) leaves the method out; the
matrix skips what a door does not have."""

from __future__ import annotations

from typing import Any

import httpx

from resolvers import queues
from resolvers.errors import NotFound
from resolvers.permissions import SYSTEM
from tests.helpers import PASSWORD, token_for

NUL_TITLE = "a\x00b"
WRONG_TOKEN = "tg_0123456789abcdef_" + "x" * 43
BIG_ID = 2**31  # one past the largest id


class Door:
    name = ""
    can_write = True  # create, comment
    can_change_status = True
    customers_read_comments = True

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def act_as(self, user) -> dict[str, str]:
        return {"Authorization": f"Bearer {await token_for(user)}"}

    def stranger(self) -> dict[str, str]:
        """A credential of the right shape that is nobody's."""
        return {"Authorization": f"Bearer {WRONG_TOKEN}"}

    def kind(self, response: httpx.Response) -> str:
        """The error kind of an answer, after checking the door's error shape."""
        raise NotImplementedError

    async def oversized(self, who: dict, size: int) -> httpx.Response:
        """A write whose body is about `size` bytes."""
        return await self.create(who, "x" * size)

    async def nul(self, who: dict) -> httpx.Response:
        """A request carrying a NUL character where the door takes text."""
        return await self.create(who, NUL_TITLE)


# ---------------------------------------------------------------- GraphQL


USER_ERRORS = "userErrors { field message code }"


class GraphQL(Door):
    name = "graphql"
    CODES = {
        "NOT_FOUND": "not_found",
        "BAD_USER_INPUT": "invalid",
        "CONFLICT": "conflict",
        "FORBIDDEN": "forbidden",
        "UNAUTHENTICATED": "unauthenticated",
        "PAYLOAD_TOO_LARGE": "too_large",
    }

    async def _gql(self, who: dict, query: str, **variables: Any) -> httpx.Response:
        body = {"query": query, "variables": variables}
        return await self.client.post("/graphql", json=body, headers=who)

    async def create(self, who: dict, title: str) -> httpx.Response:
        query = (
            "mutation($t: String!) { createTicket(input: {title: $t}) "
            f"{{ ticket {{ number }} {USER_ERRORS} }} }}"
        )
        return await self._gql(who, query, t=title)

    def created_id(self, response: httpx.Response) -> int:
        return response.json()["data"]["createTicket"]["ticket"]["number"]

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        query = "query($id: ID!) { ticket(id: $id) { number title } }"
        return await self._gql(who, query, id=str(ticket_id))

    def found(self, response: httpx.Response) -> bool:
        body = response.json()
        return not body.get("errors") and body["data"]["ticket"] is not None

    async def list_ids(self, who: dict) -> list[int]:
        query = "{ tickets(first: 100) { edges { node { number } } } }"
        body = (await self._gql(who, query)).json()
        return [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]

    async def comment_bodies(self, who: dict, ticket_id: int) -> list[str]:
        query = (
            "query($id: ID!) { ticket(id: $id) "
            "{ comments(first: 100) { edges { node { body } } } } }"
        )
        body = (await self._gql(who, query, id=str(ticket_id))).json()
        return [e["node"]["body"] for e in body["data"]["ticket"]["comments"]["edges"]]

    async def comment(self, who: dict, ticket_id: int, text: str) -> httpx.Response:
        query = (
            "mutation($id: ID!, $b: String!) { addComment(input: {ticketId: $id, body: $b}) "
            f"{{ comment {{ body }} {USER_ERRORS} }} }}"
        )
        return await self._gql(who, query, id=str(ticket_id), b=text)

    async def set_status(self, who: dict, ticket_id: int, status: str) -> httpx.Response:
        query = (
            "mutation($id: ID!, $s: TicketStatus!) { setTicketStatus(input: {id: $id, "
            f"status: $s}}) {{ ticket {{ status }} {USER_ERRORS} }} }}"
        )
        return await self._gql(who, query, id=str(ticket_id), s=status.upper())

    def kind(self, response: httpx.Response) -> str:
        """A top-level error's `extensions.code`, or a mutation payload's `userErrors` code."""
        body = response.json()
        if body.get("errors"):
            error = body["errors"][0]
            assert {"message", "extensions"} <= set(error), error
            return self.CODES[error["extensions"]["code"]]
        [payload] = body["data"].values()
        error = payload["userErrors"][0]
        assert set(error) == {"field", "message", "code"}, error
        return self.CODES[error["code"]]


# ---------------------------------------------------------------- platform v1


class PlatformV1(Door):
    name = "platform_v1"
    API = "/api/v1"
    CODES = {
        "not_found": "not_found",
        "invalid_input": "invalid",
        "conflict": "conflict",
        "forbidden": "forbidden",
        "unauthorized": "unauthenticated",
        "payload_too_large": "too_large",
    }

    async def create(self, who: dict, title: str) -> httpx.Response:
        return await self.client.post(f"{self.API}/tickets", json={"title": title}, headers=who)

    def created_id(self, response: httpx.Response) -> int:
        return int(response.json()["data"]["id"])

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        return await self.client.get(f"{self.API}/tickets/{ticket_id}", headers=who)

    def found(self, response: httpx.Response) -> bool:
        return response.status_code == 200

    async def list_ids(self, who: dict) -> list[int]:
        body = (await self.client.get(f"{self.API}/tickets?per_page=100", headers=who)).json()
        return [int(t["id"]) for t in body["data"]]

    async def comment_bodies(self, who: dict, ticket_id: int) -> list[str]:
        url = f"{self.API}/tickets/{ticket_id}/comments"
        return [c["content"] for c in (await self.client.get(url, headers=who)).json()["data"]]

    async def comment(self, who: dict, ticket_id: int, text: str) -> httpx.Response:
        url = f"{self.API}/tickets/{ticket_id}/comments"
        return await self.client.post(url, json={"content": text}, headers=who)

    async def set_status(self, who: dict, ticket_id: int, status: str) -> httpx.Response:
        url = f"{self.API}/tickets/{ticket_id}"
        return await self.client.patch(url, json={"status": status}, headers=who)

    def kind(self, response: httpx.Response) -> str:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"}, error
        return self.CODES[error["code"]]


# ---------------------------------------------------------------- control panel


class ControlPanel(Door):
    name = "control_panel"
    can_change_status = False  # close and reopen only, no arbitrary status
    CODES = {
        "not_found": "not_found",
        "bad_request": "invalid",
        "conflict": "conflict",
        "forbidden": "forbidden",
        "unauthorized": "unauthenticated",
        "payload_too_large": "too_large",
    }

    async def act_as(self, user) -> dict[str, str]:
        return {"X-Token": await token_for(user)}

    def stranger(self) -> dict[str, str]:
        return {"X-Token": WRONG_TOKEN}

    async def create(self, who: dict, title: str) -> httpx.Response:
        body = {"summary": title, "comment_body": "first message"}
        return await self.client.post("/support/tickets", json=body, headers=who)

    def created_id(self, response: httpx.Response) -> int:
        return response.json()["number"]

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        return await self.client.get(f"/support/tickets/{ticket_id}", headers=who)

    def found(self, response: httpx.Response) -> bool:
        return response.status_code == 200

    async def list_ids(self, who: dict) -> list[int]:
        body = (await self.client.get("/support/tickets?items_per_page=100", headers=who)).json()
        return [t["number"] for t in body["items"]]

    async def comment_bodies(self, who: dict, ticket_id: int) -> list[str]:
        url = f"/support/tickets/{ticket_id}/comments"
        return [c["body"] for c in (await self.client.get(url, headers=who)).json()["items"]]

    async def comment(self, who: dict, ticket_id: int, text: str) -> httpx.Response:
        url = f"/support/tickets/{ticket_id}/comments"
        return await self.client.post(url, json={"body": text}, headers=who)

    def kind(self, response: httpx.Response) -> str:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "field"}, error
        return self.CODES[error["code"]]


# ---------------------------------------------------------------- helpdesk (DRF)


class Helpdesk(Door):
    name = "helpdesk"
    customers_read_comments = False  # followups are staff-only; user_tickets shows none
    API = "/helpdesk/api"
    STATUS_INT = {"open": 1, "reopened": 2, "resolved": 3, "closed": 4, "duplicate": 5}

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__(client)
        self.customers: set[str] = set()  # their credentials: they read `user_tickets`

    async def act_as(self, user) -> dict[str, str]:
        credential = f"Token {await token_for(user)}"
        if not user.is_staff:
            self.customers.add(credential)
        return {"Authorization": credential}

    def stranger(self) -> dict[str, str]:
        return {"Authorization": f"Token {WRONG_TOKEN}"}

    def _view(self, who: dict) -> str:
        return "user_tickets" if who["Authorization"] in self.customers else "tickets"

    async def create(self, who: dict, title: str) -> httpx.Response:
        queue = await _a_queue()
        body = {"queue": queue, "title": title, "description": "first message"}
        return await self.client.post(f"{self.API}/tickets/", json=body, headers=who)

    def created_id(self, response: httpx.Response) -> int:
        return response.json()["id"]

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        return await self.client.get(f"{self.API}/{self._view(who)}/{ticket_id}/", headers=who)

    def found(self, response: httpx.Response) -> bool:
        return response.status_code == 200

    async def list_ids(self, who: dict) -> list[int]:
        url = f"{self.API}/{self._view(who)}/?page_size=100"
        body = (await self.client.get(url, headers=who)).json()
        return [t["id"] for t in body["results"]]

    async def comment_bodies(self, who: dict, ticket_id: int) -> list[str]:
        found = await self.get(who, ticket_id)
        return [f["comment"] for f in found.json()["followup_set"]]

    async def comment(self, who: dict, ticket_id: int, text: str) -> httpx.Response:
        body = {"ticket": ticket_id, "comment": text, "public": True}
        return await self.client.post(f"{self.API}/followups/", json=body, headers=who)

    async def set_status(self, who: dict, ticket_id: int, status: str) -> httpx.Response:
        url = f"{self.API}/tickets/{ticket_id}/"
        return await self.client.patch(url, json={"status": self.STATUS_INT[status]}, headers=who)

    def kind(self, response: httpx.Response) -> str:
        body = response.json()
        if response.status_code == 400:  # {"field": ["message", …]}
            assert all(isinstance(v, list) for v in body.values()), body
            return "conflict" if "status" in body else "invalid"
        assert set(body) == {"detail"}, body
        return {404: "not_found", 403: "forbidden", 413: "too_large"}[response.status_code]


# ---------------------------------------------------------------- the legacy POST API


class HelpdeskLegacy(Door):
    name = "helpdesk_legacy"
    API = "/helpdesk/api"

    async def act_as(self, user) -> dict[str, str]:
        return {"user": user.username, "password": PASSWORD}

    def stranger(self) -> dict[str, str]:
        return {"user": "nobody", "password": "wrong"}

    async def _post(self, who: dict, method: str, **form: Any) -> httpx.Response:
        return await self.client.post(f"{self.API}/{method}/", data={**who, **form})

    async def create(self, who: dict, title: str) -> httpx.Response:
        return await self._post(who, "create_ticket", queue=await _a_queue(), title=title, body="x")

    def created_id(self, response: httpx.Response) -> int:
        return int(response.text)

    async def comment(self, who: dict, ticket_id: int, text: str) -> httpx.Response:
        return await self._post(who, "add_followup", ticket=ticket_id, message=text, public="y")

    async def set_status(self, who: dict, ticket_id: int, status: str) -> httpx.Response:
        assert status == "resolved"  # the only status this API sets
        return await self._post(who, "resolve", ticket=ticket_id, resolution="done")

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        return await self._post(who, "hold_ticket", ticket=ticket_id)  # its only ticket lookup

    def found(self, response: httpx.Response) -> bool:
        return response.status_code == 200

    def kind(self, response: httpx.Response) -> str:
        if response.status_code == 413:  # the mount's guard, shared with the DRF routes
            assert response.json() == {"detail": "Request body too large."}
            return "too_large"
        assert response.headers["content-type"].startswith("text/plain"), response.headers
        if response.status_code == 400:
            return "conflict" if "Cannot change status" in response.text else "invalid"
        return {404: "not_found", 403: "forbidden", 413: "too_large"}[response.status_code]


# ---------------------------------------------------------------- nephthys (read-only)


class Nephthys(Door):
    name = "nephthys"
    can_write = False
    can_change_status = False

    async def get(self, who: dict, ticket_id: int) -> httpx.Response:
        return await self.client.get(f"/api/ticket?id={ticket_id}", headers=who)

    async def oversized(self, who: dict, size: int) -> httpx.Response:
        return await self.client.post("/api/tickets", content=b"x" * size, headers=who)

    async def nul(self, who: dict) -> httpx.Response:
        """A Slack id with a NUL matches nobody."""
        return await self.client.get("/api/user?id=U%00X", headers=who)

    def found(self, response: httpx.Response) -> bool:
        return response.status_code == 200

    async def list_ids(self, who: dict) -> list[int]:
        found = await self.client.get("/api/tickets?status=open", headers=who)
        return [t["id"] for t in found.json()]

    def kind(self, response: httpx.Response) -> str:
        body = response.json()
        assert isinstance(body.get("error"), str), body
        kinds = {404: "not_found", 400: "invalid", 401: "unauthenticated", 413: "too_large"}
        return kinds[response.status_code]


async def _a_queue() -> int:
    try:
        return (await queues.queue_by_slug(SYSTEM, "desk")).id
    except NotFound:
        return (await queues.create_queue(SYSTEM, title="Desk", slug="desk")).id


DOORS: list[type[Door]] = [GraphQL, PlatformV1, ControlPanel, Helpdesk, HelpdeskLegacy, Nephthys]
