"""Copy a ticketgate bench database (`seed --tickets N`) into the django-helpdesk peer, so both
serve the same tickets and comments (run with the peer's virtualenv):

    HELPDESK_PEER_STATE=DIR python bulk_seed.py TICKETGATE_SQLITE AGENT PASSWORD

One queue for every ticket (django-helpdesk needs one), the staff who are assigned or write
comments as Django users, each customer as the ticket's submitter e-mail, comments as
follow-ups (internal ones not public). bulk_create: no signals, no e-mail, no reversion.
"""

import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

# ticketgate status → django-helpdesk's number (as rest/helpdesk/parse.py STATUS_INT renders it)
STATUS = {"open": 1, "in_progress": 1, "reopened": 2, "resolved": 3, "closed": 4, "duplicate": 5}
BATCH = 2000


def when(stored: str | None) -> datetime | None:
    return datetime.fromisoformat(stored) if stored else None


def main(source: str, agent: str, password: str) -> None:
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    User.objects.create_user(agent, f"{agent}@example.com", password, is_staff=True)
    staff = {
        r["id"]: User(username=r["username"], email=r["email"], is_staff=True)
        for r in db.execute("SELECT id, username, email FROM users WHERE role != 'customer'")
    }
    User.objects.bulk_create([u for u in staff.values() if u.username != agent])
    people = {u.username: u for u in User.objects.all()}
    staff = {key: people[u.username] for key, u in staff.items()}
    emails = dict(db.execute("SELECT id, email FROM users").fetchall())
    queue = Queue.objects.create(title="Bench", slug="bench")
    tickets = db.execute(
        "SELECT id, title, description, status, on_hold, priority, opened_by_id, "
        "assigned_to_id, created_at, updated_at FROM tickets ORDER BY id"
    )
    made = 0
    while rows := tickets.fetchmany(BATCH):
        batch = [
            Ticket(
                id=r["id"],
                queue=queue,
                title=r["title"],
                description=r["description"],
                status=STATUS[r["status"]],
                on_hold=bool(r["on_hold"]),
                priority=r["priority"],
                submitter_email=emails.get(r["opened_by_id"]) or "",
                assigned_to=staff.get(r["assigned_to_id"]),
                created=when(r["created_at"]),
                modified=when(r["updated_at"]),
            )
            for r in rows
        ]
        with transaction.atomic():
            Ticket.objects.bulk_create(batch)
        made += len(batch)
    comments = db.execute(
        "SELECT ticket_id, author_id, title, body, is_internal, created_at FROM comments "
        "ORDER BY id"
    )
    count = 0
    while rows := comments.fetchmany(BATCH):
        batch = [
            FollowUp(
                ticket_id=r["ticket_id"],
                user=staff.get(r["author_id"]),
                title=r["title"] or "Comment",
                comment=r["body"],
                public=not r["is_internal"],
                date=when(r["created_at"]),
            )
            for r in rows
        ]
        with transaction.atomic():
            FollowUp.objects.bulk_create(batch)
        count += len(batch)
    print(f"django-helpdesk peer: {made} tickets, {count} follow-ups")


if __name__ == "__main__":
    main(*sys.argv[1:4])
