"""Parsing of search input. Invalid input is reported to the person, never raised as a server error."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Place, Service
from .selectors import Point, SearchCriteria, place_by_code
from .taxonomy import INCLUSION_FACT_CODES, INCLUSION_FACTS, SERVICE_TYPE_CHOICES

MAX_QUERY_LENGTH = 200
MAX_PAGE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("What do you need?"), required=False, max_length=MAX_QUERY_LENGTH, strip=True)
    need = forms.ChoiceField(
        label=_("Type of service"), required=False, choices=[("", _("Any")), *SERVICE_TYPE_CHOICES]
    )
    place = forms.CharField(label=_("Where are you?"), required=False, max_length=16)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)
    fact = forms.MultipleChoiceField(
        label=_("Only services that"),
        required=False,
        choices=[(f.code, f.label) for f in INCLUSION_FACTS],
        widget=forms.CheckboxSelectMultiple,
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean_place(self) -> Place | None:
        code = self.cleaned_data.get("place") or ""
        if not code:
            return None
        place = place_by_code(code)
        if place is None:
            raise forms.ValidationError(_("We do not know the place code “%(code)s”."), params={"code": code})
        return place

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data

    def criteria(self, *, page_size: int) -> SearchCriteria:
        data = self.cleaned_data
        point = Point(data["lat"], data["lon"]) if data.get("lat") is not None else None
        return SearchCriteria(
            text=data.get("q") or "",
            needs=(data["need"],) if data.get("need") else (),
            place=data.get("place"),
            point=point,
            facts=tuple(data.get("fact") or ()),
            open_now=bool(data.get("open_now")),
            page=data.get("page") or 1,
            page_size=page_size,
        )

    def error_text(self) -> str:
        """All errors as one sentence, for the 400 page and API."""
        messages = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            for error in errors:
                messages.append(f"{label}: {error}" if label else str(error))
        return " ".join(messages)


class VerifyServiceForm(forms.Form):
    """One checkbox per inclusion fact, ticked with the service's current value, and a confirmation."""

    confirm = forms.BooleanField(
        label=_("I checked these facts with the entity today, and they are correct as ticked."), required=True
    )

    def __init__(self, *args: object, service: Service, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.service = service
        for fact in INCLUSION_FACTS:
            self.fields[fact.code] = forms.BooleanField(
                label=str(fact.label), required=False, initial=getattr(service, fact.code)
            )
        self.order_fields([*INCLUSION_FACT_CODES, "confirm"])

    def fact_rows(self) -> list[dict[str, object]]:
        """For the template: each fact's field, current value and last-verified date."""
        return [
            {
                "field": self[fact.code],
                "current": getattr(self.service, fact.code),
                "verified_on": self.service.fact_verified_on(fact.code),
            }
            for fact in INCLUSION_FACTS
        ]

    def facts(self) -> dict[str, bool]:
        return {code: bool(self.cleaned_data.get(code)) for code in INCLUSION_FACT_CODES}
