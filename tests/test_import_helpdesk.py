"""`import-helpdesk` from a small database shaped exactly like django-helpdesk 2.6.1's (the
tables of its real migrations, importers/helpdesk_2_6_1.sql, filled with plain SQL), read back
through ticketgate's helpdesk door."""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import bcrypt
import pytest

import commands
from importers import cli as import_cli
from importers import helpdesk, verify
from importers.django_db import SQLiteSource, open_source
from models import Attachment, Comment, Event, Queue, Ticket, TicketContact, User
from resolvers import queues, tickets, users
from resolvers.files import LocalStorage
from resolvers.permissions import SYSTEM
from settings import Settings
from tests.helpers import ON_POSTGRES, pg_admin_url
from tests.test_stats_totals import recount, totals

SCHEMA = helpdesk.SCHEMA_2_6_1
OLD_PASSWORD = "old-helpdesk-pw"


def pbkdf2(password: str, salt: str = "NaCl4salt", rounds: int = 1000) -> str:
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds)
    return f"pbkdf2_sha256${rounds}${salt}${base64.b64encode(derived).decode()}"


def bcrypt_sha256(password: str) -> str:
    hexed = hashlib.sha256(password.encode()).hexdigest().encode()
    return "bcrypt_sha256$" + bcrypt.hashpw(hexed, bcrypt.gensalt(4)).decode()


USERS = [  # id, username, email, first, last, password, staff, superuser
    (1, "boss", "boss@example.com", "Bo", "Ss", pbkdf2(OLD_PASSWORD), 1, 1),
    (2, "ann", "ann@example.com", "Ann", "Agent", bcrypt_sha256(OLD_PASSWORD), 1, 0),
    (3, "cid", "Cid@Example.com", "Cid", "", pbkdf2(OLD_PASSWORD, "other"), 0, 0),
    (4, "legacy", "legacy@example.com", "", "", "md5$salt$0123456789abcdef", 0, 0),
    (6, "bad name!", "", "", "", "!unusable", 0, 0),
]
FIELDS = [  # id, name, label, data_type, max_length, list_values, required, staff_only
    (1, "order_no", "Order", "varchar", 20, None, 0, 0),
    (2, "seats", "Seats", "integer", None, None, 0, 0),
    (3, "plan", "Plan", "list", None, "free\npro\n", 0, 1),
]
TICKETS = [  # id, title, created, modified, submitter, status, on_hold, assignee, prio, merged
    (
        1,
        "Printer on fire",
        "2024-01-01 10:00",
        "2024-01-03 09:00",
        "cid@example.com",
        4,
        0,
        2,
        2,
        None,
    ),
    (
        2,
        "Duplicate fire",
        "2024-01-02 08:00",
        "2024-01-02 08:30",
        "other@example.com",
        1,
        1,
        None,
        3,
        3,
    ),
    (3, "VPN drops", "2024-01-02 09:00", "2024-01-04 12:00", "", 2, 0, 2, 4, None),
    (5, "New laptop", "2024-01-05 09:00", "2024-01-05 09:00", "boss@example.com", 1, 0, 2, 1, None),
]
FOLLOWUPS = [  # id, ticket, date, title, comment, public, user, new_status, time_spent (µs)
    (1, 1, "2024-01-01 10:00:01", "Ticket Opened", "It burns.", 1, 3, None, None),
    (2, 1, "2024-01-01 11:00:00", "Comment", "Looking into it.", 1, 2, None, 90_000_000),
    (3, 1, "2024-01-01 11:05:00", "Comment", "Toner is flammable.", 0, 2, None, None),
    (4, 1, "2024-01-03 09:00:00", "Closed", "Replaced the printer.", 1, 2, 4, None),
    (5, 3, "2024-01-03 10:00:00", "Resolved", "Reset the tunnel.", 1, 2, 3, None),
    (6, 3, "2024-01-04 12:00:00", "Reopened", "Still drops.", 1, 3, 2, None),
]


def build_source(path: Path, media: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.read_text())
    db.executemany(
        "INSERT INTO auth_user (id, username, email, first_name, last_name, password, is_staff,"
        " is_superuser, is_active, date_joined, last_login) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1,"
        " '2023-06-01 08:00:00', NULL)",
        USERS,
    )
    db.execute(
        "INSERT INTO helpdesk_queue (id, title, slug, email_address, allow_public_submission,"
        " allow_email_submission, email_box_ssl, enable_notifications_on_email_events)"
        " VALUES (1, 'Support', 'support', 'support@example.com', 1, 0, 0, 0)"
    )
    db.executemany(
        "INSERT INTO helpdesk_customfield (id, name, label, data_type, max_length, list_values,"
        " required, staff_only, empty_selection_list, ordering) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " 0, NULL)",
        FIELDS,
    )
    db.executemany(
        "INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status,"
        " on_hold, assigned_to_id, priority, merged_to_id, queue_id, secret_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'k')",
        TICKETS,
    )
    db.execute("UPDATE helpdesk_ticket SET description = 'Details of ' || title")
    db.execute(
        "UPDATE helpdesk_ticket SET resolution = 'Fixed', due_date = '2024-01-10 00:00:00'"
        " WHERE id = 1"
    )
    db.executemany(
        "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id,"
        " new_status, time_spent, message_id, email_recipients) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '[]')",
        FOLLOWUPS,
    )
    stored = media / "helpdesk/attachments/support-k/2/log.txt"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"paper jam at 10:59\n")
    db.executemany(
        "INSERT INTO helpdesk_followupattachment (id, followup_id, file, filename, mime_type,"
        " size) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (1, 2, "helpdesk/attachments/support-k/2/log.txt", "log.txt", "text/plain", 19),
            (2, 3, "helpdesk/attachments/support-k/3/gone.png", "gone.png", "image/png", 5),
        ],
    )
    db.executemany(
        "INSERT INTO helpdesk_ticketcc (id, ticket_id, user_id, email, can_view, can_update)"
        " VALUES (?, ?, ?, ?, 1, 0)",
        [(1, 1, None, "CC@example.com"), (2, 1, 3, None), (3, 3, None, "not an address")],
    )
    db.executemany(
        "INSERT INTO helpdesk_ticketcustomfieldvalue (id, ticket_id, field_id, value)"
        " VALUES (?, ?, ?, ?)",
        [(1, 1, 1, "A-1"), (2, 1, 2, "3"), (3, 1, 3, "pro"), (4, 2, 2, "many")],
    )
    db.commit()
    db.close()


@pytest.fixture
def source_db(tmp_path) -> tuple[Path, Path]:
    path, media = tmp_path / "helpdesk.sqlite3", tmp_path / "media"
    build_source(path, media)
    return path, media


async def run_import(settings, source_db, *, dry_run: bool = False, batch: int = 2):
    path, media = source_db
    source = SQLiteSource(path)
    try:
        options = helpdesk.Options(
            storage=LocalStorage(settings.data_dir / "files"),
            media_root=media,
            dry_run=dry_run,
            batch=batch,
        )
        report = await helpdesk.run(source, options)
        layout = await helpdesk.Layout.read(source)
        configured = {d["name"] for d in report.custom_fields}
        return report, await verify.verify(source, layout, report, configured)
    finally:
        await source.close()


def basic(login: str, password: str = OLD_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


async def counts() -> dict[str, int]:
    models = (User, Queue, Ticket, Comment, Attachment, TicketContact, Event)
    return {m.__name__: await m.all().count() for m in models}


async def test_dry_run_lists_everything_and_writes_nothing(settings, source_db):
    report, checks = await run_import(settings, source_db, dry_run=True)

    assert await counts() == dict.fromkeys(
        ["User", "Queue", "Ticket", "Comment", "Attachment", "TicketContact", "Event"], 0
    )
    tallies = {k: (t.imported, t.present, t.skipped) for k, t in report.tallies.items()}
    assert tallies == {
        "users": (4, 0, 1),
        "queues": (1, 0, 0),
        "custom fields": (3, 0, 0),
        "tickets": (4, 0, 0),
        "followups": (6, 0, 0),
        "attachments": (1, 0, 1),
        "ccs": (2, 0, 1),
    }
    assert report.problems == [
        "users: 4 'legacy' has a md5 password hash ticketgate cannot verify:"
        " they must set a new password",
        "users: 6 'bad name!': not a valid username",
        f"attachments: 2: no file {source_db[1] / 'helpdesk/attachments/support-k/3/gone.png'}",
        "custom values: ticket 2 seats='many' left blank (A valid integer is required.)",
        "ccs: 3: 'not an address' is not an e-mail address",
    ]
    assert {c.kind: c.ticketgate for c in checks}["tickets"] == 0


async def test_import_reads_back_the_same_through_the_helpdesk_door(
    settings, source_db, client_with
):
    report, checks = await run_import(settings, source_db)

    assert [(c.kind, c.source, c.ticketgate, c.skipped, c.mismatches) for c in checks] == [
        ("users", 5, 4, 1, 0),
        ("queues", 1, 1, 0, 0),
        ("custom fields", 3, 3, 0, 0),
        ("tickets", 4, 4, 0, 0),
        ("followups", 6, 6, 0, 0),
        ("attachments", 2, 1, 1, 0),
        ("ccs", 3, 2, 1, 0),
    ]
    async with client_with(helpdesk_custom_fields=report.custom_fields_json) as client:
        response = await client.get("/helpdesk/api/tickets/1/", headers=basic("ann"))
        assert response.status_code == 200, response.text
        ticket = response.json()
        followups = ticket.pop("followup_set")
        assert ticket == {
            "id": 1,
            "queue": 1,
            "title": "Printer on fire",
            "description": "Details of Printer on fire",
            "resolution": "Fixed",
            "submitter_email": "cid@example.com",
            "assigned_to": 2,
            "status": 4,
            "on_hold": False,
            "priority": 2,
            "due_date": "2024-01-10T00:00:00Z",
            "merged_to": None,
            "custom_order_no": "A-1",
            "custom_seats": 3,
            "custom_plan": "pro",
        }
        assert [
            (f["id"], f["user"], f["title"], f["comment"], f["public"], f["new_status"])
            for f in followups
        ] == [
            (1, 3, "Ticket Opened", "It burns.", True, None),
            (2, 2, "Comment", "Looking into it.", True, None),
            (3, 2, "Comment", "Toner is flammable.", False, None),
            (4, 2, "Closed", "Replaced the printer.", True, 4),
        ]
        assert followups[1]["date"] == "2024-01-01T11:00:00Z"
        assert followups[1]["time_spent"] == "00:01:30"
        (attachment,) = followups[1]["followupattachment_set"]
        assert (attachment["id"], attachment["filename"], attachment["mime_type"]) == (
            1,
            "log.txt",
            "text/plain",
        )
        assert attachment["size"] == 19
        file = await client.get(attachment["file"], headers=basic("ann"))
        assert file.content == b"paper jam at 10:59\n"

        listed = (await client.get("/helpdesk/api/tickets/", headers=basic("ann"))).json()
        assert [(t["id"], t["status"], t["merged_to"]) for t in listed["results"]] == [
            (1, 4, None),
            (2, 1, 3),
            (3, 2, None),
            (5, 1, None),
        ]
        # the customer logs in with the old password, by e-mail, and sees only public followups
        mine = await client.get("/helpdesk/api/user_tickets/1/", headers=basic("cid@example.com"))
        assert mine.status_code == 200, mine.text
        assert "custom_plan" not in mine.json()  # staff-only
    ann = await User.get(username="ann")
    assert ann.password_hash.startswith("$argon2")  # rehashed at the first login
    assert (await User.get(username="legacy")).password_hash == ""


async def test_history_totals_and_ids_after_import(settings, source_db):
    await run_import(settings, source_db)

    history = await Event.filter(ticket_id=3).order_by("id").values_list("kind", "payload")
    assert history == [
        ("ticket.created", {"title": "VPN drops", "status": "open"}),
        ("comment.created", {"comment_id": 5, "is_internal": False}),
        ("ticket.status_changed", {"previous": "open", "current": "resolved"}),
        ("comment.created", {"comment_id": 6, "is_internal": False}),
        ("ticket.status_changed", {"previous": "resolved", "current": "reopened"}),
    ]
    assert await totals() == await recount()
    first = await Ticket.get(id=1)
    assert (first.status, first.closed_by_id, first.first_response_at.hour) == ("closed", 2, 11)
    assert set(await TicketContact.filter(ticket_id=1).values_list("email", flat=True)) == {
        "cid@example.com",
        "cc@example.com",
    }
    queue = await Queue.get(id=1)
    assert (queue.slug, queue.title, queue.email_address) == (
        "support",
        "Support",
        "support@example.com",
    )
    made = await tickets.create_ticket(SYSTEM, title="after the move")  # sequences moved on
    assert made.id == 6
    assert (await Queue.create(title="New", slug="new", created_at=made.created_at)).id == 2
    assert (await users.create_user(SYSTEM, username="newcomer")).id == 5


async def test_running_again_changes_nothing(settings, source_db):
    await run_import(settings, source_db, batch=3)
    before = await counts()

    report, checks = await run_import(settings, source_db, batch=3)

    assert await counts() == before
    assert all(t.imported == 0 for k, t in report.tallies.items() if k != "custom fields")
    assert [c.mismatches for c in checks] == [0] * len(checks)


async def test_ids_taken_by_other_rows(settings, source_db):
    someone = await users.create_user(SYSTEM, username="someone")
    old = await queues.create_queue(SYSTEM, title="Old", slug="old")
    unrelated = await tickets.create_ticket(SYSTEM, title="Unrelated")
    assert someone.id == old.id == unrelated.id == 1

    report, checks = await run_import(settings, source_db)

    assert "users: 1 'boss' gets id 7 (taken)" in report.problems
    assert "queues: 1 'support' gets id 2 (taken)" in report.problems
    assert "tickets: 1: the id holds another ticket" in report.problems
    assert (await Ticket.get(id=1)).title == "Unrelated"
    assert await Ticket.filter(queue_id=2).count() == 3
    assert (await Ticket.get(id=5)).opened_by_id == 7  # boss, by the submitter e-mail
    assert (await User.get(id=7)).username == "boss"
    assert [(c.kind, c.mismatches) for c in checks if c.mismatches] == []
    assert {c.kind: c.skipped for c in checks}["followups"] == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--database", "mysql://host/helpdesk"], "ticketgate: unsupported database URL"),
        (["--database", "sqlite:///nowhere/db.sqlite3"], "ticketgate: no SQLite database at"),
        (["--database", "sqlite://{empty}"], "ticketgate: not a django-helpdesk database: no"),
        (["--database", "sqlite://{empty}", "--batch", "0"], "ticketgate: --batch must be"),
        (["--database", "sqlite://{empty}", "--media-root", "/nowhere"], "ticketgate: --media"),
        (["--database", "sqlite://{empty}", "--user", "agent"], "ticketgate: --user and --pass"),
        (["--api", "http://127.0.0.1:9/", "--media-root", "/tmp"], "ticketgate: --media-root goes"),
        (["--api", "http://127.0.0.1:9/"], "ticketgate: --api needs --user"),
    ],
)
def test_command_line_refuses_what_it_cannot_read(tmp_path, arguments, message):
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    args = commands._parser().parse_args(
        ["import-helpdesk", *(a.format(empty=empty) for a in arguments)]
    )
    settings = Settings(data_dir=tmp_path, database_url="sqlite://:memory:", secret_key="k" * 32)
    with pytest.raises(SystemExit) as refused:
        import_cli.run(settings, args)
    assert str(refused.value).startswith(message)


def postgres_ddl(sqlite_ddl: str) -> str:
    """importers/helpdesk_2_6_1.sql as Django creates the same tables on PostgreSQL (enough of it:
    types, no foreign keys to tables left out)."""
    ddl = sqlite_ddl.replace("integer NOT NULL PRIMARY KEY AUTOINCREMENT", "serial PRIMARY KEY")
    ddl = ddl.replace(" datetime", " timestamp with time zone").replace(" bool ", " boolean ")
    ddl = ddl.replace('"time_spent" bigint', '"time_spent" interval')
    ddl = re.sub(r' REFERENCES "\w+" \("id"\) DEFERRABLE INITIALLY DEFERRED', "", ddl)
    return re.sub(r' CHECK \(\(JSON_VALID\("\w+"\) OR "\w+" IS NULL\)\)', "", ddl)


async def copy_to_postgres(path: Path, conn) -> None:
    """The rows of the SQLite source, typed as Django keeps them on PostgreSQL."""
    await conn.execute(postgres_ddl(SCHEMA.read_text()))
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    convert = {
        "boolean": lambda v: None if v is None else bool(v),
        "timestamp with time zone": lambda v: v and datetime.fromisoformat(v).replace(tzinfo=UTC),
        "interval": lambda v: None if v is None else timedelta(microseconds=v),
    }
    tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'"
    for (table,) in db.execute(tables).fetchall():
        rows = [dict(r) for r in db.execute(f'SELECT * FROM "{table}"')]
        if not rows:
            continue
        types = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
            table,
        )
        typed = [convert.get(dict(types)[c], lambda v: v) for c in rows[0]]
        marks = ", ".join(f"${i}" for i in range(1, len(typed) + 1))
        names = ", ".join(f'"{c}"' for c in rows[0])
        await conn.executemany(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
            [[f(v) for f, v in zip(typed, r.values(), strict=True)] for r in rows],
        )
    db.close()


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL source needs the PostgreSQL run")
async def test_import_from_a_postgresql_helpdesk(settings, source_db):
    admin = pg_admin_url().replace("postgres://", "postgresql://", 1)
    name = f"tg_helpdesk_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = pg_admin_url().rsplit("/", 1)[0] + "/" + name
    try:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        await copy_to_postgres(source_db[0], conn)
        await conn.close()
        source = await open_source(url)
        options = helpdesk.Options(
            storage=LocalStorage(settings.data_dir / "files"), media_root=source_db[1]
        )
        report = await helpdesk.run(source, options)
        checks = await verify.verify(
            source, await helpdesk.Layout.read(source), report, {"order_no", "seats", "plan"}
        )
        await source.close()
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    assert [(c.kind, c.source, c.ticketgate, c.mismatches) for c in checks] == [
        ("users", 5, 4, 0),
        ("queues", 1, 1, 0),
        ("custom fields", 3, 3, 0),
        ("tickets", 4, 4, 0),
        ("followups", 6, 6, 0),
        ("attachments", 2, 1, 0),
        ("ccs", 3, 2, 0),
    ]
    followup = await Comment.get(id=2)
    assert (followup.time_spent_seconds, followup.created_at.isoformat()) == (
        90,
        "2024-01-01T11:00:00+00:00",
    )
    assert (await Ticket.get(id=2)).on_hold is True
