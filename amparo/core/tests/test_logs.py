"""Structured logs without personal data (docs/observability.md), and the guard over the whole run's logs."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import IntegrityError
from django.test import Client

from amparo.core.logs import JsonFormatter, TextFormatter, strip_queries

from .log_guard import LogGuard

NAME = "Violeta Quintanilla"
PHONE = "3105550101"
ADDRESS = "Calle 9 #4-21 Barrio Cundinamarca"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the production handler writes: the root logger's records through the JSON formatter, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)  # django.request does not propagate (settings.LOGGING)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        request_logger.removeHandler(handler)
        root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_one_request_line_per_request_with_view_status_and_duration_only(
    client: Client, json_lines: io.StringIO
) -> None:
    response = client.get(
        f"/es/services/?q={NAME.replace(' ', '+')}+{PHONE}",
        REMOTE_ADDR="203.0.113.57",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 9; SM-J400M) MarkerBrowser/1.0",
    )
    assert response.status_code == 200
    lines = [r for r in records(json_lines) if r["logger"] == "amparo.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["view"] == "directory:search" and line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert set(line) == {"time", "level", "logger", "message", "view", "method", "status", "duration_ms"}
    written = json_lines.getvalue()
    for secret in ("Violeta", PHONE, "203.0.113.57", "198.51.100.23", "MarkerBrowser", "q="):
        assert secret not in written


@pytest.mark.django_db
def test_django_request_warnings_carry_the_view_name_not_the_path(client: Client, json_lines: io.StringIO) -> None:
    logging.getLogger("django.request").setLevel(logging.WARNING)  # production keeps ERROR; the worst case here
    try:
        client.get(f"/es/routes/{NAME.replace(' ', '-')}/?from={PHONE}")
    finally:
        logging.getLogger("django.request").setLevel(logging.ERROR)
    warnings = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert warnings and warnings[0]["message"] == "Not Found: [view pathways:detail]", warnings
    assert warnings[0]["status_code"] == 404
    assert "Violeta" not in json_lines.getvalue() and PHONE not in json_lines.getvalue()


def test_query_strings_are_cut_from_any_message() -> None:
    assert strip_queries("GET /es/services/?q=Violeta&place=CO54001 HTTP/1.1") == (
        "GET /es/services/?[query removed] HTTP/1.1"
    )
    assert strip_queries("see https://amparo.example/es/channel/?x=1.") == (
        "see https://amparo.example/es/channel/?[query removed]"
    )
    assert strip_queries("Is this a question? Yes.") == "Is this a question? Yes."


def test_an_exception_is_logged_by_class_and_stack_never_by_its_message() -> None:
    logger = logging.getLogger("amparo.tests.logs")
    try:
        raise IntegrityError(f"duplicate key value violates unique constraint DETAIL: Key (phone)=({PHONE})")
    except IntegrityError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "saving a case failed", (), None)
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"] == "IntegrityError" and line["message"] == "saving a case failed"
    assert any("test_logs.py" in frame for frame in line["stack"])
    assert PHONE not in json.dumps(line)
    assert PHONE not in TextFormatter().format(record)


def test_unknown_extra_fields_are_left_out() -> None:
    logger = logging.getLogger("amparo.tests.logs")
    record = logger.makeRecord(
        logger.name, logging.WARNING, __file__, 1, "x", (), None, extra={"address": ADDRESS, "status": 500}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 500 and "address" not in line and ADDRESS not in json.dumps(line)


@pytest.mark.django_db(transaction=True)
def test_failed_sign_ins_are_logged_without_the_account(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    from amparo.accounts.models import User

    User.objects.create_user(username="violeta.q@example.org", email="violeta.q@example.org", password="x" * 20)
    caplog.set_level(logging.INFO, logger="axes")
    client.get("/staff/login/")
    client.post("/staff/login/", {"email": "violeta.q@example.org", "password": "wrong password"})
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any("login failure" in m for m in messages), messages  # axes did log the failure...
    assert not any("violeta" in m.lower() for m in messages), messages  # ...without the account


# --- The guard over the whole run (log_guard.py) ----------------------------------------------------------------


def test_the_guard_finds_a_marker_in_any_record(tmp_path: Path) -> None:
    guard = LogGuard(tmp_path / "log.jsonl")
    guard.register("Zoraida Marker-Quiñones")
    guard.register("multi\nline narrative text")
    guard.register("no")  # too short to mean anything: not a marker
    guard.register("whatsapp")  # a choice code, vocabulary: not a marker
    for clock in ("2026-12-04", "2026-12-04T19:43:10", "19:43", "123456"):  # in every line's timestamp or counts
        guard.register(clock)
    guard.register("3105550101")  # a phone number: a marker
    logger = logging.getLogger("amparo.tests.guard")
    for message in (
        "nothing here",
        "no one: Zoraida Marker-Quiñonesx",
        "case of Zoraida Marker-Quiñones.",
        "older than 2026-12-04 19:43:10, 123456 rows",
        "call 3105550101",
    ):
        guard.emit(logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, (), None))
    guard.emit(
        logger.makeRecord(logger.name, logging.INFO, __file__, 1, "said: %s", ("multi\nline narrative text",), None)
    )
    guard.emit(logger.makeRecord(logger.name, logging.DEBUG, __file__, 1, "debug is not written", (), None))
    leaks = guard.leaks()
    guard.close()
    found = dict(leaks)
    assert set(found) == {
        "Zoraida Marker-Quiñones",
        "multi\\nline narrative text",
        "line narrative text",
        "3105550101",
    }
    assert "case of" in found["Zoraida Marker-Quiñones"]


INNER_CONFTEST = 'pytest_plugins = ["amparo.core.tests.log_guard"]\n'
INNER_TEST = """
import logging
from amparo.core.tests import log_guard

def test_a_name_reaches_a_log_line():
    log_guard.register("Zoraida Quiñones-Marker")
    logging.getLogger("some.library").warning("could not send to %s", "Zoraida Quiñones-Marker")

def test_a_clean_log_line():
    logging.getLogger("some.library").warning("could not send to [hidden]")
"""


def test_a_run_whose_logs_hold_a_marker_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A separate pytest run with the plugin: its tests pass, yet the run fails because of what it logged."""
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TEST)
    log_file = pytester.path / "inner-log.jsonl"
    monkeypatch.setenv("AMPARO_TEST_LOG", str(log_file))
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:django", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    assert "PERSONAL DATA IN THE LOGS" in output and "Zoraida Quiñones-Marker" in output
    assert log_file.exists(), "the file is kept for a look when the run fails"

    clean = pytester.runpytest_subprocess("-p", "no:django", "-p", "no:cacheprovider", "-k", "clean")
    assert clean.ret == 0 and "PERSONAL DATA" not in clean.stdout.str()
    assert not log_file.exists(), "a clean run leaves no file behind"
