"""Compile a validated query document into a plan: what to fetch and how to render it.

Covered: query operations whose root fields are `tickets` (keyset pages, either way),
`ticket`, `viewer` and `me`, with any selection over Ticket, User, Queue and Comment scalars,
global ids, `number`/`databaseId`, the to-one relations (queue, openedBy, assignedTo, closedBy,
author), `tags`, `clientEmails`, a `comments` connection per ticket (`edges` or `nodes`),
`__typename`, aliases and fragments. Anything else (directives, history, attachments,
other mutations, introspection, …) raises `Unsupported`, and the request runs on Strawberry's
executor instead. Mutations: `createTicket` alone in its document (`MutationPlan`): the
domain's create, then its `ticket` selection read back like the `ticket` root.

A plan is a tree of small dataclasses; `schema.compiled.run` executes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)

from models import Comment, Queue, Ticket, User
from resolvers.sql import is_utc_text, json_value, to_datetime

ROOT_FIELDS = {"tickets", "ticket", "viewer", "me"}
MUTATIONS = {"createTicket"}
# GraphQL field → (foreign key column, target type) of the to-one relations.
RELATIONS = {
    "Ticket": {
        "queue": ("queue_id", "Queue"),
        "openedBy": ("opened_by_id", "User"),
        "assignedTo": ("assigned_to_id", "User"),
        "closedBy": ("closed_by_id", "User"),
    },
    "Comment": {"author": ("author_id", "User")},
}
NAME_LISTS = {"tags": "tags", "clientEmails": "contacts"}
MODELS = {"Ticket": Ticket, "User": User, "Queue": Queue, "Comment": Comment}
PAGE_INFO = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}


class Unsupported(Exception):
    """The document needs something the compiler does not cover."""


def iso(value: Any) -> str | None:
    """A datetime column as Strawberry writes it (`isoformat()` of the UTC instant)."""
    if value is None:
        return None
    if is_utc_text(value):
        return f"{value[:10]}T{value[11:]}"
    return to_datetime(value).astimezone(UTC).isoformat()


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _enum_name(value: Any) -> str | None:
    return None if value is None else str(value).upper()


def _converter(gql_type) -> Callable[[Any], Any] | None:
    """How a column value becomes this GraphQL type's output (None: as it is)."""
    named = get_named_type(gql_type)
    if isinstance(named, GraphQLEnumType):
        return _enum_name
    return {"DateTime": iso, "Boolean": _bool, "JSON": json_value}.get(named.name)


@dataclass
class Column:
    key: str
    column: str
    convert: Callable[[Any], Any] | None


@dataclass
class CustomValues:
    """`Ticket.customFields`: the JSON column, staff-only fields left out for customers."""

    key: str
    column: str


@dataclass
class Const:
    key: str
    value: Any


@dataclass
class GlobalId:
    key: str
    type_name: str


@dataclass
class Relation:
    key: str
    column: str  # the foreign key on the parent row
    target: ObjectPlan


@dataclass
class NameList:
    key: str
    source: str  # "tags" | "contacts"


@dataclass
class ConnectionPlan:
    """`edges { cursor node }`, `nodes`, `pageInfo`, `totalCount` over `item` rows."""

    key: str
    field_def: GraphQLField
    node: FieldNode  # the field in the document (its arguments)
    type_name: str
    edge_type: str
    item: ObjectPlan
    selections: list[tuple[str, str]]  # (response key, connection field)
    edge_selections: list[tuple[str, str]]
    page_info: list[tuple[str, str]] | None = None
    page_info_key: str = ""
    fixed_arguments: dict | None = None  # run.arguments: when they name no variable
    render_edge: Callable | None = field(default=None, repr=False)  # run._edge_renderer

    @property
    def needs_total(self) -> bool:
        return any(name == "totalCount" for _, name in self.selections)


@dataclass
class ObjectPlan:
    type_name: str
    fields: list = field(default_factory=list)
    # Worked out once, on first use (schema/compiled/run.py):
    renderers: dict = field(default_factory=dict, repr=False)  # columns → render function
    fetched_columns: list[str] | None = None  # a related object: the columns fetched for it
    related_columns: dict[str, list[str]] | None = None  # a root: related type → columns
    column_names: tuple[str, ...] | None = None  # columns()

    def columns(self) -> tuple[str, ...]:
        """The columns this object reads from its own row ("id" first); worked out once."""
        if self.column_names is None:
            names = ["id"]
            for f in self.fields:
                column = f.column if isinstance(f, Column | Relation | CustomValues) else None
                if column and column not in names:
                    names.append(column)
            self.column_names = tuple(names)
        return self.column_names

    def parts(self, kind) -> list:
        return [f for f in self.fields if isinstance(f, kind)]


@dataclass
class RootField:
    key: str
    name: str  # tickets | ticket | viewer | me | __typename
    field_def: GraphQLField | None
    node: FieldNode
    plan: ObjectPlan | ConnectionPlan | None
    fixed_arguments: dict | None = None  # run.arguments: when they name no variable


@dataclass
class Plan:
    roots: list[RootField]

    @property
    def reads(self) -> bool:
        """Whether it reads the store (`viewer`, `me` and `__typename` answer from memory)."""
        return any(root.name in ("tickets", "ticket") for root in self.roots)


@dataclass
class MutationPlan:
    key: str
    field_def: GraphQLField
    node: FieldNode  # the field in the document (its `input`)
    payload_type: str
    selections: list[tuple[str, str]]  # (response key, ticket | userErrors | __typename)
    ticket: ObjectPlan | None


class Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def collect(self, selection_set: SelectionSetNode, type_name: str) -> dict[str, FieldNode]:
        """Fields by response key, fragments applied (same-key fields merged)."""
        found: dict[str, FieldNode] = {}
        for selection in selection_set.selections:
            if selection.directives:
                raise Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found[key] = _merge(found.get(key), selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:  # pragma: no cover - the grammar has no other selections
                raise Unsupported(type(selection).__name__)
            if condition is None or self._applies(condition.name.value, type_name):
                for key, node in self.collect(inner, type_name).items():
                    found[key] = _merge(found.get(key), node)
        return found

    def _applies(self, condition: str, type_name: str) -> bool:
        if condition == type_name:
            return True
        abstract = self.schema.get_type(condition)
        concrete = self.schema.get_type(type_name)
        return not isinstance(abstract, GraphQLObjectType) and self.schema.is_sub_type(
            abstract, concrete
        )

    def operation(self, operation: OperationDefinitionNode) -> Plan | MutationPlan:
        if operation.operation == OperationType.MUTATION:
            return self.mutation(operation)
        if operation.operation != OperationType.QUERY:
            raise Unsupported("not a query")
        query = self.schema.query_type
        roots = []
        for key, node in self.collect(operation.selection_set, query.name).items():
            name = node.name.value
            if name == "__typename":
                roots.append(RootField(key, name, None, node, None))
                continue
            if name not in ROOT_FIELDS or node.directives:
                raise Unsupported(name)
            field_def = query.fields[name]
            target = get_named_type(field_def.type)
            plan = (
                self.connection(key, field_def, node, target)
                if name == "tickets"
                else self.object(node.selection_set, target.name)
            )
            roots.append(RootField(key, name, field_def, node, plan))
        return Plan(roots)

    def mutation(self, operation: OperationDefinitionNode) -> MutationPlan:
        mutation_type = self.schema.mutation_type
        roots = list(self.collect(operation.selection_set, mutation_type.name).items())
        if len(roots) != 1 or roots[0][1].name.value not in MUTATIONS:
            raise Unsupported("mutations")
        key, node = roots[0]
        field_def = mutation_type.fields[node.name.value]
        payload = get_named_type(field_def.type)
        selections, ticket = [], None
        for sub_key, sub in self.collect(node.selection_set, payload.name).items():
            name = sub.name.value
            if name == "ticket" and ticket is None:
                ticket = self.object(sub.selection_set, "Ticket")
            elif name not in ("userErrors", "__typename"):
                raise Unsupported(f"{payload.name}.{name}")
            selections.append((sub_key, name))
        return MutationPlan(key, field_def, node, payload.name, selections, ticket)

    def object(self, selection_set: SelectionSetNode, type_name: str) -> ObjectPlan:
        model = MODELS.get(type_name)
        if model is None:
            raise Unsupported(type_name)
        gql_type = self.schema.get_type(type_name)
        plan = ObjectPlan(type_name)
        for key, node in self.collect(selection_set, type_name).items():
            plan.fields.append(self.member(key, node, type_name, gql_type, model))
        if sum(isinstance(f, ConnectionPlan) for f in plan.fields) > 1:
            raise Unsupported("several comment connections")
        return plan

    def member(self, key: str, node: FieldNode, type_name: str, gql_type, model):
        name = node.name.value
        if name == "__typename":
            return Const(key, type_name)
        if name == "id":
            return GlobalId(key, type_name)
        if name in ("number", "databaseId"):
            return Column(key, "id", None)
        relation = RELATIONS.get(type_name, {}).get(name)
        if relation:
            column, target = relation
            return Relation(key, column, self.object(node.selection_set, target))
        if type_name == "Ticket" and name == "customFields":
            return CustomValues(key, "custom_fields")
        if type_name == "Ticket" and name in NAME_LISTS:
            return NameList(key, NAME_LISTS[name])
        field_def = gql_type.fields[name]
        if type_name == "Ticket" and name == "comments":
            return self.connection(key, field_def, node, get_named_type(field_def.type))
        definition = field_def.extensions.get("strawberry-definition")
        if node.arguments or definition is None or definition.base_resolver is not None:
            raise Unsupported(f"{type_name}.{name}")
        if definition.python_name not in model._meta.db_fields:
            raise Unsupported(f"{type_name}.{name}")
        return Column(key, definition.python_name, _converter(field_def.type))

    def connection(self, key: str, field_def, node: FieldNode, conn_type) -> ConnectionPlan:
        edge_type = get_named_type(conn_type.fields["edges"].type)
        item_type = get_named_type(edge_type.fields["node"].type)
        plan = ConnectionPlan(key, field_def, node, conn_type.name, edge_type.name, None, [], [])
        for sub_key, sub in self.collect(node.selection_set, conn_type.name).items():
            name = sub.name.value
            if name == "nodes":
                if plan.item is not None:
                    raise Unsupported("items selected twice")
                plan.item = self.object(sub.selection_set, item_type.name)
            elif name == "edges":
                if plan.edge_selections:
                    raise Unsupported("edges selected twice")
                for edge_key, edge in self.collect(sub.selection_set, edge_type.name).items():
                    edge_name = edge.name.value
                    if edge_name == "node":
                        if plan.item is not None:
                            raise Unsupported("items selected twice")
                        plan.item = self.object(edge.selection_set, item_type.name)
                    plan.edge_selections.append((edge_key, edge_name))
            elif name == "pageInfo":
                if plan.page_info is not None:
                    raise Unsupported("pageInfo selected twice")
                info = self.collect(sub.selection_set, "PageInfo")
                plan.page_info = [(k, n.name.value) for k, n in info.items()]
                plan.page_info_key = sub_key
                if not {n for _, n in plan.page_info} <= PAGE_INFO:
                    raise Unsupported("pageInfo field")
            plan.selections.append((sub_key, name))
        if plan.item is None:
            plan.item = ObjectPlan(item_type.name)
        return plan


def names_variables(node: FieldNode) -> bool:
    """Whether any of the field's arguments is, or holds, a variable."""

    def holds(value: ValueNode) -> bool:
        if isinstance(value, VariableNode):
            return True
        if isinstance(value, ListValueNode):
            return any(holds(v) for v in value.values)
        if isinstance(value, ObjectValueNode):
            return any(holds(f.value) for f in value.fields)
        return False

    return any(holds(argument.value) for argument in node.arguments or ())


def _merge(first: FieldNode | None, second: FieldNode) -> FieldNode:
    """Two selections of one response key (validation made them the same field)."""
    if first is None:
        return second
    if first.selection_set is None:
        return first
    merged = SelectionSetNode(
        selections=(*first.selection_set.selections, *second.selection_set.selections)
    )
    return FieldNode(
        alias=first.alias,
        name=first.name,
        arguments=first.arguments,
        directives=(*(first.directives or ()), *(second.directives or ())),
        selection_set=merged,
    )


def compile_operation(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict
) -> Plan | MutationPlan:
    return Compiler(schema, fragments).operation(operation)
