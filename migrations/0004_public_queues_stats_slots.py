"""Public queues, and running totals per six hours for the windowed stats (slot tables by hand).

`queues.is_public` marks the queues whose tickets the anonymous nephthys feed may list.
The index `(closed_at, status, created_at, closed_by_id)` covers the tickets read at a stats
window's edges. (The single-column `closed_at` index it makes redundant stays: dropping a field's
`db_index` is an AlterField, which on SQLite rebuilds `tickets` and loses every trigger.)

A slot is a quarter of a UTC day: slot n is [1970-01-01 + 6n hours, + 6 hours), so four slots
make a day. The slot tables hold, per slot, what the stats windows count (resolvers/stats.py
reads whole slots from them and counts only the parts of slots at a window's edges, at most
three hours each, from the tickets):

- `ticket_slots` (creation slot, status): the columns of `ticket_totals` (migration 0003);
- `closer_slots` (closing slot, closer; 0 = nobody): tickets whose `closed_at` is in that slot;
- `closed_created_slots` (closing slot, creation slot): tickets in a closed status, for
  `closed_today_from_today` (a ticket closed within days of its creation: a few dozen rows per
  slot);
- `assigned_slots` (assignment slot): in-progress tickets by `assigned_at`.

Triggers on `tickets` add a row's contribution on INSERT, remove it on DELETE and move it on an
UPDATE of a column they read, in the same transaction as the change, like those of 0003. The
slot of an instant is floor(epoch seconds / 21600) on both databases (SQLite's `strftime('%s')`
drops fractions of a second, which changes nothing after 1970). Existing rows are back-filled. The duration expression repeats 0003's on purpose: a migration is a frozen record.
"""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

CLOSED = "('resolved', 'closed', 'duplicate')"
WATCHED = ("status", "created_at", "first_response_at", "closed_at", "closed_by_id", "assigned_at")
SLOT_TABLES = ("ticket_slots", "closer_slots", "closed_created_slots", "assigned_slots")
SLOT_SECONDS = 6 * 3600


TABLES = [
    "CREATE TABLE ticket_slots (slot BIGINT NOT NULL, status VARCHAR(16) NOT NULL,"
    " tickets BIGINT NOT NULL, answered BIGINT NOT NULL, hang_ms BIGINT NOT NULL,"
    " closed BIGINT NOT NULL, resolution_ms BIGINT NOT NULL, PRIMARY KEY (slot, status))",
    "CREATE TABLE closer_slots (slot BIGINT NOT NULL, closed_by_id INT NOT NULL,"
    " tickets BIGINT NOT NULL, PRIMARY KEY (slot, closed_by_id))",
    "CREATE TABLE closed_created_slots (slot BIGINT NOT NULL, created_slot BIGINT NOT NULL,"
    " tickets BIGINT NOT NULL, PRIMARY KEY (slot, created_slot))",
    "CREATE TABLE assigned_slots (slot BIGINT PRIMARY KEY, tickets BIGINT NOT NULL)",
]


def _slot(dialect: str, row: str, column: str) -> str:
    """The slot number of a datetime column (floor division, also before 1970)."""
    if dialect == "postgres":
        return f"FLOOR(EXTRACT(EPOCH FROM {row}{column}) / {SLOT_SECONDS})::BIGINT"
    seconds = f"CAST(strftime('%s', {row}{column}) AS INTEGER)"
    return f"(({seconds} - ((({seconds} % {SLOT_SECONDS}) + {SLOT_SECONDS}) % {SLOT_SECONDS})) / {SLOT_SECONDS})"


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
    slot = lambda column: _slot(dialect, row, column)  # noqa: E731
    return [
        _upsert(
            "ticket_slots",
            "slot, status",
            ["tickets", "answered", "hang_ms", "closed", "resolution_ms"],
            f"SELECT {slot('created_at')}, {row}status, {sign}1,"
            f" {sign}{_flag(row, 'first_response_at')},"
            f" {sign}COALESCE({_ms(dialect, row, 'first_response_at')}, 0),"
            f" {sign}{_flag(row, 'closed_at')},"
            f" {sign}COALESCE({_ms(dialect, row, 'closed_at')}, 0) WHERE TRUE",
        ),
        _upsert(
            "closer_slots",
            "slot, closed_by_id",
            ["tickets"],
            f"SELECT {slot('closed_at')}, COALESCE({row}closed_by_id, 0), {sign}1"
            f" WHERE {row}closed_at IS NOT NULL",
        ),
        _upsert(
            "closed_created_slots",
            "slot, created_slot",
            ["tickets"],
            f"SELECT {slot('closed_at')}, {slot('created_at')}, {sign}1"
            f" WHERE {row}closed_at IS NOT NULL AND {row}status IN {CLOSED}",
        ),
        _upsert(
            "assigned_slots",
            "slot",
            ["tickets"],
            f"SELECT {slot('assigned_at')}, {sign}1"
            f" WHERE {row}assigned_at IS NOT NULL AND {row}status = 'in_progress'",
        ),
    ]


def _backfill(dialect: str) -> list[str]:
    slot = lambda column: _slot(dialect, "", column)  # noqa: E731
    return [
        f"INSERT INTO ticket_slots SELECT {slot('created_at')}, status, COUNT(*),"
        f" SUM({_flag('', 'first_response_at')}),"
        f" COALESCE(SUM({_ms(dialect, '', 'first_response_at')}), 0),"
        f" SUM({_flag('', 'closed_at')}), COALESCE(SUM({_ms(dialect, '', 'closed_at')}), 0)"
        " FROM tickets GROUP BY 1, 2",
        f"INSERT INTO closer_slots SELECT {slot('closed_at')}, COALESCE(closed_by_id, 0), COUNT(*)"
        " FROM tickets WHERE closed_at IS NOT NULL GROUP BY 1, 2",
        f"INSERT INTO closed_created_slots SELECT {slot('closed_at')}, {slot('created_at')},"
        f" COUNT(*) FROM tickets WHERE closed_at IS NOT NULL AND status IN {CLOSED} GROUP BY 1, 2",
        f"INSERT INTO assigned_slots SELECT {slot('assigned_at')}, COUNT(*) FROM tickets"
        " WHERE assigned_at IS NOT NULL AND status = 'in_progress' GROUP BY 1",
    ]


def _body(statements: list[str]) -> str:
    return " ".join(f"{s};" for s in statements)


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        "CREATE TRIGGER tickets_slots_insert AFTER INSERT ON tickets BEGIN"
        f" {_body(_add('sqlite', 'NEW.', ''))} END",
        "CREATE TRIGGER tickets_slots_delete AFTER DELETE ON tickets BEGIN"
        f" {_body(_add('sqlite', 'OLD.', '-'))} END",
        f"CREATE TRIGGER tickets_slots_update AFTER UPDATE OF {', '.join(WATCHED)} ON tickets"
        f" WHEN {changed} BEGIN"
        f" {_body(_add('sqlite', 'OLD.', '-') + _add('sqlite', 'NEW.', ''))} END",
    ]


def _postgres_triggers() -> list[str]:
    unchanged = " AND ".join(f"OLD.{c} IS NOT DISTINCT FROM NEW.{c}" for c in WATCHED)
    function = (
        "CREATE FUNCTION tickets_slots() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'UPDATE' AND {unchanged} THEN RETURN NULL; END IF;"
        f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {_body(_add('postgres', 'OLD.', '-'))} END IF;"
        f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {_body(_add('postgres', 'NEW.', ''))} END IF;"
        " RETURN NULL; END $$"
    )
    trigger = (
        "CREATE TRIGGER tickets_slots AFTER INSERT OR DELETE"
        f" OR UPDATE OF {', '.join(WATCHED)} ON tickets"
        " FOR EACH ROW EXECUTE FUNCTION tickets_slots()"
    )
    return [function, trigger]


async def create_slot_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    triggers = _postgres_triggers() if dialect == "postgres" else _sqlite_triggers()
    for statement in [*TABLES, *_backfill(dialect), *triggers]:
        await client.execute_script(statement)


async def drop_slot_totals(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        statements = ["DROP TRIGGER tickets_slots ON tickets", "DROP FUNCTION tickets_slots()"]
    else:
        statements = [f"DROP TRIGGER tickets_slots_{op}" for op in ("insert", "delete", "update")]
    for statement in [*statements, *(f"DROP TABLE {t}" for t in SLOT_TABLES)]:
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
        ops.RunPython(create_slot_totals, drop_slot_totals),
    ]
