"""Support between organisations (issue 17, part 4; docs/campaigns-bulletin.md): the bulletin and the orientation
library. Organisational information only: nothing about a survivor is allowed in either (the forms refuse phone
numbers and case codes, and say why).

Who reads a post or a document follows membership: the staff of the organisations in its audience, which is
- the organisations working in the same department (first administrative level) as the place it concerns,
- the organisations working in the same country,
- or every member organisation (the region).
An organisation "works" where its areas are (`accounts.Organization.areas`); an area that is a whole country covers
all of it. The author's organisation always reads its own. The place's country and department are kept as P-codes
with the post, so the audience is one indexed filter.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Audience", "BulletinPost", "DocumentKind", "LibraryDocument", "LibraryVersion", "PostKind"]


class Audience(models.TextChoices):
    AREA = "area", _("Organisations working in the same department")
    COUNTRY = "country", _("Organisations working in the same country")
    REGION = "region", _("Every member organisation (the region)")


class PostKind(models.TextChoices):
    RISK_ALERT = "risk_alert", _("Risk alert (raids, new threats)")
    SERVICE_CHANGE = "service_change", _("A service changed")
    TRAINING = "training", _("Training")
    NEWS = "news", _("News of the network")


class DocumentKind(models.TextChoices):
    GUIDE = "guide", _("Guide")
    PROTOCOL = "protocol", _("Protocol")
    TRAINING = "training", _("Training material")
    OTHER = "other", _("Other")


class _Shared(models.Model):
    """What a post and a document share: who wrote it, for whom, about where."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    audience = models.CharField(_("who reads it"), max_length=12, choices=Audience.choices)
    place = models.ForeignKey(
        "directory.Place", verbose_name=_("place it concerns"), on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(max_length=16, editable=False)  # the place's country P-code
    admin1 = models.CharField(max_length=16, blank=True, editable=False)  # its department's, "" for a country
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class BulletinPost(_Shared):
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices)
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("text"), max_length=2000)
    expires_on = models.DateField(_("shown until"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulletin post")
        verbose_name_plural = _("bulletin posts")
        indexes = [models.Index(fields=["audience", "country", "admin1", "expires_on"], name="bulletin_audience")]

    def __str__(self) -> str:
        return self.title


class LibraryDocument(_Shared):
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what it is for"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=8)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("library document")
        verbose_name_plural = _("library documents")
        indexes = [models.Index(fields=["audience", "country", "admin1"], name="library_audience")]

    def __str__(self) -> str:
        return self.title


class LibraryVersion(models.Model):
    """One version of a document: the checked file (PDF or image, contents matching the name, images re-encoded
    without metadata: core.uploads), kept in the database like the situation reports' PDFs (backed up with it)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(LibraryDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    issued_on = models.DateField(_("date of this version"))
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="library_version_once")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"
