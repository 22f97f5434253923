"""Structured logs without personal data (DESIGN rule 8; docs/observability.md).

Every log line goes through one of the two formatters below (JSON in production, text in development). Both write
only what is safe by construction:

- the message, with every query string cut off (`/es/services/?q=...` becomes `/es/services/?[query removed]`), and,
  for records that carry a request (Django's `django.request` and `django.security.*` loggers), the request's path
  replaced by its view name: a mistyped public URL can hold anything a person typed;
- a short list of known extra fields (`SAFE_FIELDS`: the request line's view, method, status and duration; a task's
  name and outcome; a readiness check's name). Anything else a library attaches to a record (Django attaches the
  whole request, whose text holds the query string) is left out;
- for an exception, its class and its stack (file, line, function), never its message: a database error's message
  quotes the values of the row ("Key (email)=(...) already exists").

Nothing here reads a client address, a user agent or a cookie.
"""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from datetime import UTC, datetime
from typing import Any

# Extra fields that may be written; their values are produced by our own code (view names, status codes, task
# paths), never by what a client sent.
SAFE_FIELDS = ("view", "method", "status", "duration_ms", "status_code", "task", "outcome", "check")

# A path or URL followed by a query string: keep the path, drop the query.
_QUERY = re.compile(r"(?P<path>(?:https?://[^\s/?#\"'<>]+)?/[^\s?#\"'<>]*)\?[^\s#\"'<>]*")
QUERY_REMOVED = "?[query removed]"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def strip_queries(text: str) -> str:
    """`text` with the query string of every path or URL in it removed."""
    return _QUERY.sub(lambda m: m.group("path") + QUERY_REMOVED, text)


def view_label(request: Any) -> str:
    """The view name of a request that went through Django's URL resolver, or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match.url_name or "unnamed") if match is not None else "unmatched"


def safe_message(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a library's bad format string must not take the request down with it
        message = str(record.msg)
    request = getattr(record, "request", None)
    if request is not None:
        # Django's request loggers put the path in the message ("Not Found: /es/..."): the view name instead.
        label = f"[view {view_label(request)}]"
        for attribute in ("get_full_path", "path", "path_info"):
            value = getattr(request, attribute, None)
            value = value() if callable(value) else value
            if isinstance(value, str) and len(value) > 1:
                message = message.replace(value, label)
    return strip_queries(message)


def _stack(exc_info: Any) -> list[str]:
    frames = traceback.extract_tb(exc_info[2]) if exc_info and exc_info[2] is not None else []
    return [
        f"{os.path.relpath(f.filename, _ROOT) if f.filename.startswith(_ROOT) else f.filename}:{f.lineno} in {f.name}"
        for f in frames
    ][-20:]


def safe_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record as a dict of safe fields only."""
    fields: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": safe_message(record),
    }
    for name in SAFE_FIELDS:
        value = getattr(record, name, None)
        if isinstance(value, bool | int | float):
            fields[name] = value
        elif isinstance(value, str):
            fields[name] = strip_queries(value)
    if record.exc_info and record.exc_info[0] is not None:
        fields["exception"] = record.exc_info[0].__name__  # the class only: its message may quote personal data
        fields["stack"] = _stack(record.exc_info)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the safe fields only."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(safe_fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The same safe fields as readable text, for development consoles."""

    def format(self, record: logging.LogRecord) -> str:
        fields = safe_fields(record)
        head = f"{fields.pop('time')} {fields.pop('level')} {fields.pop('logger')} {fields.pop('message')}"
        stack = fields.pop("stack", [])
        extra = " ".join(f"{key}={value}" for key, value in fields.items())
        return "\n  ".join([f"{head} {extra}".rstrip(), *stack])
