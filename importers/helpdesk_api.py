"""`import-helpdesk --api URL`: a django-helpdesk read through its REST API, when its database
is out of reach.

The API's pages are copied, one at a time, into a local SQLite database with django-helpdesk's
own tables (`helpdesk.SCHEMA_2_6_1`) and the attachments' files into a local media root; the
import then reads that like any other helpdesk database. What the API does not show is made up
and listed (`Snapshot.notes`): users appear only as ids (authors, assignees), so each becomes
`helpdesk-user-<id>` without e-mail or password (staff when they were assigned or wrote an
internal followup); queues only as ids (`Queue <id>`, slug `queue-<id>`); custom fields only
as values (the type is guessed from them); no CCs; a ticket's created and modified times are
its first and last followup's.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from importers.helpdesk import SCHEMA_2_6_1

PAGE_SIZE = 100
DURATION_RE = re.compile(r"^(?:(\d+) )?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")


@dataclass
class Snapshot:
    database: Path
    media_root: Path
    notes: list[str] = field(default_factory=list)


async def snapshot(client: httpx.AsyncClient, api: str, workdir: Path) -> Snapshot:
    """Copy what `api` (the helpdesk's API root, e.g. `https://help.example.com/helpdesk/api/`)
    shows into `workdir`; `client` carries the credentials (a staff user's)."""
    made = Snapshot(workdir / "helpdesk.sqlite3", workdir / "media")
    db = sqlite3.connect(made.database)
    db.executescript(SCHEMA_2_6_1.read_text())
    copier = _Copier(client, db, made.media_root)
    url = urljoin(api.rstrip("/") + "/", f"tickets/?page_size={PAGE_SIZE}")
    while url:
        page = await copier.get(url)
        for ticket in page.get("results", []):
            await copier.ticket(ticket)
        db.commit()
        url = page.get("next")
    copier.finish(made.notes)
    db.commit()
    db.close()
    return made


class _Copier:
    def __init__(self, client: httpx.AsyncClient, db: sqlite3.Connection, media: Path) -> None:
        self.client, self.db, self.media = client, db, media
        self.users: dict[int, bool] = {}  # id → staff
        self.queues: set[int] = set()
        self.fields: dict[str, tuple[int, str]] = {}  # name → (id, data type)

    async def get(self, url: str) -> dict[str, Any]:
        try:
            response = await self.client.get(url)
        except httpx.HTTPError as exc:
            raise ValueError(f"cannot read {url}: {exc}") from None
        if response.status_code != 200:
            raise ValueError(f"{url} answered {response.status_code}: {response.text[:200]}")
        return response.json()

    async def ticket(self, t: dict[str, Any]) -> None:
        followups = t.get("followup_set") or []
        dates = [_stamp(f["date"]) for f in followups if f.get("date")]
        created = min(dates, default=_stamp(datetime.now(UTC).isoformat()))
        self.queues.add(t["queue"])
        for user in (t.get("assigned_to"),):
            self._user(user, staff=True)
        self.db.execute(
            "INSERT INTO helpdesk_ticket (id, title, queue_id, created, modified, submitter_email,"
            " status, on_hold, description, resolution, priority, due_date, assigned_to_id,"
            " merged_to_id, secret_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
            [
                t["id"],
                t["title"],
                t["queue"],
                created,
                max(dates, default=created),
                t.get("submitter_email") or "",
                t["status"],
                bool(t.get("on_hold")),
                t.get("description") or "",
                t.get("resolution"),
                t.get("priority") or 3,
                _stamp(t["due_date"]) if t.get("due_date") else None,
                t.get("assigned_to"),
                t.get("merged_to"),
            ],
        )
        for f in followups:
            await self._followup(f)
        for key, value in t.items():
            if key.startswith("custom_") and value is not None:
                self._value(t["id"], key.removeprefix("custom_"), value)

    async def _followup(self, f: dict[str, Any]) -> None:
        self._user(f.get("user"), staff=not f.get("public"))
        self.db.execute(
            "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id,"
            " new_status, time_spent, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                f["id"],
                f["ticket"],
                _stamp(f["date"]),
                f.get("title"),
                f.get("comment"),
                bool(f.get("public")),
                f.get("user"),
                f.get("new_status"),
                _microseconds(f.get("time_spent")),
                f.get("message_id"),
            ],
        )
        for a in f.get("followupattachment_set") or []:
            stored = Path(str(a["id"])) / Path(a.get("filename") or "file").name
            path = self.media / stored
            path.parent.mkdir(parents=True, exist_ok=True)
            async with self.client.stream("GET", a["file"]) as response:
                if response.status_code == 200:  # (else the import lists the file as missing)
                    with path.open("wb") as out:
                        async for chunk in response.aiter_bytes():
                            out.write(chunk)
            self.db.execute(
                "INSERT INTO helpdesk_followupattachment (id, followup_id, file, filename,"
                " mime_type, size) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    a["id"],
                    f["id"],
                    str(stored),
                    a.get("filename") or "",
                    a.get("mime_type") or "",
                    a.get("size") or 0,
                ],
            )

    def _user(self, user_id: int | None, *, staff: bool) -> None:
        if user_id is not None:
            self.users[user_id] = self.users.get(user_id, False) or staff

    def _value(self, ticket_id: int, name: str, value: Any) -> None:
        if name not in self.fields:
            kind = (
                "boolean"
                if isinstance(value, bool)
                else "integer"
                if isinstance(value, int)
                else "varchar"
            )
            self.fields[name] = (len(self.fields) + 1, kind)
        text = str(value) if not isinstance(value, bool) else ("True" if value else "False")
        self.db.execute(
            "INSERT INTO helpdesk_ticketcustomfieldvalue (ticket_id, field_id, value)"
            " VALUES (?, ?, ?)",
            [ticket_id, self.fields[name][0], text],
        )

    def finish(self, notes: list[str]) -> None:
        """The users, queues and custom fields the tickets named, made up as the module says."""
        joined = _stamp(datetime.now(UTC).isoformat())
        self.db.executemany(
            "INSERT INTO auth_user (id, username, email, first_name, last_name, password,"
            " is_staff, is_superuser, is_active, date_joined) VALUES (?, ?, '', '', '', '', ?, 0,"
            " 1, ?)",
            [(i, f"helpdesk-user-{i}", staff, joined) for i, staff in sorted(self.users.items())],
        )
        self.db.executemany(
            "INSERT INTO helpdesk_queue (id, title, slug, allow_public_submission,"
            " allow_email_submission, email_box_ssl, enable_notifications_on_email_events)"
            " VALUES (?, ?, ?, 0, 0, 0, 0)",
            [(q, f"Queue {q}", f"queue-{q}") for q in sorted(self.queues)],
        )
        self.db.executemany(
            "INSERT INTO helpdesk_customfield (id, name, label, data_type, required, staff_only,"
            " empty_selection_list) VALUES (?, ?, ?, ?, 0, 0, 0)",
            [(i, name, name, kind) for name, (i, kind) in self.fields.items()],
        )
        notes.append(
            f"api: {len(self.users)} users appear only as ids: made as helpdesk-user-<id>,"
            " without e-mail or password (rename them and set passwords in ticketgate)"
        )
        notes.append(f"api: {len(self.queues)} queues appear only as ids: named Queue <id>")
        if self.fields:
            notes.append(
                f"api: {len(self.fields)} custom fields appear only as values: their types"
                " are guessed, labels are their names"
            )
        notes.append("api: CCs are not in the API; tickets' times are their followups'")


def _stamp(value: str) -> str:
    """An API datetime as Django keeps one on SQLite (naive UTC text)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(" ")


def _microseconds(value: str | None) -> int | None:
    """Django's duration text ("[D ]HH:MM:SS[.ffffff]") in microseconds."""
    match = DURATION_RE.match(value or "")
    if not match:
        return None
    days, hours, minutes, seconds, fraction = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return total * 1_000_000 + int((fraction or "0").ljust(6, "0"))
