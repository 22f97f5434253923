"""Staff forms of the surveys' form pages: parsing input only (the writes are in services, form_admin, phones)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.once import OnceMixin

from .phones import enumerators_of


class XLSFormUploadForm(forms.Form):
    xlsform = forms.FileField(
        label=_("XLSForm file"),
        help_text=_("An .xlsx, .xls or .csv XLSForm. Its settings sheet names the form (form_id) and its version."),
    )


class MediaUploadForm(forms.Form):
    file = forms.FileField(label=_("File the form uses"), help_text=_("A CSV, a JPEG or a PNG image."))


class OpenForm(forms.Form):
    is_open = forms.TypedChoiceField(
        label=_("Submissions"),
        choices=[("1", _("Open")), ("0", _("Closed"))],
        coerce=lambda value: value == "1",
    )


class EnumeratorsForm(forms.Form):
    enumerators: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Enumerators who fill this form"),
        queryset=None,  # set per organisation
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enumerators"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = enumerators_of(organization).order_by("email")


class CredentialForm(OnceMixin, forms.Form):
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Enumerator"), queryset=None)
    label = forms.CharField(
        label=_("Phone"),
        max_length=100,
        help_text=_("A name that tells the phones apart, e.g. “Cúcuta team, phone 2”."),
    )

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = enumerators_of(organization).order_by("email")
