"""Archived queues (`queues.archived_at`) and signed-out login JWTs (`revoked_sessions`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_deferred_stats_triggers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RevokedSession',
            fields=[
                ('jti', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user_id', fields.IntField()),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'revoked_sessions', 'app': 'models', 'pk_attr': 'jti', 'table_description': 'A login JWT (its `jti`) signed out before it expires (the row may go once it has).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Queue',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
