"""The record of each scheduled run: one row per (job, slot), unique, so that two schedulers or a restart never run a
slot twice. It holds no personal data: the job's name, times, the outcome, the command's last line (counts) and, for
a failure, the exception's class only (never its message or traceback, which may quote data)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    OK = "ok", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped: a later run replaced it")


class JobRun(models.Model):
    job = models.CharField(max_length=64)
    slot = models.DateTimeField(help_text="the scheduled time this run is for (not when it ran)")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=200, blank=True, default="")
    error_class = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="operations_one_run_per_job_slot")]
        indexes = [models.Index(fields=["-slot"], name="operations_run_slot_idx")]
        ordering = ["-slot", "job"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M} ({self.status})"
