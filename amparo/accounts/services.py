"""Writes for accounts: invitations, memberships and two-factor devices. One transaction each, audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.audit.services import audit_record

from .models import Invitation, Membership, Organization, User
from .roles import Role

INVITATION_DAYS = 7
RECOVERY_CODES = 10


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, actor: User, organization: Organization, email: str, role: str, accept_url: str) -> str:
    """Create an invitation and e-mail its link; returns the token (shown to nobody else, stored only hashed)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email.lower(),
        role=role,
        token_hash=token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        actor=actor, action="invitation.create", obj=invitation, organization=organization, detail={"role": role}
    )
    link = accept_url.replace("TOKEN", token)
    send_mail(
        _("Invitation to Amparo"),
        _(
            "%(org)s invites you to Amparo as %(role)s.\n\nOpen this link within %(days)d days to create your "
            "account:\n%(link)s\n\nIf you did not expect this message, ignore it."
        )
        % {"org": organization.name, "role": invitation.get_role_display(), "days": INVITATION_DAYS, "link": link},
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )
    return token


def invitation_by_token(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("organization").filter(token_hash=token_hash(token)).first()
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="invitation.revoke", obj=invitation, organization=invitation.organization)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, display_name: str, password: str) -> User:
    """Create the account (or join an existing one with the same e-mail) and the membership."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or was already used."))
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, username=invitation.email, display_name=display_name)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
    Membership.objects.update_or_create(
        user=user, organization=invitation.organization, role=invitation.role, defaults={"active": True}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=user,
        action="invitation.accept",
        obj=invitation,
        organization=invitation.organization,
        detail={"role": invitation.role},
    )
    return user


@transaction.atomic
def membership_set_active(*, actor: User, membership: Membership, active: bool) -> None:
    """Activate or deactivate a membership; a deactivation ends every session of the person at once (what she had
    open stops working on her next click), audited with how many sessions ended."""
    if not active and membership.user_id == actor.pk:
        raise ValidationError(_("Ask another coordinator to deactivate your own membership."))
    membership.active = active
    membership.save(update_fields=["active"])
    ended = 0 if active else sessions_end(membership.user)
    audit_record(
        actor=actor,
        action="membership.activate" if active else "membership.deactivate",
        obj=membership,
        organization=membership.organization,
        detail={"role": membership.role, "sessions_ended": ended},
    )


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Give a member another role in the same organisation: her sessions end, so that the next sign-in asks for
    what the new role needs (a second factor for roles that see cases) and no page keeps the old role's view."""
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if role == membership.role:
        return membership
    if Membership.objects.filter(user=membership.user, organization=membership.organization, role=role).exists():
        raise ValidationError(_("She already has this role in the organisation."))
    if membership.user_id == actor.pk and membership.role == Role.COORDINATOR:
        raise ValidationError(_("Ask another coordinator to change your own role."))
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    ended = sessions_end(membership.user)
    audit_record(
        actor=actor, action="membership.role", obj=membership, organization=membership.organization,
        detail={"from": previous, "to": role, "sessions_ended": ended},
    )  # fmt: skip
    return membership


def sessions_end(user: User) -> int:
    """Delete every unexpired session of the user (database sessions, the project's engine). Sessions live 30
    minutes, so the scan is over the few open ones."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def totp_device_for_setup(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created if needed (a confirmed one is never replaced here)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm a TOTP device after a correct code and issue fresh recovery codes (returned once)."""
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_issue(user)
    audit_record(actor=user, action="2fa.enrol", obj=user)
    return codes


def recovery_codes_issue(user: User) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


@transaction.atomic
def signin_logs_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete sign-in records past their retention (DESIGN.md rule 7): successful sign-ins and failure logs older
    than SIGNIN_LOG_RETENTION_DAYS, and failure counters whose lockout window has passed. Audited with the counts."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    now = now or timezone.now()
    limit = now - timedelta(days=settings.SIGNIN_LOG_RETENTION_DAYS)
    cooled = now - timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    deleted = {
        "sign_ins": AccessLog.objects.filter(attempt_time__lt=limit).delete()[0],
        "failure_logs": AccessFailureLog.objects.filter(attempt_time__lt=limit).delete()[0],
        "failure_counters": AccessAttempt.objects.filter(attempt_time__lt=cooled).delete()[0],
    }
    audit_record(
        action="auth.signin_logs.purge", detail={**deleted, "retention_days": settings.SIGNIN_LOG_RETENTION_DAYS}
    )
    return deleted
