"""Forms of case management. Errors come back in the form; nothing is lost."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.countries import country_choices
from amparo.core.once import OnceMixin
from amparo.directory.models import Place

from . import risk as risk_questions
from .models import RiskAssessment
from .services import CLOSURE_CHECKLIST
from .vocab import (
    ELIMINATION_QUESTIONS,
    AgeBand,
    CareArrangement,
    ChildRisk,
    ConsentKind,
    ConsentMethod,
    ContextTag,
    GenderIdentity,
    MigratoryStatus,
    PerpetratorType,
    TraffickingIndicator,
    YesNoUnknown,
)

TEXT = forms.Textarea(attrs={"rows": 4})
MAX_TEXT = 20_000


class SaneDateTimeField(forms.DateTimeField):
    """A date and time between 1900 and 2100: a typo such as year 9999 would overflow when converted to UTC."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not 1900 <= value.year <= 2100:
            raise forms.ValidationError(_("Check the year."))


class ConfirmDatesMixin(forms.Form):
    """Implausible dates are refused until she confirms them: a legal deadline years in the past, an incident
    decades ago, a follow-up already past. The confirmation box appears only when a date needs it."""

    confirm_dates = forms.BooleanField(
        label=_("The dates are right: I checked them"), required=False, widget=forms.HiddenInput
    )

    def check_date(
        self, name: str, *, past: timedelta | None = None, future: timedelta | None = None, message: Any = None
    ) -> None:
        value = self.cleaned_data.get(name)
        if value is None or self.cleaned_data.get("confirm_dates"):
            return
        now: datetime | date = timezone.now() if isinstance(value, datetime) else timezone.localdate()
        too_old = past is not None and value < now - past
        too_far = future is not None and value > now + future
        if too_old or too_far:
            self.fields["confirm_dates"].widget = forms.CheckboxInput()
            self.add_error(
                name,
                message
                or (
                    _("This date is long ago: check it, then tick “the dates are right” to keep it.")
                    if too_old
                    else _("This date is far ahead: check it, then tick “the dates are right” to keep it.")
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.cleaned_data.get("confirm_dates"):  # once confirmed, keep the box in view
            self.fields["confirm_dates"].widget = forms.CheckboxInput()
        return data

    @property
    def data_without_confirmation(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"confirm_dates", "form_token"}}


def municipality_field(label: Any, required: bool = True) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Place.objects.filter(level=Place.Level.ADMIN2).select_related("parent").order_by("name"),
        required=required,
        to_field_name="pcode",
    )


class CaseDetailsForm(forms.Form):
    """Her identifying data and demographics: asked at intake, corrected later on the edit page."""

    full_name = forms.CharField(label=_("Name she uses"), max_length=200, required=False)
    contact = forms.CharField(label=_("Safe contact (phone, how and when)"), max_length=500, required=False)
    document = forms.CharField(label=_("Identity document"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    narrative = forms.CharField(label=_("Her account, in her words"), max_length=MAX_TEXT, required=False, widget=TEXT)
    age_band = forms.ChoiceField(label=_("Age"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN)
    gender_identity = forms.ChoiceField(
        label=_("Gender identity"), choices=GenderIdentity.choices, initial=GenderIdentity.NOT_SAID
    )
    nationality = forms.ChoiceField(label=_("Nationality"), choices=(), required=False)
    migratory_status = forms.ChoiceField(
        label=_("Migratory status"), choices=MigratoryStatus.choices, initial=MigratoryStatus.UNKNOWN
    )
    disability = forms.ChoiceField(label=_("Disability"), choices=YesNoUnknown.choices, initial=YesNoUnknown.UNKNOWN)
    place = municipality_field(_("Municipality where she lives"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The maintained ISO 3166-1 list (django-countries), names in the page's language.
        self.fields["nationality"].choices = [("", "—"), *country_choices()]  # type: ignore[attr-defined]

    def clean_nationality(self) -> str:
        return str(self.cleaned_data.get("nationality") or "").upper()


# The case fields CaseDetailsForm edits (all of its fields).
DETAIL_FIELDS = (
    "full_name", "contact", "document", "address", "narrative", "age_band", "gender_identity", "nationality",
    "migratory_status", "disability", "place",
)  # fmt: skip


class IntakeForm(OnceMixin, CaseDetailsForm):
    consents = forms.MultipleChoiceField(
        label=_("She consents (ask each one separately)"),
        choices=ConsentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    consent_method = forms.ChoiceField(label=_("How she gave consent"), choices=ConsentMethod.choices)

    def __init__(self, *args: Any, organizations: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(org.uuid): org for org in organizations or []}
        if len(self.organizations) > 1:  # someone working for several organisations says which one opens the case
            self.fields = {
                "organization": forms.ChoiceField(
                    label=_("Organisation that opens the case"),
                    choices=[("", "—"), *((key, org.name) for key, org in self.organizations.items())],
                ),
                **self.fields,
            }

    def clean_organization(self) -> Any:
        return self.organizations[self.cleaned_data["organization"]]

    def clean_consents(self) -> list[str]:
        consents: list[str] = self.cleaned_data["consents"]
        if ConsentKind.SERVICES not in consents:
            raise forms.ValidationError(_("A case needs her consent to receive services."))
        return consents


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    method = forms.ChoiceField(choices=ConsentMethod.choices, required=False)
    action = forms.ChoiceField(choices=[("give", "give"), ("withdraw", "withdraw")])


class IncidentForm(OnceMixin, ConfirmDatesMixin, forms.Form):
    occurred_at = SaneDateTimeField(
        label=_("When it happened"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    time_known = forms.BooleanField(label=_("The time of day is known"), required=False, initial=True)
    first_reported_at = SaneDateTimeField(
        label=_("When she first told anyone (us or another service)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = municipality_field(_("Municipality where it happened"))
    context_tags = forms.MultipleChoiceField(
        label=_("Context"), choices=ContextTag.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    perpetrator_types = forms.MultipleChoiceField(
        label=_("Who did it"), choices=PerpetratorType.choices, widget=forms.CheckboxSelectMultiple
    )
    perpetrator_count = forms.IntegerField(label=_("Number of aggressors"), min_value=1, max_value=99, initial=1)
    description = forms.CharField(
        label=_("What happened (her words)"), max_length=MAX_TEXT, required=False, widget=TEXT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The GBVIMS elimination questions, asked in order (vocab.ELIMINATION_QUESTIONS).
        for key, _type, question in ELIMINATION_QUESTIONS:
            self.fields[f"q_{key}"] = forms.BooleanField(label=str(question), required=False)
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.fields["first_reported_at"].initial = now.strftime("%Y-%m-%dT%H:%M")

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{key}"] for key, _type, _q in ELIMINATION_QUESTIONS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        occurred, reported = data.get("occurred_at"), data.get("first_reported_at")
        if occurred and occurred > timezone.now():
            self.add_error("occurred_at", _("This date is in the future."))
        if reported and reported > timezone.now():
            self.add_error("first_reported_at", _("This date is in the future."))
        if occurred and reported and reported < occurred:
            self.add_error("first_reported_at", _("She cannot have told anyone before it happened."))
        self.check_date("occurred_at", past=timedelta(days=365 * 15))
        return data

    def answers(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(f"q_{key}")) for key, _type, _q in ELIMINATION_QUESTIONS}


class RiskForm(OnceMixin, forms.Form):
    """The risk questions (content/risk-questions.json, one yes box each, grouped), persecution and trafficking
    indicators, her judgement and the safety plan."""

    persecution = forms.ChoiceField(
        label=_("Is the aggressor persecuting her?"), choices=YesNoUnknown.choices, widget=forms.RadioSelect
    )
    indicators = forms.MultipleChoiceField(
        label=_("Trafficking indicators observed"),
        choices=TraffickingIndicator.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    judged_level = forms.ChoiceField(
        label=_("Your judgement"),
        choices=[("", _("The level the answers give")), *RiskAssessment.Level.choices],
        required=False,
        help_text=_("You may raise the level when you judge the risk higher than the answers show; say why."),
    )
    raise_reason = forms.CharField(
        label=_("Why you raise the level"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    safety_plan = forms.CharField(label=_("Safety plan"), max_length=MAX_TEXT, required=False, widget=TEXT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in risk_questions.questions().questions:
            label = question.label
            if question.high_on_its_own:
                label = _("%(question)s (high by itself)") % {"question": label}
            self.fields[f"q_{question.key}"] = forms.BooleanField(label=label, required=False)

    def question_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (label, [self[f"q_{q.key}"] for q in group]) for _key, label, group in risk_questions.questions().grouped()
        ]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("persecution", "indicators", "judged_level", "raise_reason", "safety_plan")]

    def answers(self) -> list[str]:
        return [q.key for q in risk_questions.questions().questions if self.cleaned_data.get(f"q_{q.key}")]


class ActionForm(OnceMixin, ConfirmDatesMixin, forms.Form):
    description = forms.CharField(label=_("Action"), max_length=2000)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_date(
            "due_on", past=timedelta(days=0), future=timedelta(days=365 * 5),
            message=None,
        )  # fmt: skip
        return data


def _person(user: Any) -> str:
    return str(user.display_name or user.email)


class TeamForm(forms.Form):
    """Who accompanies her (need to know: only they, the supervisor and the coordinators see the case)."""

    caseworkers: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Caseworkers and lawyers on the case"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    supervisor: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Supervisor (approves the closure)"), queryset=None, required=False
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("caseworkers", "supervisor"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = members
            field.label_from_instance = _person  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        supervisor, workers = data.get("supervisor"), data.get("caseworkers") or []
        if supervisor is not None and supervisor in workers:
            self.add_error("supervisor", _("The supervisor is someone other than the people on the case."))
        return data


class ChildForm(ConfirmDatesMixin, forms.Form):
    age_band = forms.ChoiceField(label=_("Age"), choices=AgeBand.choices)
    risks = forms.MultipleChoiceField(
        label=_("Risks"), choices=ChildRisk.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    care_arrangement = forms.ChoiceField(label=_("Alternative care"), choices=CareArrangement.choices)
    care_notes = forms.CharField(label=_("Care notes (who, where)"), max_length=2000, required=False, widget=TEXT)
    next_follow_up = forms.DateField(
        label=_("Next follow-up"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_date("next_follow_up", past=timedelta(days=0), future=timedelta(days=365 * 3))
        return data


class ChildAddForm(OnceMixin, ChildForm):
    pass


class DuplicateForm(forms.Form):
    """Close this case as a duplicate of another (by its code), and optionally merge her records into it."""

    kept = forms.RegexField(
        label=_("Code of the case to keep"), regex=r"^\s*[Cc]-?[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}\s*$", max_length=20
    )
    merge = forms.BooleanField(
        label=_("Move her incidents, risk assessments, actions and children to the case kept"), required=False
    )

    def clean_kept(self) -> str:
        raw = "".join(ch for ch in str(self.cleaned_data["kept"]).upper() if ch.isalnum())
        return f"C-{raw[1:5]}-{raw[5:9]}"


CLOSURE_LABELS = {
    "needs_met": _("Her needs were met, or she chose to stop"),
    "safety_plan_reviewed": _("The safety plan was reviewed with her"),
    "referrals_closed": _("Every referral is closed or handed over"),
    "survivor_informed": _("She knows how to come back"),
    "children_safe": _("Her children have a safe care arrangement (or there are none)"),
}


class ClosureForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in CLOSURE_CHECKLIST:
            self.fields[item] = forms.BooleanField(label=CLOSURE_LABELS[item], required=False)

    def checklist(self) -> dict[str, bool]:
        return {item: bool(self.cleaned_data.get(item)) for item in CLOSURE_CHECKLIST}
