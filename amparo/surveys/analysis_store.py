"""Writes of the submissions' analysis bits (codebook.py): a submission's bits with its answers, a form's codebook
after a publish, and the refresh of stale submissions (run by a background task and a command)."""

from __future__ import annotations

from django.db import transaction

from . import codebook
from .models import Form, Submission
from .selectors import indicators_for_form


def fill_analysis(submission: Submission, form_codebook: list[list[str]]) -> None:
    """The submission's analysis words against the form's codebook as it is now (codebook.py)."""
    for field, word in zip(codebook.WORD_FIELDS, codebook.words(submission.answers or {}, form_codebook), strict=True):
        setattr(submission, field, word)
    submission.analysis_size = len(form_codebook)


def extend_codebook(form: Form) -> bool:
    """Add the pairs of the form's indicators that its codebook lacks (after a publish); True when it grew, and
    then its submissions are brought up to date by `refresh_analysis` (a background task)."""
    grown = codebook.extended(form.codebook, indicators_for_form(form, "es"))
    if len(grown) == len(form.codebook):
        return False
    form.codebook = grown
    form.save(update_fields=["codebook"])
    return True


def refresh_analysis(form: Form, batch: int = 2000) -> int:
    """Recompute the analysis words of the form's submissions computed against another codebook (stale ones), in
    batches of `batch`; returns how many were updated. Until then the characterisation counts them from their
    answers, so this only makes it faster."""
    extend_codebook(form)
    updated = 0
    while True:
        with transaction.atomic():
            form = Form.objects.select_for_update().get(pk=form.pk)
            size = len(form.codebook)
            stale = list(
                Submission.objects.filter(form=form)
                .exclude(analysis_size=size)
                .only("pk", "answers", *codebook.WORD_FIELDS, "analysis_size")[:batch]
            )
            for submission in stale:
                fill_analysis(submission, form.codebook)
            Submission.objects.bulk_update(stale, [*codebook.WORD_FIELDS, "analysis_size"])
        updated += len(stale)
        if len(stale) < batch:
            return updated
