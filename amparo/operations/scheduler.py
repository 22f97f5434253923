"""The scheduler's one step: enqueue the runs that are due (`manage.py run_scheduler` calls it in a loop, or once).

Idempotent by construction: a run is the row (job, slot) under a unique constraint, created together with its task in
one transaction. Two schedulers, a scheduler restarted within a slot, or `run_scheduler --once` from cron next to a
running scheduler find the row there and enqueue nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import JobRun, RunStatus
from .schedule import JOBS, Job
from .tasks import run_scheduled_job

logger = logging.getLogger(__name__)

# A run still "running" this long after it started lost its worker (killed, machine restarted): none of the jobs
# takes more than minutes. It is recorded as failed ("Interrupted") so that the page does not show it running forever.
INTERRUPTED_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Enqueued:
    job: str
    slot: datetime
    created: bool


def due_runs_enqueue(now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> list[Enqueued]:
    """For each job, its latest slot at or before `now`: create its run and enqueue its task, unless that slot has a
    run already. A slot missed while no scheduler ran is run late, once; older missed slots are not run again (the
    jobs catch up by themselves: a purge deletes everything past retention, not one day's worth). Runs that lost their
    worker long ago are recorded as failed first."""
    now = now or timezone.now()
    interrupted = JobRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - INTERRUPTED_AFTER).update(
        status=RunStatus.FAILED, error_class="Interrupted", finished_at=now
    )
    if interrupted:
        logger.warning("scheduled runs recorded as interrupted: %d", interrupted)
    results = []
    for job in jobs:
        slot = job.latest_slot(now)
        if slot is None:
            continue
        with transaction.atomic():
            run, created = JobRun.objects.get_or_create(job=job.name, slot=slot)
            if created:
                run_scheduled_job.enqueue(run.pk)
        if created:
            logger.info("scheduled run enqueued: job=%s slot=%s", job.name, slot.isoformat())
        results.append(Enqueued(job.name, slot, created))
    return results
