"""A pytest plugin (root conftest.py): the logs of a whole test run hold none of the personal data the tests used.

During the run every log record that a logger hands to its handlers (whatever its logger, also those that do not
propagate to the root) is written through the production JSON formatter (amparo/core/logs.py) to one file, at
level INFO and above whatever LOG_LEVEL says. Meanwhile the plugin collects *markers*, the values the tests used
that must never reach a log:

- every value encrypted as identifying data (core.encryption.encrypt_text: names, phone numbers, documents,
  addresses, narratives), and the free-text values of the safe channel's encrypted report content and messages;
- every receipt of the safe channel (new ones and the ones tried at sign-in), as typed and as shown;
- the values of the query strings of public pages, and any user agent or non-loopback client address a test sent;
- the account (an e-mail) of every staff sign-in attempt, as django-axes names it;
- anything a test registers itself with `log_guard.register(value)`.

At the end of the session the file is searched for every marker (as a whole word; dates, times and numbers under 7
digits are not markers: they are in every line); if one is found, the run fails
(exit status 1) with the markers and the lines that carry them. The wrappers only observe: the wrapped functions run
unchanged. See docs/observability.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from amparo.core.logs import JsonFormatter

MIN_LENGTH = 5
_CODE = re.compile(r"^[a-z_]+$")  # choice codes ("whatsapp", "physical_assault"): vocabulary, not a person's data
_LOOPBACK = {"", "127.0.0.1", "::1", "localhost", "testserver"}
_WORD = re.compile(r"\w")
_TOKEN = re.compile(r"[^\W_]+")
# Dates, times and short numbers are in every log line (timestamps, counts): a form's date or a year is no marker.
# Phone numbers (7 digits and more), receipts and coordinates with their decimals stay markers.
_CLOCK = re.compile(
    r"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}:\d{2}(:\d{2})?|\d{1,6})$"
)
_ESCAPES = {"\\n", "\\r", "\\t", '\\"'}


class LogGuard:
    """Markers, the file of formatted log lines, and the search at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.markers: set[str] = set()
        self.handler = logging.FileHandler(path, mode="w", encoding="utf-8", delay=False)
        self.handler.setFormatter(JsonFormatter())

    def register(self, value: object) -> None:
        if not isinstance(value, str):
            return
        for text in {value.strip(), *(line.strip() for line in value.splitlines())}:
            if len(text) < MIN_LENGTH or _CODE.match(text) or _CLOCK.match(text) or not _WORD.search(text):
                continue
            self.markers.add(text)
            escaped = json.dumps(text, ensure_ascii=False)[1:-1]  # as it would stand inside a JSON log line
            if escaped != text:
                self.markers.add(escaped)

    def register_json_leaves(self, data: Any) -> None:
        if isinstance(data, str):
            self.register(data)
        elif isinstance(data, dict):
            for item in data.values():
                self.register_json_leaves(item)
        elif isinstance(data, list):
            for item in data:
                self.register_json_leaves(item)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.handler.handle(record)

    def leaks(self) -> list[tuple[str, str]]:
        """(marker, log line) for every marker found as a whole word in the file."""
        self.handler.flush()
        lines = self.path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(lines)
        found: list[tuple[str, str]] = []
        # A marker present as a whole word has each of its alphanumeric runs among the text's runs: a cheap filter
        # before the exact search, so that thousands of markers over megabytes of lines stay a matter of a second.
        unescaped = text.replace("\\n", " ").replace("\\r", " ").replace("\\t", " ")
        tokens = set(_TOKEN.findall(text)) | set(_TOKEN.findall(unescaped))
        for marker in sorted(self.markers):
            if not tokens.issuperset(_TOKEN.findall(marker)):
                continue
            start = text.find(marker)
            while start != -1:
                end = start + len(marker)
                before = text[start - 1] if start else " "
                if text[max(start - 2, 0) : start] in _ESCAPES:  # a JSON escape (\n, \t, \") ends the word before
                    before = " "
                after = text[end] if end < len(text) else " "
                if text[end : end + 2] in _ESCAPES:
                    after = " "
                if not (before.isalnum() or after.isalnum()):
                    line = lines[text.count("\n", 0, start)]
                    found.append((marker, line))
                    break
                start = text.find(marker, start + 1)
        return found

    def close(self) -> None:
        self.handler.close()


GUARD: LogGuard | None = None


def register(value: object) -> None:
    """For tests: a value that must never appear in a log line of the run."""
    if GUARD is not None:
        GUARD.register(value)


def _install_log_hook(guard: LogGuard) -> Callable[[], None]:
    original = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        guard.emit(record)
        original(self, record)

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)

    def undo() -> None:
        logging.Logger.callHandlers = original  # type: ignore[method-assign]
        root.setLevel(level)

    return undo


def _observe(module: Any, name: str, seen: Callable[..., None]) -> Callable[[], None]:
    """Wrap `module.name` so that `seen(*args)` is told its arguments first; the function itself is unchanged."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(module, name, wrapper)
    return lambda: setattr(module, name, original)


def _observe_result(module: Any, name: str, seen: Callable[[Any], None]) -> Callable[[], None]:
    """Wrap `module.name` so that `seen(result)` is told what it returned."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        seen(result)
        return result

    setattr(module, name, wrapper)
    return lambda: setattr(module, name, original)


def _install_markers(guard: LogGuard) -> list[Callable[[], None]]:
    from django.conf import settings

    if not settings.configured:
        return []
    from django.core.signals import request_started

    from amparo.accounts import lockout
    from amparo.core import encryption
    from amparo.core.middleware import is_public_path
    from amparo.safechannel import crypto

    def encrypted_text(value: Any, *args: Any, **kwargs: Any) -> None:
        guard.register(value)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                guard.register_json_leaves(json.loads(value))

    def channel_plaintext(key: Any, plaintext: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(plaintext, bytes) or len(plaintext) < MIN_LENGTH:
            return
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return  # a key or a file
        try:
            guard.register_json_leaves(json.loads(text))
        except ValueError:
            guard.register(text)

    def receipt(value: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(value, str):
            guard.register(value)
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) == 16:
                guard.register(digits)
                guard.register(crypto.format_receipt(digits))

    def request(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not environ:
            return
        if is_public_path(environ.get("PATH_INFO", "")):
            for _key, value in parse_qsl(environ.get("QUERY_STRING", "")):
                guard.register(value)
        guard.register(environ.get("HTTP_USER_AGENT"))
        for name in ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"):
            address = str(environ.get(name) or "")
            if address.strip() not in _LOOPBACK:
                guard.register(address)

    def _disconnect() -> None:
        request_started.disconnect(dispatch_uid="amparo.log_guard")

    request_started.connect(request, dispatch_uid="amparo.log_guard", weak=False)
    return [
        _observe(encryption, "encrypt_text", encrypted_text),
        _observe(crypto, "encrypt", channel_plaintext),
        _observe(crypto, "receipt_secrets", receipt),
        _observe(crypto, "normalize_receipt", receipt),
        _observe_result(lockout, "attempted_account", guard.register),
        _disconnect,
    ]


_UNDO: list[Callable[[], None]] = []
_LEAKS = pytest.StashKey[tuple[list[tuple[str, str]], Path]]()
_STATS = pytest.StashKey[str]()


def pytest_sessionstart(session: pytest.Session) -> None:
    global GUARD
    default = Path(tempfile.gettempdir()) / f"amparo-test-log-{os.getpid()}.jsonl"
    GUARD = LogGuard(Path(os.environ.get("AMPARO_TEST_LOG", str(default))))
    _UNDO.append(_install_log_hook(GUARD))
    _UNDO.extend(_install_markers(GUARD))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global GUARD
    if GUARD is None:
        return
    for undo in reversed(_UNDO):
        undo()
    _UNDO.clear()
    started = time.perf_counter()
    leaks = GUARD.leaks()
    GUARD.close()
    size = GUARD.path.stat().st_size if GUARD.path.exists() else 0
    session.config.stash[_STATS] = (
        f"log guard: {len(GUARD.markers)} markers searched in {size // 1024} KiB of log lines "
        f"in {time.perf_counter() - started:.2f} s"
    )
    if leaks:
        session.config.stash[_LEAKS] = (leaks, GUARD.path)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        GUARD.path.unlink(missing_ok=True)
    GUARD = None


def describe(leaks: Iterable[tuple[str, str]], path: Path | str) -> list[str]:
    lines = [
        "PERSONAL DATA IN THE LOGS: values the tests used (names, receipts, addresses, query strings of public "
        f"pages...) appear in log records of this run (all records in {path}):"
    ]
    for marker, line in leaks:
        lines.append(f"  {marker!r} in: {line[:300]}")
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS, None)
    if stats:
        terminalreporter.write_line(stats)
    found = config.stash.get(_LEAKS, None)
    if found:
        leaks, path = found
        for line in describe(leaks, path):
            terminalreporter.write_line(line, red=True, bold=True)
