"""Forms of the referral pages: parsing only; the rules live in services.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.once import OnceMixin
from amparo.directory.models import FocalPoint, Service

from .models import Priority, Referral, ServiceType, SharedField
from .selectors import FocalPointOption, ServiceOption

MAX_TEXT = 2000

# Shared by default: nothing that identifies her. Name, contact and document are chosen one by one.
DEFAULT_SHARED = [SharedField.AGE_BAND, SharedField.GENDER_IDENTITY, SharedField.INCIDENT_SUMMARY]
DEFAULT_SHARED_FROM_REPORT = [SharedField.INCIDENT_SUMMARY]


class ReferralTypeForm(forms.Form):
    type = forms.ChoiceField(label=_("Referral type"), choices=ServiceType.choices)


def _service_label(option: ServiceOption) -> str:
    where = option.place_name
    if option.distance_km is not None:
        where = f"{where}, {option.distance_km:.0f} km"
    return f"{option.service.name} · {option.service.organization.name} ({where})"


def _focal_point_label(option: FocalPointOption) -> str:
    """Who, in which institution, and how far: "Dra. Pérez · Médica de urgencias · Hospital Erasmo Meoz (Cúcuta,
    2 km)"."""
    person = option.focal_point
    parts = [person.display_name, person.job_title, person.entity.name]
    label = " · ".join(part for part in parts if part)
    if option.place_name:
        where = option.place_name
        if option.distance_km is not None:
            where = f"{where}, {option.distance_km:.0f} km"
        label = f"{label} ({where})"
    return label


class ReferralForm(OnceMixin, forms.Form):
    service_type = forms.ChoiceField(choices=ServiceType.choices, widget=forms.HiddenInput)
    service = forms.ChoiceField(label=_("Service (nearest first)"), widget=forms.RadioSelect)
    focal_point = forms.ChoiceField(label=_("Focal point (optional)"), required=False)
    shared_fields = forms.MultipleChoiceField(
        label=_("What to share (only with her consent for this referral type)"),
        choices=SharedField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason and specific need (no names)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        options: list[ServiceOption],
        focal_points: list[FocalPointOption],
        shareable: tuple[str, ...] = tuple(SharedField.values),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        shared_field = cast(forms.MultipleChoiceField, self.fields["shared_fields"])
        shared_field.choices = [(code, label) for code, label in SharedField.choices if code in shareable]
        self.services_by_uuid = {str(o.service.uuid): o.service for o in options}
        self.focal_points_by_uuid = {str(o.focal_point.uuid): o.focal_point for o in focal_points}
        service_field = cast(forms.ChoiceField, self.fields["service"])
        service_field.choices = [(str(o.service.uuid), _service_label(o)) for o in options]
        focal_field = cast(forms.ChoiceField, self.fields["focal_point"])
        focal_field.choices = [("", _("The service (no particular person)"))] + [
            (str(o.focal_point.uuid), _focal_point_label(o)) for o in focal_points
        ]

    def clean_service(self) -> Service:
        return self.services_by_uuid[self.cleaned_data["service"]]

    def clean_focal_point(self) -> FocalPoint | None:
        value = self.cleaned_data.get("focal_point")
        return self.focal_points_by_uuid[value] if value else None


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Referral.Status.choices)  # the button pressed
    decline_reason = forms.ChoiceField(
        label=_("Why it is declined"),
        choices=[("", "—"), *Referral.DeclineReason.choices],
        required=False,
    )
    feedback = forms.CharField(
        label=_("Actions taken by the receiving service (no names)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
        required=False,
    )
    confirm = forms.BooleanField(required=False)  # "yes, cancel it": sent by the confirmation page
