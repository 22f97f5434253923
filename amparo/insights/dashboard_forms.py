"""Forms of the dashboards (filters) and of the data-sharing agreements."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.countries import country_name

from .models import DataSharingAgreement
from .statistics import Scope

MAX_DAYS = 366 * 5  # a period of five years at most: months beyond are a table too long to read


def default_period(today: date | None = None) -> tuple[date, date]:
    """The twelve months up to today (whole months from the first)."""
    today = today or timezone.localdate()
    if today.month == 12:
        return date(today.year, 1, 1), today
    return date(today.year - 1, today.month + 1, 1), today


class DashboardFilter(forms.Form):
    scope = forms.ChoiceField(label=_("View"))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organizations: list[Any], countries: list[str], wider: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [(f"organisation:{o.uuid}", o.name) for o in organizations]
        self._organizations = {str(o.uuid): o for o in organizations}
        if wider:
            choices += [(f"country:{c}", _("National: %(country)s") % {"country": country_name(c)}) for c in countries]
            choices.append(("region", _("Regional: every country")))
        self.fields["scope"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        default_start, default_end = default_period()
        start = start or (default_start if not end else end - timedelta(days=365))
        end = end or (default_end if not data.get("start") else start + timedelta(days=365))
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of five years at most."))
        data["start"], data["end"] = start, end
        return data

    def scope_value(self) -> tuple[Scope, Any]:
        """The scope chosen and, for an organisation's view, the organisation."""
        value = str(self.cleaned_data["scope"])
        kind, _sep, rest = value.partition(":")
        if kind == "organisation":
            organization = self._organizations[rest]
            return Scope("organisation", organization_id=organization.pk), organization
        if kind == "country":
            return Scope("country", country=rest), None
        return Scope("region"), None


class AgreementForm(forms.ModelForm[DataSharingAgreement]):
    class Meta:
        model = DataSharingAgreement
        fields = ["scope", "country", "since", "until", "document_reference"]
        widgets = {
            "since": forms.DateInput(attrs={"type": "date"}),
            "until": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope, country = data.get("scope"), data.get("country")
        if scope == DataSharingAgreement.Scope.COUNTRY and not country:
            self.add_error("country", _("A national agreement names its country."))
        if scope == DataSharingAgreement.Scope.REGION:
            data["country"] = ""
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end is before the start."))
        return data
