"""Idempotent create forms: a one-time token per form, and a keyed fingerprint of what was sent.

Each create form carries a random token (`new_token()`, a hidden field). The service that creates calls `claim()`
inside its transaction before creating, and `settle()` with what it created. A second submission of the same token,
or of the same content by the same person within `WINDOW` (Back, then send again: the browser may fetch the form
anew with a new token but restore what she typed), raises `AlreadyDone` with what the first one created, and the
view shows that instead of creating a second one. The fingerprint is an HMAC under the server's secret of the
submitted values: the table never holds the values. Rows are kept `WINDOW` (24 hours) and then hard-deleted by
`manage.py purge_form_tokens` (daily; DESIGN.md rule 7), which logs the deletion through `purged`."""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .models import FormToken

WINDOW = timedelta(hours=24)  # how long a spent token and its fingerprint are kept (their retention period)
# Sent inside the purge's transaction with `deleted` (rows) and `retention` (WINDOW): the audit log, which sits above
# core, records the deletion (amparo/audit/receivers.py). Core imports nothing above it.
purged = Signal()
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class AlreadyDone(Exception):
    """This form (or the same content) was already sent; `ref` is what it created ("" when unknown)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OnceMixin(forms.Form):
    """A create form's one-time token: a hidden field, filled with a new token when the form is shown. Its service
    spends it with `claim()`; a resubmitted form then finds what the first one created."""

    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["form_token"].initial = new_token()


def fingerprint(kind: str, content: Any) -> str:
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return salted_hmac("amparo.core.once", f"{kind}\n{canonical}", algorithm="sha256").hexdigest()


def plain(data: Any) -> Any:
    """What a form sent, as plain values for the fingerprint (model objects by their key: a place by its P-code)."""
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple | set):
        return [plain(value) for value in data]
    if hasattr(data, "pk"):
        return str(getattr(data, "pcode", None) or data.pk)
    return data


def claim(*, user: Any, kind: str, token: str, content: Any) -> FormToken | None:
    """Spend the token inside the caller's transaction. None without a token (a client that sends none gets no
    protection, and nothing is refused); raises AlreadyDone when it was spent, or the same content was sent by her
    within WINDOW; ValidationError for a malformed token."""
    if not token:
        return None
    if not TOKEN.fullmatch(token):
        raise ValidationError(_("This form is out of date: reload the page and send it again."))
    now = timezone.now()
    digest = fingerprint(kind, content)
    same = (
        FormToken.objects.filter(user=user, kind=kind, fingerprint=digest, created_at__gte=now - WINDOW)
        .exclude(ref="")
        .first()
    )
    if same is not None:
        raise AlreadyDone(same.ref)
    try:
        with transaction.atomic():
            return FormToken.objects.create(user=user, kind=kind, token=token, fingerprint=digest)
    except IntegrityError:
        spent = FormToken.objects.filter(user=user, token=token).first()
        raise AlreadyDone(spent.ref if spent is not None and spent.kind == kind else "") from None


def settle(claimed: FormToken | None, ref: object) -> None:
    if claimed is not None:
        claimed.ref = str(ref)
        claimed.save(update_fields=["ref"])


@transaction.atomic
def purge(now: Any = None) -> int:
    """Hard-delete the tokens spent more than WINDOW ago, with their fingerprints; the deletion is logged by the
    receivers of `purged`, in the same transaction. Returns how many were deleted."""
    now = now or timezone.now()
    deleted, _counts = FormToken.objects.filter(created_at__lt=now - WINDOW).delete()
    purged.send(sender=FormToken, deleted=deleted, retention=WINDOW)
    return deleted
