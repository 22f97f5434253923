"""Parsing the publication forms: preparing (scope, whole months, languages), reviewing and withdrawing."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amparo.core.countries import country_choices
from amparo.core.once import OnceMixin

from .models import Publication

MONTH = re.compile(r"(\d{4})-(\d{2})")
LANGUAGE_CHOICES = [("es", _("Spanish")), ("en", _("English")), ("pt", _("Portuguese"))]


class MonthField(forms.CharField):
    """A month as YYYY-MM (what `<input type="month">` sends; typed by hand where browsers show a text box)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01", "pattern": r"\d{4}-\d{2}"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> date | None:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        found = MONTH.fullmatch(text)
        if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
            raise ValidationError(_("Write the month as year-month, for instance 2026-03."))
        return date(int(found.group(1)), int(found.group(2)), 1)


class PublicationForm(OnceMixin):
    organization = forms.ChoiceField(label=_("Published by"))
    scope = forms.ChoiceField(label=_("Scope"), choices=Publication.Scope.choices, widget=forms.RadioSelect)
    country = forms.ChoiceField(label=_("Country (for one country)"), required=False)
    first_month = MonthField(label=_("First month"))
    last_month = MonthField(label=_("Last month"))
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    replaces = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organizations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = organizations
        cast(forms.ChoiceField, self.fields["country"]).choices = [("", "—"), *country_choices()]
        if not self.is_bound:
            self.fields["languages"].initial = ["es", "en", "pt"]
            if organizations:
                self.fields["organization"].initial = organizations[0][0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == Publication.Scope.COUNTRY and not data.get("country"):
            self.add_error("country", _("Choose the country."))
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])
    reason = forms.CharField(label=_("Why (needed to send it back)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why it is withdrawn"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
