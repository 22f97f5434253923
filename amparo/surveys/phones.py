"""Enumerators' phones: the credentials ODK Collect / KoboCollect sign in with, and what a signed-in phone may reach.

One credential per phone (a user name and a random secret shown once to the coordinator, stored as a Django password
hash: Argon2 first, settings.PASSWORD_HASHERS). A phone sends them with HTTP Basic over HTTPS, the method both apps
use when the server answers with a Basic challenge (Digest would need the secret, or an MD5 of it, kept on the server;
a token in the URL, as ODK Central's app users, leaks through logs and screenshots of the settings). Revoking a
credential, removing the enumerator's membership or deactivating her account stops the phone at its next request:
every request reads the credential's row again.

Checking an Argon2 hash costs ~0.1 s and 100 MB; a phone sends the same secret with every request, so each process
remembers, for a few minutes, a SHA-256 of the secret it last verified for each credential (never the secret). A
wrong secret is checked against the stored hash, and counted: after `max_failures()` wrong secrets for a user name in
five minutes, that name is refused without any check (429), except for a phone this process has already verified,
so a flood of guesses costs neither the server's memory nor the enumerator her phone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from amparo.accounts.models import Membership
from amparo.accounts.roles import Role
from amparo.audit.services import audit_record
from amparo.core import counters, once

from .models import EnumeratorCredential, Form

VERIFIED_SECONDS = 300
VERIFIED_MAX = 4096
_verified: OrderedDict[tuple[int, str], tuple[bytes, float]] = OrderedDict()
_lock = threading.Lock()
FAILURE_WINDOW = 300  # seconds


def max_failures() -> int:
    """Wrong secrets accepted per user name in FAILURE_WINDOW before the name is refused unchecked (each check is
    an Argon2 computation: a flood of wrong secrets must not take the server's memory and time)."""
    return int(settings.SURVEYS_PHONE_FAILURES)


def enumerators_of(organization: Any) -> QuerySet[Any]:
    """Members of the organisation who hold the enumerator role (the only ones forms are assigned to)."""
    from amparo.accounts.models import User

    return User.objects.filter(
        memberships__organization=organization,
        memberships__role=Role.ENUMERATOR,
        memberships__active=True,
        is_active=True,
    ).distinct()


def credential_create(
    *, actor: Any, organization: Any, user: Any, label: str, form_token: str = ""
) -> tuple[EnumeratorCredential, str]:
    """A new credential for one enumerator's phone; returns it and the secret, which is never shown again. A
    resubmitted form (the same one-time token, or the same enumerator and label again) raises once.AlreadyDone."""
    secret = secrets.token_urlsafe(18)  # 144 bits, 24 characters a person can type into Collect's settings
    with transaction.atomic():
        claimed = once.claim(
            user=actor,
            kind="survey.credential",
            token=form_token,
            content={"organization": organization.pk, "user": user.pk, "label": label},
        )
        credential = EnumeratorCredential.objects.create(
            organization=organization,
            user=user,
            label=label[:100],
            username=f"enc-{secrets.token_hex(4)}",
            secret_hash=make_password(secret),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="survey.credential.create",
            obj=credential,
            organization=organization,
            detail={"enumerator": user.pk},
        )
        once.settle(claimed, credential.uuid)
    return credential, secret


def credential_revoke(*, actor: Any, credential: EnumeratorCredential) -> bool:
    """Revoke at once (the phone's next request gets 401). False when it was already revoked."""
    with transaction.atomic():
        locked = EnumeratorCredential.objects.select_for_update().get(pk=credential.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="survey.credential.revoke",
            obj=locked,
            organization=locked.organization,
            detail={"enumerator": locked.user_id},
        )
    _forget(locked.pk)
    return True


class TooManyFailures(Exception):
    """Too many wrong secrets for this user name lately: refused without checking (the caller answers 429)."""


def _failures_key(username: str) -> str:
    return "openrosa-fail:" + hashlib.sha256(f"{settings.SECRET_KEY}|{username}".encode()).hexdigest()[:32]


def authenticate_phone(username: str, secret: str) -> EnumeratorCredential | None:
    """The active credential these Basic credentials name, whose enumerator is still an active enumerator of the
    credential's organisation; None otherwise (the caller answers 401). Raises TooManyFailures after
    `max_failures()` wrong secrets for the user name within FAILURE_WINDOW."""
    key = _failures_key(username[:64])
    flooded = counters.current(key, FAILURE_WINDOW) >= max_failures()
    credential = (
        EnumeratorCredential.objects.select_related("user", "organization")
        .filter(username=username[:64], revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if credential is None:
        if flooded:
            raise TooManyFailures
        return None
    if flooded and not _remembered(credential, secret):
        # Only the phone this process already verified gets through while the name is flooded: no Argon2 check.
        raise TooManyFailures
    if not _secret_matches(credential, secret):
        counters.hit(key, FAILURE_WINDOW)
        return None
    if not Membership.objects.filter(
        user=credential.user, organization=credential.organization, role=Role.ENUMERATOR, active=True
    ).exists():
        return None
    now = timezone.now()
    if credential.last_used_at is None or (now - credential.last_used_at).total_seconds() > 60:
        EnumeratorCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return credential


def phone_forms(credential: EnumeratorCredential) -> QuerySet[Form]:
    """The forms this phone may list, download and submit to: its organisation's forms assigned to its enumerator
    (open or closed: a closed form answers that it is closed)."""
    return Form.objects.filter(organization=credential.organization_id, enumerators=credential.user_id)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _remembered(credential: EnumeratorCredential, secret: str) -> bool:
    with _lock:
        known = _verified.get((credential.pk, credential.secret_hash))
    return known is not None and known[1] > time.monotonic() and hmac.compare_digest(known[0], _digest(secret))


def _secret_matches(credential: EnumeratorCredential, secret: str) -> bool:
    if _remembered(credential, secret):
        return True
    key = (credential.pk, credential.secret_hash)
    now = time.monotonic()
    if not check_password(secret, credential.secret_hash):
        return False
    with _lock:
        _verified[key] = (_digest(secret), now + VERIFIED_SECONDS)
        _verified.move_to_end(key)
        while len(_verified) > VERIFIED_MAX:
            _verified.popitem(last=False)
    return True


def _forget(credential_pk: int) -> None:
    with _lock:
        for key in [k for k in _verified if k[0] == credential_pk]:
            del _verified[key]
