"""Referral pages (/staff/referrals/): a new referral from a case, the focal point's inbox, the referral page with
the lifecycle buttons each side may use, and the printable inter-agency referral form.

Thin views: authorise with accounts.access (the one permission module), parse with forms, call services, render.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.access import (
    get_case_for_user,
    get_referral_for_user,
    referral_sides,
    referrals_for_focal_point,
    staff_view,
)
from amparo.accounts.models import User
from amparo.accounts.roles import CASE_ROLES, Role
from amparo.cases.services import has_consent

from . import selectors, services
from .forms import DEFAULT_SHARED, ReferralForm, ReferralTypeForm, TransitionForm
from .models import CONSENT_FOR, Priority, Referral, ServiceType, SharedField

SENDER_ROLES = CASE_ROLES
RECEIVER_ROLES = frozenset({Role.FOCAL_POINT})
REFERRAL_ROLES = SENDER_ROLES | RECEIVER_ROLES


@staff_view(SENDER_ROLES)
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    chosen = request.POST.get("service_type") if request.method == "POST" else request.GET.get("type")
    context: dict[str, object] = {
        "case": case,
        "referrals": selectors.referrals_of_case(case),
        "now": timezone.now(),
        "type_form": ReferralTypeForm(initial={"type": chosen}),
    }
    if chosen not in ServiceType.values:
        return render(request, "referrals/new.html", context, status=400 if request.method == "POST" else 200)
    service_type = ServiceType(chosen)
    options = selectors.services_for_referral(case, service_type)
    focal_points = list(selectors.focal_points_for_services([o.service.pk for o in options]))
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        options=options,
        focal_points=focal_points,
        initial={"service_type": service_type, "shared_fields": DEFAULT_SHARED, "priority": Priority.NORMAL},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_send(
                actor=user,
                case=case,
                service=data["service"],
                focal_point=data["focal_point"],
                service_type=service_type,
                shared_fields=data["shared_fields"],
                priority=data["priority"],
                reason=data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Referral sent."))
            return redirect("referrals:detail", referral_uuid=referral.uuid)
    context.update(
        {
            "form": form,
            "service_type": service_type,
            "consent_active": has_consent(case, CONSENT_FOR[service_type]),
            "clock": services.health_clock(case) if service_type == ServiceType.HEALTH else None,
            "options": options,
        }
    )
    return render(request, "referrals/new.html", context, status=400 if form.errors else 200)


@staff_view(RECEIVER_ROLES)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    finished = request.GET.get("finished") == "1"
    return render(
        request,
        "referrals/inbox.html",
        {
            "referrals": selectors.inbox(referrals_for_focal_point(user), finished=finished)[:200],
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
        try:
            services.referral_transition(
                actor=user,
                referral=referral,
                to_status=form.cleaned_data["to_status"],
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
            "overdue": referral.status in selectors.AWAITING_ANSWER and referral.respond_by < timezone.now(),
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
        },
    )
