"""PostgreSQL: the stats triggers (0003, 0004) fire at COMMIT instead of at each statement.

Every new ticket adds to the same few rows (`ticket_totals` of status open, the current
`ticket_slots` slot); run at the statement, a trigger locks that row for the rest of the
transaction, so every concurrent write waited for the one before it, round trips included.
Deferred to the commit, the row is locked for the commit alone. Same sums, same transaction.
SQLite: nothing to do (one writer at a time).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TRIGGERS = ("tickets_totals", "tickets_slots")


async def _definition(client, name: str) -> str:
    sql = "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = $1 AND NOT tgisinternal"
    _, rows = await client.execute_query(sql, [name])
    return rows[0][0]


async def _recreate(schema_editor, deferred: bool) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    for name in TRIGGERS:
        definition = await _definition(client, name)
        if deferred:
            definition = definition.replace("CREATE TRIGGER", "CREATE CONSTRAINT TRIGGER", 1)
            definition = definition.replace(
                " FOR EACH ROW", " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW", 1
            )
        else:
            definition = definition.replace("CREATE CONSTRAINT TRIGGER", "CREATE TRIGGER", 1)
            definition = definition.replace(" DEFERRABLE INITIALLY DEFERRED", "", 1)
        await client.execute_script(f"DROP TRIGGER {name} ON tickets")
        await client.execute_script(definition)


async def defer(apps, schema_editor) -> None:
    await _recreate(schema_editor, deferred=True)


async def undefer(apps, schema_editor) -> None:
    await _recreate(schema_editor, deferred=False)


class Migration(migrations.Migration):
    dependencies = [("models", "0006_ticket_search")]

    initial = False

    operations = [ops.RunPython(defer, undefer)]
