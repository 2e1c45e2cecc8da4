"""Benchmark: GET /api/stats_v2 and GET /api/tickets?status=open on a large database.

    TICKETGATE_DATA_DIR=/tmp/tg-bench .venv/bin/ticketgate migrate
    TICKETGATE_DATA_DIR=/tmp/tg-bench .venv/bin/ticketgate seed --tickets 1000000
    TICKETGATE_DATA_DIR=/tmp/tg-bench .venv/bin/python -m bench.stats [--runs 30] [--cache S]

Requests go through the whole ASGI app in this process (httpx, no network), one at a time,
signed in as a seeded helper (an API token is created in the bench database), with the stats
cache off unless `--cache SECONDS`. Each statement's own time and plan is
printed too, so a slow one can be found. Never point it at a real data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import resource
import statistics
import time

import httpx
from tortoise import connections

from models import Role, User, db
from resolvers import sql, stats, tokens
from resolvers.permissions import SYSTEM
from server import build_app
from settings import Settings


async def _timed_get(client: httpx.AsyncClient, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = await client.get(url)
    body = await response.aread()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, body[:200])
    return elapsed, len(body)


def _summary(name: str, times: list[float], size: int) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return (
        f"{name:<34} median {statistics.median(times):8.1f} ms   p90 {p90:8.1f} ms"
        f"   min {times[0]:8.1f} ms   body {size / 1024:8.1f} KiB   runs {len(times)}"
    )


async def _statements(conn) -> None:
    """Time each statement of one stats_v2 answer on its own, with its plan."""
    logged: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().lstrip()
            if message.upper().startswith(("SELECT", "WITH")):
                logged.append(record)

    logger = logging.getLogger("tortoise.db_client")
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    await stats.stats_v2(SYSTEM)
    logger.removeHandler(handler)
    for record in logged:
        query, values = record.args[0], record.args[1] if len(record.args) > 1 else []
        started = time.perf_counter()
        await conn.execute_query(query, list(values or []))
        took = (time.perf_counter() - started) * 1000
        print(f"  {took:7.1f} ms  {' '.join(query.split())[:110]}")
        if not sql.is_postgres():
            plan = await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", list(values or []))
            for row in plan:
                print(f"              plan: {row['detail']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cache", type=float, default=0.0, help="STATS_CACHE_SECONDS to use")
    args = parser.parse_args()
    settings = dataclasses.replace(Settings.from_env(), stats_cache_seconds=args.cache)
    await db.open_db(settings.database_url)
    conn = connections.get("default")
    try:
        if not sql.is_postgres():
            await conn.execute_script("ANALYZE")
        count = (await sql.fetch("SELECT COUNT(*) AS n FROM tickets", []))[0]["n"]
        print(f"database {settings.database_url.split('?')[0]}: {count} tickets")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        app = build_app(settings, manage_db=False)
        transport = httpx.ASGITransport(app=app)
        helper = await User.filter(role=Role.AGENT).order_by("id").first()
        _, token = await tokens.create_token(SYSTEM, helper.id, "bench")
        signed_in = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=signed_in
        ) as client:
            for url in ("/api/stats_v2", "/api/tickets?status=open"):
                await _timed_get(client, url)  # warm the page cache
                runs = args.runs if "stats" in url else max(3, args.runs // 5)
                results = [await _timed_get(client, url) for _ in range(runs)]
                print(_summary(f"GET {url}", [t for t, _ in results], results[-1][1]))
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        print("statements of one stats_v2 answer:")
        await _statements(conn)
    finally:
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main())
