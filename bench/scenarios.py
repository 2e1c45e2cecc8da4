"""The requests `make bench` measures (issue 11's table and more), each one door's page."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

PAGE_FIELDS = "id title status priority createdAt updatedAt tags openedBy { id } assignedTo { id }"
TICKETS_PAGE = "{ tickets(first: %d) { edges { node { " + PAGE_FIELDS + " } } } }"
DEEP_TICKET = (
    "query($id: ID!) { ticket(id: $id) { id title "
    "comments(first: 20) { edges { node { body author { username } } } } } }"
)


@dataclass(frozen=True)
class Credentials:
    """The bench agent's API token, username and password, a platform v1 JWT, and the id of
    a ticket with the most comments (for the deep query)."""

    token: str
    username: str
    password: str
    jwt: str
    deep_ticket_id: int

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bool = False  # the same tickets as the raw path's page: report the ratio to it
    peer: bool = False  # the django-helpdesk list page: report the ratio to the peer
    single: bool = False  # too big for throughput: time single requests one after another
    conditional: bool = False  # sent with If-None-Match: the ETag of the previous answer


def _graphql(name: str, label: str, query: str, token: str, **more) -> Scenario:
    body = json.dumps({"query": query, "variables": more.pop("variables", {})}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return Scenario(name, label, "/graphql", "POST", body, headers, **more)


def build(c: Credentials) -> list[Scenario]:
    token = {"Authorization": f"Token {c.token}"}
    bearer = {"Authorization": f"Bearer {c.token}"}
    page = TICKETS_PAGE % 100
    return [
        _graphql("graphql-100", "GraphQL `tickets(first: 100)` page", page, c.token, raw=True),
        _graphql("graphql-10", "the same with `first: 10`", TICKETS_PAGE % 10, c.token),
        _graphql("graphql-viewer", "GraphQL `{ viewer { id } }`", "{ viewer { id } }", c.token),
        _graphql(
            "graphql-deep",
            "GraphQL `ticket(id)` with 20 comments and authors",
            DEEP_TICKET,
            c.token,
            variables={"id": str(c.deep_ticket_id)},
        ),
        Scenario(
            "graphql-100-304",
            "the 100 page over GET, answered 304 (If-None-Match)",
            "/graphql?" + urlencode({"query": page}),
            headers=bearer,
            conditional=True,
        ),
        Scenario(
            "helpdesk-token",
            "helpdesk `GET /helpdesk/api/tickets/?page_size=100`, Token",
            "/helpdesk/api/tickets/?page_size=100",
            headers=token,
            raw=True,
            peer=True,
        ),
        Scenario(
            "helpdesk-basic",
            "the same page with HTTP Basic",
            "/helpdesk/api/tickets/?page_size=100",
            headers={"Authorization": c.basic},
            raw=True,
            peer=True,
        ),
        Scenario(
            "control-panel",
            "control panel `GET /support/tickets?items_per_page=100`",
            "/support/tickets?items_per_page=100",
            headers=bearer,
            raw=True,
        ),
        Scenario(
            "platform-v1",
            "platform v1 `GET /api/v1/tickets?per_page=100`, JWT",
            "/api/v1/tickets?per_page=100",
            headers={"Authorization": f"Bearer {c.jwt}"},
            raw=True,
        ),
        # nephthys is private by default (docs/nephthys.md): the agent signs in
        Scenario("stats-v2", "`GET /api/stats_v2`", "/api/stats_v2", headers=bearer),
        Scenario("stats", "`GET /api/stats`", "/api/stats", headers=bearer),
        Scenario(
            "open-tickets",
            "`GET /api/tickets?status=open` (every open ticket; single requests)",
            "/api/tickets?status=open",
            headers=bearer,
            single=True,
        ),
    ]


def raw_path(c: Credentials) -> Scenario:
    """The raw path's hand-built GraphQL 100 page (bench/raw_path.py)."""
    return Scenario(
        "raw-path", "raw path", "/raw/tickets", headers={"Authorization": f"Bearer {c.token}"}
    )
