"""CPU per acknowledged create, in process (issue 12): waves of 50 concurrent creates sent
straight to the ASGI app (no HTTP server, no wrk) on a copy of the small seeded data set,
SQLite with `synchronous=FULL` as `make bench-writes`. The figure holds on a busy machine
where creates/s under wrk does not.

    python -m bench.create_cpu [--waves 10] [--clients 50] [--profile graphql [--sort tottime]]

Each figure is the best of 5 rounds of CPU time (every thread of the process) per create.
`--profile DOOR` prints cProfile's top functions (cumulative) for one round of that door.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from bench import data
from bench.cpu import Driver, _jwt
from bench.run import SERVER_ENV
from bench.writes import TICKETS, doors

ROUNDS = 5


async def _round(drivers: list[Driver], waves: int) -> float:
    started = time.process_time()
    for _ in range(waves):
        await asyncio.gather(*(d.send_one() for d in drivers))
        assert all(d.status in (200, 201) and b'"errors"' not in d.answer for d in drivers)
    return (time.process_time() - started) / (waves * len(drivers)) * 1e3


async def measure(waves: int, clients: int, profile: str, sort: str) -> list[tuple[str, float]]:
    from server import build_app

    app = build_app()
    results = []
    async with app.router.lifespan_context(app):
        saved = data.prepare(TICKETS)
        writing = [d for d in doors(saved["token"], await _jwt(app, saved)) if d.writes]
        for door in writing:
            drivers = [
                Driver(app, "POST", door.path, door.headers, door.body.encode())
                for _ in range(clients)
            ]
            await _round(drivers, 2)  # warm up
            if door.name == profile:
                profiler = cProfile.Profile()
                profiler.enable()
                await _round(drivers, waves)
                profiler.disable()
                pstats.Stats(profiler).sort_stats(sort).print_stats(45)
            best = min([await _round(drivers, waves) for _ in range(ROUNDS)])
            results.append((door.label, best))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--profile", default="", help="graphql or platform-v1")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (tottime, …)")
    args = parser.parse_args()
    data.prepare(TICKETS)
    with tempfile.TemporaryDirectory(prefix="tg-bench-create-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data.data_dir(TICKETS), copy)
        os.environ.update({**SERVER_ENV, "TICKETGATE_DATA_DIR": str(copy), "LOG_LEVEL": "WARNING"})
        os.environ.pop("DATABASE_URL", None)
        results = asyncio.run(measure(args.waves, args.clients, args.profile, args.sort))
    print(f"CPU per create in process, waves of {args.clients}, best of {ROUNDS} rounds:")
    for label, ms in results:
        print(f"  {label}: {ms:.2f} ms")
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
