from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailFrequency


class PreferenceForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label=_("E-mail me about new notices"), choices=EmailFrequency.choices, widget=forms.RadioSelect
    )


class MarkReadForm(forms.Form):
    """Which notifications to mark read: one (`notification`), or all of hers when it is absent."""

    notification = forms.IntegerField(required=False, min_value=1, max_value=2**62)
