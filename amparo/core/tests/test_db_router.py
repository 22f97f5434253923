"""The read replica for analytics (core/db_router.py): nothing reaches it unless a selector asks for it by name, no
write ever does, and without DATABASE_REPLICA_URL there is only default. The analytics selectors' own tests are
`surveys/tests/test_replica.py` and `networks/tests/test_replica.py`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.test.utils import CaptureQueriesContext

from amparo.accounts.models import Organization
from amparo.core.db_router import REPLICA, PrimaryReplicaRouter, analytics_db

ROOT = Path(__file__).resolve().parents[3]


def test_without_a_replica_everything_is_on_default() -> None:
    if REPLICA in connections.settings:
        pytest.skip("this run is configured with DATABASE_REPLICA_URL")
    assert analytics_db() == DEFAULT_DB_ALIAS
    assert router.db_for_read(Organization) == router.db_for_write(Organization) == DEFAULT_DB_ALIAS


def test_the_router_sends_nothing_to_the_replica_and_migrates_only_default() -> None:
    on_replica = Organization(name="leída en la réplica")
    on_replica._state.db = REPLICA
    assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Organization) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Organization, instance=on_replica) == DEFAULT_DB_ALIAS  # saved on default
    assert PrimaryReplicaRouter().allow_migrate(REPLICA, "surveys") is False
    assert PrimaryReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "surveys") is True
    on_default = Organization(name="en default")
    on_default._state.db = DEFAULT_DB_ALIAS
    other = Organization(name="en otra base")
    other._state.db = "elsewhere"
    assert PrimaryReplicaRouter().allow_relation(on_replica, on_default) is True
    assert PrimaryReplicaRouter().allow_relation(on_replica, other) is None


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_with_a_replica_reads_stay_on_default_unless_asked_and_writes_never_go_there(replica: Any) -> None:
    assert analytics_db() == REPLICA
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
        made = Organization.objects.create(name="Red Violeta")
        assert Organization.objects.filter(name="Red Violeta").count() == 1  # the router: default
        read = Organization.objects.using(analytics_db()).get(pk=made.pk)  # asked for by name: the replica
        assert read._state.db == REPLICA
        read.name = "Red Violeta (editada)"
        read.save()  # a row read on the replica is written on default
        read.delete()
    assert [q["sql"].split()[0].upper() for q in on_replica.captured_queries] == ["SELECT"]
    written = [q["sql"] for q in on_default.captured_queries if not q["sql"].upper().startswith("SELECT")]
    assert any(sql.upper().startswith("INSERT") for sql in written)
    assert any(sql.upper().startswith("UPDATE") for sql in written)
    assert any(sql.upper().startswith("DELETE") for sql in written)


def _settings_probe(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "from amparo.core.db_router import analytics_db; "
        "r = settings.DATABASES.get('replica', {}); "
        "print(analytics_db(), r.get('NAME'), r.get('HOST'), r.get('TEST', {}).get('MIRROR'), "
        "settings.DATABASE_ROUTERS)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "AMPARO_ENV"}}
    clean |= {"AMPARO_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "amparo.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_database_replica_url_adds_the_replica_as_a_test_mirror_of_default(tmp_path: Path) -> None:
    result = _settings_probe(
        tmp_path,
        {
            "DATABASE_URL": "postgres://amparo@primary.example.org:5432/amparo",
            "DATABASE_REPLICA_URL": "postgres://reader@replica.example.org:5432/amparo",
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [
        "replica",
        "amparo",
        "replica.example.org",
        "default",
        "['amparo.core.db_router.PrimaryReplicaRouter']",
    ]
    without = _settings_probe(tmp_path, {})
    assert without.returncode == 0, without.stderr[-2000:]
    assert without.stdout.split()[:4] == ["default", "None", "None", "None"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense://", "DATABASE_REPLICA_URL"),
        ("mysql://root@localhost/amparo", "DATABASE_REPLICA_URL must point at SQLite or PostgreSQL"),
    ],
)
def test_a_bad_replica_url_stops_start_up(tmp_path: Path, url: str, message: str) -> None:
    result = _settings_probe(tmp_path, {"DATABASE_REPLICA_URL": url})
    assert result.returncode != 0
    assert message in result.stderr
