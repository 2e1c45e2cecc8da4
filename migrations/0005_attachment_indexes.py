"""Indexes for the files of a page, fetched in bulk by ticket or by comment."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_public_queues_stats_slots')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Attachment',
            index=Index(fields=['ticket_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Attachment',
            index=Index(fields=['comment_id', 'id']),
        ),
    ]
