"""Surveys (issue 14): XLSForm forms and their immutable versions, the phones that submit to them, and the
submissions, kept as received (encrypted at rest) beside the closed answers and the facets analysis counts by.

What is stored in clear and why (DESIGN.md rule 3): the closed answers (choices, numbers, dates) and the facets
(municipality P-code, zone type, gender identity, nationality, migratory status, age band, date, statistics consent)
are not identifying on their own and are what the aggregates need as plain SQL. Free text, the instance as received
and every attachment are encrypted at rest; an ODK-encrypted submission stays unreadable until an analyst with the
organisation's passphrase decrypts it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.encryption import EncryptedTextField


def default_retention_days() -> int:
    return int(getattr(settings, "SURVEYS_RETENTION_DAYS", 730))


class SurveyKey(models.Model):
    """An organisation's key pair for ODK-encrypted forms. The private half is stored only as PKCS#8 encrypted under
    the passphrase the coordinator chose (never stored): the server alone cannot read an encrypted submission."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="survey_keys")
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("public key"))
    private_key_pem = models.TextField(_("private key (encrypted under the passphrase)"))
    active = models.BooleanField(_("in use for new forms"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("survey key")
        verbose_name_plural = _("survey keys")

    def __str__(self) -> str:
        return f"{self.organization} · {self.fingerprint[:12]}"


class Form(models.Model):
    """A survey form of one organisation, identified by its XForm id; each upload makes a new FormVersion."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="survey_forms")
    form_id = models.CharField(_("form id"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    is_open = models.BooleanField(_("open for submissions"), default=True)
    retention_days = models.PositiveIntegerField(_("keep submissions for (days)"), default=default_retention_days)
    enumerators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="survey_forms", verbose_name=_("enumerators")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The (question, kind, code) pairs the characterisation counts, append-only: the bit positions of the
    # submissions' analysis words (codebook.py).
    codebook = models.JSONField(default=list, editable=False)

    class Meta:
        verbose_name = _("survey form")
        verbose_name_plural = _("survey forms")
        constraints = [models.UniqueConstraint(fields=["organization", "form_id"], name="unique_survey_form_id")]
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def latest_version(self) -> FormVersion | None:
        return self.versions.order_by("-created_at", "-pk").first()


class FormVersion(models.Model):
    """One published version of a form: the XLSForm as uploaded and the XForm pyxform compiled from it. Immutable:
    a change is a new upload, a new version; submissions keep the version they answered."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    xlsform = models.BinaryField(_("XLSForm as uploaded"))
    xlsform_name = models.CharField(_("file name"), max_length=200)
    xform = models.TextField(_("XForm"))
    md5 = models.CharField(max_length=32)
    languages = models.JSONField(_("languages"), default=list)
    # One dict per question, in form order: name, path, type, choices, facet, labels, read_only (xlsform.py).
    schema = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    encrypted = models.BooleanField(_("encrypted on the phone"), default=False)
    public_key = models.TextField(_("public key"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [models.UniqueConstraint(fields=["form", "version"], name="unique_survey_form_version")]

    def __str__(self) -> str:
        return f"{self.form.form_id} v{self.version}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("a published form version is immutable: upload a new version")
        super().save(*args, **kwargs)


class MediaFile(models.Model):
    """A file a form version needs on the phone (a CSV for select_one_from_file, an image), listed in its manifest."""

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="media")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    md5 = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "filename"], name="unique_survey_media_name")]

    def __str__(self) -> str:
        return self.filename


class EnumeratorCredential(models.Model):
    """What one enumerator's phone signs in with (HTTP Basic over HTTPS). The secret is shown once and stored as a
    Django password hash; revoking takes effect at the next request."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="enumerator_credentials"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enumerator_credentials")
    label = models.CharField(_("phone"), max_length=100)
    username = models.CharField(_("user name"), max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("enumerator credential")
        verbose_name_plural = _("enumerator credentials")

    def __str__(self) -> str:
        return f"{self.username} ({self.label})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Submission(models.Model):
    """One answered instance of a form version, unique per form by its instanceID (a resend is not a new record)."""

    class Source(models.TextChoices):
        OPENROSA = "openrosa", _("Phone (ODK Collect / KoboCollect)")
        WEB = "web", _("Web entry")
        IMPORT = "import", _("Import of an export")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    instance_id = models.CharField(_("instance id"), max_length=100)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    enumerator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_submissions"
    )
    credential = models.ForeignKey(
        EnumeratorCredential, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The instance as received, encrypted at rest; for an ODK-encrypted form, the envelope (keys and file names).
    raw_instance = EncryptedTextField()
    # ODK-encrypted and not yet decrypted: answers and facets are empty until an analyst decrypts it.
    encrypted = models.BooleanField(default=False)
    key_fingerprint = models.CharField(max_length=64, blank=True)
    decrypted_at = models.DateTimeField(null=True, blank=True)
    # Why decrypting it failed (our words: altered, incomplete...; never content); it waits for "try again".
    decryption_error = models.CharField(max_length=200, blank=True)
    # Closed answers by question name (choices, numbers, dates, calculations); free text never in clear.
    answers = models.JSONField(default=dict)
    municipality_pcode = models.CharField(max_length=16, blank=True, db_index=True)
    zone_type = models.CharField(max_length=8, blank=True)
    gender_identity = models.CharField(max_length=20, blank=True)
    nationality = models.CharField(max_length=2, blank=True)
    migratory_status = models.CharField(max_length=20, blank=True)
    age_band = models.CharField(max_length=8, blank=True)
    interview_date = models.DateField(null=True, blank=True)
    statistics_consent = models.BooleanField(null=True)
    # The closed answers as bits of the form's codebook, for counting (codebook.py); `analysis_size` is the length
    # of the codebook they were computed against (another length than the form's: counted from `answers`).
    analysis_size = models.PositiveIntegerField(default=0)
    analysis_0 = models.BigIntegerField(default=0)
    analysis_1 = models.BigIntegerField(default=0)
    analysis_2 = models.BigIntegerField(default=0)
    analysis_3 = models.BigIntegerField(default=0)
    analysis_4 = models.BigIntegerField(default=0)
    analysis_5 = models.BigIntegerField(default=0)
    analysis_6 = models.BigIntegerField(default=0)
    analysis_7 = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("survey submission")
        verbose_name_plural = _("survey submissions")
        constraints = [models.UniqueConstraint(fields=["form", "instance_id"], name="unique_survey_instance")]
        indexes = [
            models.Index(fields=["form", "zone_type"], name="survey_sub_form_zone"),
            models.Index(fields=["form", "gender_identity"], name="survey_sub_form_gender"),
            models.Index(fields=["form", "interview_date"], name="survey_sub_form_date"),
            models.Index(fields=["form", "analysis_size"], name="survey_sub_form_analysis"),
            # The statistics layer's respondents (insights.statistics.counted_submissions): an index-only scan of
            # the consented submissions by organisation and date, instead of reading the wide rows (answers,
            # analysis words): 0.7-1 s -> 0.2 s at 1,000,000 submissions (bench/insights.py). `include` is
            # PostgreSQL's; elsewhere the index is the four columns.
            models.Index(
                fields=["organization", "interview_date", "gender_identity", "zone_type"],
                include=["encrypted", "decrypted_at", "id"],  # COUNT("id") reads it
                condition=models.Q(statistics_consent=True),
                name="survey_sub_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form.form_id} {self.instance_id}"


class Attachment(models.Model):
    """A file sent with a submission (a photo, or an ODK-encrypted `.enc` file), encrypted at rest with the
    server's field keys (core.encryption), bounded before it is read."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "filename"], name="unique_survey_attachment_name")]

    def __str__(self) -> str:
        return self.filename
