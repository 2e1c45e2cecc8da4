"""The password rule: Django's four default validators (similarity to the user's attributes,
at least 8 characters, not a common password, not entirely numeric), with Django's texts, every
problem listed; plus ticketgate's upper bound. One rule for every door (django-helpdesk's
`POST /users/` answers these texts).

`data/common-passwords.txt.gz` is Django 5.2's list (20,000 common passwords, lower-cased, by
Royce Williams), vendored under Django's BSD licence (`data/DJANGO-LICENSE`)."""

from __future__ import annotations

import functools
import gzip
import re
from difflib import SequenceMatcher
from pathlib import Path

from resolvers import limits

MIN_LENGTH = 8
MAX_SIMILARITY = 0.7
COMMON_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@functools.cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def _too_similar(password: str, value: str) -> bool:
    """Django's UserAttributeSimilarityValidator for one attribute: the whole value or any of
    its words close to the password (SequenceMatcher's quick ratio ≥ 0.7)."""
    password, value = password.lower(), value.lower()
    for part in [*re.split(r"\W+", value), value]:
        # A part far shorter than the password cannot reach the ratio (Django's shortcut).
        if len(password) >= 10 * len(part) and len(part) < MAX_SIMILARITY / 2 * len(password):
            continue
        if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
            return True
    return False


def problems(password: str, attributes: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """Every reason to refuse `password`, in Django's order and words. `attributes` are the
    user's (label, value) pairs, e.g. ("username", "ann"), ("email address", "ann@x.org")."""
    if len(password) > limits.PASSWORD:
        return ["This password is too long."]
    found = []
    for label, value in attributes:
        if value and _too_similar(password, value):
            found.append(f"The password is too similar to the {label}.")
            break
    if len(password) < MIN_LENGTH:
        found.append(
            f"This password is too short. It must contain at least {MIN_LENGTH} characters."
        )
    if password.lower().strip() in _common():
        found.append("This password is too common.")
    if password.isdigit():
        found.append("This password is entirely numeric.")
    return found
