"""The event log: ticket history and the outbox for webhooks and subscriptions."""

from tortoise import fields
from tortoise.models import Model


class Event(Model):
    """One change, written in the transaction that made it.

    `ticket_id` is a plain column, not a foreign key, so the log outlives deleted tickets.
    `internal` marks events about internal comments: never shown to customers.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=40, db_index=True)
    ticket_id = fields.IntField(null=True)
    actor_id = fields.IntField(null=True)
    payload = fields.JSONField(default=dict)
    internal = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "events"
        indexes = (("ticket_id", "id"),)
