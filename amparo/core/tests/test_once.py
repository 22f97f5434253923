"""One-time form tokens (core/once.py) have a retention period (DESIGN.md rule 7): `purge_form_tokens` hard-deletes
those spent more than 24 hours ago, with their fingerprints, and logs the deletion in the audit log; a token inside
the window keeps recognising its form, and a spent one's content no longer matches once the window has passed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from amparo.accounts.models import User
from amparo.audit.models import AuditEntry
from amparo.core import once
from amparo.core.models import FormToken

pytestmark = pytest.mark.django_db


def _spent(user: User, content: str, *, hours_ago: float) -> FormToken:
    claimed = once.claim(user=user, kind="test.create", token=once.new_token(), content=content)
    assert claimed is not None
    once.settle(claimed, f"ref-{content}")
    FormToken.objects.filter(pk=claimed.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return claimed


def test_the_purge_deletes_tokens_past_the_window_and_logs_it() -> None:
    user = User.objects.create_user(username="t@once.example.org", email="t@once.example.org", password="x" * 16)
    old = _spent(user, "old", hours_ago=25)
    recent = _spent(user, "recent", hours_ago=23)
    # Inside the window the same content is still recognised; past it, it is a new submission.
    with pytest.raises(once.AlreadyDone) as done:
        once.claim(user=user, kind="test.create", token=once.new_token(), content="recent")
    assert done.value.ref == "ref-recent"
    assert once.claim(user=user, kind="test.create", token=once.new_token(), content="old") is not None
    # Claiming deletes nothing: every deletion goes through the purge, which logs it.
    assert FormToken.objects.filter(pk=old.pk).exists()

    out = io.StringIO()
    call_command("purge_form_tokens", stdout=out)
    assert out.getvalue().strip() == "Purged 1 one-time form token(s) older than 24 hours."
    assert not FormToken.objects.filter(pk=old.pk).exists()
    assert FormToken.objects.filter(pk=recent.pk).exists() and FormToken.objects.count() == 2
    entry = AuditEntry.objects.get(action="core.form_tokens.purge")
    assert entry.detail == {"deleted": 1, "retention_hours": 24} and entry.organization_id is None

    # Run again the next minute: nothing to delete, and the run is logged all the same.
    call_command("purge_form_tokens", stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="core.form_tokens.purge").count() == 2
    assert FormToken.objects.count() == 2
    call_command("audit_verify", stdout=io.StringIO())  # the chain holds
