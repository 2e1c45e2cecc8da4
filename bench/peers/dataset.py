"""The data loaded into both servers (plain Python: imported by both seeders)."""

PASSWORD = "peer-Pass-2026!"
# (username, role, email, first name, last name): admin = superuser, agent = staff.
USERS = [
    ("admin", "admin", "admin@example.com", "Ada", "Admin"),
    ("agent", "agent", "agent@example.com", "Grace", "Agent"),
    ("customer", "customer", "customer@example.com", "Carl", "Customer"),
]
QUEUE = ("Support", "support")
CUSTOM_FIELDS = [
    {"name": "order_no", "label": "Order", "data_type": "varchar", "max_length": 20},
]
TICKETS = [
    {
        "title": "Printer on fire",
        "description": "It burns.",
        "submitter_email": "customer@example.com",
        "priority": 2,
        "order_no": "A-1",
    },
    {"title": "VPN down", "description": "No tunnel.", "priority": 3, "on_hold": True},
    {
        "title": "Password reset",
        "description": "Locked out.",
        "submitter_email": "customer@example.com",
        "priority": 4,
    },
]
# (ticket index, author, text, public)
FOLLOWUPS = [
    (0, "agent", "We are on it.", True),
    (0, "agent", "Internal note", False),
    (2, "admin", "Done", True),
]
