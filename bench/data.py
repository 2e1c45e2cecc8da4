"""The bench data sets: one data dir per size under /tmp, seeded once and reused.

python -m bench.data --tickets N      (prepare /tmp/tg-bench-N and print its path)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKETGATE = str(Path(sys.executable).with_name("ticketgate"))
USERNAME, PASSWORD = "bench-agent", "bench-Pass-2026!"


def data_dir(tickets: int) -> Path:
    return Path(os.environ.get("BENCH_DATA_ROOT", "/tmp")) / f"tg-bench-{tickets}"


def database(tickets: int) -> Path:
    return data_dir(tickets) / "ticketgate.sqlite3"


def _cli(tickets: int, *args: str, progress: bool = False) -> str:
    """Run `ticketgate` on the data set; with `progress`, its progress bar reaches the terminal."""
    env = {
        **os.environ,
        "TICKETGATE_DATA_DIR": str(data_dir(tickets)),
        "SQLITE_SYNCHRONOUS": "OFF",  # loading only; the servers run with the default FULL
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    stderr = None if progress else subprocess.PIPE
    done = subprocess.run(
        [TICKETGATE, *args], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
    )
    if done.returncode:
        raise RuntimeError(f"ticketgate {' '.join(args)} failed: {done.stderr or 'see above'}")
    return done.stdout.strip()


def prepare(tickets: int) -> dict[str, str]:
    """Migrate and seed `tickets` tickets with comments, and an agent with an API token, the
    first time; afterwards reuse them (saved in bench-credentials.json in the data dir), after
    applying any migration added since (merged branches)."""
    saved = data_dir(tickets) / "bench-credentials.json"
    if saved.exists():
        _cli(tickets, "migrate")
        return json.loads(saved.read_text())
    if database(tickets).exists():
        raise SystemExit(f"{data_dir(tickets)} is half made (no credentials): remove it")
    print(f"seeding {tickets} tickets into {data_dir(tickets)} (once) …", flush=True)
    _cli(tickets, "migrate")
    _cli(tickets, "seed", "--tickets", str(tickets), progress=True)
    email = f"{USERNAME}@example.com"
    _cli(
        tickets,
        "create-user",
        USERNAME,
        "--role",
        "agent",
        "--email",
        email,
        "--password",
        PASSWORD,
    )
    token = _cli(tickets, "create-token", USERNAME, "--name", "bench").splitlines()[-1]
    with sqlite3.connect(database(tickets)) as db:
        db.execute("ANALYZE")
    credentials = {"token": token, "username": USERNAME, "password": PASSWORD, "email": email}
    saved.write_text(json.dumps(credentials))
    return credentials


def most_commented_ticket(tickets: int) -> int:
    query = (
        "SELECT ticket_id FROM comments GROUP BY ticket_id "
        "ORDER BY COUNT(*) DESC, ticket_id DESC LIMIT 1"
    )
    with sqlite3.connect(f"file:{database(tickets)}?mode=ro", uri=True) as db:
        return db.execute(query).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    tickets = parser.parse_args().tickets
    prepare(tickets)
    print(data_dir(tickets))


if __name__ == "__main__":
    main()
