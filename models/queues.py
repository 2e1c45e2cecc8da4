"""Queues (also the control panel's topics: topic_key = slug)."""

from tortoise import fields
from tortoise.models import Model


class Queue(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "queues"
