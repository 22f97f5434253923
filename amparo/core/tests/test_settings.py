"""Settings come from the environment and fail loudly on bad values (run in subprocesses: settings load once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROD = {
    "AMPARO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-check-only-0123456789",
    "ALLOWED_HOSTS": "amparo.example.org",
    "DATABASE_URL": "postgres://amparo:secret@db.example.org:5432/amparo",
    "SAFECHANNEL_PEPPER": "y" * 20 + "-production-pepper-for-the-check-only",
    "FIELD_ENCRYPTION_KEYS": "Sq2HV6cZ0y0qZ6HV3sHAtyd1iVJ3RRl_FXSuU7ITmJE=",
    "CASE_SEARCH_KEY": "z" * 20 + "-production-search-key-for-the-check-only",
}


# What the tests set themselves: never inherited from the environment that runs them.
CONFIGURED = {*PROD, "DEBUG", "SURVEYS_PHONE_FAILURES"} - {"ALLOWED_HOSTS"}


def run_manage(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
    clean |= {"AMPARO_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "amparo.settings"} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = run_manage(tmp_path, PROD, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AMPARO_ENV": "production", "ALLOWED_HOSTS": "a.org"}, "SECRET_KEY is required"),
        ({**PROD, "SECRET_KEY": "short"}, "at least 50 characters"),
        ({k: v for k, v in PROD.items() if k != "SAFECHANNEL_PEPPER"}, "SAFECHANNEL_PEPPER is required"),
        ({**PROD, "SAFECHANNEL_PEPPER": "short"}, "SAFECHANNEL_PEPPER must be at least 32"),
        ({"SAFECHANNEL_ARGON2_MEMORY_KIB": "1024"}, "OWASP's minimum"),
        ({k: v for k, v in PROD.items() if k != "FIELD_ENCRYPTION_KEYS"}, "FIELD_ENCRYPTION_KEYS is required"),
        ({k: v for k, v in PROD.items() if k != "CASE_SEARCH_KEY"}, "CASE_SEARCH_KEY is required"),
        ({**PROD, "CASE_SEARCH_KEY": "short"}, "CASE_SEARCH_KEY must be at least 32"),
        ({**PROD, "CASE_SEARCH_KEY": PROD["FIELD_ENCRYPTION_KEYS"]}, "CASE_SEARCH_KEY must not be"),
        ({**PROD, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required"),
        ({**PROD, "DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"AMPARO_ENV": "staging"}, "AMPARO_ENV must be"),
        ({"DATABASE_URL": "mysql://root@localhost/amparo"}, "SQLite or PostgreSQL"),
        ({"DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
        ({"BASE_URL": "amparo.example.org"}, "BASE_URL must start with https://"),
        ({"SURVEYS_PHONE_FAILURES": "0"}, "SURVEYS_PHONE_FAILURES must be between 1 and 1000"),
    ],
)
def test_bad_configuration_stops_start_up(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = run_manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_the_phones_failure_limit_comes_from_the_environment(tmp_path: Path) -> None:
    probe = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SURVEYS_PHONE_FAILURES)")
    assert run_manage(tmp_path, {"SURVEYS_PHONE_FAILURES": "7"}, *probe).stdout.split() == ["7"]
    assert run_manage(tmp_path, {}, *probe).stdout.split() == ["10"]


def test_development_generates_a_secret_key_once(tmp_path: Path) -> None:
    assert run_manage(tmp_path, {}, "check").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert run_manage(tmp_path, {}, "check").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    pepper = (tmp_path / "safechannel_pepper").read_text()
    assert len(pepper) >= 32 and pepper != key


def test_the_demo_serves_without_debug_so_404_pages_list_no_urls(tmp_path: Path) -> None:
    """`make demo` runs the server with the demo's environment: DEBUG stays off (Django's debug 404 page lists every
    URL pattern of the site, staff and admin included), and static files are still served (WhiteNoise's finders)."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "runserver" in recipe and "DEBUG" not in recipe
    probe = (
        "import django; django.setup(); from django.conf import settings; from django.test import Client; "
        "r = Client().get('/staff/no-such-page/'); s = Client().get('/static/core/amparo.css'); "
        "print(settings.DEBUG, r.status_code, 'URLconf' in r.content.decode(), s.status_code)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "AMPARO_ENV"}}
    clean |= {"AMPARO_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "amparo.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["False", "404", "False", "200"], result.stderr[-2000:]
