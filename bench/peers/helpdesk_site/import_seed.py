"""Make data through django-helpdesk 2.6.1 itself (its REST API, in-process) for the
import-helpdesk test (tests/test_import_helpdesk_peer.py), then write what its API answers for
every ticket to OUT (run with the peer's virtualenv):

    HELPDESK_PEER_STATE=DIR python import_seed.py OUT.json
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from helpdesk.models import CustomField, Queue, Ticket, TicketCC  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

PASSWORD = "old-helpdesk-password"
API = "/helpdesk/api"


def main(out: str) -> None:
    admin = User.objects.create_user(
        "admin", "admin@example.com", PASSWORD, is_staff=True, is_superuser=True
    )
    agent = User.objects.create_user(
        "agent", "agent@example.com", PASSWORD, first_name="Ada", last_name="Agent", is_staff=True
    )
    customer = User.objects.create_user("carl", "Carl@Example.com", PASSWORD, first_name="Carl")
    User.objects.create_user("gone", "gone@example.com", PASSWORD, is_active=False)
    support = Queue.objects.create(title="Support", slug="support")
    Queue.objects.create(title="Billing", slug="billing", email_address="billing@example.com")
    for name, data_type, extra in [
        ("order_no", "varchar", {"max_length": 20}),
        ("seats", "integer", {}),
        ("vip", "boolean", {}),
        ("renewal", "date", {}),
        ("plan", "list", {"list_values": "free\npro", "staff_only": True}),
    ]:
        CustomField.objects.create(name=name, label=name.title(), data_type=data_type, **extra)
    api = APIClient()
    api.force_authenticate(user=agent)

    def post(path: str, data: dict, multipart: bool = False) -> dict:
        response = api.post(f"{API}{path}", data, format="multipart" if multipart else "json")
        assert response.status_code == 201, response.content
        return response.json()

    made = [
        post(
            "/tickets/",
            {
                "queue": support.id,
                "title": "Printer on fire",
                "description": "It burns.",
                "submitter_email": "carl@example.com",
                "priority": 2,
                "custom_order_no": "A-17",
                "custom_seats": "12",
                "custom_vip": "true",
                "custom_renewal": "2025-03-01",
                "custom_plan": "pro",
                "attachment": SimpleUploadedFile("photo.txt", b"smoke", "text/plain"),
            },
            multipart=True,
        ),
        post(
            "/tickets/",
            {"queue": support.id, "title": "VPN drops", "description": "Often.", "priority": 3},
        ),
        post(
            "/tickets/",
            {"queue": support.id, "title": "Also VPN", "description": "Same.", "priority": 4},
        ),
    ]
    first, second, third = (t["id"] for t in made)
    post(
        "/followups/",
        {
            "ticket": first,
            "title": "Comment",
            "comment": "Looking into it.",
            "public": "true",
            "time_spent": "00:15:00",
            "attachments": [SimpleUploadedFile("log.txt", b"paper jam\n", "text/plain")],
        },
        multipart=True,
    )
    post("/followups/", {"ticket": first, "comment": "Toner is flammable.", "public": False})
    post(
        "/followups/", {"ticket": first, "comment": "Replaced it.", "public": True, "new_status": 4}
    )
    post("/followups/", {"ticket": second, "comment": "Fixed?", "public": True, "new_status": 3})
    post("/followups/", {"ticket": second, "comment": "No.", "public": True, "new_status": 2})
    Ticket.objects.filter(id=second).update(assigned_to=agent)
    Ticket.objects.filter(id=third).update(merged_to=second, status=5)
    TicketCC.objects.create(ticket_id=first, email="boss@example.com")
    TicketCC.objects.create(ticket_id=first, user=customer)
    answers = [api.get(f"{API}/tickets/{t}/").json() for t in (first, second, third)]
    Path(out).write_text(json.dumps({"tickets": answers, "admin": admin.username}))
    print(f"django-helpdesk: {len(answers)} tickets made through its API")


if __name__ == "__main__":
    main(sys.argv[1])
