"""Public queues, and per-day running totals for the windowed stats (day tables written by hand).

`queues.is_public` marks the queues whose tickets the anonymous nephthys feed may list.
The index `(closed_at, status, created_at, closed_by_id)` covers the tickets read at a stats
window's edges. (The single-column `closed_at` index it makes redundant stays: dropping a field's
`db_index` is an AlterField, which on SQLite rebuilds `tickets` and loses every trigger.)

The day tables hold, per UTC day, what the stats windows count (resolvers/stats.py reads whole
days from them and counts only the partial days at a window's edges from the tickets):

- `ticket_days` (creation day, status): the columns of `ticket_totals` (migration 0003);
- `closer_days` (closing day, closer; 0 = nobody): tickets whose `closed_at` is that day;
- `closed_created_days` (closing day, creation day): tickets in a closed status, for
  `closed_today_from_today`;
- `assigned_days` (assignment day): in-progress tickets by `assigned_at`.

Triggers on `tickets` add a row's contribution on INSERT, remove it on DELETE and move it on an
UPDATE of a column they read, in the same transaction as the change, like those of 0003. Days
are `date()` text on SQLite and `date` on PostgreSQL, both of the UTC instant. Existing rows are
back-filled. The duration expression repeats 0003's on purpose: a migration is a frozen record.
"""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

CLOSED = "('resolved', 'closed', 'duplicate')"
WATCHED = ("status", "created_at", "first_response_at", "closed_at", "closed_by_id", "assigned_at")
DAY_TABLES = ("ticket_days", "closer_days", "closed_created_days", "assigned_days")


def _tables(dialect: str) -> list[str]:
    day = "DATE" if dialect == "postgres" else "TEXT"
    return [
        f"CREATE TABLE ticket_days (day {day} NOT NULL, status VARCHAR(16) NOT NULL,"
        " tickets BIGINT NOT NULL, answered BIGINT NOT NULL, hang_ms BIGINT NOT NULL,"
        " closed BIGINT NOT NULL, resolution_ms BIGINT NOT NULL, PRIMARY KEY (day, status))",
        f"CREATE TABLE closer_days (day {day} NOT NULL, closed_by_id INT NOT NULL,"
        " tickets BIGINT NOT NULL, PRIMARY KEY (day, closed_by_id))",
        f"CREATE TABLE closed_created_days (day {day} NOT NULL, created_day {day} NOT NULL,"
        " tickets BIGINT NOT NULL, PRIMARY KEY (day, created_day))",
        f"CREATE TABLE assigned_days (day {day} PRIMARY KEY, tickets BIGINT NOT NULL)",
    ]


def _day(dialect: str, row: str, column: str) -> str:
    if dialect == "postgres":
        return f"({row}{column} AT TIME ZONE 'UTC')::date"
    return f"date({row}{column})"


def _ms(dialect: str, row: str, column: str) -> str:
    if dialect == "postgres":
        return f"ROUND(EXTRACT(EPOCH FROM ({row}{column} - {row}created_at)) * 1000)::BIGINT"
    return f"CAST(ROUND((julianday({row}{column}) - julianday({row}created_at)) * 86400000.0) AS INTEGER)"


def _flag(row: str, column: str) -> str:
    return f"CASE WHEN {row}{column} IS NULL THEN 0 ELSE 1 END"


def _upsert(table: str, key: str, columns: list[str], select: str) -> str:
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    return (
        f"INSERT INTO {table} ({key}, {', '.join(columns)}) {select}"
        f" ON CONFLICT ({key}) DO UPDATE SET {adds}"
    )


def _add(dialect: str, row: str, sign: str) -> list[str]:
    """Upserts adding (sign '') or removing (sign '-') one row's contribution."""
    day = lambda column: _day(dialect, row, column)  # noqa: E731
    return [
        _upsert(
            "ticket_days",
            "day, status",
            ["tickets", "answered", "hang_ms", "closed", "resolution_ms"],
            f"SELECT {day('created_at')}, {row}status, {sign}1,"
            f" {sign}{_flag(row, 'first_response_at')},"
            f" {sign}COALESCE({_ms(dialect, row, 'first_response_at')}, 0),"
            f" {sign}{_flag(row, 'closed_at')},"
            f" {sign}COALESCE({_ms(dialect, row, 'closed_at')}, 0) WHERE TRUE",
        ),
        _upsert(
            "closer_days",
            "day, closed_by_id",
            ["tickets"],
            f"SELECT {day('closed_at')}, COALESCE({row}closed_by_id, 0), {sign}1"
            f" WHERE {row}closed_at IS NOT NULL",
        ),
        _upsert(
            "closed_created_days",
            "day, created_day",
            ["tickets"],
            f"SELECT {day('closed_at')}, {day('created_at')}, {sign}1"
            f" WHERE {row}closed_at IS NOT NULL AND {row}status IN {CLOSED}",
        ),
        _upsert(
            "assigned_days",
            "day",
            ["tickets"],
            f"SELECT {day('assigned_at')}, {sign}1"
            f" WHERE {row}assigned_at IS NOT NULL AND {row}status = 'in_progress'",
        ),
    ]


def _backfill(dialect: str) -> list[str]:
    day = lambda column: _day(dialect, "", column)  # noqa: E731
    return [
        f"INSERT INTO ticket_days SELECT {day('created_at')}, status, COUNT(*),"
        f" SUM({_flag('', 'first_response_at')}),"
        f" COALESCE(SUM({_ms(dialect, '', 'first_response_at')}), 0),"
        f" SUM({_flag('', 'closed_at')}), COALESCE(SUM({_ms(dialect, '', 'closed_at')}), 0)"
        " FROM tickets GROUP BY 1, 2",
        f"INSERT INTO closer_days SELECT {day('closed_at')}, COALESCE(closed_by_id, 0), COUNT(*)"
        " FROM tickets WHERE closed_at IS NOT NULL GROUP BY 1, 2",
        f"INSERT INTO closed_created_days SELECT {day('closed_at')}, {day('created_at')},"
        f" COUNT(*) FROM tickets WHERE closed_at IS NOT NULL AND status IN {CLOSED} GROUP BY 1, 2",
        f"INSERT INTO assigned_days SELECT {day('assigned_at')}, COUNT(*) FROM tickets"
        " WHERE assigned_at IS NOT NULL AND status = 'in_progress' GROUP BY 1",
    ]


def _body(statements: list[str]) -> str:
    return " ".join(f"{s};" for s in statements)


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        "CREATE TRIGGER tickets_days_insert AFTER INSERT ON tickets BEGIN"
        f" {_body(_add('sqlite', 'NEW.', ''))} END",
        "CREATE TRIGGER tickets_days_delete AFTER DELETE ON tickets BEGIN"
        f" {_body(_add('sqlite', 'OLD.', '-'))} END",
        f"CREATE TRIGGER tickets_days_update AFTER UPDATE OF {', '.join(WATCHED)} ON tickets"
        f" WHEN {changed} BEGIN"
        f" {_body(_add('sqlite', 'OLD.', '-') + _add('sqlite', 'NEW.', ''))} END",
    ]


def _postgres_triggers() -> list[str]:
    unchanged = " AND ".join(f"OLD.{c} IS NOT DISTINCT FROM NEW.{c}" for c in WATCHED)
    function = (
        "CREATE FUNCTION tickets_days() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'UPDATE' AND {unchanged} THEN RETURN NULL; END IF;"
        f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {_body(_add('postgres', 'OLD.', '-'))} END IF;"
        f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {_body(_add('postgres', 'NEW.', ''))} END IF;"
        " RETURN NULL; END $$"
    )
    trigger = (
        "CREATE TRIGGER tickets_days AFTER INSERT OR DELETE"
        f" OR UPDATE OF {', '.join(WATCHED)} ON tickets"
        " FOR EACH ROW EXECUTE FUNCTION tickets_days()"
    )
    return [function, trigger]


async def create_day_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    triggers = _postgres_triggers() if dialect == "postgres" else _sqlite_triggers()
    for statement in [*_tables(dialect), *_backfill(dialect), *triggers]:
        await client.execute_script(statement)


async def drop_day_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        statements = ["DROP TRIGGER tickets_days ON tickets", "DROP FUNCTION tickets_days()"]
    else:
        statements = [f"DROP TRIGGER tickets_days_{op}" for op in ("insert", "delete", "update")]
    for statement in [*statements, *(f"DROP TABLE {t}" for t in DAY_TABLES)]:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0003_stats_totals")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Queue",
            name="is_public",
            field=fields.BooleanField(default=False),
        ),
        ops.AddIndex(
            model_name="Ticket",
            index=Index(fields=["closed_at", "status", "created_at", "closed_by_id"]),
        ),
        ops.RunPython(create_day_totals, drop_day_totals),
    ]
