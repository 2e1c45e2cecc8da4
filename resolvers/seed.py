"""Demo data (through the domain functions) and bulk synthetic tickets (for benchmarks)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from tortoise.transactions import in_transaction

from models import CLOSED_STATUSES, Queue, Role, Status, User
from resolvers import clock, comments, queues, sql, tickets, users
from resolvers.permissions import SYSTEM

DEMO_PASSWORD = "ticketgate-demo"
DEMO_USERS = [
    ("admin", Role.ADMIN, "Ada Admin", "U0ADMIN01"),
    ("agent", Role.AGENT, "Grace Agent", "U0AGENT01"),
    ("agent2", Role.AGENT, "Linus Agent", "U0AGENT02"),
    ("customer", Role.CUSTOMER, "Carl Customer", None),
    ("customer2", Role.CUSTOMER, "Dora Customer", None),
]
BULK_BATCH = 5000
OPEN = (Status.OPEN, Status.REOPENED)
YEAR = 365 * 24 * 3600


async def is_empty() -> bool:
    return not await User.exists()


async def demo(settings) -> list[str]:
    """Users, queues, tickets and comments made through the domain (so events exist too)."""
    made = {}
    for username, role, name, slack_id in DEMO_USERS:
        made[username] = await users.create_user(
            SYSTEM,
            username=username,
            email=f"{username}@example.com",
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            slack_id=slack_id,
        )
    general = await queues.create_queue(SYSTEM, title="General", slug="general")
    billing = await queues.create_queue(SYSTEM, title="Billing", slug="billing")
    samples = [
        ("Cannot log in", "The login page says my password is wrong.", general, "customer"),
        ("Invoice is missing VAT", "Invoice 2024-113 shows no VAT line.", billing, "customer"),
        ("Export to CSV fails", "Clicking export gives an empty file.", general, "customer2"),
        ("Change billing e-mail", "Please send invoices to ap@example.com.", billing, "customer2"),
    ]
    for index, (title, text, queue, who) in enumerate(samples * 3):
        ticket = await tickets.create_ticket(
            made[who],
            title=f"{title} #{index + 1}" if index >= len(samples) else title,
            description=text,
            tags=["demo"],
        )
        await tickets.update_ticket(SYSTEM, ticket.id, queue_id=queue.id, priority=1 + index % 5)
        if index % 3 == 0:
            continue
        agent = made["agent" if index % 2 else "agent2"]
        await tickets.assign(SYSTEM, ticket.id, agent.id)
        await comments.add_comment(agent, ticket.id, "Thanks, we are looking into it.")
        await comments.add_comment(
            agent, ticket.id, "Customer is on the old plan.", is_internal=True
        )
        if index % 3 == 2:
            await comments.add_comment(made[who], ticket.id, "Works now, thank you!")
            await tickets.set_status(agent, ticket.id, Status.CLOSED)
    return [
        f"demo users (password {DEMO_PASSWORD!r}): "
        + ", ".join(f"{u} ({r.value})" for u, r, _, _ in DEMO_USERS),
    ]


# Columns written by bulk_tickets, in order (the model's defaults filled in explicitly).
BULK_COLUMNS = (
    "title",
    "description",
    "status",
    "on_hold",
    "priority",
    "queue_id",
    "custom_fields",
    "opened_by_id",
    "assigned_to_id",
    "closed_by_id",
    "submitter_email",
    "message_ts",
    "created_at",
    "updated_at",
    "assigned_at",
    "first_response_at",
    "last_message_at",
    "last_message_by_staff",
    "resolved_at",
    "closed_at",
)


# Columns written for each synthetic comment (a few per ticket), in order.
BULK_COMMENT_COLUMNS = (
    "ticket_id",
    "author_id",
    "title",
    "body",
    "is_internal",
    "is_client_read",
    "created_at",
)


async def bulk_tickets(
    count: int, *, seed: int = 1, progress: Callable[[int], None] | None = None
) -> int:
    """Insert `count` synthetic tickets over the past year, each with 1 to 4 comments
    (no events: benchmark data); `progress(n)` hears of every batch of n inserted.

    Raw multi-row INSERTs in batches, one transaction per batch; datetimes are passed as
    UTC datetimes, which both drivers store exactly as Tortoise does.
    """
    rng = random.Random(seed)
    now = clock.now()
    helpers, customers = await _bulk_people(rng)
    queue_ids = list(await Queue.all().values_list("id", flat=True)) or [None]
    per_statement = 999 // len(BULK_COLUMNS) if not sql.is_postgres() else 1000
    comments_per_statement = 999 // len(BULK_COMMENT_COLUMNS) if not sql.is_postgres() else 1000
    if not sql.is_postgres():
        await sql.execute_script("PRAGMA cache_size = -262144")  # 256 MB while loading
    done = 0
    while done < count:
        batch = [
            _synthetic_row(rng, now, done + i, count, helpers, customers, queue_ids)
            for i in range(min(BULK_BATCH, count - done))
        ]
        async with in_transaction() as conn:
            last_id = (await conn.execute_query_dict("SELECT MAX(id) AS id FROM tickets"))[0]
            for start in range(0, len(batch), per_statement):
                rows = batch[start : start + per_statement]
                await conn.execute_query(
                    _insert_sql("tickets", BULK_COLUMNS, len(rows)), [v for r in rows for v in r]
                )
            new_ids = await conn.execute_query_dict(
                "SELECT id FROM tickets WHERE id > " + sql.params(1)[0] + " ORDER BY id",
                [last_id["id"] or 0],
            )
            notes = [
                comment
                for row, made in zip(batch, new_ids, strict=True)
                for comment in _synthetic_comments(rng, made["id"], row)
            ]
            for start in range(0, len(notes), comments_per_statement):
                rows = notes[start : start + comments_per_statement]
                await conn.execute_query(
                    _insert_sql("comments", BULK_COMMENT_COLUMNS, len(rows)),
                    [v for r in rows for v in r],
                )
        done += len(batch)
        if progress is not None:
            progress(len(batch))
    return done


def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    width = len(columns)
    marks = sql.params(rows * width)
    values = ", ".join(
        "(" + ", ".join(marks[i * width : (i + 1) * width]) + ")" for i in range(rows)
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"


def _synthetic_comments(rng, ticket_id: int, row: tuple) -> list[tuple]:
    """1 to 4 comments for a ticket row of BULK_COLUMNS: the customer and its helper (if any)
    taking turns, now and then an internal note, between creation and the last message."""
    values = dict(zip(BULK_COLUMNS, row, strict=True))
    customer, helper = values["opened_by_id"], values["assigned_to_id"]
    created, last = values["created_at"], values["last_message_at"]
    span = max((last - created).total_seconds(), 60.0)
    made = []
    for n in range(rng.randint(1, 4) if helper else 1):
        staff = helper is not None and n % 2 == 1
        internal = staff and rng.random() < 0.2
        made.append(
            (
                ticket_id,
                helper if staff else customer,
                "",
                "Internal note." if internal else f"Synthetic message {n + 1}.",
                internal,
                False,
                created + timedelta(seconds=span * n / 4 + rng.uniform(0, 30)),
            )
        )
    return made


async def _bulk_people(rng: random.Random) -> tuple[list[int], list[int]]:
    now = clock.now()
    tag = await User.all().count()  # a fresh name space on every run
    helpers = [
        User(
            username=f"helper{tag}_{i}",
            email=f"helper{tag}_{i}@example.com",
            role=Role.AGENT,
            slack_id=f"UB{tag}H{i}",
            created_at=now,
        )
        for i in range(40)
    ]
    customers = [
        User(username=f"cust{tag}_{i}", email=f"cust{tag}_{i}@example.com", created_at=now)
        for i in range(2000)
    ]
    await User.bulk_create(helpers + customers, batch_size=1000)
    names = [u.username for u in helpers + customers]
    ids = dict(await User.filter(username__in=names).values_list("username", "id"))
    return [ids[u.username] for u in helpers], [ids[u.username] for u in customers]


def _synthetic_row(rng, now, n: int, count: int, helpers, customers, queue_ids) -> tuple:
    """Ticket `n` of `count` as a row of BULK_COLUMNS: every status, and the timestamps the
    stats read. Tickets come in order over the past year, as ids do."""
    created = now - timedelta(seconds=YEAR * (1 - n / count) + rng.uniform(0, 30))
    age = (now - created).total_seconds()
    roll = rng.random()
    status = (
        Status.OPEN
        if roll < 0.13
        else Status.REOPENED
        if roll < 0.15
        else Status.IN_PROGRESS
        if roll < 0.25
        else Status.RESOLVED
        if roll < 0.35
        else Status.DUPLICATE
        if roll < 0.37
        else Status.CLOSED
    )
    closed = status in CLOSED_STATUSES
    helper = rng.choice(helpers) if status not in OPEN or rng.random() < 0.3 else None

    def later(max_seconds: float):
        return created + timedelta(seconds=rng.uniform(30, max(60.0, min(max_seconds, age))))

    assigned_at = later(6 * 3600) if helper else None
    first_response = later(24 * 3600) if helper else None
    closed_at = later(10 * 24 * 3600) if closed else None
    if closed_at and first_response and closed_at < first_response:
        closed_at = first_response
    customer = rng.choice(customers)
    last_message = closed_at or first_response or created
    return (
        f"Synthetic ticket {n}",
        "Generated by `ticketgate seed --tickets`.",
        status.value,
        False,
        rng.randint(1, 5),
        rng.choice(queue_ids),
        "{}",
        customer,
        helper,
        helper if closed else None,
        "",
        f"{created.timestamp():.6f}",
        *(
            sql.timestamp(t) if t else None
            for t in (created, last_message, assigned_at, first_response, last_message)
        ),
        first_response is not None,
        *(
            sql.timestamp(t) if t else None
            for t in (closed_at if status == Status.RESOLVED else None, closed_at)
        ),
    )
