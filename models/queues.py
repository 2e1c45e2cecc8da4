"""Queues (also the control panel's topics: topic_key = slug)."""

from tortoise import fields
from tortoise.models import Model


class Queue(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    # Tickets of a public queue are listed by the anonymous nephthys feed (docs/nephthys.md).
    is_public = fields.BooleanField(default=False)
    # An archived queue takes no new tickets; its tickets stay readable (docs/operations.md).
    archived_at = fields.DatetimeField(null=True)
    # The address mail to this queue went to, as django-helpdesk kept it (kept by
    # import-helpdesk: ticketgate itself receives no e-mail).
    email_address = fields.CharField(max_length=254, default="")

    class Meta:
        table = "queues"


class QueueMember(Model):
    """A queue an agent works in (HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION).

    With the setting on, an agent reaches the tickets of its queues and those assigned to it
    (resolvers/permissions.py)."""

    id = fields.IntField(primary_key=True)
    queue = fields.ForeignKeyField("models.Queue", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="queues", on_delete=fields.CASCADE)

    class Meta:
        table = "queue_members"
        unique_together = (("user_id", "queue_id"),)
