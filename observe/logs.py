"""Log set-up: LOG_FORMAT=json (one JSON object a line) or text (the default on a terminal;
JSON otherwise), LOG_LEVEL. Every string value is cut to MAX_VALUE characters (a message to
MAX_MESSAGE), so a client cannot bloat the log with over-long values; tracebacks are kept."""

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
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, then an access line's request id and user, then any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname} {record.name}: {_cut(record.getMessage(), MAX_MESSAGE)}"
        rid = getattr(record, "request_id", None)
        if rid is not None:
            text += f" rid={rid} user={getattr(record, 'user_id', None) or '-'}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str = "INFO", log_format: str | None = None) -> str:
    """Send every log record (uvicorn's too) to stderr in `log_format`; returns the format."""
    if log_format not in ("json", "text"):
        log_format = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return log_format
