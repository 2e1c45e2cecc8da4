"""Load bench/peers/dataset.py into the django-helpdesk peer (run with its virtualenv)."""

import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

import dataset  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from helpdesk.models import (  # noqa: E402
    CustomField,
    FollowUp,
    Queue,
    Ticket,
    TicketCustomFieldValue,
)

people = {}
for username, role, email, first, last in dataset.USERS:
    people[username] = User.objects.create_user(
        username,
        email,
        dataset.PASSWORD,
        first_name=first,
        last_name=last,
        is_staff=role != "customer",
        is_superuser=role == "admin",
    )
queue = Queue.objects.create(title=dataset.QUEUE[0], slug=dataset.QUEUE[1])
for spec in dataset.CUSTOM_FIELDS:
    CustomField.objects.create(**spec)
made = []
for spec in dataset.TICKETS:
    ticket = Ticket.objects.create(
        queue=queue,
        title=spec["title"],
        description=spec["description"],
        submitter_email=spec.get("submitter_email", ""),
        priority=spec["priority"],
        on_hold=spec.get("on_hold", False),
    )
    if "order_no" in spec:
        TicketCustomFieldValue.objects.create(
            ticket=ticket, field=CustomField.objects.get(name="order_no"), value=spec["order_no"]
        )
    made.append(ticket)
for index, author, text, public in dataset.FOLLOWUPS:
    FollowUp.objects.create(
        ticket=made[index],
        user=people[author],
        title="Comment",
        comment=text,
        public=public,
        email_recipients=[],  # as when made through the app, which records recipients
    )
print(f"django-helpdesk peer: {len(made)} tickets")
