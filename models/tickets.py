"""Tickets, their tags and their client e-mail addresses."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DUPLICATE = "duplicate"


CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.DUPLICATE)


class Ticket(Model):
    """A ticket; its id is also its number in every dialect.

    Triggers (migration 0003) keep running totals of the all-time stats in the tables
    `ticket_totals` and `closer_totals` (resolvers/stats.py reads them).
    """

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=255)
    description = fields.TextField(default="")
    status = fields.CharEnumField(Status, max_length=16, default=Status.OPEN)
    on_hold = fields.BooleanField(default=False)
    priority = fields.SmallIntField(default=3)
    queue = fields.ForeignKeyField(
        "models.Queue", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    custom_fields = fields.JSONField(default=dict)
    opened_by = fields.ForeignKeyField(
        "models.User", related_name="opened_tickets", null=True, on_delete=fields.SET_NULL
    )
    assigned_to = fields.ForeignKeyField(
        "models.User", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL
    )
    closed_by = fields.ForeignKeyField(
        "models.User", related_name="closed_tickets", null=True, on_delete=fields.SET_NULL
    )
    reopened_by = fields.ForeignKeyField(
        "models.User", related_name="reopened_tickets", null=True, on_delete=fields.SET_NULL
    )
    submitter_email = fields.CharField(max_length=254, default="", db_index=True)
    client_aliased_name = fields.CharField(max_length=255, null=True)
    message_ts = fields.CharField(max_length=32, null=True)
    resolution = fields.TextField(null=True)
    due_date = fields.DatetimeField(null=True)
    merged_into = fields.ForeignKeyField(
        "models.Ticket", related_name="merged_tickets", null=True, on_delete=fields.SET_NULL
    )
    split_from = fields.ForeignKeyField(
        "models.Ticket", related_name="split_tickets", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField(db_index=True)
    assigned_at = fields.DatetimeField(null=True)
    first_response_at = fields.DatetimeField(null=True)
    last_message_at = fields.DatetimeField(null=True)
    last_message_by_staff = fields.BooleanField(default=False)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True, db_index=True)
    reopened_at = fields.DatetimeField(null=True)
    evaluation_score = fields.SmallIntField(null=True)
    evaluation_comment = fields.TextField(null=True)
    evaluated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "tickets"
        indexes = (
            ("status", "created_at", "closed_at", "first_response_at"),  # covers stats windows
            ("closed_at", "status", "created_at", "closed_by_id"),  # covers stats window edges
            ("priority", "created_at"),
            ("opened_by_id", "created_at"),
            ("assigned_to_id", "status"),
            ("closed_by_id", "closed_at"),
            ("queue_id", "created_at"),
            ("status", "assigned_at"),
            ("status", "last_message_by_staff", "last_message_at"),  # oldest unanswered
        )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class TicketTag(Model):
    id = fields.IntField(primary_key=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="tag_rows", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64, db_index=True)

    class Meta:
        table = "ticket_tags"
        unique_together = (("ticket_id", "name"),)


class TicketContact(Model):
    """An e-mail address named on a ticket (`client_emails`): that customer may see it."""

    id = fields.IntField(primary_key=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="contact_rows", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, db_index=True)

    class Meta:
        table = "ticket_contacts"
        unique_together = (("ticket_id", "email"),)
