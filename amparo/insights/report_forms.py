"""The form that asks for a situation report (parsing only; who may ask for what is decided by the view, through
amparo.access, and given to the form as the organisations to offer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.core.once import OnceMixin

from .models import ReportScope
from .report_services import ReportRequest
from .reports import ReportInputError, check_country, month_period, parse_month, report_countries


class MonthInput(forms.TextInput):
    input_type = "month"


class ReportRequestForm(OnceMixin, forms.Form):
    organization = forms.ModelChoiceField(
        label=_("For the organisation"), queryset=Organization.objects.none(), empty_label=None
    )
    scope = forms.ChoiceField(label=_("The report covers"), choices=ReportScope.choices, widget=forms.RadioSelect)
    country = forms.ChoiceField(label=_("Country (when it covers one country)"), required=False)
    first_month = forms.CharField(label=_("First month"), max_length=7, widget=MonthInput)
    last_month = forms.CharField(label=_("Last month"), max_length=7, widget=MonthInput)
    language = forms.ChoiceField(label=_("Language of the report"), choices=settings.LANGUAGES)

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        wide_organizations: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.wide_organizations = wide_organizations
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["country"].choices = [("", "—"), *report_countries()]  # type: ignore[attr-defined]
        if not self.is_bound:
            today = timezone.localdate()
            last = date(today.year, today.month, 1)
            index = last.year * 12 + last.month - 1 - 5  # six whole months, this one the last
            first = date(index // 12, index % 12 + 1, 1)
            self.initial.setdefault("scope", ReportScope.ORGANISATION)
            self.initial.setdefault("first_month", f"{first:%Y-%m}")
            self.initial.setdefault("last_month", f"{last:%Y-%m}")
            self.initial.setdefault("language", (get_language() or "es")[:2])
            self.initial.setdefault("organization", organizations.order_by("name", "pk").first())

    def clean_first_month(self) -> date:
        return self._month("first_month")

    def clean_last_month(self) -> date:
        return self._month("last_month")

    def _month(self, name: str) -> date:
        try:
            return parse_month(self.cleaned_data[name])
        except ReportInputError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope, organization = data.get("scope"), data.get("organization")
        wide = organization is not None and self.wide_organizations.filter(pk=organization.pk).exists()
        if scope and scope != ReportScope.ORGANISATION and organization is not None and not wide:
            self.add_error("scope", _("Only a coordinator may ask for a report of a country or of the region."))
        if scope == ReportScope.COUNTRY:
            try:
                data["country"] = check_country(data.get("country") or "")
            except ReportInputError:
                self.add_error("country", _("Choose the country the report covers."))
        if data.get("first_month") and data.get("last_month"):
            try:
                data["period"] = month_period(data["first_month"], data["last_month"])
            except ReportInputError as error:
                self.add_error("last_month", str(error))
        return data

    def report_request(self) -> ReportRequest:
        data = self.cleaned_data
        start, end = data["period"]
        return ReportRequest(
            scope_kind=data["scope"],
            start=start,
            end=end,
            language=data["language"],
            scope_organization=data["organization"] if data["scope"] == ReportScope.ORGANISATION else None,
            country=data.get("country") or "" if data["scope"] == ReportScope.COUNTRY else "",
        )
