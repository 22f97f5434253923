"""The scheduler (amparo/operations): one run per (job, slot) whoever enqueues it, the real worker running it, a
failure recorded as failed (its class only) and tried again at the next slot. On SQLite and on PostgreSQL (the suite
runs on both; the concurrent schedulers need PostgreSQL's row locking)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_record
from amparo.core.models import FormToken
from amparo.operations.models import JobRun, RunStatus
from amparo.operations.schedule import JOBS, JOBS_BY_NAME, Daily, EveryMinutes, Hourly, Job, Monthly
from amparo.operations.scheduler import due_runs_enqueue
from amparo.operations.services import scheduled_run

pytestmark = pytest.mark.django_db

# 20:00 UTC is 15:00 in Bogotá (settings.TIME_ZONE, UTC-5 all year): every daily job's slot of the day has passed.
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


FREQUENT = [job.name for job in JOBS if job.frequent]  # every minute: a test on the real clock may cross a slot


def _assert_one_run_per_slot() -> None:
    """Each job once (the every-minute ones at most twice: the clock may turn a minute), each run with its task."""
    slow = JobRun.objects.exclude(job__in=FREQUENT)
    assert slow.count() == len(JOBS) - len(FREQUENT) == slow.values("job").distinct().count()
    assert 1 <= JobRun.objects.filter(job__in=FREQUENT).count() <= 2 * len(FREQUENT)
    assert DBTaskResult.objects.count() == JobRun.objects.count()


def _worker() -> None:
    """The real worker of django-tasks-db, as `manage.py db_worker` runs on the server, until the queue is empty."""
    call_command("db_worker", batch=True, interval=0, no_startup_delay=True, worker_id="operations-test")


def test_the_schedule_lists_every_periodic_command_by_its_real_name() -> None:
    from django.core.management import get_commands

    commands = get_commands()
    assert {job.command for job in JOBS} <= set(commands)
    assert len(JOBS_BY_NAME) == len(JOBS)
    expected = {
        "purge_safechannel", "purge_cases", "purge_surveys", "purge_service_feedback", "purge_situation_reports",
        "purge_signin_logs", "purge_form_tokens", "notify_stale_services", "notify_due", "take_network_snapshots",
        "flush_link_visits",
    }  # fmt: skip
    assert expected <= set(JOBS_BY_NAME)


def test_slots_in_local_time() -> None:
    daily = Job("d", "purge_cases", Daily(2, 10), "")
    assert daily.latest_slot(NOW) == datetime(2026, 12, 4, 7, 10, tzinfo=UTC)  # 02:10 in Bogotá
    assert daily.next_slot(NOW) == datetime(2026, 12, 5, 7, 10, tzinfo=UTC)
    early = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # 01:00 in Bogotá: today's 02:10 is still to come
    assert daily.latest_slot(early) == datetime(2026, 12, 3, 7, 10, tzinfo=UTC)
    tomorrow = datetime(2026, 12, 5, 7, 10, tzinfo=UTC)
    assert daily.latest_slot(tomorrow) == tomorrow  # a slot is due at its own time
    hourly = Job("h", "purge_cases", Hourly(5), "")
    assert hourly.latest_slot(NOW) == datetime(2026, 12, 4, 19, 5, tzinfo=UTC)
    assert hourly.next_slot(NOW) == datetime(2026, 12, 4, 20, 5, tzinfo=UTC)
    every = Job("e", "purge_cases", EveryMinutes(15), "")
    assert every.latest_slot(NOW + timedelta(minutes=7)) == NOW and every.next_slot(NOW) == NOW + timedelta(minutes=15)
    monthly = Job("m", "purge_cases", Monthly(1, 4, 0), "")
    assert monthly.latest_slot(NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert monthly.next_slot(NOW) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


def test_a_slot_is_enqueued_once_even_if_the_scheduler_is_called_twice() -> None:
    first = due_runs_enqueue(NOW)
    assert all(e.created for e in first) and len(first) == len(JOBS)
    second = due_runs_enqueue(NOW + timedelta(seconds=30))  # the next look, or a second scheduler
    assert not any(e.created for e in second)
    assert JobRun.objects.count() == len(JOBS) == DBTaskResult.objects.count()
    # The next hour: only the hourly job has a new slot.
    third = due_runs_enqueue(NOW + timedelta(hours=1))
    assert {e.job for e in third if e.created} == {"purge_situation_reports", "flush_link_visits"}


def test_run_scheduler_once_twice_enqueues_each_due_slot_once() -> None:
    call_command("run_scheduler", once=True)
    call_command("run_scheduler", once=True)
    _assert_one_run_per_slot()
    assert not JobRun.objects.exclude(status=RunStatus.QUEUED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_time_enqueue_each_slot_once() -> None:
    """Two scheduler processes (two connections) racing on the same slots: the unique (job, slot) lets one in."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole file)")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            due_runs_enqueue(NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert JobRun.objects.count() == len(JOBS) == DBTaskResult.objects.count()


@pytest.mark.django_db(transaction=True)
def test_once_then_the_real_worker_runs_every_job_and_records_it(verified_client_for: Callable[..., Client]) -> None:
    user = User.objects.create_user(username="ana@example.org", email="ana@example.org", password="x" * 20)
    FormToken.objects.create(
        user=user, kind="case", token="t" * 20, fingerprint="f" * 64, created_at=timezone.now() - timedelta(days=2)
    )
    call_command("run_scheduler", once=True)
    _worker()
    assert not FormToken.objects.exists()  # the purge really ran, in the worker
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    _assert_one_run_per_slot()
    runs = {run.job: run for run in JobRun.objects.order_by("slot")}
    assert set(runs) == set(JOBS_BY_NAME)
    assert {run.status for run in runs.values()} == {RunStatus.OK}, {r.job: r.error_class for r in runs.values()}
    tokens = runs["purge_form_tokens"]
    assert tokens.summary == "Purged 1 one-time form token(s) older than 24 hours."
    assert tokens.started_at and tokens.finished_at and tokens.slot <= tokens.started_at <= tokens.finished_at
    assert all("@" not in run.summary for run in runs.values())  # counts, never an address
    # The record on the runs page, with its count for a platform administrator.
    admin = User.objects.create_user(username="ops@example.org", email="ops@example.org", password="x" * 20)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    with translation.override("en"):
        page = verified_client_for(admin).get(reverse("operations:runs"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Purged 1 one-time form token(s) older than 24 hours." in page.content.decode()
    # The worker again, and the scheduler again: nothing more runs for these slots.
    call_command("run_scheduler", once=True)
    _worker()
    _assert_one_run_per_slot()


def _tamper_audit_chain() -> None:
    org = Organization.objects.create(name="Red Violeta (demo)")
    for i in range(3):
        with transaction.atomic():
            audit_record(action="test.write", organization=org, object_id=str(i))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_append_only")
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'Ana Pérez ana@example.org' WHERE seq = 2")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_append_only")


def test_a_failing_job_is_recorded_as_failed_with_its_class_only_and_runs_again_at_the_next_slot() -> None:
    _tamper_audit_chain()
    audit = (JOBS_BY_NAME["audit_verify"],)
    (first,) = due_runs_enqueue(NOW, audit)
    run = JobRun.objects.get(job="audit_verify")
    done = scheduled_run(run.pk)
    assert done is not None and done.status == RunStatus.FAILED
    assert done.error_class == "CommandError" and done.summary == ""  # not the message, not the problems it names
    assert done.finished_at is not None
    assert scheduled_run(run.pk) is None  # a second delivery of the same task runs nothing
    # Tomorrow's slot is a new run: the failed job is tried again.
    (nxt,) = due_runs_enqueue(NOW + timedelta(days=1), audit)
    assert nxt.created and nxt.slot == first.slot + timedelta(days=1)
    assert JobRun.objects.filter(job="audit_verify", status=RunStatus.QUEUED).count() == 1


def test_a_run_left_behind_by_a_later_one_is_skipped() -> None:
    """The worker was down two days: yesterday's queued run does not repeat what today's does (twice the digests)."""
    notify = (JOBS_BY_NAME["notify_due"],)
    due_runs_enqueue(NOW, notify)
    due_runs_enqueue(NOW + timedelta(days=1), notify)
    older, newer = JobRun.objects.filter(job="notify_due").order_by("slot")
    assert scheduled_run(older.pk).status == RunStatus.SKIPPED  # type: ignore[union-attr]
    assert scheduled_run(newer.pk).status == RunStatus.OK  # type: ignore[union-attr]


def test_purge_job_runs_deletes_records_older_than_90_days_or_a_day_for_the_every_minute_jobs() -> None:
    now = timezone.now()
    daily, minutely = (JOBS_BY_NAME["purge_cases"],), (JOBS_BY_NAME["flush_link_visits"],)
    for age in (timedelta(days=91), timedelta(days=2), timedelta(hours=1)):
        due_runs_enqueue(now - age, daily)
        due_runs_enqueue(now - age, minutely)
    call_command("purge_job_runs")
    assert JobRun.objects.filter(job="purge_cases").count() == 2
    assert JobRun.objects.filter(job="flush_link_visits").count() == 1


def test_a_run_that_lost_its_worker_is_recorded_as_interrupted() -> None:
    """The worker was killed in the middle of a run: the scheduler's next look after six hours records it as failed."""
    (job,) = due_runs_enqueue(NOW, (JOBS_BY_NAME["purge_cases"],))
    JobRun.objects.filter(job="purge_cases").update(status=RunStatus.RUNNING, started_at=NOW)
    due_runs_enqueue(NOW + timedelta(hours=5), (JOBS_BY_NAME["purge_cases"],))
    assert JobRun.objects.get(slot=job.slot).status == RunStatus.RUNNING  # perhaps still working
    due_runs_enqueue(NOW + timedelta(hours=7), (JOBS_BY_NAME["purge_cases"],))
    run = JobRun.objects.get(slot=job.slot)
    assert run.status == RunStatus.FAILED and run.error_class == "Interrupted"


@pytest.mark.django_db(transaction=True)
def test_the_long_running_scheduler_enqueues_and_stops_on_sigterm() -> None:
    """`manage.py run_scheduler` as a service runs it: a real process on the test database, stopped by SIGTERM (what
    systemd and container runtimes send) between two looks."""
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database it can open (SQLite's test database is in memory)")
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    process = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_scheduler", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while JobRun.objects.values("job").distinct().count() < len(JOBS) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # a few more looks: nothing more is due
        _assert_one_run_per_slot()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Scheduler started" in out and "Scheduler stopped." in out
