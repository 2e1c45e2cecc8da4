"""Descriptions for enums defined outside the schema (the models' own enums)."""

from __future__ import annotations

from enum import Enum

import strawberry


def described_enum(cls: type[Enum], name: str, description: str, **values: str):
    """`cls` as the GraphQL enum `name`, with a description for it and for each member (by
    member name; every member must have one)."""
    graphql = strawberry.enum(cls, name=name, description=description)
    for value in graphql.__strawberry_definition__.values:
        value.description = values.pop(value.name)
    if values:
        raise ValueError(f"{name} has no members {sorted(values)}")
    return graphql
