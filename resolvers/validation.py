"""Small input checks shared by the resolvers."""

from __future__ import annotations

import re

from resolvers.errors import Invalid

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(field: str, value: object, *, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise Invalid(field, f"{field} must be a string.")
    value = value.strip() if required else value
    if required and not value:
        raise Invalid(field, f"{field} is required.")
    if len(value) > max_length:
        raise Invalid(field, f"{field} must be at most {max_length} characters.")
    return value


def email(field: str, value: object, *, required: bool = True) -> str:
    if not required and (value is None or value == ""):
        return ""
    value = text(field, value, max_length=254).lower()
    if not EMAIL_RE.match(value):
        raise Invalid(field, f"{value!r} is not a valid e-mail address.")
    return value


def integer(field: str, value: object, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"{field} must be an integer.")
    if not low <= value <= high:
        raise Invalid(field, f"{field} must be between {low} and {high}.")
    return value
