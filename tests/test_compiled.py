"""The compiled GraphQL executor answers exactly as Strawberry's executor does.

Every document of a corpus (hand-written and generated selections over the schema) runs through
both executors for every role; `data` and `errors` must be identical, and a document the
compiler covers must really be answered by it.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from strawberry import relay

from models import Status
from resolvers import comments, credentials, permissions, projections, queues, reads, tickets
from resolvers.permissions import SYSTEM
from resolvers.tickets import TicketFilter, TicketOrder, filter_tickets
from schema import build_schema
from schema.compiled import CompiledQueries
from schema.context import Context
from tests.helpers import gql, make_user, token_for

TICKET_SCALARS = [
    "id",
    "number",
    "title",
    "description",
    "status",
    "onHold",
    "priority",
    "customFields",
    "submitterEmail",
    "clientAliasedName",
    "messageTs",
    "resolution",
    "dueDate",
    "createdAt",
    "updatedAt",
    "assignedAt",
    "firstResponseAt",
    "lastMessageAt",
    "resolvedAt",
    "closedAt",
    "reopenedAt",
    "evaluationScore",
    "evaluationComment",
    "evaluatedAt",
    "__typename",
]
USER_FIELDS = [
    "id",
    "databaseId",
    "username",
    "email",
    "name",
    "role",
    "isActive",
    "slackId",
    "createdAt",
    "lastLoginAt",
    "__typename",
]
COMMENT_FIELDS = [
    "id",
    "databaseId",
    "title",
    "body",
    "isInternal",
    "createdAt",
    "newStatus",
    "isClientRead",
    "voteScore",
    "votedAt",
    "__typename",
]

CORPUS = [
    "{ tickets(first: 100) { edges { node { id title status priority createdAt updatedAt"
    " tags openedBy { id } assignedTo { id } } } } }",
    "{ tickets(first: 10) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor"
    " endCursor } edges { cursor node { number } } } }",
    "{ tickets(first: 5) { edges { node { ...T } } } } fragment T on Ticket { title ... on Node"
    " { id } }",
    "query($f: TicketFilterInput, $o: TicketOrderInput, $n: Int) { tickets(filter: $f,"
    " orderBy: $o, first: $n) { totalCount edges { node { number status priority } } } }",
    "{ a: tickets(first: 1) { edges { node { t: title } } } b: tickets(first: 3,"
    " orderBy: {field: PRIORITY, direction: ASC}) { edges { node { number priority } } } }",
    '{ tickets(first: 20, filter: {status: [OPEN, CLOSED], search: "printer"}) { totalCount'
    " edges { node { title } } } }",
    '{ tickets(first: 20, filter: {tag: "vip", priority: [1, 2]}) { edges { node { number tags'
    " clientEmails } } } }",
    "{ tickets(first: 5) { edges { node { number queue { id title slug databaseId __typename }"
    " comments(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {"
    " id body isInternal newStatus createdAt author { username role } } } } } } } }",
    "{ viewer { id username role isActive createdAt } me { databaseId email } __typename }",
    "query($id: ID!) { ticket(id: $id) { number title customFields closedBy { username }"
    " comments(first: 10) { totalCount edges { node { body author { name slackId } } } } } }",
    "query($id: ID!) { ticket(id: $id) { ... on Ticket { title openedBy { ...U } } } }"
    " fragment U on User { username email lastLoginAt }",
    "{ tickets(last: 3, orderBy: {field: PRIORITY, direction: ASC}) { __typename totalCount"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } edges {"
    " cursor __typename node { number priority } } } }",
    "{ tickets(first: 4) { nodes { number title openedBy { username } } pageInfo { endCursor } } }",
    "{ tickets(first: 6) { edges { node { number comments(last: 2) { pageInfo { hasNextPage"
    " hasPreviousPage startCursor } nodes { body } } } } } }",
    '{ tickets(first: 50, filter: {or: [{tags: ["vip"], assignedTo: null}, {not: {priority:'
    ' [1, 2]}, search: "printer"}], createdAt: {gt: "2000-01-01T00:00:00Z"}}) { totalCount'
    " nodes { number } } }",
    "{ tickets(first: 3) { edges { node { title history(first: 5) { totalCount } } } } }",
    "{ tickets { totalCount } }",  # an error: first or last is required
    '{ tickets(first: 2, after: "bogus") { edges { node { number } } } }',  # an error
    "{ tickets(first: 101) { edges { node { number } } } }",  # an error
    "{ tickets(first: 2, last: 2) { edges { node { number } } } }",  # an error
    '{ tickets(first: 3) { edges { node { comments(first: 1, after: "b2Zmc2V0OjA=") { edges {'
    " node { body } } } } } } }",  # an error: an offset cursor of old
]
# Documents the compiler must not take (Strawberry answers them).
FALLBACKS = {CORPUS[15]}
ORDER_FIELDS = ["CREATED_AT", "UPDATED_AT", "PRIORITY", "ID"]


@pytest.fixture
async def people():
    return {
        "admin": await make_user("admin", "admin"),
        "agent": await make_user("agent", "agent", slack_id="U1"),
        "customer": await make_user("customer", "customer"),
        "other": await make_user("other", "customer"),
        "anonymous": None,
    }


@pytest.fixture
async def data(people):
    agent, customer, other = people["agent"], people["customer"], people["other"]
    billing = await queues.create_queue(SYSTEM, title="Billing", slug="billing")
    made = []
    for n in range(12):
        opener = customer if n % 3 else other
        fields = {"tags": ["vip"] if n % 4 == 0 else []}
        if n % 5 == 0:
            fields["client_emails"] = [other.email, "x@example.com"]
        ticket = await tickets.create_ticket(
            opener,
            title=f"Printer {n}" if n % 2 else f"Laptop {n}",
            description="It is broken" if n % 3 else "printer jammed 100%_",
            **fields,
        )
        await tickets.update_ticket(agent, ticket.id, priority=1 + n % 5)
        if n % 2:
            await tickets.update_ticket(
                agent, ticket.id, queue_id=billing.id, custom_fields={"plan": "pro", "n": [n]}
            )
            await tickets.assign(agent, ticket.id, agent.id)
        await comments.add_comment(agent, ticket.id, f"public {n}")
        await comments.add_comment(agent, ticket.id, f"internal {n}", is_internal=True)
        await comments.add_comment(opener, ticket.id, f"reply {n}")
        if n % 3 == 0:
            await tickets.set_status(agent, ticket.id, Status.CLOSED.value)
        made.append(ticket)
    return made


def _context(user) -> Context:
    return Context(request=None, settings=None, storage=None, user=user)


def _variables(document: str, ticket_id: int) -> dict:
    if "$id" in document:
        return {"id": str(ticket_id)}
    if "$f" in document:
        since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
        return {
            "f": {"status": ["OPEN"], "createdAfter": since},
            "o": {"field": "UPDATED_AT", "direction": "ASC"},
            "n": 4,
        }
    return {}


async def _both(document: str, variables: dict, user):
    schema = build_schema()
    queries = CompiledQueries(schema)
    prepared = await queries.prepared(document, None)
    coerced = queries.variables(prepared, variables)
    compiled = await queries.execute(prepared, coerced, _context(user))
    standard = await schema.execute(
        document, variable_values=variables, context_value=_context(user)
    )
    return compiled, standard


def _errors(result) -> list | None:
    return [e.formatted for e in result.errors] if result.errors else None


@pytest.mark.parametrize("role", ["admin", "agent", "customer", "other", "anonymous"])
async def test_corpus_answers_equal(people, data, role):
    user = people[role]
    for document in CORPUS:
        compiled, standard = await _both(document, _variables(document, data[3].id), user)
        if compiled is None:
            assert document in FALLBACKS or standard.errors, (role, document)
            continue
        assert document not in FALLBACKS
        assert not standard.errors, (document, _errors(standard))
        assert compiled == standard.data, (role, document)


def _selection(rng: random.Random, depth: int = 0) -> str:
    """A random Ticket selection: scalars, relations and maybe a comments page."""
    parts = rng.sample(TICKET_SCALARS, rng.randint(1, 6))
    parts = [f"a{i}: {p}" if rng.random() < 0.2 else p for i, p in enumerate(parts)]
    for relation in ("openedBy", "assignedTo", "closedBy"):
        if rng.random() < 0.4:
            parts.append(f"{relation} {{ {' '.join(rng.sample(USER_FIELDS, 3))} }}")
    if rng.random() < 0.3:
        parts.append(rng.choice(["tags", "clientEmails", "queue { slug title }"]))
    if depth == 0 and rng.random() < 0.5:
        fields = " ".join(rng.sample(COMMENT_FIELDS, 3))
        author = " author { username }" if rng.random() < 0.5 else ""
        parts.append(
            f"comments({rng.choice(['first', 'last'])}: {rng.randint(0, 3)}) {{ totalCount"
            f" edges {{ node {{ {fields}{author} }} }} }}"
        )
    return " ".join(parts)


async def test_generated_selections_answer_equal(people, data):
    rng = random.Random(20261201)
    for n in range(60):
        role = rng.choice(["admin", "agent", "customer", "other"])
        document = (
            f"{{ tickets({rng.choice(['first', 'last'])}: {rng.randint(1, 12)}, orderBy:"
            f" {{field: {rng.choice(ORDER_FIELDS)}, direction: {rng.choice(['ASC', 'DESC'])}}})"
            f" {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}"
            f" edges {{ cursor node {{ {_selection(rng)} }} }} }} }}"
        )
        compiled, standard = await _both(document, {}, people[role])
        assert compiled is not None, document
        assert compiled == standard.data, (n, role, document)


async def test_visibility_sql_matches_the_orm_rule(people, data):
    """`visible_tickets_sql` (lean path) and `visible_tickets` (ORM) select the same tickets."""
    for role, user in people.items():
        if user is None:
            continue
        for filt in (TicketFilter(), TicketFilter(search="printer"), TicketFilter(tag="vip")):
            rows, total = await reads.run(
                projections.ticket_page(user, filt, TicketOrder(), _window(), ["id"])
            )
            orm = (
                await filter_tickets(user, filt)
                .order_by("-created_at", "-id")
                .values_list("id", flat=True)
            )
            assert [r[0] for r in rows] == list(orm), (role, filt)
            assert total == len(orm)


async def test_per_queue_staff_permission_reads_the_same_both_ways(people, data):
    """With per-queue staff permission on, an agent sees its queues' tickets and those assigned
    to it, alike through the lean SQL, the ORM and compiled or standard GraphQL."""
    sales = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    restricted = await make_user("restricted", "agent")
    await queues.add_member(SYSTEM, sales.id, restricted.id)
    for ticket in data[:4]:
        await tickets.update_ticket(SYSTEM, ticket.id, queue_id=sales.id)
    await tickets.assign(SYSTEM, data[6].id, restricted.id)
    permissions.configure(per_queue=True)
    expected = {
        restricted: {t.id for t in data[:4]} | {data[6].id},
        people["agent"]: {t.id for n, t in enumerate(data) if n % 2},  # assigned to it
        people["admin"]: {t.id for t in data},
    }
    document = "{ tickets(first: 20) { totalCount nodes { number title queue { slug } } } }"
    for user, ids in expected.items():
        rows, total = await reads.run(
            projections.ticket_page(user, TicketFilter(), TicketOrder(), _window(), ["id"])
        )
        orm = await filter_tickets(user, TicketFilter()).values_list("id", flat=True)
        assert {r[0] for r in rows} == set(orm) == ids and total == len(ids), user.username
        compiled, standard = await _both(document, {}, user)
        assert compiled == standard.data
        assert {n["number"] for n in compiled["tickets"]["nodes"]} == ids


def _window():
    from resolvers.pagination import Window

    return Window(0, 100)


async def test_statements_per_page_are_pinned(client, people, data, count_sql):
    """A 100-ticket page with relations and comments: the same statements as a 10-ticket one."""
    from tests.helpers import gql, token_for

    token = await token_for(people["agent"])
    desk = await queues.create_queue(SYSTEM, title="Desk", slug="desk")
    for n in range(100):
        await tickets.create_ticket(people["customer"], title=f"bulk {n}", queue_id=desk.id)
    query = """query($n: Int) { tickets(first: $n) { totalCount edges { node { title tags
      openedBy { username } assignedTo { username } queue { slug }
      comments(first: 5) { totalCount edges { node { body author { username } } } } } } } }"""
    counts = []
    for size in (10, 100):
        await gql(client, query, token, n=size)
        await credentials.drain()  # the token's first use is recorded in the background
        with count_sql() as statements:
            body = await gql(client, query, token, n=size)
        assert len(body["data"]["tickets"]["edges"]) == size
        counts.append([s.split()[0] for s in statements])
    # count, page, tags, comment totals, comment page, users, queues (the credential is cached)
    assert counts[0] == counts[1] == ["SELECT"] * 7


async def test_related_ids_come_from_the_foreign_keys(people, data, count_sql):
    """`openedBy { id }` needs no users statement: the page row holds the id (and the
    foreign key, that the user exists); a null assignee stays null."""
    document = CORPUS[0]
    with count_sql() as statements:
        compiled, standard = await _both(document, {}, people["agent"])
    assert compiled == standard.data
    assert not [s for s in statements if "FROM users" in s]
    assignees = [e["node"]["assignedTo"] for e in compiled["tickets"]["edges"]]
    assert (
        None in assignees
        and {"id": str(relay.GlobalID("User", str(people["agent"].id)))} in assignees
    )


async def test_literal_arguments_are_converted_once_and_shared_safely(people, data):
    """One cached plan answers each caller with their own rows, its literal arguments
    converted on the first run and reused (a variable's are converted every time)."""
    queries = CompiledQueries(build_schema())
    literal = "{ tickets(first: 20, filter: {status: [OPEN]}) { edges { node { number } } } }"
    prepared = await queries.prepared(literal, None)
    answers = {}
    for role in ("agent", "customer", "other", "agent"):
        found = await queries.execute(
            prepared, queries.variables(prepared, {}), _context(people[role])
        )
        standard = await build_schema().execute(literal, context_value=_context(people[role]))
        assert found == standard.data
        answers.setdefault(role, found)
    assert answers["customer"] != answers["other"] != answers["agent"]
    assert prepared.plan.roots[0].fixed_arguments is not None
    variable = "query($n: Int) { tickets(first: $n) { edges { node { number } } } }"
    prepared = await queries.prepared(variable, None)
    for n in (2, 5):
        found = await queries.execute(
            prepared, queries.variables(prepared, {"n": n}), _context(people["agent"])
        )
        assert len(found["tickets"]["edges"]) == n
    assert prepared.plan.roots[0].fixed_arguments is None


async def test_a_new_document_is_prepared_once_for_concurrent_requests(people, data):
    """Fifty clients sending a document not seen before: one of them prepares it (in a
    thread), the others wait for that one, and all run the same plan."""
    queries = CompiledQueries(build_schema())
    calls = []
    prepare = queries._prepare
    queries._prepare = lambda *args: calls.append(args) or prepare(*args)
    found = await asyncio.gather(*(queries.prepared(CORPUS[0], None) for _ in range(50)))
    assert len(calls) == 1
    assert found[0].plan is not None and all(p is found[0] for p in found)
    assert not queries.preparing.pending  # (nothing left behind)


async def test_staff_totals_come_from_the_running_totals(people, data, count_sql):
    """The staff's unfiltered and status-only counts read `ticket_totals`, and agree with a
    row count (customers and other filters count rows)."""
    agent = people["agent"]
    for filt in (TicketFilter(), TicketFilter(statuses=(Status.OPEN, Status.CLOSED))):
        with count_sql() as statements:
            counted = await reads.run(projections.ticket_count(agent, filt))
        assert "ticket_totals" in statements[0]
        assert counted == await filter_tickets(agent, filt).count()
    with count_sql() as statements:
        await reads.run(projections.ticket_count(people["customer"], TicketFilter()))
    assert "ticket_totals" not in statements[0]


WALK = (
    "query($o: TicketOrderInput, $s: [TicketOrderInput!], $first: Int, $after: String,"
    " $last: Int, $before: String) { tickets(orderBy: $o, sort: $s, first: $first,"
    " after: $after, last: $last, before: $before) {"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node {"
    " number priority } } } }"
)


async def _walk(user, order: dict, backward: bool, key: str = "o") -> list[int]:
    """Every ticket, page by page (2 at a time) through the cursors, both executors agreeing
    on each page; the numbers in list order."""
    seen: list[int] = []
    cursor = None
    while True:
        if backward:
            variables = {key: order, "last": 2, "before": cursor}
        else:
            variables = {key: order, "first": 2, "after": cursor}
        compiled, standard = await _both(WALK, variables, user)
        assert compiled is not None and not standard.errors
        assert compiled == standard.data, variables
        page = compiled["tickets"]
        numbers = [e["node"]["number"] for e in page["edges"]]
        seen = numbers + seen if backward else seen + numbers
        info = page["pageInfo"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return seen
        cursor = info["startCursor"] if backward else info["endCursor"]


@pytest.mark.parametrize("field", ORDER_FIELDS)
async def test_cursors_walk_every_ordering_both_ways(people, data, field):
    """Keyset cursors: following them forward or backward visits every visible ticket once,
    in the list's order (ties on the sort value broken by id), in both executors."""
    for role in ("agent", "customer"):
        user = people[role]
        for direction in ("ASC", "DESC"):
            order = {"field": field, "direction": direction}
            whole = await _both(WALK, {"o": order, "first": 100}, user)
            expected = [e["node"]["number"] for e in whole[0]["tickets"]["edges"]]
            assert len(expected) == len(set(expected)) > 2
            assert await _walk(user, order, backward=False) == expected
            assert await _walk(user, order, backward=True) == expected


async def test_nested_comment_cursors_agree(people, data):
    agent = people["agent"]
    document = (
        "query($after: String) { tickets(first: 3) { edges { node { comments(first: 2,"
        " after: $after) { pageInfo { hasNextPage endCursor } nodes { body } } } } } }"
    )
    first, _ = await _both(document, {}, agent)
    cursor = first["tickets"]["edges"][0]["node"]["comments"]["pageInfo"]["endCursor"]
    compiled, standard = await _both(document, {"after": cursor}, agent)
    assert compiled is not None and compiled == standard.data
    assert compiled["tickets"]["edges"][0]["node"]["comments"]["nodes"] == [{"body": "reply 11"}]


@pytest.mark.parametrize(
    "sort",
    [
        [("PRIORITY", "ASC"), ("CREATED_AT", "DESC")],
        [("PRIORITY", "DESC"), ("UPDATED_AT", "ASC"), ("ID", "DESC")],
        [("PRIORITY", "DESC"), ("ID", "ASC")],
    ],
)
async def test_cursors_walk_orders_on_several_fields(people, data, sort):
    """`sort` on several fields, mixed directions: every page agrees in both executors, and
    walking either way visits every ticket once in the order Python's sort gives."""
    agent = people["agent"]
    given = [{"field": f, "direction": d} for f, d in sort]
    whole, _ = await _both(
        "query($s: [TicketOrderInput!]) { tickets(first: 100, sort: $s) { nodes { number"
        " priority createdAt updatedAt } } }",
        {"s": given},
        agent,
    )
    rows = whole["tickets"]["nodes"]
    key = {"PRIORITY": "priority", "CREATED_AT": "createdAt", "UPDATED_AT": "updatedAt"}
    expected = sorted(rows, key=lambda r: r["number"], reverse=sort[-1][1] == "DESC")
    for field, direction in reversed(sort):
        if field != "ID":
            expected.sort(key=lambda r, k=key[field]: r[k], reverse=direction == "DESC")
    numbers = [r["number"] for r in expected]
    assert [r["number"] for r in rows] == numbers
    assert await _walk(agent, given, backward=False, key="s") == numbers
    assert await _walk(agent, given, backward=True, key="s") == numbers


# ------------------------------------------------------------------ createTicket

CREATED_FIELDS = (
    "id number title description priority status createdAt updatedAt tags clientEmails "
    "customFields openedBy { username email } queue { slug } assignedTo { id }"
)
CREATE = (
    "mutation($in: CreateTicketInput!) { made: createTicket(input: $in) { "
    f"ticket {{ {CREATED_FIELDS} }} userErrors {{ field code }} __typename }} }}"
)
SHOW = f"query($id: ID!) {{ ticket(id: $id) {{ {CREATED_FIELDS} }} }}"


async def _created(user, given: dict):
    """(compiled answer, Strawberry's answer to the same mutation, the compiled ticket as
    Strawberry's `ticket` query shows it)."""
    schema = build_schema()
    queries = CompiledQueries(schema)
    prepared = await queries.prepared(CREATE, None)
    variables = {"in": given}
    compiled = await queries.mutate(
        prepared.plan, queries.variables(prepared, variables), _context(user)
    )
    standard = await schema.execute(CREATE, variable_values=variables, context_value=_context(user))
    shown = None
    if compiled is not None:
        number = compiled["made"]["ticket"]["number"]
        shown = await schema.execute(
            SHOW, variable_values={"id": str(number)}, context_value=_context(user)
        )
    return compiled, standard, shown


@pytest.mark.parametrize("role", ["admin", "agent", "customer"])
async def test_create_ticket_answers_equal(people, data, role):
    queue = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    given = {
        "title": "Compiled",
        "description": "made by the compiled executor",
        "tags": ["a", "b"],
        "clientEmails": ["x@example.com"],
        "queue": str(queue.id),
        "customFields": {"plan": "pro"},
    }
    if role != "customer":
        given |= {"priority": 2, "assignedTo": str(people["agent"].id)}
    compiled, standard, shown = await _created(people[role], given)
    assert not standard.errors, _errors(standard)
    assert standard.data["made"]["userErrors"] == compiled["made"]["userErrors"] == []
    assert compiled["made"]["ticket"] == shown.data["ticket"]  # the same ticket, rendered alike

    def steady(answer):  # what does not depend on which of the two tickets it is
        ticket = dict(answer["made"]["ticket"])
        for moving in ("id", "number", "createdAt", "updatedAt"):
            ticket.pop(moving)
        return {**answer["made"], "ticket": ticket}

    assert steady(compiled) == steady(standard.data)


@pytest.mark.parametrize(
    ("role", "given"),
    [
        ("customer", {"title": "mine", "assignedTo": "AGENT"}),  # Forbidden: staff only
        ("agent", {"title": ""}),  # Invalid
        ("agent", {"title": "q", "queue": "999999"}),  # NotFound
        ("anonymous", {"title": "who"}),  # Unauthenticated: a top-level error
    ],
)
async def test_create_ticket_failures_go_to_strawberry_unwritten(people, data, role, given):
    before = await tickets.Ticket.all().count()
    agent = str(people["agent"].id)
    given = {k: agent if v == "AGENT" else v for k, v in given.items()}
    compiled, standard, _ = await _created(people[role], given)
    assert compiled is None
    assert standard.errors or standard.data["made"]["userErrors"]
    assert await tickets.Ticket.all().count() == before


async def test_only_a_lone_create_ticket_is_compiled():
    queries = CompiledQueries(build_schema())
    lone = await queries.prepared(CREATE, None)
    assert lone.plan is not None
    for document in (
        'mutation { a: createTicket(input: {title: "a"}) { __typename } '
        'b: createTicket(input: {title: "b"}) { __typename } }',
        'mutation { createTicket(input: {title: "a"}) { ticket @include(if: true) { id } } }',
        'mutation($id: ID!) { updateTicket(input: {id: $id, title: "x"}) { __typename } }',
        'mutation { createTicket(input: {title: "a"}) { ticket { history { totalCount } } } }',
    ):
        prepared = await queries.prepared(document, None)
        assert prepared is None or prepared.plan is None, document


async def test_create_ticket_over_http_writes_once(client, people):
    token = await token_for(people["customer"])
    before = await tickets.Ticket.all().count()
    made = await gql(client, CREATE, token, **{"in": {"title": "over http"}})
    assert made["data"]["made"]["ticket"]["title"] == "over http"
    assert made["extensions"]["cost"]["requested"] >= 1
    staff_only = {"title": "no", "assignedTo": str(people["agent"].id)}
    refused = await gql(client, CREATE, token, **{"in": staff_only})
    assert refused["data"]["made"] == {
        "ticket": None,
        "userErrors": [{"field": None, "code": "FORBIDDEN"}],
        "__typename": "TicketPayload",
    }
    assert await tickets.Ticket.all().count() == before + 1
