"""Comments (helpdesk "followups")."""

from tortoise import fields
from tortoise.models import Model


class Comment(Model):
    id = fields.IntField(primary_key=True)
    ticket = fields.ForeignKeyField(
        "models.Ticket", related_name="comments", on_delete=fields.CASCADE
    )
    author = fields.ForeignKeyField(
        "models.User", related_name="comments", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=200, default="")
    body = fields.TextField()
    is_internal = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    new_status = fields.CharField(max_length=16, null=True)
    time_spent_seconds = fields.IntField(null=True)
    message_id = fields.CharField(max_length=255, null=True)
    is_client_read = fields.BooleanField(default=False)
    vote_score = fields.SmallIntField(null=True)
    vote_comment = fields.TextField(null=True)
    voted_at = fields.DatetimeField(null=True)
    split_to = fields.ForeignKeyField(
        "models.Ticket", related_name="split_comments", null=True, on_delete=fields.SET_NULL
    )
    split_at = fields.DatetimeField(null=True)

    class Meta:
        table = "comments"
        indexes = (("ticket_id", "created_at"),)
