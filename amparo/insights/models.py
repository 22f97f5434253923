"""Data-sharing agreements (issue 16): an organisation's consent to have its records counted in a national or a
regional view. The national and regional dashboards and the published tables count ONLY the organisations with an
active agreement covering that scope and period (statistics.organisations_in_scope).

Publications of figures (issue 16, part 3): four eyes before anything is public.

A coordinator prepares a publication: its tables are built at once, in every language asked for, and frozen as JSON
(`StatTable.to_json`) with the build date and the parameters. A second person reviews the frozen tables and approves
them or sends them back with a reason; only an approved publication is public. It can be withdrawn (the public page
then says so and shows no figures). Figures are never rebuilt in place: a rebuild (after consent withdrawals, say)
is a new publication, and approving it supersedes the one it replaces. Every step is audited (`services.py`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .tables import StatTable


class DataSharingAgreement(models.Model):
    class Scope(models.TextChoices):
        COUNTRY = "country", _("National (one country)")
        REGION = "region", _("Regional (every country)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sharing_agreements"
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    country = CountryField(_("country"), blank=True)  # for the national scope only
    since = models.DateField(_("valid from"))
    until = models.DateField(_("valid until"), null=True, blank=True)
    document_reference = models.CharField(
        _("reference of the signed document"),
        max_length=300,
        help_text=_("Where the signed agreement is kept (a file number, a folder): never the document itself."),
    )
    active = models.BooleanField(_("active"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-active", "-since", "-pk"]
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="country") & ~Q(country="")) | (Q(scope="region") & Q(country="")),
                name="agreement_country_matches_scope",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="agreement_until_after_since"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.scope}:{self.country}"

    def covers(self, start: date, end: date) -> bool:
        return self.active and self.since <= end and (self.until is None or self.until >= start)


LANGUAGES = ("es", "en", "pt")


class PublicationQuerySet(models.QuerySet["Publication"]):
    def public(self) -> PublicationQuerySet:
        """What the public pages list: approved, withdrawn and superseded publications (never drafts or returns);
        only approved ones show figures."""
        return self.filter(
            status__in=[Publication.Status.APPROVED, Publication.Status.WITHDRAWN, Publication.Status.SUPERSEDED],
            approved_at__isnull=False,
        )


class Publication(models.Model):
    class Scope(models.TextChoices):
        COUNTRY = "country", _("One country")
        REGION = "region", _("The region (every country)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second person's review")
        RETURNED = "returned", _("Sent back")
        APPROVED = "approved", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        SUPERSEDED = "superseded", _("Replaced by a newer build")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="publications")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    country = models.CharField(_("country"), max_length=2, blank=True)  # ISO 3166-1 alpha-2, for a country scope
    period_start = models.DateField(_("first month"))  # the first day of a month
    period_end = models.DateField(_("last month"))  # the last day of a month
    languages = models.JSONField(default=list)  # codes of LANGUAGES, in the order asked for
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    # What was built: {"parameters": {...}, "tables": {language: [StatTable.to_json(), ...]}}; never rebuilt.
    frozen = models.JSONField(default=dict)
    built_at = models.DateTimeField(_("figures built on"), default=timezone.now)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rebuilds", verbose_name=_("replaces")
    )
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("why it was sent back"), blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(_("why it was withdrawn"), blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["-built_at", "-pk"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            # Four eyes, also in the database: the reviewer is never the person who prepared it.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("prepared_by")),
                name="publication_reviewer_is_not_preparer",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="publication_period_order"),
            models.CheckConstraint(
                condition=(Q(scope="country") & ~Q(country="")) | (Q(scope="region") & Q(country="")),
                name="publication_country_only_for_country_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.frozen.get("parameters") or {})

    def language_for(self, language: str) -> str:
        """The language of the figures shown to a visitor reading in `language`: hers if it was built, else the
        first one asked for."""
        return language if language in self.languages else (self.languages[0] if self.languages else "es")

    def tables(self, language: str) -> list[StatTable]:
        built = self.frozen.get("tables") or {}
        return [StatTable.from_json(data) for data in built.get(self.language_for(language), [])]

    @property
    def period_label(self) -> str:
        return f"{self.period_start:%Y-%m} – {self.period_end:%Y-%m}"


def month_end(first: date) -> date:
    """The last day of the month that starts on `first`."""
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# --- Situation reports (issue 16, part 6) ---


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
    INTERRUPTED = (
        "interrupted",
        _("The build stopped before it ended (the server restarted or ran out of memory). Request it again."),
    )


def stalled_before(now: datetime) -> datetime:
    """A build that started before this and is still "being built" was cut short."""
    return now - timedelta(minutes=int(settings.INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES))


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
    def stalled(self) -> bool:
        """Still "being built" long after it started: the build was cut short (the worker stopped)."""
        return (
            self.status == ReportStatus.BUILDING
            and self.started_at is not None
            and self.started_at < stalled_before(timezone.now())
        )

    @property
    def pending(self) -> bool:
        return self.status in {ReportStatus.QUEUED, ReportStatus.BUILDING} and not self.stalled

    @property
    def failure_text(self) -> str:
        return str(ReportFailure(self.failure).label) if self.failure in ReportFailure.values else ""

    @property
    def filename(self) -> str:
        where = self.scope_country.lower() if self.scope_kind == ReportScope.COUNTRY else self.scope_kind
        return f"situation-report-{where}-{self.period_start:%Y-%m}-{self.period_end:%Y-%m}-{self.language}.pdf"
