"""Execute a compiled plan: one batch of reads per root field, then plain dicts.

Each object plan becomes a list of `(response key, getter)` once (cached on the plan), so a
row renders as one dict comprehension; relations come from the rows fetched in bulk for the
whole page (`Related`). The statements per root field do not depend on the page size.
"""

from __future__ import annotations

import base64
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLField
from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments

from resolvers import custom_fields, projections, views
from resolvers.errors import NotFound
from resolvers.pagination import Keyset
from resolvers.permissions import Actor
from resolvers.reads import Read
from resolvers.sql import json_value
from schema.compiled.plans import (
    Column,
    ConnectionPlan,
    Const,
    CustomValues,
    GlobalId,
    NameList,
    ObjectPlan,
    Relation,
    RootField,
    names_variables,
)
from schema.connections import COMMENT_ORDER, encode_cursor, keyset_for, page_flags
from schema.ids import parse_id
from schema.tickets import ticket_ordering, ticket_query

Getter = Callable[[Any, "Related"], Any]
SOURCES = {"User": "users", "Queue": "queues"}  # related type → Related attribute
GLOBAL_IDS_KEPT = 65_536  # per type
BY_IDS = {"User": projections.users_by_ids, "Queue": projections.queues_by_ids}


@dataclass
class Related:
    """What a page's rows refer to, fetched in bulk."""

    variables: object  # graphql-core VariableValues
    actor: Actor | None = None
    users: dict[int, tuple] = field(default_factory=dict)
    queues: dict[int, tuple] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    contacts: dict[int, list[str]] = field(default_factory=dict)
    comments: dict[int, tuple[list, int, bool]] = field(default_factory=dict)
    comment_keys: Keyset = field(default_factory=Keyset)
    # render function → {key: rendered object}
    rendered: defaultdict = field(default_factory=lambda: defaultdict(dict))


def arguments(schema, field_def: GraphQLField, node, variables) -> dict[str, Any]:
    """The field's arguments as Strawberry passes them to resolvers (inputs as classes)."""
    raw = get_argument_values(field_def, node, variables)
    definition = field_def.extensions["strawberry-definition"]
    return convert_arguments(
        raw, definition.arguments, schema.schema_converter.scalar_registry, schema.config
    )


def planned_arguments(schema, part: RootField | ConnectionPlan, variables) -> dict[str, Any]:
    """`arguments` of a planned field, converted once when they name no variable (a tenth of
    a page's time went to converting the same literals again). Read, never changed."""
    if part.fixed_arguments is not None:
        return part.fixed_arguments
    found = arguments(schema, part.field_def, part.node, variables)
    if not names_variables(part.node):
        part.fixed_arguments = found
    return found


# ------------------------------------------------------------------ rendering


@functools.cache
def _global_id(type_name: str):
    """Relay global ids of one type, remembered (a page names the same people many times)."""

    @functools.lru_cache(maxsize=GLOBAL_IDS_KEPT)
    def encode(node_id) -> str:
        return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()

    return encode


def _relation_getter(target: ObjectPlan) -> Getter:
    """`get(foreign key, related)`: the related object rendered (once per request and
    object: a page names the same people many times), or None."""
    render = renderer(target, target.fetched_columns)
    if _key_only(target.fetched_columns):
        return _from_key(render)
    source = SOURCES[target.type_name]

    def get(key, rel: Related):
        if key is None:
            return None
        done = rel.rendered[render]
        if key in done:
            return done[key]
        found = getattr(rel, source).get(key)
        done[key] = rendered = None if found is None else render(found, rel)
        return rendered

    return get


def _key_only(names: list[str]) -> bool:
    """Whether the foreign key alone answers a related object's selection (`openedBy { id }`):
    then nothing is fetched for it (`fetch_related`) and it renders from the key."""
    return names == ["id"]


def _from_key(render) -> Getter:
    """A related object whose selection the foreign key alone answers (`openedBy { id }`):
    the same for every caller, so rendered once per process and key (and never changed:
    answers are only serialised)."""

    @functools.lru_cache(maxsize=GLOBAL_IDS_KEPT)
    def rendered(key):
        return render((key,), None)

    return lambda key, rel: None if key is None else rendered(key)


def _custom_values(value, rel: Related):
    return custom_fields.visible(rel.actor, json_value(value))


def _names_getter(source: str) -> Getter:
    return lambda row, rel: list(getattr(rel, source).get(row[0], ()))


def _comments_getter(plan: ConnectionPlan) -> Getter:
    render_item = renderer(plan.item)

    def get(row, rel: Related):
        items, total, more = rel.comments[row[0]]
        keys = rel.comment_keys
        return connection(plan, items, total, keys, more, COMMENT_ORDER, render_item, rel)

    return get


def renderer(plan: ObjectPlan, names: list[str] | None = None):
    """`render(row, related) -> dict` for rows of `names` (default: the plan's columns).

    Generated as Python source, once per plan: one dict display with an expression per
    response key (`row[3]`, `convert(row[3])`, …), as graphql-jit generates JavaScript.
    Keys are GraphQL names and aliases (`[_A-Za-z][_0-9A-Za-z]*`), written with `repr`.
    """
    cache_key = tuple(names or ())
    if cache_key in plan.renderers:
        return plan.renderers[cache_key]
    index = {name: i for i, name in enumerate(names or plan.columns())}
    helpers: dict[str, object] = {}
    entries = []
    for n, part in enumerate(plan.fields):
        helper = f"_h{n}"
        if isinstance(part, Column):
            helpers[helper] = part.convert
            cell = f"row[{index[part.column]}]"
            value = cell if part.convert is None else f"{helper}({cell})"
        elif isinstance(part, Const):
            helpers[helper], value = part.value, helper
        elif isinstance(part, GlobalId):
            helpers[helper], value = _global_id(part.type_name), f"{helper}(row[0])"
        elif isinstance(part, Relation):
            helpers[helper] = _relation_getter(part.target)
            value = f"{helper}(row[{index[part.column]}], rel)"
        elif isinstance(part, CustomValues):
            helpers[helper] = _custom_values
            value = f"{helper}(row[{index[part.column]}], rel)"
        elif isinstance(part, NameList):
            helpers[helper], value = _names_getter(part.source), f"{helper}(row, rel)"
        else:
            helpers[helper], value = _comments_getter(part), f"{helper}(row, rel)"
        entries.append(f"{part.key!r}: {value}")
    source = f"def render(row, rel):\n    return {{{', '.join(entries)}}}\n"
    exec(compile(source, f"<render {plan.type_name}>", "exec"), helpers)
    plan.renderers[cache_key] = helpers["render"]
    return helpers["render"]


def connection(
    plan: ConnectionPlan, rows, total, keys: Keyset, more: bool, ordering, render_item, rel
) -> dict:
    """A Relay connection over keyset-paged rows, each `(columns…, sort values…)` (as
    `schema.connections.Connection`)."""
    width, tag = len(ordering.sorts), ordering.tag

    def cursor(row) -> str:
        return encode_cursor(tag, row[0], row[-width:])

    out: dict[str, Any] = {}
    for key, name in plan.selections:
        if name == "totalCount":
            out[key] = total
        elif name == "__typename":
            out[key] = plan.type_name
        elif name == "edges":
            edge = _edge_renderer(plan)
            out[key] = [edge(row, cursor, render_item, rel) for row in rows]
        elif name == "nodes":
            out[key] = [render_item(row, rel) for row in rows]
        else:
            out[key] = _page_info(plan, rows, keys, more, cursor)
    return out


def _edge_renderer(plan: ConnectionPlan):
    """`edge(row, cursor, render_item, related) -> dict`, generated once per plan (as
    `renderer`): `cursor`, `node` and `__typename` in the document's order."""
    if plan.render_edge is None:
        values = {"cursor": "cursor(row)", "node": "render_item(row, rel)"}
        entries = [
            f"{key!r}: {values.get(name, repr(plan.edge_type))}"
            for key, name in plan.edge_selections
        ]
        source = f"def edge(row, cursor, render_item, rel):\n    return {{{', '.join(entries)}}}\n"
        namespace: dict = {}
        exec(compile(source, f"<edge {plan.edge_type}>", "exec"), namespace)
        plan.render_edge = namespace["edge"]
    return plan.render_edge


def _page_info(plan: ConnectionPlan, rows, keys: Keyset, more: bool, cursor) -> dict:
    has_next, has_previous = page_flags(keys, more)
    values = {
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "startCursor": cursor(rows[0]) if rows else None,
        "endCursor": cursor(rows[-1]) if rows else None,
        "__typename": "PageInfo",
    }
    return {key: values[name] for key, name in plan.page_info}


# ------------------------------------------------------------------ fetching


def targets(plan: ObjectPlan, type_name: str) -> list[ObjectPlan]:
    """Every `type_name` object reached from `plan` (relations, and its comments' ones)."""
    found = []
    for part in plan.fields:
        if isinstance(part, Relation):
            found += [part.target] if part.target.type_name == type_name else []
        elif isinstance(part, ConnectionPlan):
            found += targets(part.item, type_name)
    return found


def prepare(plan: ObjectPlan) -> dict[str, list[str]]:
    """The columns fetched for each related type under this root, fixed once: the union of
    what its objects select (each renders from those rows)."""
    if plan.related_columns is None:
        prepared = {}
        for type_name in SOURCES:
            found = targets(plan, type_name)
            names: list[str] = []
            for target in found:
                names += [n for n in target.columns() if n not in names]
            for target in found:
                target.fetched_columns = names
            prepared[type_name] = names
        plan.related_columns = prepared
    return plan.related_columns


def fetch_related(schema, actor: Actor | None, plan: ObjectPlan, rows, rel: Related) -> Read[None]:
    """Bulk-fetch what ticket rows refer to: tags, contacts, comments, queues, users."""
    ids = [row[0] for row in rows]
    index = {name: i for i, name in enumerate(plan.columns())}
    sources = {part.source for part in plan.parts(NameList)}
    view = yield from views.related(ids, tags="tags" in sources, contacts="contacts" in sources)
    rel.tags, rel.contacts = view.tags, view.contacts
    wanted: dict[str, set] = {name: set() for name in SOURCES}
    for part in plan.parts(ConnectionPlan):
        args = planned_arguments(schema, part, rel.variables)
        rel.comment_keys = _keys(args, COMMENT_ORDER, "comments")
        rel.comments = yield from projections.comment_keyset_pages(
            actor, ids, rel.comment_keys, part.item.columns(), with_total=part.needs_total
        )
        if part.item.parts(Relation):
            author = part.item.columns().index("author_id")
            found = rel.comments.values()
            wanted["User"] |= {c[author] for items, _, _ in found for c in items}
    for part in plan.parts(Relation):
        wanted[part.target.type_name] |= {row[index[part.column]] for row in rows}
    prepared = prepare(plan)
    for type_name, source in SOURCES.items():
        keys = wanted[type_name] - {None}
        if _key_only(prepared[type_name]):
            continue  # the foreign keys hold the ids, and the database that they exist
        if keys:
            setattr(rel, source, (yield from BY_IDS[type_name](keys, prepared[type_name])))


# A root's read returns how to render its answer, called once the read is over: rendering
# inside the read held its snapshot open and counted against its time on the event loop
# (resolvers/reads.py), which the REST doors, rendering after their reads, did not pay.


def tickets_root(schema, root: RootField, actor, rel: Related) -> Read[Callable[[], dict]]:
    conn: ConnectionPlan = root.plan
    args = planned_arguments(schema, root, rel.variables)
    filt, order = ticket_query(args.get("filter"), args.get("order_by"), args.get("sort"))
    ordering = ticket_ordering(order)
    keys = _keys(args, ordering, "tickets")
    rows, total, more = yield from projections.ticket_keyset_page(
        actor, filt, order, keys, conn.item.columns(), with_total=conn.needs_total
    )
    yield from fetch_related(schema, actor, conn.item, rows, rel)
    render_item = renderer(conn.item)
    return functools.partial(connection, conn, rows, total, keys, more, ordering, render_item, rel)


def _keys(args: dict, ordering, name: str) -> Keyset:
    return keyset_for(
        args.get("first"), args.get("after"), args.get("last"), args.get("before"), ordering, name
    )


def ticket_root(schema, root: RootField, actor, rel: Related) -> Read[Callable[[], dict]]:
    args = planned_arguments(schema, root, rel.variables)
    ticket_id = parse_id(args["id"], "Ticket", "id")
    return (yield from ticket_by_id(schema, root.plan, actor, ticket_id, rel))


def ticket_by_id(
    schema, plan: ObjectPlan, actor, ticket_id: int, rel: Related
) -> Read[Callable[[], dict]]:
    """The ticket's read; it returns its renderer (run after the read, outside its snapshot)."""
    row = yield from projections.ticket_row(actor, ticket_id, plan.columns())
    if row is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    yield from fetch_related(schema, actor, plan, [row], rel)
    return functools.partial(renderer(plan), row, rel)


def viewer_root(root: RootField, actor: Actor | None) -> dict | None:
    if actor is None or actor.id is None:
        return None
    row = tuple(getattr(actor, name) for name in root.plan.columns())
    return renderer(root.plan)(row, None)  # (a User renders from its own row alone)
