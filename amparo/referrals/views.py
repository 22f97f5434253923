"""Referral pages (/staff/referrals/): a new referral from a case, the focal point's inbox, the referral page with
the lifecycle buttons each side may use, and the printable inter-agency referral form.

Thin views: authorise with amparo.access (the one permission module), parse with forms, call services, render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from amparo.access import (
    get_case_for_user,
    get_referral_for_user,
    get_report_for_user,
    referral_sides,
    referrals_for_focal_point,
    staff_view,
)
from amparo.accounts.models import User
from amparo.accounts.roles import CASE_ROLES, REPORT_RECIPIENT_ROLES, Role
from amparo.cases.services import has_consent
from amparo.core.once import AlreadyDone
from amparo.directory.models import Place
from amparo.safechannel import services as channel
from amparo.safechannel.unlock import report_key_or_locked

from . import selectors, services
from .forms import DEFAULT_SHARED, DEFAULT_SHARED_FROM_REPORT, ReferralForm, ReferralTypeForm, TransitionForm
from .models import AWAITING_ANSWER, CONSENT_FOR, Priority, Referral, ServiceType, SharedField

SENDER_ROLES = CASE_ROLES
RECEIVER_ROLES = frozenset({Role.FOCAL_POINT})
REFERRAL_ROLES = SENDER_ROLES | RECEIVER_ROLES


@staff_view(SENDER_ROLES)
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    return _new_referral_page(
        request,
        place=case.place,
        context={"case": case, "referrals": selectors.referrals_of_case(case), "closed": case.status == "closed"},
        consent_active=lambda service_type: has_consent(case, CONSENT_FOR[service_type]),
        clock=lambda: services.health_clock(case),
        shareable=tuple(SharedField.values),
        default_shared=DEFAULT_SHARED,
        send=lambda data, service_type: services.referral_send(actor=user, case=case, **_send_args(data, service_type)),
    )


@staff_view(SENDER_ROLES & REPORT_RECIPIENT_ROLES)
@require_http_methods(["GET", "POST"])
def referral_new_from_report(request: HttpRequest, report_uuid: str) -> HttpResponse:
    """A referral straight from a safe-channel report, with the sharing consent she gave in the channel. Needs the
    report key (the sender copies what she agreed to share from the decrypted report)."""
    user = cast(User, request.user)
    report = get_report_for_user(user, report_uuid)
    key = report_key_or_locked(request, user, report)
    if isinstance(key, HttpResponse):
        return key
    content = channel.report_content(report, key)
    active = channel.sharing_consents(report)
    return _new_referral_page(
        request,
        place=report.place,
        context={
            "report": report,
            "referrals": selectors.referrals_of_report(report),
            "closed": report.status == "closed",
        },
        consent_active=lambda service_type: str(CONSENT_FOR[service_type]) in active,
        clock=lambda: None,
        shareable=tuple(str(code) for code in services.REPORT_SHAREABLE),
        default_shared=DEFAULT_SHARED_FROM_REPORT,
        send=lambda data, service_type: services.referral_send_from_report(
            actor=user, report=report, content=content, **_send_args(data, service_type)
        ),
    )


def _send_args(data: dict[str, Any], service_type: ServiceType) -> dict[str, Any]:
    return {
        "form_token": data["form_token"],
        "service": data["service"],
        "focal_point": data["focal_point"],
        "service_type": service_type,
        "shared_fields": data["shared_fields"],
        "priority": data["priority"],
        "reason": data["reason"],
    }


def _new_referral_page(
    request: HttpRequest,
    *,
    place: Place | None,
    context: dict[str, Any],
    consent_active: Callable[[ServiceType], bool],
    clock: Callable[[], services.HealthClock | None],
    shareable: tuple[str, ...],
    default_shared: list[SharedField],
    send: Callable[[dict[str, Any], ServiceType], Referral],
) -> HttpResponse:
    """The new-referral page, from a case or a report: choose the type, then the service, what to share, why."""
    chosen = request.POST.get("service_type") if request.method == "POST" else request.GET.get("type")
    context |= {"now": timezone.now(), "type_form": ReferralTypeForm(initial={"type": chosen})}
    if chosen not in ServiceType.values:
        return render(request, "referrals/new.html", context, status=400 if request.method == "POST" else 200)
    service_type = ServiceType(chosen)
    options = selectors.services_for_referral(place, service_type)
    focal_points = selectors.focal_point_options(options)
    health_clock = clock() if service_type == ServiceType.HEALTH else None
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        options=options,
        focal_points=focal_points,
        shareable=shareable,
        initial={
            "service_type": service_type,
            "shared_fields": services.default_shared_fields(default_shared, health_clock),
            "priority": Priority.NORMAL,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = send(form.cleaned_data, service_type)
        except AlreadyDone as done:  # Back and send again: the referral the first submission sent
            messages.info(request, _("This referral was already sent: no second referral was made."))
            if done.ref:
                return redirect("referrals:detail", referral_uuid=done.ref)
            return redirect(request.get_full_path())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Referral sent."))
            return redirect("referrals:detail", referral_uuid=referral.uuid)
    context |= {
        "form": form,
        "service_type": service_type,
        "consent_active": consent_active(service_type),
        "clock": health_clock,
        "options": options,
    }
    return render(request, "referrals/new.html", context, status=400 if form.errors else 200)


@staff_view(RECEIVER_ROLES)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The focal point's referrals (codes, types, priorities), the listing audited per sending organisation."""
    user = cast(User, request.user)
    finished = request.GET.get("finished") == "1"
    referrals = list(selectors.inbox(referrals_for_focal_point(user), finished=finished)[:200])
    services.referral_inbox_read(actor=user, referrals=referrals, finished=finished)
    return render(
        request,
        "referrals/inbox.html",
        {
            "referrals": referrals,
            "finished": finished,
            "now": timezone.now(),
        },
    )


def _side(sender: bool, receiver: bool) -> str:
    return "both" if sender and receiver else ("receiver" if receiver else "sender")


@staff_view(REFERRAL_ROLES)
@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, referral_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    referral = get_referral_for_user(user, referral_uuid)
    sender, receiver = referral_sides(user, referral)
    form = TransitionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.needs_cancel_confirmation(
            referral, form.cleaned_data["to_status"], form.cleaned_data["confirm"], sender=sender, receiver=receiver
        ):
            # Cancelling a referral that was not attended: one more click, on a page that says what it means.
            return render(request, "referrals/cancel_confirm.html", {"referral": referral, "form": form})
        try:
            services.referral_transition(
                actor=user,
                referral=referral,
                to_status=form.cleaned_data["to_status"],
                sender=sender,
                receiver=receiver,
                decline_reason=form.cleaned_data["decline_reason"],
                feedback=form.cleaned_data["feedback"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("referrals:detail", referral_uuid=referral.uuid)
    shared = services.referral_read(actor=user, referral=referral, side=_side(sender, receiver))
    allowed = services.allowed_transitions(referral, sender=sender, receiver=receiver)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "shared": shared,
            "sender": sender,
            "receiver": receiver,
            "allowed": allowed,
            "can_decline": Referral.Status.DECLINED in allowed,
            "events": referral.events.select_related("by"),
            "form": form,
            "overdue": referral.status in AWAITING_ANSWER and referral.respond_by < timezone.now(),
            "HEALTH_CLOCK": SharedField.HEALTH_CLOCK,
        },
        status=400 if form.errors else 200,
    )


@staff_view(REFERRAL_ROLES)
@require_GET
def referral_print(request: HttpRequest, referral_uuid: str) -> HttpResponse:
    """The GBV inter-agency referral form, print-friendly: the case code, never her name unless it is shared with
    her consent."""
    user = cast(User, request.user)
    referral = get_referral_for_user(user, referral_uuid)
    sender, receiver = referral_sides(user, referral)
    shared = services.referral_read(actor=user, referral=referral, side=_side(sender, receiver), part="print")
    values = dict(shared.values)
    return render(
        request,
        "referrals/print.html",
        {
            "referral": referral,
            "shared": shared,
            "name": values.pop(SharedField.FULL_NAME, ""),
            "other_values": [(str(SharedField(code).label), value) for code, value in values.items()],
            "today": timezone.localdate(),
            "TIME_ZONE": timezone.get_current_timezone_name(),
        },
    )
