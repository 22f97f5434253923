"""Parsing the monitoring pages' input: the gap filters, a plan and its indicators (one form per indicator kind)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import Organization as MemberOrganization
from amparo.directory.models import Place
from amparo.directory.taxonomy import SERVICE_TYPE_CHOICES

from .gaps import GROUP_LABELS, group_by_code
from .models import Indicator, MonitoringPlan
from .monitoring import HIGHER_IS_BETTER, PERCENT_KINDS

ORDER_CHOICES = [("name", gettext_lazy("Department and name")), ("priority", gettext_lazy("Most urgent first"))]


class GapFilterForm(forms.Form):
    place = forms.CharField(
        label=gettext_lazy("Country, department or municipality (P-code)"), required=False, max_length=16
    )
    zone = forms.ChoiceField(
        label=gettext_lazy("Zone type"), required=False, choices=[("", gettext_lazy("Every zone")), *Place.Zone.choices]
    )
    group = forms.ChoiceField(
        label=gettext_lazy("Group"), required=False, choices=[("", gettext_lazy("Every group")), *GROUP_LABELS.items()]
    )
    need = forms.ChoiceField(
        label=gettext_lazy("Need"), required=False, choices=[("", gettext_lazy("Every need")), *SERVICE_TYPE_CHOICES]
    )
    order = forms.ChoiceField(label=gettext_lazy("Order"), required=False, choices=ORDER_CHOICES)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def clean_place(self) -> Place | None:
        code = self.cleaned_data["place"].strip().upper()
        if not code:
            return None
        place = Place.objects.filter(pcode=code).first()
        if place is None:
            raise forms.ValidationError(_("We do not know the place code “%(code)s”.") % {"code": code})
        return place

    def clean_group(self) -> Any:
        code = self.cleaned_data["group"]
        return group_by_code(code) if code else None


def plan_places() -> QuerySet[Place]:
    return Place.objects.select_related("parent").order_by("level", "pcode")


class PlanForm(forms.ModelForm):
    class Meta:
        model = MonitoringPlan
        fields = ["name", "place", "period"]

    def __init__(self, *args: Any, organizations: QuerySet[MemberOrganization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = plan_places()  # type: ignore[attr-defined]
        self.fields["organization"] = forms.ModelChoiceField(
            queryset=organizations, label=_("Held by"), initial=organizations.first() if organizations else None
        )
        if self.instance.pk:
            self.fields["organization"].initial = self.instance.organization
        self.order_fields(["name", "organization", "place", "period"])

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the plan a name."))
        return name


class IndicatorForm(forms.ModelForm):
    """One indicator kind of the plan: left empty, the plan does not follow it."""

    use = forms.BooleanField(label=gettext_lazy("Follow this indicator"), required=False)

    class Meta:
        model = Indicator
        fields = ["baseline", "baseline_on", "target", "target_on", "responsible_organization", "responsible_person"]
        widgets = {
            "baseline_on": forms.DateInput(attrs={"type": "date"}),
            "target_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, kind: str, organizations: QuerySet[MemberOrganization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.label = Indicator.Kind(kind).label
        self.fields["responsible_organization"].queryset = organizations  # type: ignore[attr-defined]
        for name in self.Meta.fields:
            self.fields[name].required = False
        self.order_fields(["use", *self.Meta.fields])
        if self.instance.pk:
            self.fields["use"].initial = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("use"):
            return data
        missing = [f for f in ("baseline", "baseline_on", "target", "target_on") if data.get(f) is None]
        for name in missing:
            self.add_error(name, _("Needed for an indicator the plan follows."))
        if missing:
            return data
        baseline, target = data["baseline"], data["target"]
        if data["target_on"] <= data["baseline_on"]:
            self.add_error("target_on", _("The target date must come after the baseline date."))
        if self.kind in PERCENT_KINDS and not (0 <= baseline <= 100 and 0 <= target <= 100):
            self.add_error("target" if 0 <= baseline <= 100 else "baseline", _("A percentage runs from 0 to 100."))
            return data
        if baseline < 0 or target < 0:
            self.add_error("target" if target < 0 else "baseline", _("This figure cannot be negative."))
            return data
        higher = self.kind in HIGHER_IS_BETTER
        if (higher and target < baseline) or (not higher and target > baseline):
            self.add_error(
                "target",
                _("For this indicator higher is better: the target cannot be below the baseline.")
                if higher
                else _("For this indicator lower is better: the target cannot be above the baseline."),
            )
        return data

    def _post_clean(self) -> None:
        # The model's own checks (the target date after the baseline) only for a followed indicator without errors
        # of its own: clean() already said it in words.
        if self.cleaned_data.get("use") and not self.errors:
            super()._post_clean()  # type: ignore[misc]


def indicator_forms(
    data: Any, plan: MonitoringPlan | None, organizations: QuerySet[MemberOrganization]
) -> list[IndicatorForm]:
    existing = {i.kind: i for i in plan.indicators.all()} if plan is not None and plan.pk else {}
    return [
        IndicatorForm(
            data,
            prefix=kind,
            kind=kind,
            organizations=organizations,
            instance=existing.get(kind) or Indicator(kind=kind),
        )
        for kind in Indicator.Kind.values
    ]


def indicators_valid(indicator_forms_: list[IndicatorForm]) -> tuple[bool, str]:
    """All valid, and at least one followed; else the message for the top of the page."""
    if not all(f.is_valid() for f in indicator_forms_):
        return False, ""
    if not any(f.cleaned_data.get("use") for f in indicator_forms_):
        return False, _("A plan needs at least one indicator: tick “Follow this indicator” on one of them.")
    return True, ""
