"""Models of insights (issue 16). Each branch of the app adds its models at the end of this file."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Situation reports (branch reports; docs/insights-reports.md) -------------------------------------------------


class ReportScope(models.TextChoices):
    ORGANISATION = "organisation", _("One organisation")
    COUNTRY = "country", _("One country")
    REGION = "region", _("The region (every country)")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be built")
    BUILDING = "building", _("Being built")
    BUILT = "built", _("Ready")
    FAILED = "failed", _("Not built")


class ReportFailure(models.TextChoices):
    """Why a build failed, in our words (the traceback, if any, goes to the server's log only)."""

    NO_DATA = "no_data", _("There are no figures for this scope in this period: there is nothing to report.")
    THRESHOLD = (
        "threshold",
        _("A table came with a lower disclosure threshold than this report needs, so nothing was published."),
    )
    SCOPE_GONE = "scope_gone", _("The organisation this report was about no longer exists.")
    UNEXPECTED = (
        "unexpected",
        _("The report could not be built. Request it again; if it fails again, tell the platform administrator."),
    )


class SituationReport(models.Model):
    """A situation report (PDF) for a scope and a period of whole months, kept with the parameters it was built with
    and its tables frozen as JSON (`StatTable.to_json`): aggregates after disclosure control, never a person's data.
    Deleted after `INSIGHTS_REPORTS_RETENTION_DAYS` by `manage.py purge_situation_reports` (DESIGN.md rule 7)."""

    Scope = ReportScope
    Status = ReportStatus
    Failure = ReportFailure

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The organisation it belongs to (whose coordinators and analysts see it); none: a report the platform's
    # scheduler built for a country or the region, seen by platform administrators.
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="situation_reports"
    )
    scope_kind = models.CharField(_("scope"), max_length=16, choices=ReportScope.choices)
    scope_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    scope_country = models.CharField(_("country"), max_length=2, blank=True)  # ISO 3166-1 alpha-2
    period_start = models.DateField(_("from"))  # the first day of a month
    period_end = models.DateField(_("until"))  # the last day of a month (inclusive)
    language = models.CharField(_("language"), max_length=8)
    threshold = models.PositiveSmallIntegerField(_("disclosure threshold"))
    status = models.CharField(max_length=12, choices=ReportStatus.choices, default=ReportStatus.QUEUED, db_index=True)
    failure = models.CharField(max_length=16, choices=ReportFailure.choices, blank=True)
    parameters = models.JSONField(default=dict)  # what it was requested with, as plain values
    tables = models.JSONField(default=list)  # [StatTable.to_json(), ...] as built
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_bytes = models.PositiveIntegerField(default=0)
    build_seconds = models.FloatField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        indexes = [models.Index(fields=["organization", "-requested_at"], name="situation_report_list")]

    def __str__(self) -> str:
        return f"{self.scope_kind} {self.period_start:%Y-%m}..{self.period_end:%Y-%m}"

    @property
    def pending(self) -> bool:
        return self.status in {ReportStatus.QUEUED, ReportStatus.BUILDING}

    @property
    def failure_text(self) -> str:
        return str(ReportFailure(self.failure).label) if self.failure in ReportFailure.values else ""

    @property
    def filename(self) -> str:
        where = self.scope_country.lower() if self.scope_kind == ReportScope.COUNTRY else self.scope_kind
        return f"situation-report-{where}-{self.period_start:%Y-%m}-{self.period_end:%Y-%m}-{self.language}.pdf"
