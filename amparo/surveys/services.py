"""Writes of the surveys app, one transaction each, audited in it: publishing an XLSForm version, receiving a
submission (from a phone, the web entry or an import: one path, the same checks), storing a decrypted one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record
from amparo.core.encryption import encrypt_bytes
from amparo.directory.models import Place

from . import tasks
from .analysis_store import extend_codebook, fill_analysis
from .extract import (
    InstanceError,
    extract,
    instance_identity,
    is_envelope,
    local_name,
    parse_instance,
    values_by_path,
)
from .keys import key_fingerprint_of, manifest_problem, with_organization_key
from .models import Attachment, Form, FormVersion, Submission
from .xlsform import FormProblem, XLSFormError, compile_xlsform

# pyxform's JSON types of questions whose answer is a file name sent as an attachment.
MEDIA_TYPES = frozenset({"photo", "image", "audio", "video", "file", "background-audio", "signature"})
FACET_FIELDS = (
    "municipality_pcode",
    "zone_type",
    "gender_identity",
    "nationality",
    "migratory_status",
    "age_band",
    "interview_date",
    "statistics_consent",
)


class SubmissionError(ValueError):
    """A submission refused, with a code the entry points map to their status (OpenRosa: 400, 404, 409, 413)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IncomingFile:
    name: str
    content_type: str
    data: bytes


def max_attachment_bytes() -> int:
    return int(getattr(settings, "SURVEYS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def max_attachments() -> int:
    return int(getattr(settings, "SURVEYS_MAX_ATTACHMENTS", 20))


# --- Forms -----------------------------------------------------------------------------------------------------


def publish_xlsform(
    *, organization: Any, filename: str, data: bytes, user: Any, form: Form | None = None
) -> FormVersion:
    """Compile and publish an XLSForm as a new, immutable version (of `form` if given, else of the organisation's
    form with the same form id, created if new). Raises XLSFormError; nothing is saved then."""
    compiled = compile_xlsform(filename, data)
    compiled = with_organization_key(form.organization if form is not None else organization, compiled)
    if form is not None and compiled.form_id != form.form_id:
        raise XLSFormError(
            [
                FormProblem(
                    _("This file is the form “%(found)s”, not “%(expected)s”: check form_id in the settings sheet.")
                    % {"found": compiled.form_id, "expected": form.form_id},
                    sheet="settings",
                )
            ]
        )
    with transaction.atomic():
        if form is None:
            form, _created = Form.objects.get_or_create(
                organization=organization, form_id=compiled.form_id, defaults={"title": compiled.title}
            )
        if form.versions.filter(version=compiled.version).exists():
            raise XLSFormError(
                [
                    FormProblem(
                        _("Version %(version)s of this form is already published; versions never change. Raise the "
                          "version in the settings sheet and upload again.") % {"version": compiled.version},
                        sheet="settings",
                    )
                ]
            )  # fmt: skip
        version = FormVersion.objects.create(
            form=form,
            version=compiled.version,
            title=compiled.title,
            xlsform=data,
            xlsform_name=filename[:200],
            xform=compiled.xform,
            md5=compiled.md5,
            languages=compiled.languages,
            schema=compiled.schema,
            warnings=compiled.warnings,
            encrypted=compiled.encrypted,
            public_key=compiled.public_key,
            uploaded_by=user,
        )
        if form.title != compiled.title:
            form.title = compiled.title
            form.save(update_fields=["title"])
        if extend_codebook(form) and form.submissions.exists():
            form_pk = form.pk
            transaction.on_commit(lambda: tasks.refresh_survey_analysis.enqueue(form_pk))
        audit_record(
            actor=user,
            action="survey.form.publish",
            obj=form,
            organization=form.organization,
            detail={"version": compiled.version, "questions": len(compiled.schema), "encrypted": compiled.encrypted},
        )
    return version


# --- Submissions -----------------------------------------------------------------------------------------------


def receive_submission(
    *,
    xml: bytes,
    attachments: Sequence[IncomingFile] = (),
    source: str,
    forms: QuerySet[Form],
    enumerator: Any = None,
    credential: Any = None,
) -> tuple[Submission, bool]:
    """Store one submission of a form among `forms` (the sender's scope). Returns (submission, created): a resent
    instanceID is not a second record (its new attachments, if Collect split the submission, are added). Raises
    SubmissionError with a code: malformed, no_instance_id, unknown_form, closed_form, unknown_version,
    not_encrypted, unexpected_encryption, too_large, too_many_files, undeclared_attachment."""
    try:
        root = parse_instance(xml)
    except InstanceError as exc:
        raise SubmissionError("malformed", str(exc)) from None
    form_id, version_name, instance_id = instance_identity(root)
    if not instance_id or len(instance_id) > 100:
        raise SubmissionError("no_instance_id", _("The submission has no valid meta/instanceID."))
    form = forms.filter(form_id=form_id).select_related("organization").first()
    if form is None:
        raise SubmissionError("unknown_form", _("No form with this id is open to you."))
    if not form.is_open:
        raise SubmissionError("closed_form", _("This form is closed and takes no more submissions."))
    version = form.versions.filter(version=version_name).first()
    if version is None:
        raise SubmissionError("unknown_version", _("This version of the form is not published here."))
    envelope = is_envelope(root)
    if version.encrypted and not envelope:
        raise SubmissionError("not_encrypted", _("This form is encrypted, and the submission arrived unencrypted."))
    if envelope and not version.encrypted:
        raise SubmissionError("unexpected_encryption", _("This form is not encrypted, and the submission is."))
    problem = manifest_problem(root) if envelope else ""
    if problem:
        raise SubmissionError("malformed", problem)
    check_attachments(version, root, attachments, envelope=envelope)
    check_attachment_types(version, root, attachments, envelope=envelope)
    with transaction.atomic():
        existing = Submission.objects.select_for_update().filter(form=form, instance_id=instance_id).first()
        if existing is not None:
            if changed_resend(existing, xml, source):
                raise SubmissionError(
                    "conflict",
                    _("A submission with this instanceID was already received with different XML; a resend that adds "
                      "files must send the same xml_submission_file."),
                )  # fmt: skip
            added = _add_attachments(existing, attachments)
            existing.attachments_added = added  # type: ignore[attr-defined]  # the OpenRosa answer: 201 if some, else 202
            audit_record(
                actor=enumerator,
                action="survey.submission.resend",
                obj=existing,
                organization=form.organization,
                detail={"source": source, "attachments_added": added},
            )
            return existing, False
        try:
            with transaction.atomic():
                submission = _create_submission(
                    form, version, root, xml, instance_id, source, enumerator, credential, envelope
                )
        except IntegrityError:
            # The same instance arrived twice at once: the other request stored it.
            existing = Submission.objects.get(form=form, instance_id=instance_id)
            return existing, False
        _add_attachments(submission, attachments)
        audit_record(
            actor=enumerator,
            action="survey.submission.receive",
            obj=submission,
            organization=form.organization,
            detail={"source": source, "version": version.version, "attachments": len(attachments)},
        )
    return submission, True


def _create_submission(
    form: Form,
    version: FormVersion,
    root: Element,
    xml: bytes,
    instance_id: str,
    source: str,
    enumerator: Any,
    credential: Any,
    envelope: bool,
) -> Submission:
    submission = Submission(
        form=form,
        version=version,
        organization=form.organization,
        instance_id=instance_id,
        source=source,
        enumerator=enumerator if getattr(enumerator, "is_authenticated", False) else None,
        credential=credential,
        raw_instance=xml.decode("utf-8", errors="replace"),
        encrypted=envelope,
        key_fingerprint=key_fingerprint_of(version) if envelope else "",
    )
    if envelope:
        fill_analysis(submission, version.form.codebook)  # no answers yet: not "stale", counted as encrypted
    else:
        apply_extracted(submission, version, root)
    submission.save(force_insert=True)
    return submission


def apply_extracted(
    submission: Submission, version: FormVersion, root: Element, zones: dict[str, str] | None = None
) -> None:
    """Fill the closed answers, their analysis bits and the facets of a readable instance (the zone from the
    municipality when the form does not ask it; the date from the reception when the form has no date). `zones`:
    the municipalities' zone types already looked up, for a batch."""
    found = extract(version.schema, root)
    submission.answers = found.answers
    fill_analysis(submission, version.form.codebook)
    for name in FACET_FIELDS:
        setattr(
            submission, name, found.facets.get(name, None if name in {"interview_date", "statistics_consent"} else "")
        )
    pcode = submission.municipality_pcode
    if pcode and not submission.zone_type:
        zones = {} if zones is None else zones
        if pcode not in zones:
            place = Place.objects.filter(pcode=pcode).only("zone").first()
            zones[pcode] = place.zone if place is not None else ""
        submission.zone_type = zones[pcode]
    if submission.interview_date is None:
        submission.interview_date = timezone.localdate(submission.received_at or timezone.now())


def declared_files(version: FormVersion, root: Element, *, envelope: bool) -> set[str]:
    """The attachment names an instance declares: the answers of its media questions, or for an envelope its
    encryptedXmlFile and media/file entries."""
    if envelope:
        return {
            (element.text or "").strip()
            for element in root.iter()
            if local_name(element.tag) in {"encryptedXmlFile", "file"} and element.text
        }
    values = values_by_path(root)
    return {values[q["path"]] for q in version.schema if q["type"] in MEDIA_TYPES and values.get(q["path"])}


def check_attachments(
    version: FormVersion, root: Element, attachments: Sequence[IncomingFile], *, envelope: bool
) -> None:
    if len(attachments) > max_attachments():
        raise SubmissionError("too_many_files", _("The submission has more files than allowed."))
    declared = declared_files(version, root, envelope=envelope)
    for incoming in attachments:
        if len(incoming.data) > max_attachment_bytes():
            raise SubmissionError("too_large", _("A file of the submission is larger than allowed."))
        if incoming.name not in declared:
            raise SubmissionError(
                "undeclared_attachment",
                _("The file “%(name)s” is not one the form's answers name.") % {"name": incoming.name[:100]},
            )


def _add_attachments(submission: Submission, attachments: Sequence[IncomingFile]) -> int:
    have = set(submission.attachments.values_list("filename", flat=True))
    new = [
        Attachment(
            submission=submission,
            filename=incoming.name[:200],
            content_type=incoming.content_type[:100],
            size=len(incoming.data),
            content=encrypt_bytes(incoming.data),
        )
        for incoming in attachments
        if incoming.name[:200] not in have
    ]
    Attachment.objects.bulk_create(new)
    return len(new)


def store_decrypted(
    submission: Submission, xml: bytes, attachments: Sequence[IncomingFile] = (), *, actor: Any = None
) -> Submission:
    """Keep the decrypted instance of an ODK-encrypted submission (encrypted at rest with the server's field keys)
    and its closed answers and facets; the decrypted files replace the `.enc` ones. Audited."""
    try:
        root = parse_instance(xml)
    except InstanceError as exc:
        raise SubmissionError("malformed", str(exc)) from None
    with transaction.atomic():
        submission.raw_instance = xml.decode("utf-8", errors="replace")
        submission.encrypted = False
        submission.decrypted_at = timezone.now()
        apply_extracted(submission, submission.version, root)
        submission.save()
        if attachments:
            submission.attachments.all().delete()
            _add_attachments(submission, attachments)
        audit_record(
            actor=actor,
            action="survey.submission.decrypt",
            obj=submission,
            organization=submission.organization,
            detail={"attachments": len(attachments)},
        )
    return submission


def changed_resend(existing: Submission, xml: bytes, source: str) -> bool:
    """A phone's resend of an instanceID it already sent, with different XML (ODK Central answers 409 too): Collect
    resends the same XML with the rest of the files when it splits a submission, never another one."""
    if source != Submission.Source.OPENROSA or existing.source != source or existing.decrypted_at is not None:
        return False
    return existing.raw_instance != xml.decode("utf-8", errors="replace")


# What a media question's file must be, by its contents (the phone's claimed type and the name are not trusted).
MEDIA_KINDS = {
    "photo": "image",
    "image": "image",
    "signature": "image",
    "audio": "audio",
    "background-audio": "audio",
    "video": "video",
}


def check_attachment_types(
    version: FormVersion, root: Element, attachments: Sequence[IncomingFile], *, envelope: bool
) -> None:
    """Each file is of the kind its question declares (an image question takes an image, by its contents); an
    envelope's files are ciphertext, checked by the decryption."""
    if envelope or not attachments:
        return
    import filetype

    values = values_by_path(root)
    kinds = {values[q["path"]]: MEDIA_KINDS.get(q["type"], "") for q in version.schema if values.get(q["path"])}
    for incoming in attachments:
        wanted = kinds.get(incoming.name, "")
        if not wanted:
            continue  # a `file` question takes any file
        guessed = filetype.guess(incoming.data)
        if guessed is None or not guessed.mime.startswith(wanted + "/"):
            raise SubmissionError(
                "wrong_attachment_type",
                _("The file “%(name)s” is not the kind of file its question takes.") % {"name": incoming.name[:100]},
            )


# --- Imports of ODK Central / KoboToolbox exports (imports.py) ---------------------------------------------------


def receive_import_batch(
    *, version: FormVersion, documents: Sequence[tuple[str, bytes, datetime | None]], user: Any
) -> tuple[int, int]:
    """Store a batch of imported instances of one form version (`imports.py` builds them from the rows of an
    export): the checks of `receive_submission` (parsed with defusedxml, form id, version and instanceID read back
    from each document, open form, no ODK encryption expected), then one transaction for the batch with one audit
    entry (ids and counts). Each document comes with the time the exporting tool received it, the submission's
    `received_at` (None: now). Idempotent on the instance id: returns (created, already stored)."""
    form = version.form
    if not form.is_open:
        raise SubmissionError("closed_form", _("This form is closed and takes no more submissions."))
    if version.encrypted:
        raise SubmissionError(
            "not_encrypted",
            _("This form is encrypted on the phones: an export in clear cannot be imported into it."),
        )
    built: dict[str, Submission] = {}
    zones: dict[str, str] = {}
    for expected_id, xml, received_at in documents:
        try:
            root = parse_instance(xml)
        except InstanceError as exc:
            raise SubmissionError("malformed", str(exc)) from None
        form_id, version_name, instance_id = instance_identity(root)
        if form_id != form.form_id or version_name != version.version:
            raise SubmissionError("unknown_version", _("This version of the form is not published here."))
        if not instance_id or len(instance_id) > 100 or instance_id != expected_id:
            raise SubmissionError("no_instance_id", _("The submission has no valid meta/instanceID."))
        if is_envelope(root):
            raise SubmissionError("unexpected_encryption", _("This form is not encrypted, and the submission is."))
        if instance_id in built:
            continue
        submission = Submission(
            form=form,
            version=version,
            organization=form.organization,
            instance_id=instance_id,
            source=Submission.Source.IMPORT,
            raw_instance=xml.decode("utf-8", errors="replace"),
            received_at=received_at or timezone.now(),
        )
        apply_extracted(submission, version, root, zones)
        built[instance_id] = submission
    with transaction.atomic():
        already = set(
            Submission.objects.filter(form=form, instance_id__in=list(built)).values_list("instance_id", flat=True)
        )
        new = [s for instance_id, s in built.items() if instance_id not in already]
        Submission.objects.bulk_create(new, batch_size=500)
        audit_record(
            actor=user,
            action="survey.import",
            obj=form,
            organization=form.organization,
            detail={"version": version.version, "created": len(new), "already": len(already)},
        )
    return len(new), len(already)
