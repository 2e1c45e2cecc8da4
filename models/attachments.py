"""Attachment metadata; the bytes live in content-addressed storage (resolvers/files.py)."""

from tortoise import fields
from tortoise.models import Model


class Attachment(Model):
    id = fields.IntField(primary_key=True)
    uuid = fields.UUIDField(unique=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="attachments", null=True, on_delete=fields.CASCADE
    )
    comment = fields.ForeignKeyField(
        "models.Comment", related_name="attachments", null=True, on_delete=fields.CASCADE
    )
    uploaded_by = fields.ForeignKeyField(
        "models.User", related_name="uploads", null=True, on_delete=fields.SET_NULL
    )
    filename = fields.CharField(max_length=255)
    mime_type = fields.CharField(max_length=127)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "attachments"
        indexes = (("ticket_id", "id"), ("comment_id", "id"))  # files of a page, in bulk
