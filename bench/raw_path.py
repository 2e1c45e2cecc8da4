"""The raw path: the GraphQL 100-ticket page of bench/scenarios.py built by hand — the
hand-written reference that issue 11 sets the uncached targets against.

    python -m bench.raw_path --database FILE --token TOKEN --port N

A bare Starlette route: the API token checked against the one given (in memory), two aiosqlite
queries selecting only the needed columns (the page of tickets, newest first, with their tags;
the users they name, by id), dicts, orjson. Its answer is the same JSON as ticketgate's for
an agent (bench.run checks that), with no permission rules, errors or arguments.
"""

from __future__ import annotations

import argparse
import base64
import contextlib

import aiosqlite
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.servers import serve

PAGE = 100
TICKETS = f"""
SELECT id, title, status, priority, created_at, updated_at, opened_by_id, assigned_to_id,
       (SELECT json_group_array(name) FROM ticket_tags WHERE ticket_id = tickets.id) AS tags
FROM tickets ORDER BY created_at DESC, id DESC LIMIT {PAGE}
"""


def global_id(type_name: str, key: int | None) -> dict | None:
    if key is None:
        return None
    return {"id": base64.b64encode(f"{type_name}:{key}".encode()).decode()}


def iso(stored: str) -> str:
    """SQLite's stored `YYYY-MM-DD HH:MM:SS.ffffff+00:00` as GraphQL's ISO 8601."""
    return stored.replace(" ", "T", 1)


def build_app(database: str, token: str) -> Starlette:
    state: dict[str, aiosqlite.Connection] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        state["db"] = await aiosqlite.connect(database)
        try:
            yield
        finally:
            await state["db"].close()

    async def page(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {token}":
            return Response(b'{"errors":[{"message":"unauthenticated"}]}', status_code=401)
        db = state["db"]
        async with db.execute(TICKETS) as cursor:
            rows = await cursor.fetchall()
        ids = sorted({u for r in rows for u in (r[6], r[7]) if u is not None})
        marks = ",".join("?" * len(ids))
        async with db.execute(f"SELECT id FROM users WHERE id IN ({marks})", ids) as cursor:
            users = {u[0] for u in await cursor.fetchall()}
        edges = [
            {
                "node": {
                    "id": global_id("Ticket", r[0])["id"],
                    "title": r[1],
                    "status": r[2].upper(),
                    "priority": r[3],
                    "createdAt": iso(r[4]),
                    "updatedAt": iso(r[5]),
                    "tags": orjson.loads(r[8]),
                    "openedBy": global_id("User", r[6] if r[6] in users else None),
                    "assignedTo": global_id("User", r[7] if r[7] in users else None),
                }
            }
            for r in rows
        ]
        body = orjson.dumps({"data": {"tickets": {"edges": edges}}})
        return Response(body, media_type="application/json")

    routes = [Route("/raw/tickets", page, methods=["GET", "POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(build_app(args.database, args.token), args.port)


if __name__ == "__main__":
    main()
