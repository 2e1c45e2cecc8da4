"""Full-text search over tickets' title and description, in each database's own index.

- SQLite: an FTS5 table `tickets_fts` with external content (`tickets`), kept by triggers on
  INSERT, DELETE and UPDATE OF title/description in the same transaction as the change (so raw
  inserts, the seeder and every door keep it right), filled from the existing rows.
- PostgreSQL: a GIN index on `to_tsvector('simple', title || ' ' || description)`; the
  database keeps it. Queries must use exactly that expression (resolvers/search.py).

Both tokenise on words and lower-case them with no stemming ('simple' / unicode61), so a search
finds the same tickets on both.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE = [
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, content='tickets',"
    " content_rowid='id', tokenize='unicode61')",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
    "CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN"
    " INSERT INTO tickets_fts(rowid, title, description)"
    " VALUES (NEW.id, NEW.title, NEW.description); END",
    "CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN"
    " INSERT INTO tickets_fts(tickets_fts, rowid, title, description)"
    " VALUES ('delete', OLD.id, OLD.title, OLD.description); END",
    "CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN"
    " INSERT INTO tickets_fts(tickets_fts, rowid, title, description)"
    " VALUES ('delete', OLD.id, OLD.title, OLD.description);"
    " INSERT INTO tickets_fts(rowid, title, description)"
    " VALUES (NEW.id, NEW.title, NEW.description); END",
]
POSTGRES = [
    "CREATE INDEX tickets_search ON tickets"
    " USING GIN (to_tsvector('simple', title || ' ' || description))"
]


async def create_search(apps, schema_editor) -> None:
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


async def drop_search(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        statements = ["DROP INDEX tickets_search"]
    else:
        triggers = [f"DROP TRIGGER tickets_fts_{op}" for op in ("insert", "delete", "update")]
        statements = [*triggers, "DROP TABLE tickets_fts"]
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0005_attachment_indexes")]

    initial = False

    operations = [ops.RunPython(create_search, drop_search)]
