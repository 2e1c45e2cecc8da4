"""Webhook subscriptions and their deliveries (one per event and webhook)."""

from tortoise import fields
from tortoise.models import Model


class Webhook(Model):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    events = fields.JSONField(default=list)
    secret = fields.CharField(max_length=255)
    active = fields.BooleanField(default=True)
    owner = fields.ForeignKeyField(
        "models.User", related_name="webhooks", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhooks"


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    webhook = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    event = fields.ForeignKeyField(
        "models.Event", related_name="deliveries", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("webhook_id", "event_id"),)
        indexes = (("status", "next_attempt_at"),)
