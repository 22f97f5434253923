"""Forms of a caseworker's day (issue 13, items 2 and 6): the case search, the list's filters, notes and files.
Parsing only: the rules live in services, search and selectors."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.core.once import OnceMixin

from .models import TRANSFER_PARTS, Case, RiskAssessment
from .selectors import SORTS

MAX_QUERY = 200
MAX_NOTE = 20_000


class CaseSearchForm(forms.Form):
    # Sent by POST: her name or document never sits in an address, a browser's history or a proxy's log.
    q = forms.CharField(
        label=_("Case code, her name or her document"),
        max_length=MAX_QUERY,
        help_text=_("Whole words: every word of her name you type must match. Nothing you type is stored."),
    )


class CaseListForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Case.Status.choices], required=False, initial="open"
    )
    worker = forms.TypedChoiceField(label=_("Person on the case"), coerce=int, required=False, empty_value=None)
    risk = forms.ChoiceField(
        label=_("Risk level"),
        choices=[("", _("All")), *RiskAssessment.Level.choices, ("none", _("Not assessed"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        choices=[("opened", _("Opened, newest first")), ("activity", _("Last activity, newest first"))],
        required=False,
    )

    def __init__(self, *args: Any, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["worker"])
        field.choices = [("", _("Anyone"))] + [(u.pk, u.display_name or u.email) for u in workers]

    def clean_sort(self) -> str:
        return str(self.cleaned_data.get("sort") or "opened") if self.cleaned_data.get("sort") in SORTS else "opened"


class TransferForm(OnceMixin, forms.Form):
    to_organization = forms.ModelChoiceField(
        label=_("Organisation that receives her"), queryset=Organization.objects.none()
    )
    consent_method = forms.ChoiceField(
        label=_("How she agreed to be transferred"),
        choices=[("verbal", _("Verbal, recorded by the caseworker")), ("written", _("Written and signed"))],
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        label=_("She agreed to be transferred to this organisation, knowing what travels and what stays"),
        required=True,
    )
    travels = forms.MultipleChoiceField(
        label=_("What travels"),
        choices=list(TRANSFER_PARTS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=["profile"],
    )
    reason = forms.CharField(
        label=_("Why (no names)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_organization"]).queryset = organizations


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])


class NoteForm(OnceMixin, forms.Form):
    noted_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), initial=timezone.localdate
    )
    text = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Stored encrypted. Write what was done and agreed; her words only if she wants them kept."),
    )
