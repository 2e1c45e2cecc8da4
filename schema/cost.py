"""What a query may cost, computed before it runs: the objects it can return.

Like GitHub's node limit: a connection costs its page size (`first`/`last`, default
DEFAULT_PAGE_SIZE) times the number of parents it is asked for, and its subtree is multiplied
by that size; a list of objects counts LIST_ESTIMATE each; scalars and to-one objects are free.
`tickets(first: 100) { edges { node { comments(first: 5) { ... } } } }` costs 100 + 100 * 5 = 600.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values

from resolvers.pagination import DEFAULT_PAGE_SIZE

LIST_ESTIMATE = 10  # objects assumed in a plain list (attachments, queues, leaderboards)


class QueryTooCostly(Exception):
    def __init__(self, cost: int, maximum: int) -> None:
        super().__init__(f"This query may return {cost} objects; the limit is {maximum}.")
        self.cost, self.maximum = cost, maximum


def operation_cost(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict, variables
) -> int:
    root = schema.get_root_type(operation.operation)
    return _cost(schema, operation.selection_set, root, 1, fragments, variables)


def _fields(selection_set, fragments: dict):
    """Every field node under a selection set, fragments flattened (type conditions ignored:
    an upper bound)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            yield from _fields(fragments[selection.name.value].selection_set, fragments)


def _cost(schema, selection_set, parent, multiplier: int, fragments, variables) -> int:
    total = 0
    for node in _fields(selection_set, fragments):
        name = node.name.value
        field_def = getattr(parent, "fields", {}).get(name)
        if field_def is None or node.selection_set is None:
            continue  # __typename, scalars
        target = get_named_type(field_def.type)
        if target.name.endswith("Connection") and "edges" in getattr(target, "fields", {}):
            size = _page_size(field_def, node, variables)
            count = multiplier * size
            total += count + _connection(schema, node, target, count, fragments, variables)
        elif _is_list(field_def.type):
            count = multiplier * LIST_ESTIMATE
            total += count + _cost(schema, node.selection_set, target, count, fragments, variables)
        else:
            total += _cost(schema, node.selection_set, target, multiplier, fragments, variables)
    return total


def _connection(schema, node: FieldNode, connection, count: int, fragments, variables) -> int:
    """The subtree under a connection's edges/nodes, each counted once per item."""
    total = 0
    for sub in _fields(node.selection_set, fragments):
        name = sub.name.value
        if name in ("edges", "nodes") and sub.selection_set is not None:
            item_type = get_named_type(connection.fields[name].type)
            total += _cost(schema, sub.selection_set, item_type, count, fragments, variables)
    return total


def _page_size(field_def, node: FieldNode, variables) -> int:
    try:
        args = get_argument_values(field_def, node, variables)
    except Exception:  # invalid arguments: the executor reports them; count the default
        return DEFAULT_PAGE_SIZE
    size = args.get("first")
    size = args.get("last") if size is None else size
    return size if isinstance(size, int) and size >= 0 else DEFAULT_PAGE_SIZE


def _is_list(gql_type) -> bool:
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return isinstance(gql_type, GraphQLList) and isinstance(
        get_named_type(gql_type), GraphQLObjectType
    )
