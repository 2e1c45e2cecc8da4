"""The compiled executor: query documents answered from lean reads, not field by field.

`CompiledQueries.prepared` parses, validates (with the schema's own limits) and compiles a
document once, cached by its text and operation name; `execute` answers from the plan, or
returns None so that the caller runs Strawberry's executor instead. Any domain error while
executing also returns None: the standard executor then runs the same document and renders
the error exactly as it always does (and so does any unexpected failure, which is logged).
`tests/test_compiled.py` runs both executors on a corpus and requires identical answers.

`mutate` answers `createTicket` (plans.MutationPlan) through the same domain call as the
standard executor (`schema.tickets.open_ticket`), then reads the created ticket back on the
lean path. A failure before anything is written hands the document to Strawberry's executor
(which reports it as it always does); once the ticket is written, never.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import AddValidationRules, MaxTokensLimiter

from resolvers import reads
from resolvers.errors import DomainError, NotFound
from resolvers.once import Once
from schema.compiled import run
from schema.compiled.plans import MutationPlan, Plan, Unsupported, compile_operation
from schema.cost import operation_cost
from schema.tickets import open_ticket

CACHE_SIZE = 512
# A document costing more renders its answer in a thread: tens of thousands of objects take
# 10-20 ms of Python, which on the event loop would stall every other request that long.
THREAD_RENDER_COST = 2_000
log = logging.getLogger("ticketgate.graphql")


@dataclass(frozen=True)
class Prepared:
    """A parsed, validated operation, and its plan when the compiler covers it."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    plan: Plan | MutationPlan | None
    static_cost: int | None  # its cost when no variable can change it


class CompiledQueries:
    def __init__(self, schema) -> None:
        self.schema = schema
        self.rules = [*specified_rules]
        self.max_tokens = None
        for extension in schema.extensions:
            if isinstance(extension, AddValidationRules):
                self.rules += extension.validation_rules
            if isinstance(extension, MaxTokensLimiter):
                self.max_tokens = extension.max_token_count
        self.cache: OrderedDict[tuple[str, str | None], Prepared | None] = OrderedDict()
        self.preparing = Once()

    async def prepared(self, query: str, operation_name: str | None) -> Prepared | None:
        """The operation to run, None when it does not parse or validate (or is ambiguous):
        the standard executor then reports why. A document not seen before is parsed, validated,
        compiled and costed in a thread (thirty aliases of a big page take ~170 ms, which would
        stall every other request; the loop preempts a thread every GIL switch interval), once
        however many requests for it arrive meanwhile (fifty clients starting together each
        prepared it in a thread of its own, and the last waited seconds for the GIL)."""
        key = (query, operation_name)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        found = await self.preparing.run(
            key, lambda: asyncio.to_thread(self._prepare, query, operation_name)
        )
        self.cache[key] = found
        if len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        return found

    def _prepare(self, query: str, operation_name: str | None) -> Prepared | None:
        gql = self.schema._schema
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        if validate(gql, document, self.rules):
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        try:
            plan = compile_operation(gql, operations[0], fragments)
        except Unsupported:
            plan = None
        except Exception:
            log.exception("cannot compile a document; using the standard executor")
            plan = None
        operation = operations[0]
        static_cost = None
        if not operation.variable_definitions:
            static_cost = operation_cost(gql, operation, fragments, {})
        return Prepared(operation, fragments, plan, static_cost)

    def cost(self, prepared: Prepared, variables) -> int:
        """What the operation may cost (schema/cost.py) with these coerced variables."""
        if prepared.static_cost is not None:
            return prepared.static_cost
        gql = self.schema._schema
        return operation_cost(gql, prepared.operation, prepared.fragments, variables)

    def variables(self, prepared: Prepared, given: dict | None):
        """The coerced variable values, None when they do not fit the operation."""
        if not prepared.operation.variable_definitions:
            return {}  # (values it does not declare are not its variables)
        coerced = get_variable_values(
            self.schema._schema, prepared.operation.variable_definitions, given or {}
        )
        return None if isinstance(coerced, list) else coerced

    async def execute(self, prepared: Prepared, variables, context) -> dict | None:
        """The response's `data`, or None when the standard executor must answer."""
        if prepared.plan is None:
            return None
        try:
            return await self._run(prepared.plan, context, variables)
        except (DomainError, GraphQLError):
            return None
        except Exception:  # a fault of ours: answer through the standard executor
            log.exception("compiled executor failed; using the standard executor")
            return None

    async def mutate(self, plan: MutationPlan, variables, context) -> dict | None:
        """The mutation's `data`; None when it failed before writing anything (the standard
        executor then runs it and reports the failure)."""
        try:
            args = run.arguments(self.schema, plan.field_def, plan.node, variables)
            ticket = await open_ticket(context.actor, args["input"], context.storage)
        except (DomainError, GraphQLError):
            return None
        except Exception:  # (rolled back: nothing written)
            log.exception("compiled mutation failed; using the standard executor")
            return None
        found = None
        if plan.ticket is not None:
            rel = run.Related(variables, context.actor)
            read = run.ticket_by_id(self.schema, plan.ticket, context.actor, ticket.id, rel)
            with contextlib.suppress(NotFound):  # (deleted meanwhile)
                found = (await reads.run(read))()
        fields = {"ticket": found, "userErrors": [], "__typename": plan.payload_type}
        return {plan.key: {key: fields[name] for key, name in plan.selections}}

    async def _run(self, plan: Plan, context, variables) -> dict:
        actor = context.actor
        data = {}
        for root in plan.roots:
            if root.name == "__typename":
                data[root.key] = self.schema._schema.query_type.name
            elif root.name in ("viewer", "me"):
                data[root.key] = run.viewer_root(root, actor)
            else:
                fetch = run.tickets_root if root.name == "tickets" else run.ticket_root
                rel = run.Related(variables, actor)
                render = await reads.run(fetch(self.schema, root, actor, rel))
                costly = (context.cost or {}).get("requested", 0) > THREAD_RENDER_COST
                data[root.key] = await asyncio.to_thread(render) if costly else render()
        return data
