"""How long survey submissions are kept, and their hard deletion (DESIGN.md rule 7).

Each form keeps its submissions `Form.retention_days` days after they were received (the default for new forms is
the setting `SURVEYS_RETENTION_DAYS`). `manage.py purge_surveys` (daily, from a scheduler) hard-deletes the
submissions past it, with their attachments; a coordinator may also purge a form's submissions at once (the
expired ones, or all of them, e.g. when a study ends or a phone with the form fell into the wrong hands). Every
deletion is recorded in the audit log with counts per form (`survey.purge`; `survey.purge.form` when a coordinator
deletes all of a form's submissions), never content.

Deletion runs in chunks inside one transaction per form, so a form's purge is all or nothing and its audit entry
commits with it, and memory stays bounded whatever the number of submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from amparo.audit.services import audit_record

from .models import Attachment, Form, Submission

CHUNK = 2000
MAX_RETENTION_DAYS = 36500


@dataclass(frozen=True)
class PurgeCount:
    form: Form
    submissions: int
    attachments: int


def cutoff(form: Form, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=form.retention_days)


def expired_submissions(form: Form, now: datetime | None = None) -> QuerySet[Submission]:
    return Submission.objects.filter(form=form, received_at__lt=cutoff(form, now))


def _count(submissions: QuerySet[Submission]) -> tuple[int, int]:
    return submissions.count(), Attachment.objects.filter(submission__in=submissions).count()


def _delete(submissions: QuerySet[Submission]) -> tuple[int, int]:
    """Hard-delete in chunks (the caller holds the transaction); returns (submissions, attachments) deleted."""
    total_submissions = total_attachments = 0
    while True:
        ids = list(submissions.order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return total_submissions, total_attachments
        total_attachments += Attachment.objects.filter(submission_id__in=ids).delete()[0]
        total_submissions += Submission.objects.filter(pk__in=ids).delete()[1].get(Submission._meta.label, 0)


def _audit_purge(form: Form, count: PurgeCount, *, actor: Any, reason: str) -> None:
    audit_record(
        actor=actor,
        action="survey.purge.form" if reason == "all" else "survey.purge",
        obj=form,
        organization=form.organization,
        detail={
            "reason": reason,
            "retention_days": form.retention_days,
            "submissions": count.submissions,
            "attachments": count.attachments,
        },
    )


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> list[PurgeCount]:
    """Every form's submissions past its retention (the periodic command). One transaction per form."""
    now = now or timezone.now()
    results = []
    for form in Form.objects.select_related("organization").order_by("pk"):
        expired = expired_submissions(form, now)
        if dry_run:
            submissions, attachments = _count(expired)
            if submissions:
                results.append(PurgeCount(form, submissions, attachments))
            continue
        with transaction.atomic():
            submissions, attachments = _delete(expired)
            if submissions:
                count = PurgeCount(form, submissions, attachments)
                _audit_purge(form, count, actor=None, reason="retention")
                results.append(count)
    return results


def purge_form_now(*, form: Form, actor: Any, everything: bool, now: datetime | None = None) -> PurgeCount:
    """A coordinator's purge of one form: its expired submissions, or all of them. Audited even when nothing goes."""
    with transaction.atomic():
        locked = Form.objects.select_for_update().get(pk=form.pk)
        chosen = Submission.objects.filter(form=locked) if everything else expired_submissions(locked, now)
        submissions, attachments = _delete(chosen)
        count = PurgeCount(locked, submissions, attachments)
        _audit_purge(locked, count, actor=actor, reason="all" if everything else "expired")
    return count


def form_retention_set(*, form: Form, days: int, actor: Any) -> None:
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError("retention out of range")
    with transaction.atomic():
        previous = form.retention_days
        form.retention_days = days
        form.save(update_fields=["retention_days"])
        audit_record(
            actor=actor,
            action="survey.retention.change",
            obj=form,
            organization=form.organization,
            detail={"from": previous, "to": days},
        )


def retention_summary(form: Form, now: datetime | None = None) -> dict[str, Any]:
    """Counts for the retention page (no submission content)."""
    total = Submission.objects.filter(form=form).count()
    expired, attachments = _count(expired_submissions(form, now))
    oldest = Submission.objects.filter(form=form).order_by("received_at").values_list("received_at", flat=True)
    return {
        "total": total,
        "expired": expired,
        "expired_attachments": attachments,
        "cutoff": cutoff(form, now),
        "oldest": oldest.first(),
    }
