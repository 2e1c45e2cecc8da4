"""Log set-up: LOG_FORMAT=json (one JSON object a line) or text (the default on a terminal;
JSON otherwise), LOG_LEVEL. Every string value is cut to MAX_VALUE characters (a message to
MAX_MESSAGE), so a client cannot bloat the log with over-long values; so is a traceback
(`BoundedRecords`: an exception's message may quote a request value)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

MAX_VALUE = 256
MAX_MESSAGE = 2000
# LogRecord's own attributes: everything else on a record came from `extra=`
# (and uvicorn's `color_message`, the message again with terminal colours)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _cut(value: object, limit: int = MAX_VALUE) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


class BoundedRecords(logging.Filter):
    """Cut every log record's message, arguments and traceback text to `limit` characters
    each, so a request value quoted in an error (a 5 MiB e-mail, …) cannot flood the log.
    Installed on the handler `configure` sets up (uvicorn logs through it too); the formatters
    print `record.exc_text`, which it sets."""

    def __init__(self, limit: int = 4000) -> None:
        super().__init__()
        self.limit = limit

    def _cut(self, value: object) -> object:
        if value is None or isinstance(value, int | float):
            return value  # (kept as they are for %d and friends)
        text = value if isinstance(value, str) else str(value)
        if len(text) <= self.limit:
            return value
        return f"{text[: self.limit]}… [{len(text) - self.limit} more characters]"

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._cut(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._cut(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: self._cut(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self._cut(logging.Formatter().formatException(record.exc_info))
        return True


def _traceback(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    return record.exc_text or formatter.formatException(record.exc_info)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _cut(record.getMessage(), MAX_MESSAGE),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = _cut(value)
        if record.exc_info:
            entry["traceback"] = _traceback(self, record)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, then an access line's request id and user, then any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname} {record.name}: {_cut(record.getMessage(), MAX_MESSAGE)}"
        rid = getattr(record, "request_id", None)
        if rid is not None:
            text += f" rid={rid} user={getattr(record, 'user_id', None) or '-'}"
        if record.exc_info:
            text += "\n" + _traceback(self, record)
        return text


def configure(level: str = "INFO", log_format: str | None = None) -> str:
    """Send every log record (uvicorn's too) to stderr in `log_format`; returns the format."""
    if log_format not in ("json", "text"):
        log_format = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.addFilter(BoundedRecords())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return log_format
