"""Differential test: the same requests against django-helpdesk 2.6.1 and ticketgate.

    .venv/bin/python bench/peers/compare_helpdesk.py      (or: make compare-helpdesk)

Creates bench/peers/.venv-helpdesk (git-ignored) with django-helpdesk from PyPI on first use,
starts the peer (Django runserver, SQLite) and ticketgate (SQLite), loads bench/peers/dataset.py
into both, sends every request in REQUESTS to both in the same order, and reports each
difference in status code, content type, field set and JSON value types. Writes the report to
bench/results/helpdesk-compare.txt too. Not part of `make test`; never a runtime dependency.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

PEERS = Path(__file__).resolve().parent
ROOT = PEERS.parents[1]
VENV = PEERS / ".venv-helpdesk"
REQUIREMENT = "django-helpdesk[teams]==2.6.1"
API = "/helpdesk/api"
SHOW = os.environ.get("SHOW", "")  # print both bodies of the requests whose label has this

sys.path.insert(0, str(PEERS))
import dataset  # noqa: E402


def auth(user: str | None) -> dict[str, str]:
    if user is None:
        return {}
    password = "wrong-password" if user == "bad" else dataset.PASSWORD
    raw = base64.b64encode(f"{'agent' if user == 'bad' else user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


FILE = ("file.txt", b"hello world", "text/plain")
NEW_USER = {
    "first_name": "Jane",
    "last_name": "Doe",
    "username": "jane",
    "email": "jane@example.com",
    "password": "Str0ng-enough-pw",
}
# (label, method, path, user, httpx keyword arguments). Order matters: creates happen in the
# same order on both sides, so ids line up.
REQUESTS: list[tuple[str, str, str, str | None, dict[str, Any]]] = [
    ("api root", "GET", "/", None, {}),
    ("tickets anonymous", "GET", "/tickets/", None, {}),
    ("tickets bad password", "GET", "/tickets/", "bad", {}),
    ("tickets as customer", "GET", "/tickets/", "customer", {}),
    ("tickets list", "GET", "/tickets/", "agent", {}),
    ("tickets page_size=2", "GET", "/tickets/?page_size=2", "agent", {}),
    ("tickets page 2", "GET", "/tickets/?page_size=2&page=2", "agent", {}),
    ("tickets page past end", "GET", "/tickets/?page=99", "agent", {}),
    ("tickets page=abc", "GET", "/tickets/?page=abc", "agent", {}),
    ("tickets status=1,3", "GET", "/tickets/?status=1,3", "agent", {}),
    ("tickets without slash", "GET", "/tickets", "agent", {}),
    ("ticket 1", "GET", "/tickets/1/", "agent", {}),
    ("ticket unknown", "GET", "/tickets/999/", "agent", {}),
    (
        "create: reference JSON example",
        "POST",
        "/tickets/",
        "admin",
        {
            "json": {
                "queue": 1,
                "title": "Test Ticket API",
                "description": "Test create ticket from API",
                "submitter_email": "test@mail.com",
                "priority": 4,
            }
        },
    ),
    (
        "create: without priority",
        "POST",
        "/tickets/",
        "agent",
        {"json": {"queue": 1, "title": "No priority", "description": "d"}},
    ),
    (
        "create: without description",
        "POST",
        "/tickets/",
        "agent",
        {"json": {"queue": 1, "title": "No description", "priority": 3}},
    ),
    ("create: empty body", "POST", "/tickets/", "agent", {"json": {}}),
    (
        "create: bad queue and priority",
        "POST",
        "/tickets/",
        "agent",
        {"json": {"queue": 99, "title": "x", "description": "d", "priority": 9}},
    ),
    (
        "create: form with attachment",
        "POST",
        "/tickets/",
        "agent",
        {
            "data": {
                "queue": "1",
                "title": "With attachment",
                "description": "d",
                "submitter_email": "test@mail.com",
                "priority": "2",
            },
            "files": {"attachment": FILE},
        },
    ),
    (
        "create: custom field and unknown custom field",
        "POST",
        "/tickets/",
        "agent",
        {
            "json": {
                "queue": 1,
                "title": "Custom",
                "description": "d",
                "priority": 3,
                "custom_order_no": "B-2",
                "custom_unknown": "x",
            }
        },
    ),
    (
        "patch hold+priority",
        "PATCH",
        "/tickets/1/",
        "agent",
        {"json": {"on_hold": True, "priority": 1}},
    ),
    ("patch status resolved", "PATCH", "/tickets/1/", "agent", {"json": {"status": 3}}),
    ("patch merged_to unknown", "PATCH", "/tickets/1/", "agent", {"json": {"merged_to": 999}}),
    ("patch merged_to 2", "PATCH", "/tickets/3/", "agent", {"json": {"merged_to": 2}}),
    ("put missing fields", "PUT", "/tickets/2/", "agent", {"json": {"title": "x"}}),
    (
        "put full",
        "PUT",
        "/tickets/2/",
        "agent",
        {"json": {"queue": 1, "title": "VPN still down", "description": "d", "priority": 2}},
    ),
    ("user_tickets as customer", "GET", "/user_tickets/", "customer", {}),
    ("user_tickets anonymous", "GET", "/user_tickets/", None, {}),
    ("followups list", "GET", "/followups/", "agent", {}),
    (
        "followup JSON public with time",
        "POST",
        "/followups/",
        "agent",
        {"json": {"ticket": 2, "comment": "Looking", "public": True, "time_spent": "01:30:00"}},
    ),
    (
        "followup: reference multipart example",
        "POST",
        "/followups/",
        "admin",
        {
            "data": {
                "ticket": "2",
                "title": "Test ticket answer",
                "comment": "This answer contains multiple files as attachment.",
            },
            "files": [("attachments", FILE), ("attachments", ("b.txt", b"second", "text/plain"))],
        },
    ),
    ("followup empty body", "POST", "/followups/", "agent", {"json": {}}),
    (
        "followup with new_status",
        "POST",
        "/followups/",
        "agent",
        {"json": {"ticket": 2, "comment": "Closing", "new_status": 4}},
    ),
    (
        "followup without comment",
        "POST",
        "/followups/",
        "agent",
        {"json": {"ticket": 2, "title": "t"}},
    ),
    ("followup 1", "GET", "/followups/1/", "agent", {}),
    ("followup unknown", "GET", "/followups/999/", "agent", {}),
    ("followup PATCH", "PATCH", "/followups/1/", "agent", {"json": {"comment": "edited"}}),
    ("attachments list", "GET", "/followups-attachments/", "agent", {}),
    (
        "attachment create",
        "POST",
        "/followups-attachments/",
        "agent",
        {"data": {"followup": "1"}, "files": {"file": FILE}},
    ),
    ("attachment 1", "GET", "/followups-attachments/1/", "agent", {}),
    ("attachment delete", "DELETE", "/followups-attachments/1/", "agent", {}),
    ("users: create as admin", "POST", "/users/", "admin", {"json": NEW_USER}),
    ("users: create as agent", "POST", "/users/", "agent", {"json": {**NEW_USER, "username": "x"}}),
    (
        "users: weak password",
        "POST",
        "/users/",
        "admin",
        {"json": {**NEW_USER, "username": "weak", "password": "123"}},
    ),
    ("users: duplicate", "POST", "/users/", "admin", {"json": NEW_USER}),
    ("users: GET", "GET", "/users/", "admin", {}),
    ("ticket delete", "DELETE", "/tickets/3/", "agent", {}),
    ("ticket after delete", "GET", "/tickets/3/", "agent", {}),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PEER_PORT = int(os.environ.get("PEER_PORT") or free_port())
OUR_PORT = int(os.environ.get("OUR_PORT") or free_port())


def shape(value: Any) -> Any:
    """JSON value → its shape: dicts keep keys, lists their first item, scalars a type name."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "null")


def differences(theirs: Any, ours: Any, where: str = "$") -> list[str]:
    if isinstance(theirs, dict) and isinstance(ours, dict):
        found = []
        for key in sorted(set(theirs) - set(ours)):
            found.append(f"{where}.{key}: only in django-helpdesk")
        for key in sorted(set(ours) - set(theirs)):
            found.append(f"{where}.{key}: only in ticketgate")
        for key in sorted(set(theirs) & set(ours)):
            found += differences(theirs[key], ours[key], f"{where}.{key}")
        return found
    if isinstance(theirs, list) and isinstance(ours, list):
        if theirs and ours:
            return differences(theirs[0], ours[0], f"{where}[0]")
        if bool(theirs) != bool(ours):
            return [f"{where}: {len(theirs)} vs {len(ours)} items"]
        return []
    if theirs != ours:
        return [f"{where}: {theirs} vs {ours}"]
    return []


def describe(response: httpx.Response) -> tuple[int, str, Any]:
    ctype = response.headers.get("content-type", "").split(";")[0]
    try:
        body = shape(response.json()) if "json" in ctype else None
    except ValueError:
        body = None
    return response.status_code, ctype, body


def compare(peer: httpx.Client, ours: httpx.Client) -> list[str]:
    lines, total = [], 0
    for label, method, path, user, kwargs in REQUESTS:
        replies = [
            c.request(method, API + path, headers=auth(user), **kwargs) for c in (peer, ours)
        ]
        (ts, tc, tb), (os_, oc, ob) = (describe(r) for r in replies)
        found = []
        if ts != os_:
            found.append(f"status {ts} vs {os_}")
        if tc != oc:
            found.append(f"content-type {tc or '-'} vs {oc or '-'}")
        if tb is not None and ob is not None:
            found += differences(tb, ob)
        total += len(found)
        head = f"{method} {path} [{user or 'anonymous'}] {label}: "
        lines.append(head + ("same" if not found else f"{len(found)} difference(s)"))
        lines += [f"    {d}" for d in found]
        shown = SHOW and SHOW in label
        if (found and ts != os_) or shown:
            limit = 3000 if shown else 300
            lines.append(f"    django-helpdesk said: {replies[0].text[:limit]!r}")
            lines.append(f"    ticketgate said:      {replies[1].text[:limit]!r}")
    lines.append(f"\n{len(REQUESTS)} requests, {total} differences (status, type, fields)")
    return lines


# ---------------------------------------------------------------- the two servers


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", REQUIREMENT], check=True)
    return python


def start_peer(python: Path, state: Path, log) -> subprocess.Popen:
    site = PEERS / "helpdesk_site"
    env = {**os.environ, "HELPDESK_PEER_STATE": str(state), "PYTHONPATH": str(site)}
    subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=site, env=env, check=True)
    subprocess.run([str(python), "seed.py"], cwd=site, env=env, check=True)
    command = [str(python), "manage.py", "runserver", "--noreload", f"127.0.0.1:{PEER_PORT}"]
    return subprocess.Popen(command, cwd=site, env=env, stdout=log, stderr=log)


def start_ours(state: Path, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{state / 'ticketgate.sqlite3'}",
        "TICKETGATE_DATA_DIR": str(state),
        "TICKETGATE_SECRET_KEY": "peer-comparison-only-secret-key-0123456789",
        "HELPDESK_CUSTOM_FIELDS": json.dumps(dataset.CUSTOM_FIELDS),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{OUR_PORT}",
    }
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run([str(python), str(PEERS / "seed_ticketgate.py")], cwd=ROOT, env=env, check=True)
    command = [str(ROOT / ".venv" / "bin" / "ticketgate"), "serve", "--port", str(OUR_PORT)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


def wait_ready(url: str, process: subprocess.Popen) -> None:
    for _ in range(150):
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    python = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="helpdesk-compare-") as tmp:
        state = Path(tmp)
        (state / "peer").mkdir()
        (state / "ours").mkdir()
        log = (state / "servers.log").open("w")
        servers = [start_peer(python, state / "peer", log), start_ours(state / "ours", log)]
        try:
            peer_url, our_url = (f"http://127.0.0.1:{p}" for p in (PEER_PORT, OUR_PORT))
            wait_ready(peer_url, servers[0])
            wait_ready(our_url, servers[1])
            with httpx.Client(base_url=peer_url) as peer, httpx.Client(base_url=our_url) as ours:
                report = compare(peer, ours)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    text = "\n".join(report)
    print(text)
    out = ROOT / "bench" / "results" / "helpdesk-compare.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
