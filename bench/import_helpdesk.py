"""`make bench-import`: `ticketgate import-helpdesk` from a large django-helpdesk SQLite database.

    python -m bench.import_helpdesk [--tickets 10000,100000] [--followups-per-ticket 3]

Builds (once, in /tmp/tg-import-src-<N>.sqlite3) a database with the tables of django-helpdesk
2.6.1 (importers/helpdesk_2_6_1.sql): 2,000 users (40 staff), 3 queues, 2 custom fields, N tickets
in every status, 3 followups a ticket (some private, some changing the status, with time
spent), a CC on every tenth ticket and an attachment on every hundredth followup. Then imports
it into a fresh ticketgate (SQLite, SQLITE_SYNCHRONOUS=FULL, as served) with the real command
line, and prints the wall time and the peak RSS of the import process per size: memory that
stays the same from 10k to 100k tickets is what "streamed" means.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "importers" / "helpdesk_2_6_1.sql"
BIN = Path(sys.executable).parent
START = datetime(2023, 1, 1, tzinfo=UTC)
USERS, STAFF = 2000, 40
HASH = "pbkdf2_sha256$1000$salt$x"
# The definitions the import prints for the two custom fields, set as the docs say.
CUSTOM_FIELDS = (
    '[{"name":"order_no","label":"Order","data_type":"varchar","max_length":20,'
    '"required":false,"staff_only":false},{"name":"seats","label":"Seats",'
    '"data_type":"integer","required":false,"staff_only":false}]'
)
# Runs a command and prints its peak RSS (KB) as the last line of stderr.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
    " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
    " sys.exit(code)"
)


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, media: Path, tickets: int, per_ticket: int) -> None:
    """The source database (a django-helpdesk 2.6.1 schema, rows as Django writes them)."""
    rng = random.Random(7)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.read_text())
    db.executemany(
        "INSERT INTO auth_user (id, username, email, first_name, last_name, password, is_staff,"
        " is_superuser, is_active, date_joined) VALUES (?, ?, ?, 'First', 'Last', ?, ?, ?, 1, ?)",
        [
            (i, f"user{i}", f"user{i}@example.com", HASH, i <= STAFF, i == 1, stamp(START))
            for i in range(1, USERS + 1)
        ],
    )
    db.executemany(
        "INSERT INTO helpdesk_queue (id, title, slug, allow_public_submission,"
        " allow_email_submission, email_box_ssl, enable_notifications_on_email_events)"
        " VALUES (?, ?, ?, 0, 0, 0, 0)",
        [(i, f"Queue {i}", f"queue-{i}") for i in (1, 2, 3)],
    )
    db.execute(
        "INSERT INTO helpdesk_customfield (id, name, label, data_type, max_length, required,"
        " staff_only, empty_selection_list) VALUES (1, 'order_no', 'Order', 'varchar', 20, 0, 0,"
        " 0), (2, 'seats', 'Seats', 'integer', NULL, 0, 0, 0)"
    )
    media.mkdir(parents=True, exist_ok=True)
    (media / "log.txt").write_bytes(b"an attached log\n")
    followup_id = 0
    for low in range(1, tickets + 1, 5000):
        rows, notes, ccs, values, files = [], [], [], [], []
        for tid in range(low, min(low + 5000, tickets + 1)):
            created = START + timedelta(seconds=tid * 300)
            status = rng.choice((1, 1, 2, 3, 4, 4, 4, 5))
            staff = rng.randint(2, STAFF)
            customer = rng.randint(STAFF + 1, USERS)
            modified = stamp(created + timedelta(days=2))
            submitter, assignee = f"user{customer}@example.com", staff if status != 1 else None
            title, text = f"Ticket {tid}", f"Description of ticket {tid}."
            priority, queue = rng.randint(1, 5), rng.randint(1, 3)
            created_at = stamp(created)
            rows.append(
                (
                    tid,
                    title,
                    created_at,
                    modified,
                    submitter,
                    status,
                    assignee,
                    priority,
                    queue,
                    text,
                )
            )
            for n in range(per_ticket):
                followup_id += 1
                last = n == per_ticket - 1
                public = n == 0 or rng.random() > 0.2
                at = stamp(created + timedelta(hours=n + 1))
                author = customer if n == 0 else staff
                new_status = status if last and status != 1 else None
                spent = 600_000_000 if n == 1 else None
                text = f"Followup {n} of ticket {tid}."
                notes.append(
                    (followup_id, tid, at, "Comment", text, public, author, new_status, spent)
                )
                if followup_id % 100 == 0:
                    files.append((followup_id // 100, followup_id, "log.txt", "log.txt"))
            if tid % 10 == 0:
                ccs.append((tid, f"cc{tid}@example.com"))
            values.append((tid, 1, f"A-{tid}"))
        db.executemany(
            "INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status,"
            " assigned_to_id, priority, queue_id, description, on_hold, secret_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'k')",
            rows,
        )
        db.executemany(
            "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id,"
            " new_status, time_spent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            notes,
        )
        db.executemany(
            "INSERT INTO helpdesk_ticketcc (ticket_id, email, can_view, can_update)"
            " VALUES (?, ?, 1, 0)",
            ccs,
        )
        db.executemany(
            "INSERT INTO helpdesk_ticketcustomfieldvalue (ticket_id, field_id, value)"
            " VALUES (?, ?, ?)",
            values,
        )
        db.executemany(
            "INSERT INTO helpdesk_followupattachment (id, followup_id, file, filename,"
            " mime_type, size) VALUES (?, ?, ?, ?, 'text/plain', 16)",
            files,
        )
    db.commit()
    db.close()


def measure(source: Path, media: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, last lines of output) of one import into a fresh ticketgate."""
    with tempfile.TemporaryDirectory(prefix="tg-import-") as data_dir:
        env = {**os.environ, "TICKETGATE_DATA_DIR": data_dir, "LOG_LEVEL": "WARNING"}
        env["HELPDESK_CUSTOM_FIELDS"] = CUSTOM_FIELDS
        env.pop("DATABASE_URL", None)
        subprocess.run([BIN / "ticketgate", "migrate"], env=env, check=True)
        command = [sys.executable, "-c", PEAK, BIN / "ticketgate", "import-helpdesk"]
        command += ["--database", f"sqlite://{source}", "--media-root", str(media)]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        peak_kb = int(done.stderr.strip().splitlines()[-1])
        return seconds, peak_kb / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="10000,100000")
    parser.add_argument("--followups-per-ticket", type=int, default=3)
    args = parser.parse_args()
    print("tickets  followups  seconds  peak RSS (MB)")
    for count in (int(n) for n in args.tickets.split(",")):
        source = Path(f"/tmp/tg-import-src-{count}.sqlite3")
        media = Path(f"/tmp/tg-import-media-{count}")
        if not source.exists():
            build(source, media, count, args.followups_per_ticket)
        seconds, peak, output = measure(source, media)
        followups = count * args.followups_per_ticket
        print(f"{count:>7}  {followups:>9}  {seconds:>7.1f}  {peak:>13.0f}", flush=True)
        if os.environ.get("SHOW"):
            print(output)


if __name__ == "__main__":
    main()
