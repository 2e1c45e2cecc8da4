"""Load bench/peers/dataset.py into a ticketgate database (run with ticketgate's virtualenv,
from the repository root: DATABASE_URL=… .venv/bin/python bench/peers/seed_ticketgate.py)."""

import asyncio
import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).resolve().parents[2])]

import dataset  # noqa: E402

from models import db  # noqa: E402
from resolvers import comments, queues, tickets, users  # noqa: E402
from resolvers.permissions import SYSTEM  # noqa: E402


async def main(url: str) -> None:
    await db.migrate(url)
    await db.open_db(url)
    try:
        people = {}
        for username, role, email, first, last in dataset.USERS:
            people[username] = await users.create_user(
                SYSTEM,
                username=username,
                email=email,
                name=f"{first} {last}",
                role=role,
                password=dataset.PASSWORD,
            )
        queue = await queues.create_queue(SYSTEM, title=dataset.QUEUE[0], slug=dataset.QUEUE[1])
        made = []
        for spec in dataset.TICKETS:
            email = spec.get("submitter_email", "")
            ticket = await tickets.create_ticket(
                people["admin"],
                title=spec["title"],
                description=spec["description"],
                queue_id=queue.id,
                submitter_email=email,
                client_emails=[email] if email else [],
                priority=spec["priority"],
                custom_fields={"order_no": spec["order_no"]} if "order_no" in spec else {},
            )
            if spec.get("on_hold"):
                await tickets.set_hold(people["admin"], ticket.id, True)
            made.append(ticket)
        for index, author, text, public in dataset.FOLLOWUPS:
            await comments.add_comment(
                people[author], made[index].id, text, title="Comment", is_internal=not public
            )
        print(f"ticketgate: {len(made)} tickets")
    finally:
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main(os.environ["DATABASE_URL"]))
