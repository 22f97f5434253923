"""Reads for the runs page: the schedule with each job's last run and next slot, and the recent runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import JobRun, RunStatus
from .schedule import JOBS, Job


@dataclass(frozen=True)
class JobLine:
    job: Job
    last: JobRun | None
    next_slot: datetime | None


def schedule_overview(now: datetime | None = None) -> list[JobLine]:
    """Every job of the schedule, with its latest run and its next slot, soonest first."""
    now = now or timezone.now()
    # One indexed query per job (the unique (job, slot) index): a dozen jobs, against 90 days of records.
    lines = [
        JobLine(job, JobRun.objects.filter(job=job.name).order_by("-slot").first(), job.next_slot(now)) for job in JOBS
    ]
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    return sorted(lines, key=lambda line: line.next_slot or far)


def recent_runs(limit: int = 100) -> QuerySet[JobRun]:
    """The latest runs, newest first; of the every-minute jobs only the failures (else they would be all there is)."""
    frequent = [job.name for job in JOBS if job.frequent]
    return JobRun.objects.exclude(Q(job__in=frequent) & ~Q(status=RunStatus.FAILED)).order_by("-slot", "job")[:limit]
