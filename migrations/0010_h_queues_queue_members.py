"""Agents' queues (`queue_members`, HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION), and every
ticket in a queue: tickets opened without one move to the default queue (the oldest queue not
archived, or a new `default` queue when there is none), as `resolvers.queues.default_queue`
does for new tickets."""

from datetime import UTC, datetime

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


async def queue_the_queueless(apps, schema_editor) -> None:
    now = datetime.now(UTC).isoformat(" ")
    open_queue = "SELECT MIN(id) FROM queues WHERE archived_at IS NULL"
    await schema_editor.client.execute_script(
        "INSERT INTO queues (title, slug, created_at, is_public, email_address)"
        f" SELECT 'Default', 'default', '{now}', FALSE, ''"
        " WHERE EXISTS (SELECT 1 FROM tickets WHERE queue_id IS NULL)"
        f" AND ({open_queue}) IS NULL ON CONFLICT DO NOTHING"
    )
    await schema_editor.client.execute_script(
        f"UPDATE tickets SET queue_id = ({open_queue}) WHERE queue_id IS NULL"
    )


async def nothing(apps, schema_editor) -> None:
    """Going back leaves the tickets in their queues."""


class Migration(migrations.Migration):
    dependencies = [("models", "0009_queue_email_address")]

    initial = False

    operations = [
        ops.CreateModel(
            name="QueueMember",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "queue",
                    fields.ForeignKeyField(
                        "models.Queue",
                        source_field="queue_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="queues",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "queue_members",
                "app": "models",
                "unique_together": (("user_id", "queue_id"),),
                "pk_attr": "id",
                "table_description": "A queue an agent works in"
                " (HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION).",
            },
            bases=["Model"],
        ),
        ops.RunPython(queue_the_queueless, nothing),
    ]
