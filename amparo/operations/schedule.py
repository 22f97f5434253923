"""The schedule of the periodic work, in code: each job is a management command (so that a cron line running the
command by itself stays possible), with when it runs, in the local time of `settings.TIME_ZONE`.

`manage.py run_scheduler` enqueues each job's latest due slot as a task of django-tasks (`operations.tasks`); the
worker (`manage.py db_worker`) runs it. A job's last line of output is its summary on the runs page, so a command
listed here must end with a line of counts only (no name, address, e-mail or content): `tests/test_scheduler.py`
runs every job and checks it.

Why a scheduler of our own: django-tasks 0.12 (and Django 6's framework it backports) has no periodic tasks (its
issue #259 is open; its author suggests cron). The schedulers written for it (django-crontask, on APScheduler with a
Redis lock; django-scheduled-tasks) import Django 6's `django.tasks`, not the backport this project runs on Django
5.2, and keep no record of each run that a coordinator could read. What we need is small: a table of (job, slot)
with a unique constraint, which makes runs idempotent across schedulers and restarts on the database we already have.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LOOK_BACK_DAYS = 62  # the longest period (monthly) plus a margin: how far to look for a job's latest or next slot


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Daily:
    hour: int
    minute: int = 0

    def times_on(self, day: date) -> list[time]:
        return [time(self.hour, self.minute)]

    def describe(self) -> str:
        return str(_("daily at %(time)s") % {"time": f"{self.hour:02d}:{self.minute:02d}"})


@dataclass(frozen=True)
class Hourly:
    minute: int = 0

    def times_on(self, day: date) -> list[time]:
        return [time(hour, self.minute) for hour in range(24)]

    def describe(self) -> str:
        return str(_("every hour at minute %(minute)02d") % {"minute": self.minute})


@dataclass(frozen=True)
class EveryMinutes:
    """Every N minutes from local midnight (N should divide 1440 for evenly spaced slots)."""

    minutes: int

    def times_on(self, day: date) -> list[time]:
        return [time(m // 60, m % 60) for m in range(0, 24 * 60, self.minutes)]

    def describe(self) -> str:
        return str(_("every %(minutes)d minutes") % {"minutes": self.minutes})


@dataclass(frozen=True)
class Monthly:
    day: int
    hour: int = 0
    minute: int = 0

    def times_on(self, day: date) -> list[time]:
        return [time(self.hour, self.minute)] if day.day == self.day else []

    def describe(self) -> str:
        return str(
            _("monthly on day %(day)d at %(time)s") % {"day": self.day, "time": f"{self.hour:02d}:{self.minute:02d}"}
        )


Cadence = Daily | Hourly | EveryMinutes | Monthly


@dataclass(frozen=True)
class Job:
    name: str  # the key of its runs; the command's name
    command: str
    cadence: Cadence
    what: Promise | str  # one line for the runs page
    args: tuple[str, ...] = ()
    keep_days: int = 90  # how long its run records are kept (purge_job_runs); a day for the every-minute ones

    @property
    def frequent(self) -> bool:
        """Runs more often than hourly: the runs page lists only its failures (its last run is in the schedule)."""
        return isinstance(self.cadence, EveryMinutes) and self.cadence.minutes < 60

    def _slots(self, start: date, step: int, zone: ZoneInfo) -> Iterator[datetime]:
        for offset in range(LOOK_BACK_DAYS + 1):
            day = start + timedelta(days=step * offset)
            times = self.cadence.times_on(day)
            for moment in reversed(times) if step < 0 else times:
                yield datetime.combine(day, moment, tzinfo=zone)

    def latest_slot(self, now: datetime) -> datetime | None:
        """The latest scheduled time at or before `now` (aware), or None if there is none in LOOK_BACK_DAYS."""
        zone = local_zone()
        return next((s for s in self._slots(now.astimezone(zone).date(), -1, zone) if s <= now), None)

    def next_slot(self, now: datetime) -> datetime | None:
        """The first scheduled time after `now`."""
        zone = local_zone()
        return next((s for s in self._slots(now.astimezone(zone).date(), 1, zone) if s > now), None)


# The periodic commands (README, "Commands"). Purges at night, before the legal-date notices of the morning.
JOBS: tuple[Job, ...] = (
    Job(
        "flush_link_visits",
        "flush_link_visits",
        EveryMinutes(1),
        _("Move the short links' visit counts from the shared cache to the database"),
        keep_days=1,
    ),
    Job(
        "backup",
        "backup",
        Daily(1, 30),
        _("Write the nightly encrypted backup into BACKUP_DIR and delete the old ones there"),
        args=("--scheduled",),
    ),
    Job("purge_safechannel", "purge_safechannel", Daily(2, 0), _("Delete safe-channel reports past their retention")),
    Job("purge_cases", "purge_cases", Daily(2, 10), _("Delete cases closed longer ago than their retention")),
    Job("purge_surveys", "purge_surveys", Daily(2, 20), _("Delete survey submissions past their form's retention")),
    Job(
        "purge_service_feedback",
        "purge_service_feedback",
        Daily(2, 30),
        _("Delete answers about services past their retention"),
    ),
    Job("purge_signin_logs", "purge_signin_logs", Daily(2, 40), _("Delete old staff sign-in records")),
    Job("purge_form_tokens", "purge_form_tokens", Daily(2, 50), _("Delete one-time form tokens older than a day")),
    Job(
        "purge_situation_reports",
        "purge_situation_reports",
        Hourly(5),
        _("Delete old situation reports; record builds cut short as failed"),
    ),
    Job(
        "prune_db_task_results",
        "prune_db_task_results",
        Daily(3, 0),
        _("Delete the background tasks' results older than 14 days"),
    ),
    Job(
        "purge_job_runs",
        "purge_job_runs",
        Daily(3, 5),
        _("Delete the records of scheduled runs older than 90 days (a day for the every-minute ones)"),
    ),
    Job("audit_verify", "audit_verify", Daily(3, 30), _("Check the audit log's hash chain")),
    Job(
        "refresh_survey_analysis",
        "refresh_survey_analysis",
        Daily(4, 30),
        _("Bring survey submissions' analysis up to date, if a publish's task did not"),
    ),
    Job(
        "take_network_snapshots",
        "take_network_snapshots",
        Monthly(1, 4, 0),
        _("Take this period's snapshot of the networks' monitoring plans"),
    ),
    Job(
        "notify_due",
        "notify_due",
        Daily(6, 30),
        _("Notify legal dates coming up, queue the daily digests, delete old read notices"),
    ),
    Job(
        "notify_stale_services",
        "notify_stale_services",
        Daily(7, 0),
        _("E-mail whoever must re-verify services not verified for 90 days"),
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}
