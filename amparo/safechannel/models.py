"""The safe anonymous channel's records. Only triage metadata is in clear (risk level, municipality, dates, status);
everything a survivor writes or sends is ciphertext under the report's own key (see crypto.py)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelSettings(models.Model):
    """A member organisation's participation in the channel: its recovery public key and retention period."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="channel_settings"
    )
    receives_reports = models.BooleanField(_("receives reports through the safe channel"), default=True)
    # The coordinator keeps the matching private key offline; it restores access after lost passwords.
    recovery_public_key = models.BinaryField(max_length=32)
    recovery_key_created_at = models.DateTimeField(default=timezone.now)
    retention_days = models.PositiveIntegerField(
        _("days a report is kept after its last activity"), default=settings.SAFECHANNEL_RETENTION_DAYS
    )

    class Meta:
        verbose_name = _("safe channel settings")
        verbose_name_plural = _("safe channel settings")

    def __str__(self) -> str:
        return str(self.organization)


class RecipientKey(models.Model):
    """A staff member's key pair; the private key encrypted under a key derived from their password."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_key")
    public_key = models.BinaryField(max_length=32)
    password_salt = models.BinaryField(max_length=16)
    locked_private_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"key of user {self.user_id}"


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Received, not yet read")
        IN_PROGRESS = "in_progress", _("Being handled")
        WAITING = "waiting", _("Waiting for your answer")
        CLOSED = "closed", _("Closed")

    class Risk(models.IntegerChoices):
        # Persecution by the aggressor weighs more than a state-agent aggressor; both together are highest.
        ROUTINE = 0, _("routine")
        STATE_AGENT = 1, _("aggressor is a state agent")
        PERSECUTED = 2, _("aggressor is persecuting her")
        PERSECUTED_STATE_AGENT = 3, _("persecuted by a state agent")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="reports")
    place = models.ForeignKey("directory.Place", on_delete=models.PROTECT, related_name="+")
    risk = models.PositiveSmallIntegerField(choices=Risk.choices, default=Risk.ROUTINE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    routed_by_platform = models.BooleanField(default=False)
    receipt_lookup = models.CharField(max_length=64, unique=True)
    receipt_sealed_key = models.BinaryField()
    recovery_sealed_key = models.BinaryField()
    content = models.BinaryField()
    receipt_confirmed = models.BooleanField(default=False)
    # Filed before receipts carried a check digit: while one is live, receipts that fail the check still go
    # through the counted path (docs/safechannel.md, "Malformed receipts").
    legacy_receipt = models.BooleanField(default=False)
    case_consent_at = models.DateTimeField(null=True, blank=True)
    awaiting_staff = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "-risk", "due_at"], name="sc_report_inbox")]

    def __str__(self) -> str:
        return f"report {self.uuid}"

    @property
    def persecuted(self) -> bool:
        return bool(self.risk & 2)

    @property
    def state_agent(self) -> bool:
        return bool(self.risk & 1)


class KeyGrant(models.Model):
    """The report key sealed to one recipient's public key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="grants")
    recipient = models.ForeignKey(RecipientKey, on_delete=models.CASCADE, related_name="grants")
    sealed_key = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "recipient"], name="sc_one_grant")]

    def __str__(self) -> str:
        return f"grant {self.report_id} → {self.recipient_id}"


class Message(models.Model):
    class Author(models.TextChoices):
        SURVIVOR = "survivor", _("You")
        STAFF = "staff", _("Organisation")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=Author.choices)
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.author})"


class Attachment(models.Model):
    """An encrypted file in SAFECHANNEL_STORAGE_DIR; its name, type and size are inside `meta`, encrypted."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    meta = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attachment {self.uuid}"


class ReceiptSession(models.Model):
    """A survivor signed in with her receipt. The report key is stored wrapped under a key derived from the
    cookie's token, which only her browser holds; only a hash of the token is here."""

    token_hash = models.CharField(max_length=64, unique=True)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    wrapped_key = models.BinaryField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"receipt session {self.pk}"


class SharingConsent(models.Model):
    """DESIGN.md rule 2 through the channel: the survivor's own consent, per referral type, that the receiving
    organisation refers her to a service of that type and shares what the referral names. Given and withdrawn only
    by her, signed in with her receipt (so "by whom" is always she, "how" always the channel); a withdrawal is a
    date on the row and takes effect at once (safechannel.services.survivor_sharing_consent)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sharing_consents")
    kind = models.CharField(max_length=20)  # an amparo.vocab.SHARING_KINDS value
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "kind"], condition=models.Q(withdrawn_at__isnull=True), name="sc_one_active_sharing"
            )
        ]
        ordering = ["given_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.kind}"


class UsedFormToken(models.Model):
    """Form tokens already spent, so a replayed submission is refused (kept only until the token expires)."""

    nonce_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"used form token {self.pk}"
