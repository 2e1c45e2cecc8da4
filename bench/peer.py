"""The live django-helpdesk 2.6.1 peer (bench/peers/) serving the bench data set.

Its own virtualenv (made by bench/peers/compare_helpdesk.py's `ensure_venv`), its state in
<bench data dir>/helpdesk-peer, loaded once from ticketgate's database by
bench/peers/helpdesk_site/bulk_seed.py, served by Django's threaded `runserver` (what the
differential comparison uses; DEBUG off). Its list page takes seconds, so it is measured with
fewer connections and a longer run (PEER_LOAD).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from bench import data, wrk
from bench.servers import Server

PEERS = data.ROOT / "bench" / "peers"
SITE = PEERS / "helpdesk_site"
PAGE = "/helpdesk/api/tickets/?page_size=100"
PEER_LOAD = wrk.Load(connections=1, seconds=30, timeout_seconds=60.0)
MAX_TICKETS = 100_000  # loading takes ~2 s per 1,000 tickets; the issue compares at 10k


def _venv_python() -> Path:
    sys.path.insert(0, str(PEERS))
    from compare_helpdesk import ensure_venv

    return ensure_venv()


def prepare(tickets: int, python: Path) -> dict[str, str]:
    """The peer's state dir, migrated and loaded the first time."""
    state = data.data_dir(tickets) / "helpdesk-peer"
    env = {**os.environ, "HELPDESK_PEER_STATE": str(state), "PYTHONPATH": str(SITE)}
    done = state / "loaded"
    if not done.exists():
        print(f"  loading {tickets} tickets into django-helpdesk (once) …", flush=True)
        state.mkdir(parents=True, exist_ok=True)
        (state / "helpdesk.sqlite3").unlink(missing_ok=True)
        subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=SITE, env=env, check=True)
        seed = [str(python), "bulk_seed.py", str(data.database(tickets)), data.USERNAME]
        subprocess.run([*seed, data.PASSWORD], cwd=SITE, env=env, check=True)
        done.touch()
    return env


def measure(tickets: int, basic: str, servers: list[Server], log: Path) -> wrk.Measured | str:
    """req/s of the peer's 100-ticket list page with HTTP Basic, or why there is none."""
    if tickets > MAX_TICKETS:
        return f"n/a: the peer is loaded only up to {MAX_TICKETS:,} tickets"
    try:
        python = _venv_python()
        env = prepare(tickets, python)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"n/a: peer setup failed ({exc})"
    command = [str(python), str(SITE / "manage.py"), "runserver", "--noreload"]
    peer = Server("django-helpdesk", command, env, log, port_as_address=True)
    servers.append(peer)
    try:
        peer.wait_ready("/helpdesk/api/")
        answer = httpx.get(peer.url + PAGE, headers={"Authorization": basic}, timeout=120)
        if answer.status_code != 200 or not answer.json().get("results"):
            return f"n/a: peer answered {answer.status_code}"
        script = wrk.lua_script("GET", None, {"Authorization": basic})
        return wrk.run(peer.url + PAGE, script, PEER_LOAD)
    finally:
        peer.stop()
        servers.remove(peer)
