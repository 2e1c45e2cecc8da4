"""Differential test: the same requests against django-helpdesk 2.6.1 and ticketgate.

    .venv/bin/python bench/peers/compare_helpdesk.py      (or: make compare-helpdesk)

Creates bench/peers/.venv-helpdesk (git-ignored) with django-helpdesk from PyPI on first use,
starts the peer (Django runserver, SQLite) and ticketgate (SQLite), loads bench/peers/dataset.py
into both, sends every request in REQUESTS to both in the same order, and reports each
difference in status code, headers (content type, Allow, …) and JSON values (date-times and
URL origins normalised; every list element), each marked with why it is kept (KNOWN, the table
of docs/helpdesk.md) or NOT DOCUMENTED. Writes the report to
bench/results/helpdesk-compare.txt. Not part of `make test`; never a runtime dependency.
"""

from __future__ import annotations

import base64
import json
import os
import re
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
    (
        "create: bad status, on_hold and merged_to",
        "POST",
        "/tickets/",
        "agent",
        {
            "json": {
                "queue": 1,
                "title": "t",
                "description": "d",
                "priority": 3,
                "status": 7,
                "on_hold": "maybe",
                "merged_to": 999999,
            }
        },
    ),
    (
        "create: bad e-mail",
        "POST",
        "/tickets/",
        "agent",
        {"json": {"queue": 1, "title": "t", "description": "d", "submitter_email": "x"}},
    ),
    (
        "create: malformed JSON",
        "POST",
        "/tickets/",
        "agent",
        {"content": b'{"title": ', "headers": {"Content-Type": "application/json"}},
    ),
    ("OPTIONS tickets", "OPTIONS", "/tickets/", "agent", {}),
    ("OPTIONS ticket 1", "OPTIONS", "/tickets/1/", "agent", {}),
    ("OPTIONS tickets anonymous", "OPTIONS", "/tickets/", None, {}),
    ("OPTIONS followups", "OPTIONS", "/followups/", "agent", {}),
    ("OPTIONS user_tickets", "OPTIONS", "/user_tickets/", "customer", {}),
    ("OPTIONS users as admin", "OPTIONS", "/users/", "admin", {}),
    ("OPTIONS api root", "OPTIONS", "/", None, {}),
    # last: they create a ticket on one side only (ids would no longer line up)
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
]
# Differences kept on purpose (docs/helpdesk.md, "Compared with the real thing"):
# (request label or None for any, regular expression searched in the difference) → why.
FACTS = "FACTS.md: the bare form answers as the slashed one"
KNOWN: dict[tuple[str | None, str], str] = {
    ("tickets without slash", ""): FACTS,
    ("create: without priority", ""): "the original's form requires it; the reference says 3",
    ("create: without description", ""): "the original answers 500; never a 500",
    (None, r"email_recipients: 1 vs 0"): "ticketgate sends no e-mail",
    (None, r"\.file: \"<origin>/media/"): "files are served behind the API's credentials",
    (None, r"^\$\.renders"): "no browsable API: JSON only",
    (None, r"\.secret_key"): "no anonymous ticket page to unlock",
    (None, r"^header allow: GET, PUT, PATCH, DELETE"): "attachments take no PUT/PATCH (405)",
    ("followup without comment", ""): "a comment has a body unless it changes the status",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PEER_PORT = int(os.environ.get("PEER_PORT") or free_port())
OUR_PORT = int(os.environ.get("OUR_PORT") or free_port())


DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$")
ORIGIN = re.compile(r"^https?://[^/]+")
ID_KEYS = ("id", "ticket", "followup")
# Headers whose values are compared (the others name the server, the date, the length …).
HEADERS = ("content-type", "allow", "location", "retry-after", "www-authenticate")


def normalised(value: Any) -> Any:
    """A JSON value with what differs by nature between two servers made equal: date-times
    (each server's clock) become "<datetime>", URLs lose their origin (each server's port), the
    ids of created objects (`id`, `ticket`, `followup`: each database's sequence) "<id>"."""
    if isinstance(value, dict):
        return {
            k: "<id>" if k in ID_KEYS and isinstance(v, int) else normalised(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str):
        if DATETIME.match(value):
            return "<datetime>"
        return ORIGIN.sub("<origin>", value)
    return value


def differences(theirs: Any, ours: Any, where: str = "$") -> list[str]:
    """Every difference of value between two JSON documents, by JSON path."""
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
        found = []
        if len(theirs) != len(ours):
            found.append(f"{where}: {len(theirs)} vs {len(ours)} items")
        for n, (a, b) in enumerate(zip(theirs, ours, strict=False)):
            found += differences(a, b, f"{where}[{n}]")
        return found
    if theirs != ours or type(theirs) is not type(ours):
        return [f"{where}: {json.dumps(theirs)} vs {json.dumps(ours)}"]
    return []


def describe(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {name: response.headers.get(name, "-") for name in HEADERS}
    try:
        body = normalised(response.json()) if "json" in headers["content-type"] else None
    except ValueError:
        body = None
    return response.status_code, headers, body


def documented(label: str, difference: str) -> str | None:
    """Why a difference is kept (docs/helpdesk.md), or None when it is not a known one."""
    for (known_label, pattern), why in KNOWN.items():
        if known_label in (None, label) and re.search(pattern, difference):
            return why
    return None


def compare(peer: httpx.Client, ours: httpx.Client) -> list[str]:
    lines, total, unexplained = [], 0, 0
    for label, method, path, user, kwargs in REQUESTS:
        kwargs = dict(kwargs)
        extra = kwargs.pop("headers", {})
        replies = [
            c.request(method, API + path, headers={**auth(user), **extra}, **kwargs)
            for c in (peer, ours)
        ]
        (ts, th, tb), (os_, oh, ob) = (describe(r) for r in replies)
        if ts != os_:  # two different answers: their headers and bodies do not compare
            found = [f"status {ts} vs {os_}"]
        else:
            found = [f"header {n}: {th[n]} vs {oh[n]}" for n in HEADERS if th[n] != oh[n]]
            if tb is not None and ob is not None:
                found += differences(tb, ob)
            elif (tb, ob) != (None, None):
                found.append("body: JSON on one side only")
        total += len(found)
        head = f"{method} {path} [{user or 'anonymous'}] {label}: "
        lines.append(head + ("same" if not found else f"{len(found)} difference(s)"))
        for difference in found:
            why = documented(label, difference)
            unexplained += why is None
            lines.append(f"    {difference}  ({why or 'NOT DOCUMENTED'})")
        shown = SHOW and SHOW in label
        if (found and ts != os_) or shown:
            limit = 3000 if shown else 300
            lines.append(f"    django-helpdesk said: {replies[0].text[:limit]!r}")
            lines.append(f"    ticketgate said:      {replies[1].text[:limit]!r}")
    same = sum(line.endswith(": same") for line in lines)
    lines.append(
        f"\n{len(REQUESTS)} requests, {same} the same; {total} differences (status, headers,"
        f" values), {total - unexplained} documented, {unexplained} not documented"
    )
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
