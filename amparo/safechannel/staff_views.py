"""Recipients' pages (/staff/channel/): the inbox ordered by risk, reading and answering a report (audited),
attachments, and the coordinator's channel settings (recovery key, retention, restoring access).

Thin views: authorise with amparo.access (the one permission module), call services, render.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from amparo.access import get_organization_for_user, get_report_for_user, organizations_for_user, staff_view
from amparo.accounts.models import User
from amparo.accounts.roles import PLATFORM_ADMIN, REPORT_RECIPIENT_ROLES, Role
from amparo.audit.services import audit_record
from amparo.core.once import AlreadyDone
from amparo.core.responses import attachment as attachment_response

from . import crypto, keyring, services
from .forms import RecoveryKeyForm, StaffReplyForm, describe, sharing_labels
from .models import ChannelSettings
from .unlock import report_key_or_locked

SETTINGS_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


class ChannelSettingsForm(forms.ModelForm):
    class Meta:
        model = ChannelSettings
        fields = ["receives_reports", "retention_days"]
        labels = {"retention_days": gettext_lazy("Days a report is kept after its last activity")}

    def clean_retention_days(self) -> int:
        days: int = self.cleaned_data["retention_days"]
        if not 7 <= days <= 3650:
            raise forms.ValidationError(_("Choose between 7 and 3650 days."))
        return days


@staff_view(REPORT_RECIPIENT_ROLES)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    organizations = organizations_for_user(user, REPORT_RECIPIENT_ROLES)
    closed = request.GET.get("closed") == "1"
    return render(
        request,
        "safechannel/staff/inbox.html",
        {
            "reports": services.inbox(organizations, closed=closed)[:200],
            "closed": closed,
            "now": timezone.now(),
            "key_unlocked": keyring.private_key(request) is not None,
            "settings_orgs": organizations_for_user(user, {Role.COORDINATOR}),
        },
    )


@staff_view(REPORT_RECIPIENT_ROLES)
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    report = get_report_for_user(user, report_uuid)
    key = report_key_or_locked(request, user, report)
    if isinstance(key, HttpResponse):
        return key
    form = StaffReplyForm(request.POST or None, initial={"status": report.status})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.staff_reply(
                actor=user, report=report, key=key, text=data["text"], status=data["status"],
                form_token=data["form_token"],
            )  # fmt: skip
        except AlreadyDone:  # Back and send again: she gets the message once
            messages.info(request, _("This message was already sent."))
        else:
            messages.success(request, _("Saved. She will see it when she signs in with her receipt."))
        return redirect("safechannel_staff:report", report_uuid=report.uuid)
    content = services.staff_read(actor=user, report=report, key=key)
    return render(
        request,
        "safechannel/staff/report.html",
        {
            "report": report,
            "content": describe(content),
            "thread": services.messages_of(report, key),
            "attachments": services.attachments_of(report, key),
            "form": form,
            "now": timezone.now(),
            "sharing": sharing_labels(services.sharing_consents(report)),
            # As referrals.selectors.referrals_of_report, through the reverse relation: the channel sits below
            # referrals and does not import it (its template include is the page's only tie to referrals).
            "referrals": report.referrals.with_urgency().select_related("service__organization", "focal_point"),
        },
        status=400 if form.errors else 200,
    )


@staff_view(REPORT_RECIPIENT_ROLES)
@require_GET
def attachment(request: HttpRequest, report_uuid: str, attachment_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    report = get_report_for_user(user, report_uuid)
    if not report.attachments.filter(uuid=attachment_uuid).exists():
        return render(request, "core/error.html", {"status": 404}, status=404)
    key = report_key_or_locked(request, user, report)
    if isinstance(key, HttpResponse):
        return key
    info, data = services.staff_attachment_read(actor=user, report=report, key=key, attachment_uuid=attachment_uuid)
    return attachment_response(data, content_type=info.content_type, filename=info.name)


@staff_view(SETTINGS_ROLES)
@require_http_methods(["GET", "POST"])
def channel_settings(request: HttpRequest, org_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    organization = get_organization_for_user(user, org_uuid, SETTINGS_ROLES)
    channel = ChannelSettings.objects.filter(organization=organization).first()
    context: dict[str, Any] = {"organization": organization, "channel": channel}
    action = request.POST.get("action")
    if request.method == "POST" and action == "setup":
        try:
            if channel is not None:
                raise services.ChannelError("already set up")
            recovery = services.channel_setup(actor=user, organization=organization)
        except (services.ChannelError, IntegrityError):
            # Sent again (a double click, Back and send) or by a colleague: one key pair, whose recovery key was
            # shown once to whoever set it up. Never a second one.
            messages.info(request, _("The safe channel is already set up. Its recovery key was shown only once."))
            return redirect("safechannel_staff:settings", org_uuid=organization.uuid)
        return render(request, "safechannel/staff/recovery_key.html", {**context, "recovery_key": recovery})
    settings_form = ChannelSettingsForm(
        request.POST if action == "settings" else None, instance=channel, prefix="settings"
    )
    restore_form = RecoveryKeyForm(request.POST if action == "restore" else None, prefix="restore")
    if channel is not None and action == "settings" and settings_form.is_valid():
        from django.db import transaction

        with transaction.atomic():
            settings_form.save()
            audit_record(
                actor=user, action="safechannel.settings", obj=organization, organization=organization,
                detail={"retention_days": channel.retention_days, "receives_reports": channel.receives_reports},
            )  # fmt: skip
        messages.success(request, _("Saved."))
        return redirect("safechannel_staff:settings", org_uuid=organization.uuid)
    if channel is not None and action == "restore" and restore_form.is_valid():
        try:
            granted = services.restore_access(
                actor=user, organization=organization, recovery_text=restore_form.cleaned_data["recovery_key"]
            )
        except crypto.CryptoError:
            restore_form.add_error("recovery_key", _("This is not the recovery key of this organisation."))
        else:
            messages.success(request, _("Access restored: %(n)d keys shared.") % {"n": granted})
            return redirect("safechannel_staff:settings", org_uuid=organization.uuid)
    recipients = services.recipients_of(organization).select_related("channel_key").order_by("email")
    context |= {"settings_form": settings_form, "restore_form": restore_form, "recipients": recipients}
    return render(request, "safechannel/staff/settings.html", context, status=400 if request.method == "POST" else 200)
