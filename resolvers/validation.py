"""Small input checks shared by the resolvers."""

from __future__ import annotations

import re

from resolvers.errors import Invalid

MAX_SEARCH = 200  # characters of a search term
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(field: str, value: object, *, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise Invalid(field, f"{field} must be a string.")
    no_nul(field, value)
    value = value.strip() if required else value
    if required and not value:
        raise Invalid(field, f"{field} is required.", "blank")
    if len(value) > max_length:
        raise Invalid(
            field, f"{field} must be at most {max_length} characters.", "too_long", max=max_length
        )
    return value


def address(field: str, value: object, *, required: bool = True) -> str:
    """An e-mail address, checked and kept as sent (a ticket's submitter, a custom value)."""
    if not required and (value is None or value == ""):
        return ""
    value = text(field, value, max_length=254)
    if not EMAIL_RE.match(value):
        raise Invalid(field, f"{value!r} is not a valid e-mail address.", "invalid_email")
    return value


def email(field: str, value: object, *, required: bool = True) -> str:
    """An e-mail address that identifies someone (an account's login, a ticket's client
    e-mails, which give customers access): lower-cased, so it is one regardless of case."""
    return address(field, value, required=required).lower()


def integer(field: str, value: object, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"{field} must be an integer.")
    if not low <= value <= high:
        raise Invalid(
            field, f"{field} must be between {low} and {high}.", "out_of_range", low=low, high=high
        )
    return value


def storable(value: str, max_length: int) -> bool:
    """Whether `value` could be in a column of `max_length` (no NUL): a lookup of anything else
    finds nothing, and must not reach the database (over-long values and NUL fail there)."""
    return len(value) <= max_length and "\x00" not in value


def max_length(model: type, field: str) -> int:
    """The declared length of a model's text column."""
    return model._meta.fields_map[field].max_length


def shown(value: object, limit: int = 64) -> str:
    """`value` as an error message may echo it: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_nul(field: str, value: str) -> str:
    """Refuse NUL characters, which PostgreSQL cannot store or compare in text (a 500 there
    otherwise, and a value SQLite would keep but no other door could match)."""
    if "\x00" in value:
        raise Invalid(field, f"{field} must not contain NUL characters.")
    return value


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database


def parse_id(raw: object) -> int | None:
    """A database id from a path, form or JSON value; None when it cannot be one."""
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(MAX_ID)):
        return None  # (checked before int(), which refuses strings of over 4300 digits)
    number = int(text)
    return number if 0 < number <= MAX_ID else None
