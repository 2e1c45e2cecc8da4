"""Per-deployment custom ticket fields (django-helpdesk's CustomField), kept in
Ticket.custom_fields.

Definitions come from `settings.helpdesk_custom_fields`, a JSON list such as
`[{"name": "order_no", "label": "Order", "data_type": "varchar", "max_length": 20,
"required": false}]` (see docs/helpdesk.md). Values are validated here and stored as JSON
scalars: strings for text-like types, decimals, dates and times; numbers for integers; booleans.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import orjson

from resolvers import validation
from resolvers.errors import Forbidden, Invalid

DATA_TYPES = {
    "varchar",
    "text",
    "integer",
    "decimal",
    "list",
    "boolean",
    "date",
    "time",
    "datetime",
    "email",
    "url",
    "ipaddress",
    "slug",
}
TEMPORAL = {"date", "time", "datetime"}
NAME_RE = re.compile(r"^[a-z0-9_-]{1,50}$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_TEXT = 10_000
TRUE = {True, "1", "true", "True", "TRUE", "yes", "on", "y"}
FALSE = {False, "0", "false", "False", "FALSE", "no", "off", "n"}


def as_boolean(value: Any) -> bool | None:
    """True or False for DRF's boolean spellings; None for anything else (lists and objects
    included, which cannot even be looked up in TRUE and FALSE)."""
    if isinstance(value, Hashable):
        if value in TRUE:
            return True
        if value in FALSE:
            return False
    return None


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str
    data_type: str
    max_length: int | None = None
    decimal_places: int | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    staff_only: bool = False

    @property
    def key(self) -> str:
        """The field's name on the wire: `custom_<name>`."""
        return f"custom_{self.name}"


@lru_cache(maxsize=8)
def definitions(raw: str) -> tuple[CustomField, ...]:
    """Parse the settings' JSON list; ValueError names the first bad definition."""
    items = orjson.loads(raw or "[]")
    if not isinstance(items, list):
        raise ValueError("helpdesk custom fields must be a JSON list")
    found: list[CustomField] = []
    for item in items:
        if not isinstance(item, dict) or not NAME_RE.match(str(item.get("name", ""))):
            raise ValueError(f"bad custom field definition {item!r}: name must match {NAME_RE}")
        if item.get("data_type") not in DATA_TYPES:
            raise ValueError(f"custom field {item['name']}: data_type must be one of {DATA_TYPES}")
        found.append(
            CustomField(
                name=item["name"],
                label=str(item.get("label", item["name"])),
                data_type=item["data_type"],
                max_length=item.get("max_length"),
                decimal_places=item.get("decimal_places"),
                choices=tuple(str(c) for c in item.get("choices", ())),
                required=bool(item.get("required", False)),
                staff_only=bool(item.get("staff_only", False)),
            )
        )
    return tuple(found)


def render(fields: tuple[CustomField, ...], stored: dict[str, Any]) -> dict[str, Any]:
    """`custom_<name>` for every defined field (None when the ticket has no value)."""
    return {f.key: stored.get(f.name) for f in fields}


def clean(
    fields: tuple[CustomField, ...], given: dict[str, Any], *, partial: bool
) -> dict[str, Any]:
    """Validate `custom_<name>` values → {name: stored value}; Invalid lists every problem.

    Keys that name no defined field are not custom values and are left to the caller.
    Without `partial`, a required field that is missing is an error.
    """
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for f in fields:
        if f.key not in given:
            if f.required and not partial:
                problems.append((f.key, "This field is required."))
            continue
        try:
            values[f.name] = _value(f, given[f.key])
        except Invalid as exc:
            problems.append((f.key, exc.message))
    if problems:
        raise Invalid.many(problems)
    return values


def _value(f: CustomField, value: Any) -> Any:
    if value is None:
        if f.required:
            raise Invalid(f.key, "This field may not be null.")
        return None
    if f.data_type == "boolean":
        if (flag := as_boolean(value)) is None:
            raise Invalid(f.key, "Must be a valid boolean.")
        return flag
    if f.data_type == "integer":
        return _integer(f, value)
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, bool | dict | list):
        raise Invalid(f.key, "Not a valid string.")
    if text.strip() == "" and f.data_type not in ("varchar", "text"):
        if f.required:
            raise Invalid(f.key, "This field may not be blank.")
        return None
    limit = f.max_length or MAX_TEXT
    if f.data_type in ("varchar", "text", "email", "url", "slug") and len(text) > limit:
        raise Invalid(f.key, f"Ensure this field has no more than {limit} characters.")
    return _typed(f, text.strip() if f.data_type != "text" else text)


def _integer(f: CustomField, value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid(f.key, "A valid integer is required.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(f.key, "A valid integer is required.") from None
    if abs(number) > 2**63 - 1:
        raise Invalid(f.key, "A valid integer is required.")
    return number


def _typed(f: CustomField, text: str) -> Any:
    kind = f.data_type
    if kind in ("varchar", "text"):
        if f.required and not text.strip():
            raise Invalid(f.key, "This field may not be blank.")
        return text
    if kind == "decimal":
        return _decimal(f, text)
    if kind == "list":
        if text not in f.choices:
            raise Invalid(f.key, f'"{text}" is not a valid choice.')
        return text
    if kind == "email":
        try:
            return validation.address(f.key, text)
        except Invalid:
            raise Invalid(f.key, "Enter a valid email address.") from None
    if kind == "url":
        if not URL_RE.match(text):
            raise Invalid(f.key, "Enter a valid URL.")
        return text
    if kind == "slug":
        if not SLUG_RE.match(text):
            raise Invalid(
                f.key,
                'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
            )
        return text
    if kind == "ipaddress":
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise Invalid(f.key, "Enter a valid IPv4 or IPv6 address.") from None
    return _temporal(f, text)


def _decimal(f: CustomField, text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Invalid(f.key, "A valid number is required.") from None
    if not number.is_finite():
        raise Invalid(f.key, "A valid number is required.")
    if f.decimal_places is not None:
        number = number.quantize(Decimal(1).scaleb(-f.decimal_places))
    if f.max_length is not None and len(number.as_tuple().digits) > f.max_length:
        raise Invalid(f.key, f"Ensure that there are no more than {f.max_length} digits in total.")
    return str(number)


def _temporal(f: CustomField, text: str) -> str:
    """The text as sent, once it parses (the original keeps "2026-10-01T10:00" as it came)."""
    parse, shape = {
        "date": (date.fromisoformat, "YYYY-MM-DD"),
        "time": (time.fromisoformat, "hh:mm[:ss[.uuuuuu]]"),
        "datetime": (datetime.fromisoformat, "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"),
    }[f.data_type]
    try:
        parse(text)
    except ValueError:
        label = f.data_type.capitalize()
        raise Invalid(
            f.key, f"{label} has wrong format. Use one of these formats instead: {shape}."
        ) from None
    return text


def blanks(fields: tuple[CustomField, ...]) -> dict[str, Any]:
    """The values a new ticket gets for fields it was not given (as the original's form does)."""
    empty = {"boolean": False, "integer": None, "decimal": None}
    return {f.name: empty.get(f.data_type, None if f.data_type in TEMPORAL else "") for f in fields}


# Names of the staff-only fields of this deployment (`configure`, from HELPDESK_CUSTOM_FIELDS):
# a domain rule for every door, not only the helpdesk dialect's.
_staff_only: frozenset[str] = frozenset()


def configure(raw: str) -> None:
    global _staff_only
    _staff_only = frozenset(f.name for f in definitions(raw) if f.staff_only)


def visible(actor, values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The custom values `actor` may read: staff-only fields for staff alone."""
    if not values or not _staff_only or (actor is not None and actor.is_staff):
        return values
    return {k: v for k, v in values.items() if k not in _staff_only}


def written_by(actor, stored: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The custom values after `actor` sends `given`: a customer may not set staff-only
    fields, and their values stay as they were."""
    if not _staff_only or actor.is_staff:
        return given
    refused = sorted(k for k in given if k in _staff_only)
    if refused:
        raise Forbidden(f"Only staff may set the custom field {refused[0]!r}.")
    kept = {k: v for k, v in stored.items() if k in _staff_only}
    return {**given, **kept}
