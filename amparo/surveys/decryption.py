"""Decrypting a form's ODK-encrypted submissions for analysis, with the organisation's key passphrase.

An analyst or coordinator of the organisation types the passphrase; every key of the organisation that it opens
(the current one and retired ones) is unlocked for this request only. Each pending submission is matched to its key
by the fingerprint of the public key of the form version it answered, decrypted (`odk_crypto`), checked (the
signature if the phone wrote one, the form id and the instanceID inside the decrypted instance against the
manifest and the stored submission), and handed to `services.store_decrypted`, which extracts answers and facets
and keeps the decrypted instance and attachments encrypted at rest with the server's field keys.

The work per request is bounded (`SURVEYS_DECRYPT_BATCH` submissions per POST; the page says how many remain), so a
large batch never times out. A submission that cannot be decrypted (altered, incomplete, inconsistent) stays
encrypted, never half-stored (each one is written in its own savepoint), and is marked with the reason
(`decryption_error`, our own words, never content) so that it does not hold up the next batches; the page offers to
try those again. Submissions whose key the passphrase does not open are left for that key's passphrase. The batch
is audited once (`survey.decrypt`: counts and the form, never content).
"""

from __future__ import annotations

import mimetypes
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from amparo.audit.services import audit_record
from amparo.core.encryption import decrypt_bytes

from . import keys, odk_crypto
from .extract import InstanceError, instance_identity, parse_instance
from .models import Form, Submission
from .services import IncomingFile, SubmissionError, store_decrypted


@dataclass
class DecryptionResult:
    decrypted: int = 0
    failed: int = 0  # altered, incomplete or inconsistent: left encrypted, marked with the reason
    remaining: int = 0  # still waiting after this batch, with a key this passphrase opened
    other_key: int = 0  # waiting, encrypted with a key this passphrase does not open
    reasons: dict[str, int] = field(default_factory=dict)


def batch_size() -> int:
    return int(getattr(settings, "SURVEYS_DECRYPT_BATCH", 100))


def pending_submissions(form: Form) -> QuerySet[Submission]:
    """Encrypted submissions not decrypted yet, including those that failed (they keep `decryption_error`)."""
    return Submission.objects.filter(form=form, encrypted=True, decrypted_at__isnull=True)


def counts(form: Form) -> dict[str, int]:
    """For the decryption page: numbers only."""
    pending = pending_submissions(form)
    failed = pending.exclude(decryption_error="").count()
    return {
        "waiting": pending.count() - failed,
        "failed": failed,
        "decrypted": Submission.objects.filter(form=form, decrypted_at__isnull=False).count(),
    }


def _unlock_all(organization: Any, passphrase: str) -> dict[str, rsa.RSAPrivateKey]:
    unlocked = {}
    for fingerprint, pem in keys.private_keys_pem(organization).items():
        try:
            unlocked[fingerprint] = keys.unlock(pem, passphrase)
        except keys.WrongPassphrase:
            continue
    if not unlocked:
        raise keys.WrongPassphrase
    return unlocked


def _fingerprint(submission: Submission) -> str:
    return submission.key_fingerprint or keys.key_fingerprint_of(submission.version)


def _decrypt_one(submission: Submission, private_key: rsa.RSAPrivateKey) -> tuple[bytes, list[IncomingFile]]:
    """The decrypted instance XML and its files; DecryptionError/EnvelopeError when it does not hold up."""
    manifest = odk_crypto.parse_manifest_bytes(submission.raw_instance.encode("utf-8"))
    if manifest.instance_id != submission.instance_id or manifest.form_id != submission.form.form_id:
        raise odk_crypto.DecryptionError("the manifest does not match the stored submission")
    wanted = set(manifest.files)
    files = {
        attachment.filename: decrypt_bytes(bytes(attachment.content))
        for attachment in submission.attachments.all()
        if attachment.filename in wanted
    }
    decrypted = odk_crypto.decrypt_submission(private_key, manifest, files)
    try:
        form_id, version, instance_id = instance_identity(parse_instance(decrypted.xml))
    except InstanceError:
        raise odk_crypto.DecryptionError("the decrypted instance is not well-formed XML") from None
    if (form_id, version or None, instance_id) != (manifest.form_id, manifest.version or None, manifest.instance_id):
        raise odk_crypto.DecryptionError("the decrypted instance is not the one its manifest names")
    media = [
        IncomingFile(name=name, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream", data=data)
        for name, data in decrypted.media.items()
    ]
    return decrypted.xml, media


def decrypt_pending(
    *, form: Form, passphrase: str, actor: Any, limit: int | None = None, retry_failed: bool = False
) -> DecryptionResult:
    """Decrypt up to `limit` waiting submissions of the form. WrongPassphrase if it opens none of the keys.

    Submissions that failed before are skipped (so they never hold up the others) unless `retry_failed`."""
    unlocked = _unlock_all(form.organization, passphrase)
    limit = batch_size() if limit is None else limit
    result = DecryptionResult()
    reasons: Counter[str] = Counter()
    with transaction.atomic():
        retried = 0
        if retry_failed:
            retried = pending_submissions(form).exclude(decryption_error="").update(decryption_error="")
        waiting = pending_submissions(form).filter(decryption_error="")
        # Submissions received before their fingerprint was recorded are matched through their version.
        openable = waiting.filter(key_fingerprint__in=list(unlocked)) | waiting.filter(
            key_fingerprint="", version__public_key__in=_public_keys_of(form, unlocked)
        )
        batch = list(
            openable.select_related("form", "version")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("received_at", "pk")[:limit]
        )
        for submission in batch:
            private_key = unlocked[_fingerprint(submission)]
            try:
                xml, media = _decrypt_one(submission, private_key)
                with transaction.atomic():  # a savepoint: one submission is stored whole or not at all
                    # the .enc files give way to the decrypted ones (store_decrypted replaces them only when
                    # the instance has media)
                    submission.attachments.all().delete()
                    store_decrypted(submission, xml, media, actor=actor)
            except (odk_crypto.DecryptionError, odk_crypto.EnvelopeError, SubmissionError) as exc:
                result.failed += 1
                reasons[str(exc)] += 1
                Submission.objects.filter(pk=submission.pk).update(decryption_error=str(exc)[:200])
                continue
            result.decrypted += 1
        waiting = pending_submissions(form).filter(decryption_error="")
        result.remaining = (
            waiting.filter(key_fingerprint__in=list(unlocked)).count()
            + waiting.filter(key_fingerprint="", version__public_key__in=_public_keys_of(form, unlocked)).count()
        )
        result.other_key = waiting.count() - result.remaining
        result.reasons = dict(reasons)
        audit_record(
            actor=actor,
            action="survey.decrypt.batch",
            obj=form,
            organization=form.organization,
            detail={
                "decrypted": result.decrypted,
                "failed": result.failed,
                "remaining": result.remaining,
                "other_key": result.other_key,
                "keys_opened": len(unlocked),
                "retried": retried,
            },
        )
    return result


def _public_keys_of(form: Form, unlocked: dict[str, rsa.RSAPrivateKey]) -> list[str]:
    """The public_key texts of the form's encrypted versions whose key is among the unlocked ones."""
    return [
        version.public_key
        for version in form.versions.exclude(public_key="")
        if keys.key_fingerprint_of(version) in unlocked
    ]
