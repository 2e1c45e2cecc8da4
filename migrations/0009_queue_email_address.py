"""Queues keep the e-mail address they had in django-helpdesk (`queues.email_address`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_queue_archive_revoked_sessions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Queue',
            name='email_address',
            field=fields.CharField(default='', max_length=254),
        ),
    ]
