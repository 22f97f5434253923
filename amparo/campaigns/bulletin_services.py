"""Writes of the bulletin and the library, one transaction each, audited in it (no content in the audit: ids,
kinds and audiences only). Readers are notified by the staff's day (`today.receivers`), which listens to these
saves: this app does not know it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_record
from amparo.core.uploads import CleanFile
from amparo.directory.models import Place

from .bulletin_models import Audience, BulletinPost, LibraryDocument, LibraryVersion
from .bulletin_selectors import place_codes, survivor_data_found

LIBRARY_LANGUAGES = ("es", "en", "pt")


def check_no_survivor_data(*texts: str) -> None:
    """Refuse a text that looks like it carries a person's phone number or a case code (a ValidationError that
    says what was found and why)."""
    found = [item for text in texts for item in survivor_data_found(text)]
    if found:
        raise ValidationError(
            _(
                "The bulletin and the library are for organisations: nothing about a survivor may go in them. "
                "Remove what looks like a phone number or a case code: %(found)s."
            )
            % {"found": ", ".join(found[:3])}
        )


@dataclass(frozen=True)
class PostInput:
    kind: str
    title: str
    body: str
    audience: str
    place: Place
    expires_on: date


def post_publish(*, actor: User, organization: Organization, data: PostInput) -> BulletinPost:
    if data.audience not in Audience.values:
        raise ValidationError(_("Choose who reads it."))
    if data.expires_on < timezone.localdate():
        raise ValidationError(_("The date it is shown until has passed."))
    check_no_survivor_data(data.title, data.body)
    country, admin1 = place_codes(data.place)
    with transaction.atomic():
        post = BulletinPost.objects.create(
            organization=organization, author=actor, kind=data.kind, title=data.title.strip(), body=data.body.strip(),
            audience=data.audience, place=data.place, country=country, admin1=admin1, expires_on=data.expires_on,
        )  # fmt: skip
        audit_record(
            actor=actor, action="campaigns.bulletin.post", obj=post, organization=organization,
            detail={"kind": post.kind, "audience": post.audience, "country": country, "admin1": admin1},
        )  # fmt: skip
    return post


def post_withdraw(*, actor: User, post: BulletinPost) -> BulletinPost:
    with transaction.atomic():
        post = BulletinPost.objects.select_for_update().get(pk=post.pk)
        if post.withdrawn_at is None:
            post.withdrawn_at = timezone.now()
            post.save(update_fields=["withdrawn_at"])
            audit_record(actor=actor, action="campaigns.bulletin.withdraw", obj=post, organization=post.organization)
    return post


@dataclass(frozen=True)
class DocumentInput:
    kind: str
    title: str
    description: str
    language: str
    audience: str
    place: Place


def _version_add(actor: User, document: LibraryDocument, clean: CleanFile, issued_on: date) -> LibraryVersion:
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = LibraryVersion.objects.create(
        document=document, number=number, issued_on=issued_on, filename=clean.name[:200],
        content_type=clean.content_type, size=len(clean.data), sha256=hashlib.sha256(clean.data).hexdigest(),
        data=clean.data, uploaded_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action="campaigns.library.version", obj=document, organization=document.organization,
        detail={"version": number, "bytes": version.size, "type": version.content_type},
    )  # fmt: skip
    return version


def document_add(
    *, actor: User, organization: Organization, data: DocumentInput, clean: CleanFile, issued_on: date
) -> LibraryDocument:
    if data.language not in LIBRARY_LANGUAGES:
        raise ValidationError(_("Choose Spanish, English or Portuguese."))
    if data.audience not in Audience.values:
        raise ValidationError(_("Choose who reads it."))
    check_no_survivor_data(data.title, data.description)
    country, admin1 = place_codes(data.place)
    with transaction.atomic():
        document = LibraryDocument.objects.create(
            organization=organization, author=actor, kind=data.kind, title=data.title.strip(),
            description=data.description.strip(), language=data.language, audience=data.audience, place=data.place,
            country=country, admin1=admin1,
        )  # fmt: skip
        audit_record(
            actor=actor, action="campaigns.library.add", obj=document, organization=organization,
            detail={"kind": document.kind, "audience": document.audience, "language": document.language},
        )  # fmt: skip
        _version_add(actor, document, clean, issued_on)
    return document


def version_add(*, actor: User, document: LibraryDocument, clean: CleanFile, issued_on: date) -> LibraryVersion:
    with transaction.atomic():
        document = LibraryDocument.objects.select_for_update().get(pk=document.pk)
        return _version_add(actor, document, clean, issued_on)


def document_withdraw(*, actor: User, document: LibraryDocument) -> LibraryDocument:
    with transaction.atomic():
        document = LibraryDocument.objects.select_for_update().get(pk=document.pk)
        if document.withdrawn_at is None:
            document.withdrawn_at = timezone.now()
            document.save(update_fields=["withdrawn_at"])
            audit_record(
                actor=actor, action="campaigns.library.withdraw", obj=document, organization=document.organization
            )
    return document
