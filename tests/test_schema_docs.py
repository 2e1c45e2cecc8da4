"""Every part of the GraphQL schema is described, so GraphiQL's docs pane is never empty."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from schema import build_schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def missing_descriptions() -> list[str]:
    schema = build_schema()._schema
    missing = []
    for name, named in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not named.description:
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(named, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in named.values.items() if not value.description]
        elif not isinstance(named, GraphQLScalarType | GraphQLUnionType):
            raise AssertionError(f"unexpected type {name}")
    return missing


def test_every_type_field_argument_and_enum_value_is_described():
    assert missing_descriptions() == []
