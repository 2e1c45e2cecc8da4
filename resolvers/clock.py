"""The domain's one source of "now" (tests freeze it by patching `now`)."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
