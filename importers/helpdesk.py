"""Bring a django-helpdesk database (0.3 to 2.x) into ticketgate: `ticketgate import-helpdesk`.

What maps to what (docs/migrating.md):

- `auth_user` → users, ids and Django password hashes kept (resolvers/django_hashes.py);
  superusers are admins, other staff agents, everyone else customers;
- `helpdesk_queue` → queues (id, title, slug);
- `helpdesk_customfield` → the `HELPDESK_CUSTOM_FIELDS` definitions (`Report.custom_fields`),
  `helpdesk_ticketcustomfieldvalue` → `Ticket.custom_fields`, checked like any write;
- `helpdesk_ticket` → tickets with their ids; the submitter e-mail and the CCs
  (`helpdesk_ticketcc`) become client e-mails; closed/resolved/reopened times, first response
  and last message come from the followups;
- `helpdesk_followup` → comments with their ids, in order (public ↔ not internal, new_status,
  time_spent, message_id), with the ticket's events rebuilt: `ticket.created`,
  `comment.created`, and `ticket.status_changed` wherever a followup changed the status;
- `helpdesk_followupattachment` (`helpdesk_attachment` before 0.3) → attachments with their
  ids, the files copied from the media root into the content-addressed storage.

Idempotent and resumable: a row whose id is already in ticketgate with the same identity
(username, slug, title, ticket, followup) is left alone, one whose id holds something else is
reported and skipped; each batch of tickets is one transaction. Only new rows are written: a
change to an already imported ticket is not carried over. Historic events are not delivered
to webhooks. Nothing is written with `dry_run`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from tortoise import connections
from tortoise.transactions import in_transaction

from importers import target
from importers.django_db import Row, Source, seconds, when
from models import CLOSED_STATUSES, Status
from resolvers import clock, custom_fields, django_hashes, events, sql, validation
from resolvers.errors import Invalid
from resolvers.files import Storage
from resolvers.users import USERNAME_RE

# The tables read here, as django-helpdesk 2.6.1's migrations create them on SQLite (the --api
# mode writes what the API shows into them; tests and bench/ build sources from them).
SCHEMA_2_6_1 = Path(__file__).with_name("helpdesk_2_6_1.sql")
BATCH = 1000  # tickets per transaction
MAX_PROBLEMS = 1000  # listed one by one; past that only counted
STATUS = {
    1: Status.OPEN,
    2: Status.REOPENED,
    3: Status.RESOLVED,
    4: Status.CLOSED,
    5: Status.DUPLICATE,
}
KINDS = ("users", "queues", "custom fields", "tickets", "followups", "attachments", "ccs")
OPENING_TITLE = "Ticket Opened"  # django-helpdesk's first followup of a ticket


@dataclass
class Tally:
    imported: int = 0
    present: int = 0
    skipped: int = 0


@dataclass
class Report:
    """What an import did (or would do): counts per kind, every item it could not map."""

    dry_run: bool = False
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    custom_fields: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, kind: str, what: str) -> None:
        self.tallies[kind].skipped += 1
        self.problem(f"{kind}: {what}")

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    @property
    def custom_fields_json(self) -> str:
        return orjson.dumps(self.custom_fields).decode()


@dataclass
class Options:
    storage: Storage
    media_root: Path | None = None
    dry_run: bool = False
    batch: int = BATCH
    progress: Callable[[int], None] = lambda done: None  # called with tickets done per batch


@dataclass
class Layout:
    """Which of the tables and columns of the helpdesk versions this database has."""

    attachments: str | None
    columns: dict[str, set[str]]

    @classmethod
    async def read(cls, source: Source) -> Layout:
        tables = await source.tables()
        missing = {"auth_user", "helpdesk_queue", "helpdesk_ticket", "helpdesk_followup"} - tables
        if missing:
            raise ValueError(f"not a django-helpdesk database: no {', '.join(sorted(missing))}")
        names = ("helpdesk_followupattachment", "helpdesk_attachment")
        attachments = next((t for t in names if t in tables), None)
        wanted = [
            "auth_user",
            "helpdesk_queue",
            "helpdesk_ticket",
            "helpdesk_followup",
            "helpdesk_ticketcc",
            "helpdesk_customfield",
            "helpdesk_ticketcustomfieldvalue",
            *([attachments] if attachments else []),
        ]
        columns = {t: await source.columns(t) for t in wanted if t in tables}
        return cls(attachments, columns)

    def has(self, table: str) -> bool:
        return table in self.columns

    def select(self, table: str, names: list[str]) -> str:
        """The columns `names` of `table`, NULL for those this version lacks."""
        return ", ".join(n if n in self.columns[table] else f"NULL AS {n}" for n in names)


class People:
    """Source user ids → ticketgate user ids (kept, or remapped when the id was taken), and
    who is staff. Holds only the exceptions and the staff, so it stays small."""

    def __init__(self) -> None:
        self.remapped: dict[int, int] = {}
        self.skipped: set[int] = set()
        self.staff: set[int] = set()

    def id(self, source_id: int | None) -> int | None:
        if source_id is None or source_id in self.skipped:
            return None
        return self.remapped.get(source_id, source_id)


async def run(source: Source, opts: Options) -> Report:
    """Import everything (or, with `opts.dry_run`, only report what would be imported)."""
    report = Report(dry_run=opts.dry_run)
    layout = await Layout.read(source)
    if not sql.is_postgres() and not opts.dry_run:
        await sql.execute_script("PRAGMA cache_size = -262144")  # 256 MB while loading
    people = await _users(source, opts, report)
    queue_ids = await _queues(source, opts, report)
    fields = await _custom_fields(source, layout, report)
    tickets = _Tickets(source, layout, opts, report, people, queue_ids, fields)
    await tickets.run()
    if not opts.dry_run:
        await _merges(source, layout)
        await target.fix_sequences()
    return report


# ---------------------------------------------------------------- users


USER_COLUMNS = (
    "id",
    "username",
    "email",
    "name",
    "role",
    "is_active",
    "is_premium",
    "password_hash",
    "created_at",
    "last_login_at",
)


async def _users(source: Source, opts: Options, report: Report) -> People:
    people = People()
    tally = report.tallies["users"]
    names = ["id", "username", "email", "first_name", "last_name", "password", "is_staff"]
    names += ["is_superuser", "is_active", "date_joined", "last_login"]
    displaced: list[tuple] = []  # new users whose id holds someone else: new ids at the end
    async for rows in source.keyed("auth_user", names):
        ids = [r["id"] for r in rows]
        by_id = await target.pairs(
            f"SELECT id, username FROM users WHERE id IN ({target.marks(len(ids))})", ids
        )
        usernames = [r["username"] for r in rows]
        by_name = await target.pairs(
            f"SELECT username, id FROM users WHERE username IN ({target.marks(len(rows))})",
            usernames,
        )
        new = []
        for r in rows:
            if not USERNAME_RE.match(r["username"]):
                people.skipped.add(r["id"])
                report.skip("users", f"{r['id']} {r['username']!r}: not a valid username")
                continue
            if r["username"] in by_name:  # already here (maybe under another id)
                tally.present += 1
                final = by_name[r["username"]]
            else:
                tally.imported += 1
                final = r["id"]
                if r["id"] in by_id:
                    displaced.append((r, _user_row(r, report)))
                    continue
                new.append(_user_row(r, report))
            if final != r["id"]:
                people.remapped[r["id"]] = final
            if r["is_staff"] or r["is_superuser"]:
                people.staff.add(final)
        if not opts.dry_run:
            async with in_transaction() as conn:
                await target.insert(conn, "users", USER_COLUMNS, new)
    await _displaced(source, displaced, people, opts, report)
    return people


async def _displaced(
    source: Source, displaced: list[tuple], people: People, opts: Options, report: Report
) -> None:
    """Users whose id holds another user get ids past every id of both sides."""
    if not displaced:
        return
    ours = await sql.fetch("SELECT MAX(id) AS id FROM users", [])
    theirs = await source.fetch("SELECT MAX(id) AS id FROM auth_user")
    start = max(ours[0]["id"] or 0, theirs[0]["id"] or 0) + 1
    rows = []
    for new_id, (r, row) in enumerate(displaced, start):
        report.problem(f"users: {r['id']} {r['username']!r} gets id {new_id} (taken)")
        people.remapped[r["id"]] = new_id
        if r["is_staff"] or r["is_superuser"]:
            people.staff.add(new_id)
        rows.append((new_id, *row[1:]))
    if not opts.dry_run:
        async with in_transaction() as conn:
            await target.insert(conn, "users", USER_COLUMNS, rows)


def _user_row(r: Row, report: Report) -> tuple:
    role = "admin" if r["is_superuser"] else "agent" if r["is_staff"] else "customer"
    password = r["password"] or ""
    if password and not password.startswith("!") and not django_hashes.verifiable(password):
        report.problem(
            f"users: {r['id']} {r['username']!r} has a"
            f" {django_hashes.scheme(password) or 'unknown'}"
            " password hash ticketgate cannot verify: they must set a new password"
        )
    name = f"{r['first_name'] or ''} {r['last_name'] or ''}".strip()[:200]
    return (
        r["id"],
        r["username"],
        (r["email"] or "").strip().lower()[:254],
        name,
        role,
        bool(r["is_active"]),
        False,
        password if django_hashes.verifiable(password) else "",
        when(r["date_joined"]) or clock.now(),
        when(r["last_login"]),
    )


# ---------------------------------------------------------------- queues


async def _queues(source: Source, opts: Options, report: Report) -> dict[int, int]:
    """Import the queues (a short table, read whole); {source id: ticketgate id}."""
    tally = report.tallies["queues"]
    rows = await source.fetch(
        "SELECT id, title, slug, email_address FROM helpdesk_queue ORDER BY id"
    )
    ours = {r["id"]: r["slug"] for r in await sql.fetch("SELECT id, slug FROM queues", [])}
    slugs = {slug: queue_id for queue_id, slug in ours.items()}
    next_id = max([0, *ours, *(r["id"] for r in rows)]) + 1
    mapping, new = {}, []
    for r in rows:
        if r["slug"] in slugs:
            tally.present += 1
            mapping[r["id"]] = slugs[r["slug"]]
            continue
        tally.imported += 1
        mapping[r["id"]] = r["id"]
        if r["id"] in ours:  # the id holds another queue
            mapping[r["id"]], next_id = next_id, next_id + 1
            report.problem(f"queues: {r['id']} {r['slug']!r} gets id {mapping[r['id']]} (taken)")
        address = (r["email_address"] or "")[:254]
        new.append(
            (mapping[r["id"]], r["title"][:200], r["slug"][:64], clock.now(), False, address)
        )
    if not opts.dry_run:
        async with in_transaction() as conn:
            columns = ("id", "title", "slug", "created_at", "is_public", "email_address")
            await target.insert(conn, "queues", columns, new)
    return mapping


# ---------------------------------------------------------------- custom fields


async def _custom_fields(
    source: Source, layout: Layout, report: Report
) -> dict[int, custom_fields.CustomField]:
    """The definitions in HELPDESK_CUSTOM_FIELDS form (into the report); {source id: field}."""
    if not layout.has("helpdesk_customfield"):
        return {}
    names = ["id", "name", "label", "data_type", "max_length", "decimal_places"]
    names += ["list_values", "required", "staff_only", "ordering"]
    rows = await source.fetch(
        f"SELECT {layout.select('helpdesk_customfield', names)} FROM helpdesk_customfield"
        " ORDER BY ordering, id"
    )
    found = {}
    for r in rows:
        definition = {
            "name": r["name"],
            "label": r["label"] or r["name"],
            "data_type": r["data_type"],
            **({"max_length": r["max_length"]} if r["max_length"] is not None else {}),
            **({"decimal_places": r["decimal_places"]} if r["decimal_places"] is not None else {}),
            **({"choices": _choices(r["list_values"])} if r["data_type"] == "list" else {}),
            "required": bool(r["required"]),
            "staff_only": bool(r["staff_only"]),
        }
        try:
            (parsed,) = custom_fields.definitions(orjson.dumps([definition]).decode())
        except ValueError as exc:
            report.skip("custom fields", f"{r['name']!r}: {exc}")
            continue
        report.tallies["custom fields"].imported += 1
        report.custom_fields.append(definition)
        found[r["id"]] = parsed
    return found


def _choices(raw: str | None) -> list[str]:
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


# ---------------------------------------------------------------- tickets and followups


TICKET_COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "on_hold",
    "priority",
    "queue_id",
    "custom_fields",
    "opened_by_id",
    "assigned_to_id",
    "closed_by_id",
    "reopened_by_id",
    "submitter_email",
    "resolution",
    "due_date",
    "created_at",
    "updated_at",
    "assigned_at",
    "first_response_at",
    "last_message_at",
    "last_message_by_staff",
    "resolved_at",
    "closed_at",
    "reopened_at",
)
COMMENT_COLUMNS = (
    "id",
    "ticket_id",
    "author_id",
    "title",
    "body",
    "is_internal",
    "created_at",
    "new_status",
    "time_spent_seconds",
    "message_id",
    "is_client_read",
)
ATTACHMENT_COLUMNS = (
    "id",
    "uuid",
    "ticket_id",
    "comment_id",
    "uploaded_by_id",
    "filename",
    "mime_type",
    "size",
    "sha256",
    "created_at",
)
EVENT_COLUMNS = ("kind", "ticket_id", "actor_id", "payload", "internal", "created_at")
HELPDESK_INT = {Status.IN_PROGRESS: 1, **{status: n for n, status in STATUS.items()}}


@dataclass
class _Batch:
    """The rows one batch of tickets adds, written in one transaction."""

    tickets: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)
    attachments: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


@dataclass
class _Found:
    """A batch's rows in the source (grouped by ticket or followup) and what ticketgate has."""

    followups: dict[int, list[Row]]
    files: dict[int, list[Row]]
    ccs: dict[int, list[Row]]
    values: dict[int, list[Row]]
    tickets: dict[int, str]  # id → title
    comments: dict[int, int]  # id → ticket id
    attachments: dict[int, int]  # id → comment id
    owners: dict[str, int]  # e-mail → user id


class _Tickets:
    def __init__(self, source, layout, opts, report, people, queue_ids, fields) -> None:
        self.source, self.layout, self.opts, self.report = source, layout, opts, report
        self.people, self.queue_ids, self.fields = people, queue_ids, fields

    async def run(self) -> None:
        names = ["id", "title", "queue_id", "created", "modified", "submitter_email"]
        names += ["assigned_to_id", "status", "on_hold", "description", "resolution"]
        names += ["priority", "due_date"]
        columns = self.layout.select("helpdesk_ticket", names).split(", ")
        mapped: _Batch | None = None
        async for rows in self.source.keyed("helpdesk_ticket", columns, batch=self.opts.batch):
            found = await self._read(rows)
            # The previous batch is written (SQLite or PostgreSQL, off this thread) while this
            # one is mapped in a thread of its own: the two overlap.
            writing = asyncio.ensure_future(self._write(mapped)) if mapped else None
            try:
                mapped = await asyncio.to_thread(self._map, rows, found)
            finally:
                if writing is not None:
                    await writing
            self.opts.progress(len(rows))
        if mapped is not None:
            await self._write(mapped)

    async def _read(self, rows: list[Row]) -> _Found:
        """What the source and ticketgate hold for this batch of tickets."""
        low, high = rows[0]["id"], rows[-1]["id"]
        span = [low, high]
        return _Found(
            followups=await self._followups(low, high),
            files=await self._attachments(low, high),
            ccs=await self._ccs(low, high),
            values=await self._custom_values(low, high),
            tickets=await target.pairs(
                f"SELECT id, title FROM tickets WHERE id {target.between()}", span
            ),
            comments=await target.pairs(
                f"SELECT id, ticket_id FROM comments WHERE ticket_id {target.between()}", span
            ),
            attachments=await target.pairs(
                f"SELECT id, comment_id FROM attachments WHERE ticket_id {target.between()}", span
            ),
            owners=await self._owners(rows),
        )

    def _map(self, rows: list[Row], found: _Found) -> _Batch:
        """The rows this batch adds, and its tallies and problems in the report."""
        batch = _Batch()
        for r in rows:
            mine = found.followups.get(r["id"], [])
            ccs = found.ccs.get(r["id"], [])
            if r["id"] in found.tickets and found.tickets[r["id"]] != r["title"][:255]:
                self.report.skip("tickets", f"{r['id']}: the id holds another ticket")
                self._skip_parts(r["id"], mine, found.files, ccs)
                continue
            is_new = r["id"] not in found.tickets
            opener = found.owners.get((r["submitter_email"] or "").strip().lower())
            history = _History(self.people)
            if is_new:
                payload = {"title": r["title"][:255], "status": Status.OPEN.value}
                batch.events.append(
                    _event(events.TICKET_CREATED, r["id"], opener, payload, when(r["created"]))
                )
            for f in mine:
                fresh = f["id"] not in found.comments
                history.follow(f, batch, emit=fresh)
                if fresh:
                    self.report.tallies["followups"].imported += 1
                    batch.comments.append(self._comment(f))
                else:
                    self.report.tallies["followups"].present += 1
                for a in found.files.get(f["id"], []):
                    self._attachment(a, f, found.attachments, batch)
            if is_new:
                self._ticket(r, opener, history, found.values.get(r["id"], []), batch)
            else:
                self.report.tallies["tickets"].present += 1
            self._contacts(r, ccs, batch, is_new=is_new)
        return batch

    async def _write(self, batch: _Batch) -> None:
        if self.opts.dry_run:
            return
        async with in_transaction() as conn:
            await target.insert(conn, "tickets", TICKET_COLUMNS, batch.tickets)
            await target.insert(conn, "comments", COMMENT_COLUMNS, batch.comments)
            await target.insert(conn, "attachments", ATTACHMENT_COLUMNS, batch.attachments)
            await target.insert(conn, "ticket_contacts", ("ticket_id", "email"), batch.contacts)
            await target.insert(conn, "events", EVENT_COLUMNS, batch.events)

    def _skip_parts(self, ticket_id: int, mine: list[Row], files: dict, ccs: list[Row]) -> None:
        why = f"its ticket {ticket_id} was skipped"
        for f in mine:
            self.report.skip("followups", f"{f['id']}: {why}")
            for a in files.get(f["id"], []):
                self.report.skip("attachments", f"{a['id']}: {why}")
        for cc in ccs:
            self.report.skip("ccs", f"{cc['id']}: {why}")

    # -- reading a batch's rows from the source, grouped by ticket (or followup)

    async def _followups(self, low: int, high: int) -> dict[int, list[Row]]:
        names = ["id", "ticket_id", "date", "title", "comment", "public", "user_id"]
        names += ["new_status", "time_spent", "message_id"]
        rows = await self.source.fetch(
            f"SELECT {self.layout.select('helpdesk_followup', names)} FROM helpdesk_followup"
            " WHERE ticket_id BETWEEN ? AND ? ORDER BY ticket_id, date, id",
            [low, high],
        )
        return _grouped(rows, "ticket_id")

    async def _attachments(self, low: int, high: int) -> dict[int, list[Row]]:
        table = self.layout.attachments
        if table is None:
            return {}
        rows = await self.source.fetch(
            f"SELECT a.id, a.followup_id, a.file, a.filename, a.mime_type, f.ticket_id"
            f" FROM {table} a JOIN helpdesk_followup f ON f.id = a.followup_id"
            " WHERE f.ticket_id BETWEEN ? AND ? ORDER BY a.id",
            [low, high],
        )
        return _grouped(rows, "followup_id")

    async def _ccs(self, low: int, high: int) -> dict[int, list[Row]]:
        if not self.layout.has("helpdesk_ticketcc"):
            return {}
        rows = await self.source.fetch(
            "SELECT c.id, c.ticket_id, c.email, u.email AS user_email FROM helpdesk_ticketcc c"
            " LEFT JOIN auth_user u ON u.id = c.user_id"
            " WHERE c.ticket_id BETWEEN ? AND ? ORDER BY c.id",
            [low, high],
        )
        return _grouped(rows, "ticket_id")

    async def _custom_values(self, low: int, high: int) -> dict[int, list[Row]]:
        if not self.layout.has("helpdesk_ticketcustomfieldvalue"):
            return {}
        rows = await self.source.fetch(
            "SELECT id, ticket_id, field_id, value FROM helpdesk_ticketcustomfieldvalue"
            " WHERE ticket_id BETWEEN ? AND ? ORDER BY id",
            [low, high],
        )
        return _grouped(rows, "ticket_id")

    async def _owners(self, rows: list[Row]) -> dict[str, int]:
        """ticketgate users by (lower-case) e-mail, for the submitters of these tickets."""
        emails = sorted({(r["submitter_email"] or "").strip().lower() for r in rows} - {""})
        if not emails:
            return {}
        found = await connections.get("default").execute_query_dict(
            f"SELECT id, email FROM users WHERE email IN ({target.marks(len(emails))})"
            " ORDER BY id DESC",
            emails,
        )
        return {r["email"]: r["id"] for r in found}  # the lowest id wins

    # -- mapping

    def _ticket(
        self, r: Row, opener: int | None, history: _History, values: list[Row], batch: _Batch
    ) -> None:
        """A new ticket's row, and an event for a status its followups do not explain."""
        status = STATUS.get(r["status"])
        if status is None:
            self.report.problem(f"tickets: {r['id']} has status {r['status']}: imported as open")
            status = Status.OPEN
        assignee = self.people.id(r["assigned_to_id"])
        if status == Status.OPEN and assignee is not None:
            status = Status.IN_PROGRESS  # how ticketgate calls an assigned open ticket
        created, modified = when(r["created"]), when(r["modified"])
        if HELPDESK_INT[history.status] != HELPDESK_INT[status]:
            payload = {"previous": history.status.value, "current": status.value}
            batch.events.append(
                _event(events.TICKET_STATUS_CHANGED, r["id"], None, payload, modified)
            )
        closed = status in CLOSED_STATUSES
        priority = r["priority"]
        if not isinstance(priority, int) or not 1 <= priority <= 5:
            self.report.problem(f"tickets: {r['id']} has priority {priority}: imported as 3")
            priority = 3
        self.report.tallies["tickets"].imported += 1
        batch.tickets.append(
            (
                r["id"],
                r["title"][:255],
                r["description"] or "",
                status.value,
                bool(r["on_hold"]),
                priority,
                self.queue_ids.get(r["queue_id"]),
                orjson.dumps(self._values(r["id"], values)).decode(),
                opener,
                assignee,
                history.closed_by if closed else None,
                history.reopened_by,
                (r["submitter_email"] or "")[:254],
                r["resolution"],
                when(r["due_date"]),
                created,
                modified or created,
                created if assignee is not None else None,
                history.first_response,
                history.last_message or created,
                history.last_by_staff,
                (history.resolved_at or modified) if status == Status.RESOLVED else None,
                (history.closed_at or modified) if closed else None,
                history.reopened_at,
            )
        )

    def _values(self, ticket_id: int, values: list[Row]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for v in values:
            definition = self.fields.get(v["field_id"])
            if definition is None:
                continue  # its definition was reported
            if v["value"] in (None, ""):  # blank, as a ticket made without the field has it
                found.update(custom_fields.blanks((definition,)))
                continue
            try:
                cleaned = custom_fields.clean(
                    (definition,), {definition.key: v["value"]}, partial=True
                )
            except Invalid as exc:
                self.report.problem(
                    f"custom values: ticket {ticket_id} {definition.name}={v['value']!r}"
                    f" left blank ({exc.message})"
                )
                continue
            found.update(cleaned)
        return found

    def _contacts(self, r: Row, ccs: list[Row], batch: _Batch, *, is_new: bool) -> None:
        """The submitter's and the CCs' e-mail addresses as a new ticket's client e-mails."""
        tally = self.report.tallies["ccs"]
        found = [_address(r["submitter_email"])]
        for cc in ccs:
            raw = cc["email"] or cc["user_email"]
            email = _address(raw)
            if not email:
                self.report.skip("ccs", f"{cc['id']}: {raw!r} is not an e-mail address")
                continue
            found.append(email)
            if is_new:
                tally.imported += 1
            else:
                tally.present += 1
        if is_new:
            batch.contacts += [(r["id"], e) for e in dict.fromkeys(found) if e]

    def _comment(self, f: Row) -> tuple:
        new_status = STATUS.get(f["new_status"]) if f["new_status"] is not None else None
        if f["new_status"] is not None and new_status is None:
            self.report.problem(f"followups: {f['id']} new_status {f['new_status']} not kept")
        return (
            f["id"],
            f["ticket_id"],
            self.people.id(f["user_id"]),
            (f["title"] or "")[:200],
            f["comment"] or "",
            not f["public"],
            when(f["date"]),
            new_status.value if new_status else None,
            seconds(f["time_spent"]),
            (f["message_id"] or None) and f["message_id"][:255],
            False,
        )

    def _attachment(self, a: Row, f: Row, have: dict, batch: _Batch) -> None:
        tally = self.report.tallies["attachments"]
        if a["id"] in have:
            if have[a["id"]] == f["id"]:
                tally.present += 1
            else:
                self.report.skip("attachments", f"{a['id']}: the id holds another file")
            return
        data = self._file(a)
        if data is None:
            return
        tally.imported += 1
        digest = self.opts.storage.put(data) if not self.opts.dry_run else ""
        batch.attachments.append(
            (
                a["id"],
                str(uuid.uuid4()),
                f["ticket_id"],
                f["id"],
                self.people.id(f["user_id"]),
                (a["filename"] or Path(a["file"]).name)[:255],
                (a["mime_type"] or "application/octet-stream")[:127],
                len(data),
                digest,
                when(f["date"]),
            )
        )

    def _file(self, a: Row) -> bytes | None:
        if self.opts.media_root is None:
            self.report.skip("attachments", f"{a['id']} {a['file']}: no --media-root given")
            return None
        path = (self.opts.media_root / a["file"]).resolve()
        if not path.is_relative_to(self.opts.media_root.resolve()) or not path.is_file():
            self.report.skip("attachments", f"{a['id']}: no file {path}")
            return None
        return path.read_bytes()


class _History:
    """Walks a ticket's followups in order: the status each one left, and the times the
    ticket's stats read (first staff response, last public message, closing, reopening)."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.status = Status.OPEN
        self.first_response = self.last_message = None
        self.last_by_staff = False
        self.closed_at = self.closed_by = self.resolved_at = None
        self.reopened_at = self.reopened_by = None

    def follow(self, f: Row, batch: _Batch, *, emit: bool) -> None:
        """Take one followup into account; `emit` its events (for a followup new here)."""
        author = self.people.id(f["user_id"])
        at = when(f["date"])
        staff = author is not None and author in self.people.staff
        if f["public"]:
            self.last_message, self.last_by_staff = at, staff
            opening = (f["title"] or "").startswith(OPENING_TITLE)
            if staff and not opening and self.first_response is None:
                self.first_response = at
        status = STATUS.get(f["new_status"]) if f["new_status"] is not None else None
        if emit:
            payload = {"comment_id": f["id"], "is_internal": not f["public"]}
            batch.events.append(
                _event(events.COMMENT_CREATED, f["ticket_id"], author, payload, at, not f["public"])
            )
        if status is None or HELPDESK_INT[status] == HELPDESK_INT[self.status]:
            return
        if emit:
            payload = {"previous": self.status.value, "current": status.value}
            batch.events.append(
                _event(events.TICKET_STATUS_CHANGED, f["ticket_id"], author, payload, at)
            )
        self.status = status
        if status in CLOSED_STATUSES:
            self.closed_at, self.closed_by = at, author
            self.resolved_at = at if status == Status.RESOLVED else self.resolved_at
        elif status == Status.REOPENED:
            self.reopened_at, self.reopened_by = at, author


def _event(
    kind: str,
    ticket_id: int,
    actor: int | None,
    payload: dict,
    at: datetime | None,
    internal: bool = False,
) -> tuple:
    return (kind, ticket_id, actor, orjson.dumps(payload).decode(), internal, at or clock.now())


def _address(raw: str | None) -> str:
    """An e-mail address as ticketgate keeps it ("" for none or not one)."""
    try:
        return validation.email("email", (raw or "").strip(), required=False)
    except Invalid:
        return ""


def _grouped(rows: list[Row], key: str) -> dict[Any, list[Row]]:
    found: dict[Any, list[Row]] = {}
    for r in rows:
        found.setdefault(r[key], []).append(r)
    return found


async def _merges(source: Source, layout: Layout) -> None:
    """`merged_to` once every ticket is in (a ticket may be merged into a later one); only
    where ticketgate has both tickets and no merge recorded yet, so re-runs change nothing."""
    if "merged_to_id" not in layout.columns["helpdesk_ticket"]:
        return
    async for rows in source.keyed(
        "helpdesk_ticket", ["id", "merged_to_id"], where="merged_to_id IS NOT NULL"
    ):
        ours = [(r["merged_to_id"], r["id"]) for r in rows]
        into, ticket, also = sql.params(3)
        await connections.get("default").execute_many(
            f"UPDATE tickets SET merged_into_id = {into} WHERE id = {ticket}"
            f" AND merged_into_id IS NULL AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = {also})",
            [[m, t, m] for m, t in ours],
        )
