"""Running totals for the all-time stats, kept by triggers (written by hand).

`ticket_totals` holds, per status, the number of tickets, how many have a first response and
the sum of their hang times, how many are closed and the sum of their resolution times
(integer milliseconds, so sums are exact and both databases agree). `closer_totals` counts the
tickets each user has closed. Triggers on `tickets` add a row's contribution on INSERT, remove
it on DELETE, and move it on UPDATE, in the same transaction as the change, so the totals can
never disagree with the rows. resolvers/stats.py reads six rows instead of scanning a million.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = [
    "CREATE TABLE ticket_totals (status VARCHAR(16) PRIMARY KEY,"
    " tickets BIGINT NOT NULL, answered BIGINT NOT NULL, hang_ms BIGINT NOT NULL,"
    " closed BIGINT NOT NULL, resolution_ms BIGINT NOT NULL)",
    "CREATE TABLE closer_totals (user_id INT PRIMARY KEY, tickets BIGINT NOT NULL)",
]
WATCHED = ("status", "created_at", "first_response_at", "closed_at", "closed_by_id")


def _ms(dialect: str, row: str, column: str) -> str:
    if dialect == "postgres":
        return f"ROUND(EXTRACT(EPOCH FROM ({row}{column} - {row}created_at)) * 1000)::BIGINT"
    return f"CAST(ROUND((julianday({row}{column}) - julianday({row}created_at)) * 86400000.0) AS INTEGER)"


def _flag(row: str, column: str) -> str:
    return f"CASE WHEN {row}{column} IS NULL THEN 0 ELSE 1 END"


def _values(dialect: str, row: str, sign: str) -> str:
    """(status, tickets, answered, hang_ms, closed, resolution_ms) contributed by one row."""
    return (
        f"{row}status, {sign}1, {sign}{_flag(row, 'first_response_at')},"
        f" {sign}COALESCE({_ms(dialect, row, 'first_response_at')}, 0),"
        f" {sign}{_flag(row, 'closed_at')}, {sign}COALESCE({_ms(dialect, row, 'closed_at')}, 0)"
    )


def _add(dialect: str, row: str, sign: str) -> list[str]:
    """Upserts adding (sign '') or removing (sign '-') one row's contribution."""
    totals = (
        "INSERT INTO ticket_totals (status, tickets, answered, hang_ms, closed, resolution_ms)"
        f" SELECT {_values(dialect, row, sign)} WHERE TRUE"
        " ON CONFLICT (status) DO UPDATE SET tickets = ticket_totals.tickets + excluded.tickets,"
        " answered = ticket_totals.answered + excluded.answered,"
        " hang_ms = ticket_totals.hang_ms + excluded.hang_ms,"
        " closed = ticket_totals.closed + excluded.closed,"
        " resolution_ms = ticket_totals.resolution_ms + excluded.resolution_ms"
    )
    closers = (
        f"INSERT INTO closer_totals (user_id, tickets) SELECT {row}closed_by_id, {sign}1"
        f" WHERE {row}closed_by_id IS NOT NULL"
        " ON CONFLICT (user_id) DO UPDATE SET tickets = closer_totals.tickets + excluded.tickets"
    )
    return [totals, closers]


def _backfill(dialect: str) -> list[str]:
    return [
        "INSERT INTO ticket_totals SELECT status, COUNT(*),"
        f" SUM({_flag('', 'first_response_at')}), COALESCE(SUM({_ms(dialect, '', 'first_response_at')}), 0),"
        f" SUM({_flag('', 'closed_at')}), COALESCE(SUM({_ms(dialect, '', 'closed_at')}), 0)"
        " FROM tickets GROUP BY status",
        "INSERT INTO closer_totals SELECT closed_by_id, COUNT(*) FROM tickets"
        " WHERE closed_by_id IS NOT NULL GROUP BY closed_by_id",
    ]


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)

    def body(statements: list[str]) -> str:
        return " ".join(f"{s};" for s in statements)

    return [
        "CREATE TRIGGER tickets_totals_insert AFTER INSERT ON tickets BEGIN"
        f" {body(_add('sqlite', 'NEW.', ''))} END",
        "CREATE TRIGGER tickets_totals_delete AFTER DELETE ON tickets BEGIN"
        f" {body(_add('sqlite', 'OLD.', '-'))} END",
        f"CREATE TRIGGER tickets_totals_update AFTER UPDATE OF {', '.join(WATCHED)} ON tickets"
        f" WHEN {changed} BEGIN"
        f" {body(_add('sqlite', 'OLD.', '-') + _add('sqlite', 'NEW.', ''))} END",
    ]


def _postgres_triggers() -> list[str]:
    unchanged = " AND ".join(f"OLD.{c} IS NOT DISTINCT FROM NEW.{c}" for c in WATCHED)

    def body(statements: list[str]) -> str:
        return " ".join(f"{s};" for s in statements)

    function = (
        "CREATE FUNCTION tickets_totals() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'UPDATE' AND {unchanged} THEN RETURN NULL; END IF;"
        f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {body(_add('postgres', 'OLD.', '-'))} END IF;"
        f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {body(_add('postgres', 'NEW.', ''))} END IF;"
        " RETURN NULL; END $$"
    )
    trigger = (
        "CREATE TRIGGER tickets_totals AFTER INSERT OR DELETE"
        f" OR UPDATE OF {', '.join(WATCHED)} ON tickets"
        " FOR EACH ROW EXECUTE FUNCTION tickets_totals()"
    )
    return [function, trigger]


async def create_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    triggers = _postgres_triggers() if dialect == "postgres" else _sqlite_triggers()
    for statement in [*TABLES, *_backfill(dialect), *triggers]:
        await client.execute_script(statement)


async def drop_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        statements = ["DROP TRIGGER tickets_totals ON tickets", "DROP FUNCTION tickets_totals()"]
    else:
        statements = [f"DROP TRIGGER tickets_totals_{op}" for op in ("insert", "delete", "update")]
    for statement in [*statements, "DROP TABLE ticket_totals", "DROP TABLE closer_totals"]:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0002_stats_indexes")]

    initial = False

    operations = [ops.RunPython(create_totals, drop_totals)]
