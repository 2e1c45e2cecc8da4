"""Mutations for what the REST doors could already do: hold, merge, evaluate, mark read, vote,
edit and delete comments. Each calls the domain function that door calls."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import comments, feedback, tickets
from schema.context import actor
from schema.ids import parse_id
from schema.payloads import INPUT, UserError, mutation, user_errors_field
from schema.tickets import CommentPayload, TicketPayload


@strawberry.input(description="Put a ticket on hold, or take it off.")
class SetTicketHoldInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    on_hold: bool = strawberry.field(description="True: on hold; false: off hold.")


@strawberry.input(description="Merge a ticket into another (staff only).")
class MergeTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket merged away.")
    into: strawberry.ID | None = strawberry.field(
        description="The ticket it is merged into; null undoes the merge."
    )


@strawberry.input(description="The customer's evaluation of their ticket.")
class EvaluateTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    score: int = strawberry.field(description="1 (worst) to 10 (best).")
    comment: str | None = strawberry.field(default=None, description="Why, in words.")


@strawberry.input(description="Mark every reply on a ticket read (customers).")
class MarkTicketReadInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")


@strawberry.input(description="The customer's vote on a reply from support.")
class VoteCommentInput:
    id: strawberry.ID = strawberry.field(description="The reply (a public staff comment).")
    score: int = strawberry.field(description="1 (helpful) or -1 (not helpful).")
    comment: str | None = strawberry.field(default=None, description="Why, in words.")


@strawberry.input(description="Changes to a comment (staff): only the fields given change.")
class UpdateCommentInput:
    id: strawberry.ID = strawberry.field(description="The comment.")
    body: str | None = strawberry.field(default=None, description="Its new text.")
    is_internal: bool | None = strawberry.field(
        default=None, description="Make it an internal note, or public."
    )


@strawberry.input(description="A comment to delete (staff), with its files.")
class DeleteCommentInput:
    id: strawberry.ID = strawberry.field(description="The comment.")


@strawberry.type(description="The result of deleteComment.")
class DeleteCommentPayload:
    deleted_comment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The deleted comment's global id; null when the mutation failed.",
    )
    user_errors: list[UserError] = user_errors_field()


def _ticket_id(value: strawberry.ID, argument: str = "id") -> int:
    return parse_id(value, "Ticket", argument)


async def _with_ticket(info: Info, comment) -> CommentPayload:
    ticket = await tickets.get_ticket(actor(info), comment.ticket_id)
    return CommentPayload(comment=comment, ticket=ticket)


@strawberry.type
class TicketActions:
    @mutation("Put a ticket on hold or take it off hold (staff only).")
    async def set_ticket_hold(
        self,
        info: Info,
        input: Annotated[SetTicketHoldInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        ticket = await tickets.set_hold(actor(info), _ticket_id(input.id), input.on_hold)
        return TicketPayload(ticket=ticket)

    @mutation("Merge a ticket into another one (staff only); `into: null` undoes it.")
    async def merge_ticket(
        self, info: Info, input: Annotated[MergeTicketInput, strawberry.argument(description=INPUT)]
    ) -> TicketPayload | None:
        into = None if input.into is None else _ticket_id(input.into, "into")
        ticket = await tickets.update_ticket(actor(info), _ticket_id(input.id), merged_into_id=into)
        return TicketPayload(ticket=ticket)

    @mutation("Evaluate your ticket (customers): a score of 1 to 10 and a comment.")
    async def evaluate_ticket(
        self,
        info: Info,
        input: Annotated[EvaluateTicketInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        ticket = await feedback.evaluate_ticket(
            actor(info), _ticket_id(input.id), score=input.score, comment=input.comment
        )
        return TicketPayload(ticket=ticket)

    @mutation("Mark the replies on your ticket read (customers; staff change nothing).")
    async def mark_ticket_read(
        self,
        info: Info,
        input: Annotated[MarkTicketReadInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        return TicketPayload(ticket=await feedback.mark_read(actor(info), _ticket_id(input.id)))

    @mutation("Vote on a reply from support (customers): 1 or -1, with a comment.")
    async def vote_comment(
        self, info: Info, input: Annotated[VoteCommentInput, strawberry.argument(description=INPUT)]
    ) -> CommentPayload | None:
        comment_id = parse_id(input.id, "Comment", "id")
        comment = await feedback.vote_comment(
            actor(info), comment_id, score=input.score, comment=input.comment
        )
        return await _with_ticket(info, comment)

    @mutation("Edit a comment's text or visibility (staff only).")
    async def update_comment(
        self,
        info: Info,
        input: Annotated[UpdateCommentInput, strawberry.argument(description=INPUT)],
    ) -> CommentPayload | None:
        comment = await comments.update_comment(
            actor(info),
            parse_id(input.id, "Comment", "id"),
            body=input.body,
            is_internal=input.is_internal,
        )
        return await _with_ticket(info, comment)

    @mutation("Delete a comment with its files (staff only).")
    async def delete_comment(
        self,
        info: Info,
        input: Annotated[DeleteCommentInput, strawberry.argument(description=INPUT)],
    ) -> DeleteCommentPayload | None:
        comment_id = parse_id(input.id, "Comment", "id")
        await comments.delete_comment(actor(info), comment_id)
        return DeleteCommentPayload(
            deleted_comment_id=strawberry.ID(str(relay.GlobalID("Comment", str(comment_id))))
        )
