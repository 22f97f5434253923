"""Parsing the networks' input: the network page's place and period, and the tie form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.directory.models import Place

from .models import TieKind
from .selectors import MAX_PLACE_CODE, default_period, place_by_code
from .services import TieData

# The longest period a network page covers (its referral flows and ties): ten years.
MAX_PERIOD_DAYS = 3660


class PlaceField(forms.CharField):
    """A place by its P-code (municipality, department or country); an unknown code is refused by name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_PLACE_CODE)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Place | None:
        code = str(super().clean(value) or "").strip()
        if not code:
            return None
        place = place_by_code(code)
        if place is None:
            raise ValidationError(_("We do not know the place code “%(code)s”."), params={"code": code[:20]})
        return place


class NetworkQueryForm(forms.Form):
    place = PlaceField(label=_("Place"), required=False)
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("Until"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default_start, default_end = default_period()
        start: date = data.get("start") or default_start
        end: date = data.get("end") or default_end
        if end < start:
            raise ValidationError(_("The period ends before it starts."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of ten years at most."))
        data["start"], data["end"] = start, end
        return data


class TieForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of tie"), choices=TieKind.choices)
    from_actor = forms.ChoiceField(label=_("From"))
    to_actor = forms.ChoiceField(label=_("To"))
    place = PlaceField(
        label=_("Place it concerns (P-code)"),
        help_text=_("The municipality, department or country where the two work together, e.g. CO54001."),
    )
    starts_on = forms.DateField(label=_("From (date)"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: still going on."),
    )

    def __init__(self, *args: Any, actors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *actors]
        self.fields["from_actor"].choices = choices  # type: ignore[attr-defined]
        self.fields["to_actor"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_actor") and data.get("from_actor") == data.get("to_actor"):
            raise ValidationError(_("A tie joins two different actors: choose another one on one side."))
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The tie cannot end before it starts."))
        return data

    def tie_data(self) -> TieData:
        data = self.cleaned_data
        return TieData(
            kind=data["kind"],
            from_key=data["from_actor"],
            to_key=data["to_actor"],
            place=data["place"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
        )


class TieEndForm(forms.Form):
    ends_on = forms.DateField(label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].initial = timezone.localdate()
