"""Cases (GBVIMS-aligned). Identifying data (names, contact, documents, addresses, narratives) is encrypted at rest
(core.encryption, DESIGN.md rule 3); a case is known by a pseudonymous code. Demographics stay in clear, in bands,
for statistics counted only with the survivor's consent."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from amparo.core.encryption import EncryptedTextField

from .vocab import (
    AgeBand,
    CareArrangement,
    ChildRisk,
    ConsentKind,
    ConsentMethod,
    ContextTag,
    GBVType,
    GenderIdentity,
    MigratoryStatus,
    PerpetratorType,
    TraffickingIndicator,
    YesNoUnknown,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and written by hand


def new_case_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"C-{body[:4]}-{body[4:]}"


def new_child_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"N-{body}"


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case status", "Open")
        CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
        CLOSED = "closed", _("Closed")

    class ClosedAs(models.TextChoices):
        COMPLETED = "completed", _("Completed (closure checklist approved)")
        DUPLICATE = "duplicate", _("Duplicate of another case")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("case code"), max_length=16, unique=True, default=new_case_code, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="cases")
    caseworkers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="assigned_cases", blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised_cases"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closure_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closure_checklist = models.JSONField(default=dict, blank=True)  # item code -> bool; no identifying data
    closed_as = models.CharField(max_length=12, choices=ClosedAs.choices, blank=True)
    # A duplicate is closed with a link to the case kept (services.case_close_as_duplicate).
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates", editable=False
    )
    trafficking_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The case remembers its alert (the alert does not know the case), so that her later consents reach it.
    trafficking_alert = models.OneToOneField(
        "TraffickingAlert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    source_report = models.OneToOneField(
        "safechannel.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="case"
    )

    # Identifying data: encrypted at rest.
    full_name = EncryptedTextField(_("name she uses"), blank=True)
    contact = EncryptedTextField(_("safe contact (phone, how and when)"), blank=True)
    document = EncryptedTextField(_("identity document"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    narrative = EncryptedTextField(_("her account, in her words"), blank=True)

    # Demographics for statistics: bands and categories only.
    age_band = models.CharField(_("age"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    gender_identity = models.CharField(
        _("gender identity"), max_length=12, choices=GenderIdentity.choices, default=GenderIdentity.NOT_SAID
    )
    nationality = CountryField(_("nationality"), blank=True)  # ISO 3166-1 alpha-2 (django-countries)
    migratory_status = models.CharField(
        _("migratory status"), max_length=16, choices=MigratoryStatus.choices, default=MigratoryStatus.UNKNOWN
    )
    disability = models.CharField(
        _("disability"), max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )
    place = models.ForeignKey(
        "directory.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality where she lives"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "-opened_at"], name="case_list")]

    def __str__(self) -> str:
        return self.code

    @property
    def nationality_name(self) -> str:
        from amparo.core.countries import country_name

        return country_name(str(self.nationality or ""))

    @property
    def zone_type(self) -> str:
        return self.place.zone if self.place is not None else ""


class Consent(models.Model):
    """DESIGN.md rule 2: consent is data. One row per grant; withdrawal is a date on it, effective at once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(withdrawn_at__isnull=True), name="one_active_consent_per_kind"
            )
        ]
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class Incident(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents")
    occurred_at = models.DateTimeField(_("when it happened"))
    time_known = models.BooleanField(_("the time of day is known"), default=True)
    first_reported_at = models.DateTimeField(_("first told to anyone (us or another service)"), default=timezone.now)
    place = models.ForeignKey(
        "directory.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    elimination_answers = models.JSONField(default=dict)  # question key -> bool (vocab.ELIMINATION_QUESTIONS)
    gbv_type = models.CharField(max_length=48, choices=GBVType.choices)
    context_tags = models.JSONField(default=list, blank=True)
    perpetrator_types = models.JSONField(default=list, blank=True)
    perpetrator_count = models.PositiveSmallIntegerField(default=1)
    description = EncryptedTextField(_("what happened (her words)"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.gbv_type}"

    @property
    def reporting_delay(self) -> timedelta:
        return max(self.first_reported_at - self.occurred_at, timedelta(0))

    @property
    def context_labels(self) -> list[str]:
        labels = dict(ContextTag.choices)
        return [str(labels.get(code, code)) for code in self.context_tags]

    @property
    def perpetrator_labels(self) -> list[str]:
        labels = dict(PerpetratorType.choices)
        return [str(labels.get(code, code)) for code in self.perpetrator_types]

    @property
    def reporting_delay_band(self) -> str:
        """GBVIMS bands (non-overlapping: day 4 is 4–5 days)."""
        days = self.reporting_delay.total_seconds() / 86400
        if days < 4:
            return "0_3_days"
        if days < 6:
            return "4_5_days"
        if days < 15:
            return "6_14_days"
        if days <= 31:
            return "2_weeks_1_month"
        return "over_1_month"


class RiskAssessment(models.Model):
    class Level(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_assessments")
    assessed_at = models.DateTimeField(default=timezone.now)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    persecution = models.CharField(
        _("the aggressor is persecuting her"), max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )
    trafficking_indicators = models.JSONField(default=list, blank=True)
    # The risk questions (cases/risk.py, content/risk-questions.json): the keys answered yes, the question set's
    # version, the score and the level the answers gave. `level` is the level in force: the highest of that, the
    # persecution and trafficking rule, and her judgement (raised with a reason; a score never lowers it).
    answers = models.JSONField(default=list, blank=True)
    questions_version = models.CharField(max_length=40, blank=True)
    score = models.PositiveSmallIntegerField(default=0)
    computed_level = models.CharField(_("level the answers give"), max_length=8, choices=Level.choices, blank=True)
    raised_reason = EncryptedTextField(_("why she raised the level"), blank=True)
    level = models.CharField(_("risk level"), max_length=8, choices=Level.choices)
    safety_plan = EncryptedTextField(_("safety plan"), blank=True)

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.level}"

    @property
    def indicator_labels(self) -> list[str]:
        labels = dict(TraffickingIndicator.choices)
        return [str(labels.get(code, code)) for code in self.trafficking_indicators]

    @property
    def answer_labels(self) -> list[str]:
        from .risk import questions

        known = questions().by_key()
        return [known[key].label if key in known else key for key in self.answers]

    @property
    def raised(self) -> bool:
        """Her judgement raised the level above what the answers and indicators gave."""
        return bool(self.raised_reason)


class ActionItem(models.Model):
    """The action plan and its follow-ups."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    description = EncryptedTextField(_("action"))
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:action {self.pk}"


class Child(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="children")
    code = models.CharField(max_length=12, unique=True, default=new_child_code, editable=False)
    age_band = models.CharField(_("age"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    risks = models.JSONField(default=list, blank=True)
    care_arrangement = models.CharField(
        _("alternative care"), max_length=16, choices=CareArrangement.choices, default=CareArrangement.WITH_SURVIVOR
    )
    care_notes = EncryptedTextField(_("care notes (who, where)"), blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code

    @property
    def risk_labels(self) -> list[str]:
        labels = dict(ChildRisk.choices)
        return [str(labels.get(code, code)) for code in self.risks]


class TraffickingAlert(models.Model):
    """Raised for the Ombudsman monitors of the area when a case shows trafficking indicators. It holds no identity
    and no link to the case (DESIGN.md rule 1: monitors see trends, not cases), unless the survivor consented to
    more (`detail_consented`, and then `case_code` only)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    place = models.ForeignKey("directory.Place", on_delete=models.PROTECT, related_name="+")
    gbv_type = models.CharField(max_length=48, choices=GBVType.choices, blank=True)
    indicators = models.JSONField(default=list)
    raised_on = models.DateField(default=timezone.localdate)
    detail_consented = models.BooleanField(default=False)
    case_code = models.CharField(max_length=16, blank=True)
    # Only alerts of survivors who consent to statistics count in the trends (DESIGN.md rule 6).
    statistics_consented = models.BooleanField(default=False)
    reporting_organization = models.ForeignKey(
        "accounts.Organization", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_on", "-pk"]

    def __str__(self) -> str:
        return f"alert {self.uuid}"


class LegalMatter(models.Model):
    """A legal proceeding on a case (legal aid): complaints, custody, eviction mediation."""

    class Kind(models.TextChoices):
        CRIMINAL_COMPLAINT = "criminal_complaint", _("Criminal complaint for sexual violence")
        INTRAFAMILY_COMPLAINT = "intrafamily_complaint", _("Complaint of intrafamily violence")
        STATE_AGENT_COMPLAINT = "state_agent_complaint", _("Complaint against a state agent")
        CUSTODY = "custody", _("Custody of children")
        EVICTION = "eviction", _("Eviction mediation")
        OTHER = "other", _("Other legal matter")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        FILED = "filed", _("Filed")
        IN_PROGRESS = "in_progress", _("In progress")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", _("Closed")

    class ClosedAs(models.TextChoices):
        COMPLETED = "completed", _("Completed (closure checklist approved)")
        DUPLICATE = "duplicate", _("Duplicate of another case")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_matters")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARING)
    entity = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entity where it is filed"),
    )
    filing_reference = EncryptedTextField(_("filing number"), blank=True)
    parties = EncryptedTextField(_("parties (names and roles)"), blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="legal_matters"
    )

    class Meta:
        ordering = ["-opened_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class LegalEvent(models.Model):
    """A deadline, hearing or document of a legal matter."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Legal deadline")
        HEARING = "hearing", _("Hearing")
        DOCUMENT = "document", _("Document")

    matter = models.ForeignKey(LegalMatter, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("date"), db_index=True)
    description = EncryptedTextField(_("description"), blank=True)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.matter_id}:{self.kind}"


class LegalDocument(models.Model):
    """A file of a legal matter, encrypted with the field keys (core.encryption) in CASES_STORAGE_DIR; its name is
    encrypted too. Type and size stay in clear for the list."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    matter = models.ForeignKey(LegalMatter, on_delete=models.CASCADE, related_name="documents")
    name = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"document {self.uuid}"


class CaseSearchToken(models.Model):
    """One token of the blind search index of a case's name or document (cases/search.py, core/blind_index.py): a
    truncated HMAC under CASE_SEARCH_KEY, never the text. Rebuilt whenever the name or document changes."""

    class Field(models.TextChoices):
        NAME = "name", "name"
        DOCUMENT = "document", "document"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="search_tokens")
    field = models.CharField(max_length=8, choices=Field.choices)
    token = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["field", "token"], name="case_search_token")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.field}"


class CaseNote(models.Model):
    """A dated note of the caseworker (what was done, said, agreed), encrypted like the narrative."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    noted_on = models.DateField(_("date"), default=timezone.localdate)
    text = EncryptedTextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-noted_on", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id}:note {self.pk}"


class CaseFile(models.Model):
    """A file of the case (a report from the hospital, a photo of an injury, a signed consent), checked by
    core.uploads and encrypted with the field keys in CASES_STORAGE_DIR like legal documents; its name is encrypted
    too. Type and size stay in clear for the list."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files")
    name = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"case file {self.uuid}"


# What a transfer can carry (the services copy each part; labels here for forms and pages).
TRANSFER_PARTS = {
    "identity": _("Her name, contact, document and address"),
    "profile": _("Age, gender identity, nationality, migratory status, disability and municipality"),
    "incidents": _("Incidents: type, date, place and aggressors (never the description)"),
    "risk": _("The latest risk level and trafficking indicators (never the safety plan)"),
    "children": _("Her children: age, risks and care arrangement (never the care notes)"),
}


class CaseTransfer(models.Model):
    """A case handed to another member organisation with her consent (issue 13, item 8). What travels is chosen from
    `casework_services.TRANSFERABLE`; everything else stays with the sending organisation's case, which is closed
    when the receiving organisation accepts. Audited on both sides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiving organisation")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    to_organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    travels = models.JSONField(default=list)
    reason = EncryptedTextField(_("why she is transferred (no names)"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    new_case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="transferred_from"
    )
    # The referrals of the case still open when the transfer was accepted, which the acceptance cancelled (her
    # consents to share stay with the sending organisation): what the receiving organisation is told, to refer her
    # again. Type, service, its organisation, status and date only; written by `cases.signals.case_transferred`.
    open_referrals = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="one_pending_transfer_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.uuid}"

    @property
    def travel_labels(self) -> list[str]:
        return [str(TRANSFER_PARTS.get(code, code)) for code in self.travels]
