"""Scheduled runs: run one (the task's body) and purge old records. Enqueueing what is due is `scheduler.py`.

The task claims its row (queued -> running) with one conditional UPDATE, so a task delivered twice runs the command
once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from .models import JobRun, RunStatus
from .schedule import JOBS, JOBS_BY_NAME

logger = logging.getLogger(__name__)

RUNS_RETENTION_DAYS = 90
SUMMARY_MAX = 200


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:SUMMARY_MAX] if lines else ""


def scheduled_run(run_id: int) -> JobRun | None:
    """Run the command of a queued run and record the outcome. Returns the run, or None if it was not queued (already
    claimed by another delivery of its task, or gone)."""
    now = timezone.now()
    if not JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=now):
        return None
    run = JobRun.objects.get(pk=run_id)
    job = JOBS_BY_NAME.get(run.job)
    if JobRun.objects.filter(job=run.job, slot__gt=run.slot).exists():
        # A later slot of the same job is queued or ran already (the worker was down for a while): running this one
        # too would repeat its work (twice the daily digests), so it is recorded as skipped.
        run.status, run.finished_at = RunStatus.SKIPPED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        return run
    out = StringIO()
    try:
        if job is None:
            raise LookupError("no such job in the schedule")
        # stderr is discarded: commands write there what an operator reads at a terminal (names of services
        # without a reviewer, problems of the audit chain), which a record shown on a page must not keep.
        call_command(job.command, *job.args, stdout=out, stderr=StringIO())
    except (Exception, SystemExit) as exc:  # SystemExit: a command that calls sys.exit is a failed run too
        # Only the class: an exception's message may quote data (a name, an address, a query's parameters).
        run.status, run.error_class = RunStatus.FAILED, type(exc).__name__[:120]
        logger.warning("scheduled run failed: job=%s slot=%s error=%s", run.job, run.slot.isoformat(), run.error_class)
    else:
        run.status, run.summary = RunStatus.OK, _last_line(out.getvalue())
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "summary", "error_class", "finished_at"])
    return run


def job_runs_purge(now: datetime | None = None) -> int:
    """Delete the records of runs older than their job's `keep_days` (RUNS_RETENTION_DAYS for a job no longer in the
    schedule); returns how many."""
    now = now or timezone.now()
    deleted = 0
    for job in JOBS:
        deleted += JobRun.objects.filter(job=job.name, slot__lt=now - timedelta(days=job.keep_days)).delete()[0]
    stale = JobRun.objects.exclude(job__in=JOBS_BY_NAME).filter(slot__lt=now - timedelta(days=RUNS_RETENTION_DAYS))
    return deleted + stale.delete()[0]
