"""Forms of the legal-aid pages. Parsing only: the rules live in legal_services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import User
from amparo.accounts.roles import Role
from amparo.directory.models import Organization as DirectoryOrganization

from .forms import ConfirmDatesMixin, OnceMixin, SaneDateTimeField
from .models import Case, LegalEvent, LegalMatter


class LawyerField(forms.ModelChoiceField):
    """The people of `legal_services.lawyer_choices`, the organisation's legal advisors first and named as such: a
    caseworker choosing the lawyer sees who the lawyers are."""

    def label_from_instance(self, obj: Any) -> str:
        if getattr(obj, "legal_advisor", False):
            return f"{obj} · {Role.LEGAL_ADVISOR.label}"
        return str(obj)


class MatterOpenForm(OnceMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of legal matter"), choices=LegalMatter.Kind.choices)
    lawyer = LawyerField(
        label=_("Lawyer"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A legal advisor of the organisation who is not on the case yet joins its team."),
    )
    entity = forms.ModelChoiceField(
        label=_("Entity where it is filed"), queryset=DirectoryOrganization.objects.none(), required=False
    )
    parties = forms.CharField(
        label=_("Parties (names and roles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted. For a custody matter in irregular migratory status, note who has the children."),
    )
    filing_reference = forms.CharField(label=_("Filing number"), required=False, max_length=200)

    def __init__(self, *args: Any, case: Case, lawyers: Any, entities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lawyer"]).queryset = lawyers
        cast(forms.ModelChoiceField, self.fields["entity"]).queryset = entities


class MatterUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=LegalMatter.Status.choices)
    lawyer = LawyerField(label=_("Lawyer"), queryset=User.objects.none(), required=False)
    entity = forms.ModelChoiceField(
        label=_("Entity where it is filed"), queryset=DirectoryOrganization.objects.none(), required=False
    )
    filing_reference = forms.CharField(label=_("Filing number"), required=False, max_length=200)
    parties = forms.CharField(
        label=_("Parties (names and roles)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, lawyers: Any, entities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lawyer"]).queryset = lawyers
        cast(forms.ModelChoiceField, self.fields["entity"]).queryset = entities


class EventForm(ConfirmDatesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LegalEvent.Kind.choices)
    due_at = SaneDateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Stored encrypted; never sent in reminders."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # A deadline or hearing months ago, or decades ahead, is more often a typo (2020 for 2026) than a fact.
        self.check_date("due_at", past=timedelta(days=90), future=timedelta(days=365 * 10))
        return data


class EventAddForm(OnceMixin, EventForm):
    """A new deadline, hearing or document date, with the form's one-time token (core/once.py)."""


class EventEditForm(EventForm):
    done = forms.BooleanField(label=_("Done"), required=False)


class UpcomingForm(forms.Form):
    days = forms.IntegerField(label=_("Days ahead"), min_value=1, max_value=365, required=False)
