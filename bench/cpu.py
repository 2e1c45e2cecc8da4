"""`make bench-cpu`: CPU time per request, in process: each scenario of `make bench` sent
straight to ticketgate's ASGI app, to the floor app serving the same bytes and, for the pages
of the same tickets, to the raw path's app. No HTTP server, no wrk.

    python -m bench.cpu [--tickets 10000] [--requests 300] [--only graphql-100,helpdesk-token]

Each figure is the best of several rounds of CPU time (every thread of the process) per
request. On a shared, noisy machine these ratios hold where wrk's req/s drift by tens of per
cent; they leave out the HTTP server's own cost per request (uvicorn parsing and writing, the
same for every app), so they understate what `make bench` measures for small answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import time
from urllib.parse import urlsplit

import orjson

from bench import data, scenarios
from bench.run import SERVER_ENV

ROUNDS = 5


class Driver:
    """Sends one request to an ASGI app and keeps its answer."""

    def __init__(self, app, method: str, target: str, headers: dict, body: bytes | None) -> None:
        parts = urlsplit(target)
        self.app, self.body = app, body or b""
        raw_headers = [(b"host", b"bench")] + [
            (k.lower().encode(), v.encode()) for k, v in headers.items()
        ]
        if self.body:
            raw_headers.append((b"content-length", str(len(self.body)).encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
        }
        self.status, self.content_type, self.answer, self.etag = 0, "", b"", None

    async def send_one(self) -> None:
        messages = []

        async def receive():
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message):
            messages.append(message)

        await self.app(dict(self.scope, state={}), receive, send)
        start = messages[0]
        headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
        self.status, self.etag = start["status"], headers.get("etag")
        self.content_type = headers.get("content-type", "")
        self.answer = b"".join(m.get("body", b"") for m in messages[1:])

    async def cpu_per_request(self, requests: int) -> float:
        """Microseconds of CPU per request, best of ROUNDS."""
        for _ in range(max(10, requests // 10)):
            await self.send_one()
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(requests):
                await self.send_one()
            best = min(best, (time.process_time() - started) / requests * 1e6)
        return best


async def _jwt(app, saved: dict) -> str:
    login = orjson.dumps({"email": saved["email"], "password": saved["password"]})
    driver = Driver(app, "POST", "/api/v1/auth/login", {"content-type": "application/json"}, login)
    await driver.send_one()
    return orjson.loads(driver.answer)["token"]


async def measure(tickets: int, requests: int, only: set[str]) -> list[tuple]:
    saved = data.prepare(tickets)
    os.environ.update({**SERVER_ENV, "TICKETGATE_DATA_DIR": str(data.data_dir(tickets))})
    os.environ.pop("DATABASE_URL", None)
    from bench import floor, raw_path
    from server import build_app

    app = build_app()
    raw_app = raw_path.build_app(str(data.database(tickets)), saved["token"])
    rows = []
    async with app.router.lifespan_context(app), raw_app.router.lifespan_context(raw_app):
        creds = scenarios.Credentials(
            saved["token"],
            saved["username"],
            saved["password"],
            await _jwt(app, saved),
            data.most_commented_ticket(tickets),
        )
        raw = Driver(
            raw_app, "GET", "/raw/tickets", {"authorization": f"Bearer {creds.token}"}, None
        )
        raw_cpu = await raw.cpu_per_request(requests)
        chosen = [
            s for s in scenarios.build(creds) if not s.single and (not only or s.name in only)
        ]
        for s in chosen:
            ours = Driver(app, s.method, s.path, s.headers, s.body)
            await ours.send_one()
            if s.conditional:
                await asyncio.sleep(0.5)  # a credential's first use is recorded after its answer
                await ours.send_one()
                ours = Driver(
                    app, s.method, s.path, {**s.headers, "If-None-Match": ours.etag}, s.body
                )
                await ours.send_one()
            if ours.status not in (200, 304):
                rows.append((s, None, None, None))
                continue
            captured = {
                s.name: {
                    "status": ours.status,
                    "content_type": ours.content_type,
                    "body": base64.b64encode(ours.answer).decode(),
                }
            }
            floor_driver = Driver(floor.build_app(captured), "GET", f"/floor/{s.name}", {}, None)
            rows.append(
                (
                    s,
                    await ours.cpu_per_request(requests),
                    await floor_driver.cpu_per_request(requests),
                    raw_cpu if s.raw else None,
                )
            )
    return rows, raw_cpu


def table(rows: list[tuple], raw_cpu: float) -> str:
    lines = [
        "| scenario | µs CPU per request | floor µs | x floor (apps only) | x raw path |",
        "|---|---|---|---|---|",
    ]
    for s, ours, floor_cpu, raw in rows:
        if ours is None:
            lines.append(f"| {s.label} | not measured | | | |")
            continue
        x_raw = f"{raw / ours:.2f}" if raw else ""
        lines.append(
            f"| {s.label} | {ours:,.0f} | {floor_cpu:,.0f} | {floor_cpu / ours:.3f} | {x_raw} |"
        )
    lines.append(f"| raw path: the GraphQL 100 page by hand | {raw_cpu:,.0f} | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10000, help="data set size")
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--only", default="", help="scenario names, comma-separated")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    rows, raw_cpu = asyncio.run(measure(args.tickets, args.requests, only))
    rounds = f"best of {ROUNDS} rounds of {args.requests}"
    print(f"CPU per request in process, {args.tickets} tickets, {rounds}:")
    print(table(rows, raw_cpu))


if __name__ == "__main__":
    main()
