from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Ticket',
            name=None,
            fields=['status', 'created_at'],
        ),
        ops.AlterModelOptions(
            name='Ticket',
            options={'table': 'tickets', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at', 'closed_at', 'first_response_at']), Index(fields=['priority', 'created_at']), Index(fields=['opened_by_id', 'created_at']), Index(fields=['assigned_to_id', 'status']), Index(fields=['closed_by_id', 'closed_at']), Index(fields=['queue_id', 'created_at']), Index(fields=['status', 'assigned_at']), Index(fields=['status', 'last_message_by_staff', 'last_message_at'])], 'pk_attr': 'id', 'table_description': 'A ticket; its id is also its number in every dialect.'},
        ),
        ops.AddIndex(
            model_name='Ticket',
            index=Index(fields=['status', 'created_at', 'closed_at', 'first_response_at']),
        ),
        ops.AddIndex(
            model_name='Ticket',
            index=Index(fields=['status', 'last_message_by_staff', 'last_message_at']),
        ),
    ]
